//! `sm-data inspect FILE`: what a file holds, as text or JSON.

use std::io::Write;

use serde_json::{Value, json};
use sm_data::Dtype;
use sm_data::codec::text::write_value;
use sm_data::inspect::{Report, Row};

use crate::args::InspectArgs;

/// Inspects and prints.
pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let opts = args.read.options()?;
    let input = sm_data::store::Input::open(&args.input)?;
    let report = sm_data::inspect::inspect(input, &opts, args.head)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &to_json(&args.input, &report))?;
        writeln!(out)?;
    } else {
        print_text(&mut out, &args.input, &report)?;
    }
    out.flush()?;
    Ok(())
}

fn num(v: f64, d: Option<Dtype>) -> String {
    let mut s = Vec::new();
    write_value(&mut s, v, d.unwrap_or(Dtype::Float64));
    String::from_utf8(s).expect("ascii")
}

fn json_num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn row_text(r: &Row, report: &Report) -> String {
    let labels: Vec<String> = r
        .labels
        .iter()
        .map(|&v| num(v, report.label_dtype))
        .collect();
    let feats: Vec<String> = match &r.indices {
        Some(idx) => idx
            .iter()
            .zip(&r.values)
            .map(|(i, &v)| format!("{i}:{}", num(v, report.dtype)))
            .collect(),
        None => r.values.iter().map(|&v| num(v, report.dtype)).collect(),
    };
    let shown = feats.len().min(12);
    let more = if feats.len() > shown {
        format!(" ... (+{})", feats.len() - shown)
    } else {
        String::new()
    };
    format!(
        "label [{}] features [{}{}]",
        labels.join(", "),
        feats[..shown].join(", "),
        more
    )
}

fn print_text(out: &mut impl Write, name: &str, r: &Report) -> std::io::Result<()> {
    writeln!(out, "file:           {name}")?;
    writeln!(
        out,
        "format:         {} ({})",
        r.format,
        r.format.content_type()
    )?;
    writeln!(out, "bytes:          {}", r.bytes)?;
    writeln!(out, "records:        {}", r.records)?;
    if let Some((lo, hi)) = r.payload_bytes {
        writeln!(
            out,
            "payload bytes:  {lo}..{hi} (opaque payloads; CRCs checked)"
        )?;
    }
    if r.format == sm_data::Format::Tfrecord {
        return Ok(());
    }
    let kind = match (r.sparse_records, r.records) {
        (0, _) => "dense".to_string(),
        (s, n) if s == n => "sparse".to_string(),
        (s, n) => format!("mixed ({s} sparse, {} dense)", n - s),
    };
    writeln!(out, "features:       {kind}, dimension {}", r.feature_dim)?;
    if let Some(d) = r.dtype {
        writeln!(out, "dtype:          {d}")?;
    }
    if let Some((lo, hi)) = r.values_per_record {
        writeln!(
            out,
            "values/record:  {lo}..{hi} ({} stored, {} missing)",
            r.stored_values, r.missing_values
        )?;
    }
    writeln!(
        out,
        "labeled:        {} of {} records",
        r.labeled_records, r.records
    )?;
    if let Some((lo, hi)) = r.label_range {
        writeln!(
            out,
            "label range:    {} .. {}",
            num(lo, r.label_dtype),
            num(hi, r.label_dtype)
        )?;
    }
    if let Some(classes) = &r.label_classes {
        let list: Vec<String> = classes.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        writeln!(
            out,
            "label classes:  {} ({})",
            classes.len(),
            list.join(", ")
        )?;
    }
    if !r.head.is_empty() {
        writeln!(out, "first records:")?;
        for (i, row) in r.head.iter().enumerate() {
            writeln!(out, "  {:>3}  {}", i + 1, row_text(row, r))?;
        }
    }
    Ok(())
}

fn to_json(name: &str, r: &Report) -> Value {
    json!({
        "file": name,
        "format": r.format.name(),
        "content_type": r.format.content_type(),
        "bytes": r.bytes,
        "records": r.records,
        "sparse_records": r.sparse_records,
        "feature_dim": r.feature_dim,
        "dtype": r.dtype.map(|d| d.name()),
        "values_per_record": r.values_per_record.map(|(a, b)| json!({"min": a, "max": b})),
        "stored_values": r.stored_values,
        "missing_values": r.missing_values,
        "labeled_records": r.labeled_records,
        "label_dtype": r.label_dtype.map(|d| d.name()),
        "labels_per_record": r.labels_per_record.map(|(a, b)| json!({"min": a, "max": b})),
        "label_range": r.label_range.map(|(a, b)| json!({"min": json_num(a), "max": json_num(b)})),
        "label_classes": r.label_classes,
        "payload_bytes": r.payload_bytes.map(|(a, b)| json!({"min": a, "max": b})),
        "head": r.head.iter().map(|row| json!({
            "labels": row.labels.iter().map(|&v| json_num(v)).collect::<Vec<_>>(),
            "indices": row.indices,
            "values": row.values.iter().map(|&v| json_num(v)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
