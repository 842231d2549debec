//! `sm-data validate PATH... --algorithm NAME`: findings as text or JSON.
//!
//! Exit status: 0 when no error was found (warnings allowed), 1 when
//! problems were found, 2 when validation could not run (bad options,
//! unreadable input, a kind of input this build cannot check).

use std::io::Write;
use std::process::ExitCode;

use serde_json::{Value, json};
use sm_data::validate::{Check, Finding, Options, Report, validate};

use crate::args::ValidateArgs;

/// Runs the validation, prints the report, and returns the exit status.
pub fn main(args: ValidateArgs) -> ExitCode {
    match run(&args) {
        Ok(clean) => ExitCode::from(if clean { 0 } else { 1 }),
        Err(err) => {
            if crate::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("sm-data: error: {err:#}");
            eprintln!("sm-data: validation could not run (exit status 2)");
            ExitCode::from(2)
        }
    }
}

fn run(args: &ValidateArgs) -> anyhow::Result<bool> {
    let opts = Options {
        algorithm: args.algorithm,
        content_type: args.content_type.clone(),
        max_per_kind: args.max_per_kind,
        pipeline: sm_data::pipeline::Options {
            threads: args.threads,
            chunk_size: args.chunk_size,
            window: 0,
        },
    };
    let report = validate(&args.paths, &opts)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &to_json(&report, args.max_per_kind))?;
        writeln!(out)?;
    } else {
        print_text(&mut out, &report)?;
    }
    out.flush()?;
    Ok(report.is_clean())
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn print_finding(out: &mut impl Write, f: &Finding) -> std::io::Result<()> {
    writeln!(out, "{f}")?;
    if let Some(s) = &f.snippet {
        writeln!(out, "    text:      {s}")?;
    }
    if !f.sagemaker.is_empty() {
        writeln!(out, "    SageMaker: {}", f.sagemaker)?;
    }
    if !f.fix.is_empty() {
        writeln!(out, "    fix:       {}", f.fix)?;
    }
    Ok(())
}

fn print_text(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let kinds: Vec<&str> = {
        let mut k: Vec<&str> = r.files.iter().map(|f| f.1.name()).collect();
        k.sort_unstable();
        k.dedup();
        k
    };
    writeln!(
        out,
        "validating for {} ({}): {}, {}, {} bytes",
        r.algorithm.title(),
        r.algorithm,
        plural(r.stats.files, "file"),
        if kinds.is_empty() {
            "no data".to_string()
        } else {
            kinds.join(", ")
        },
        r.stats.bytes
    )?;
    let mut shown: std::collections::BTreeMap<Check, u64> = Default::default();
    for f in &r.findings {
        writeln!(out)?;
        print_finding(out, f)?;
        *shown.entry(f.check).or_default() += 1;
    }
    for (check, &(e, w)) in &r.counts {
        let total = e + w;
        let s = shown.get(check).copied().unwrap_or(0);
        if total > s {
            writeln!(
                out,
                "\n... and {} more [{}] ({} in all)",
                total - s,
                check.id(),
                total
            )?;
        }
    }
    writeln!(out)?;
    if !r.counts.is_empty() {
        writeln!(out, "summary:")?;
        for (check, &(e, w)) in &r.counts {
            let what = match (e, w) {
                (e, 0) => plural(e, "error"),
                (0, w) => plural(w, "warning"),
                (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
            };
            writeln!(out, "  {:<24} {:<22} {}", check.id(), what, check.title())?;
        }
    }
    if r.is_clean() {
        writeln!(
            out,
            "result: clean ({}){}",
            plural(r.warnings(), "warning"),
            if r.stats.num_records == 0 {
                ""
            } else {
                " — ready to train"
            }
        )?;
        print_stats(out, r)?;
    } else {
        writeln!(
            out,
            "result: {} and {} — the training job would fail or read wrong data",
            plural(r.errors(), "error"),
            plural(r.warnings(), "warning")
        )?;
    }
    Ok(())
}

fn num(v: f64) -> String {
    let mut s = Vec::new();
    sm_data::codec::text::write_value(&mut s, v, sm_data::Dtype::Float64);
    String::from_utf8(s).expect("ascii")
}

fn print_stats(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let s = &r.stats;
    writeln!(out, "\nstatistics:")?;
    writeln!(out, "  num_records:     {}", s.num_records)?;
    if s.feature_dim > 0 {
        writeln!(out, "  feature_dim:     {}", s.feature_dim)?;
    }
    if s.labeled_records > 0 {
        let range = s
            .label_range
            .map(|(a, b)| format!(", range {} .. {}", num(a), num(b)))
            .unwrap_or_default();
        writeln!(
            out,
            "  labels:          {} labeled{range}",
            s.labeled_records
        )?;
        if let Some(c) = &s.label_classes {
            let list: Vec<String> = c.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            writeln!(out, "  label classes:   {} ({})", c.len(), list.join(", "))?;
        }
    }
    if let Some(sp) = s.sparsity {
        writeln!(
            out,
            "  sparsity:        {:.1}% zeros ({} non-zero of {} cells; {} missing)",
            sp * 100.0,
            s.nonzero_values,
            s.num_records.saturating_mul(s.feature_dim),
            s.missing_values
        )?;
    }
    if let Some(m) = s.min_index {
        writeln!(out, "  smallest index:  {m}")?;
    }
    if let Some((a, b)) = s.sequence_length {
        writeln!(out, "  sequence length: {a} .. {b}")?;
    }
    if !s.hyperparameters.is_empty() {
        writeln!(out, "hyperparameters for {}:", r.algorithm)?;
        for h in &s.hyperparameters {
            writeln!(out, "  {} = {}    ({})", h.name, h.value, h.note)?;
        }
    }
    Ok(())
}

fn json_num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn finding_json(f: &Finding) -> Value {
    let p = &f.position;
    json!({
        "check": f.check.id(),
        "severity": f.severity.name(),
        "file": p.file,
        "line": p.line.map(|l| l + 1),
        "record": p.record.map(|r| r + 1),
        "field": p.field.map(|c| c + 1),
        "byte": p.byte,
        "snippet": f.snippet,
        "message": f.message,
        "sagemaker": f.sagemaker,
        "fix": f.fix,
    })
}

fn to_json(r: &Report, max: usize) -> Value {
    let s = &r.stats;
    let counts: serde_json::Map<String, Value> = r
        .counts
        .iter()
        .map(|(c, &(e, w))| {
            let shown = r.findings.iter().filter(|f| f.check == *c).count();
            (
                c.id().to_string(),
                json!({"errors": e, "warnings": w, "shown": shown, "title": c.title()}),
            )
        })
        .collect();
    json!({
        "algorithm": r.algorithm.name(),
        "content_type": r.content_type,
        "clean": r.is_clean(),
        "errors": r.errors(),
        "warnings": r.warnings(),
        "max_per_kind": max,
        "files": r.files.iter().map(|(p, k)| json!({"path": p, "kind": k.name()})).collect::<Vec<_>>(),
        "counts": counts,
        "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "stats": {
            "files": s.files,
            "bytes": s.bytes,
            "num_records": s.num_records,
            "feature_dim": s.feature_dim,
            "labeled_records": s.labeled_records,
            "label_range": s.label_range.map(|(a, b)| json!({"min": json_num(a), "max": json_num(b)})),
            "label_classes": s.label_classes,
            "stored_values": s.stored_values,
            "nonzero_values": s.nonzero_values,
            "missing_values": s.missing_values,
            "sparsity": s.sparsity.map(json_num),
            "min_index": s.min_index,
            "sequence_length": s.sequence_length.map(|(a, b)| json!({"min": a, "max": b})),
            "hyperparameters": s.hyperparameters.iter().map(|h| json!({"name": h.name, "value": h.value, "note": h.note})).collect::<Vec<_>>(),
        },
    })
}
