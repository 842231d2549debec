//! Chunk checker for JSON Lines: DeepAR series, Object2Vec pairs and
//! BlazingText augmented manifests (spec §7), one `serde_json` parse per
//! line on the parallel line pipeline.
//!
//! The JSON Lines codec (`codec::json`) decodes numeric examples
//! (`{"features": [...], "label": x}`); the schemas checked here are other
//! shapes (series, token-id pairs, manifest lines), so each line is parsed
//! into a `serde_json::Value` and checked field by field.

use serde_json::{Map, Value};

use super::finding::{Check, Finding, Severity, Site};
use super::table::Schema;
use super::{FileCtx, Work};
use crate::codec::lines::split_lines;
use crate::codec::text::{snippet, trim};
use crate::pipeline::Chunk;

/// Where the current line is, for findings.
struct Here<'a> {
    rel: u64,
    at: u64,
    line: &'a [u8],
}

impl Here<'_> {
    fn finding(&self, check: Check, sev: Severity) -> Finding {
        Finding::new(check, sev)
            .line(self.rel)
            .byte(self.at)
            .snippet(self.line)
    }
}

/// Checks a chunk of JSON Lines.
pub(crate) fn check_jsonl(ctx: &FileCtx<'_>, chunk: &Chunk, w: &mut Work) {
    let data: &[u8] = chunk;
    let base = chunk.offset;
    let mut line_no = 0u64;
    for (raw, start) in split_lines(data) {
        let rel = line_no;
        line_no += 1;
        let mut line = raw;
        let mut off = start;
        if chunk.index == 0 && start == 0 && line.starts_with(b"\xEF\xBB\xBF") {
            line = &line[3..];
            off += 3;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if trim(line).is_empty() {
            continue;
        }
        w.records += 1;
        w.stats.records += 1;
        let here = Here {
            rel,
            at: base + off as u64,
            line,
        };
        let obj = match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(m)) => m,
            Ok(other) => {
                w.out.add(Check::JsonSyntax, Severity::Error, || {
                    here.finding(Check::JsonSyntax, Severity::Error)
                        .message(format!(
                            "the line is a JSON {}, not an object",
                            kind(&other)
                        ))
                        .sagemaker(format!(
                            "{} reads one JSON object per line",
                            ctx.algorithm.title()
                        ))
                        .fix("write one JSON object per line")
                });
                continue;
            }
            Err(e) => {
                let col = e.column().saturating_sub(1).min(line.len());
                w.out.add(Check::JsonSyntax, Severity::Error, || {
                    Finding::new(Check::JsonSyntax, Severity::Error)
                        .line(rel)
                        .byte(here.at + col as u64)
                        .snippet(line)
                        .message(format!("invalid JSON: {e}"))
                        .sagemaker(format!(
                            "{} fails to parse the line (JSON Lines: one complete JSON object per line, no pretty-printing)",
                            ctx.algorithm.title()
                        ))
                        .fix("write one complete JSON object per line (json.dumps(obj) + \"\\n\")")
                });
                continue;
            }
        };
        match ctx.rules.schema {
            Schema::Deepar => deepar(ctx, &obj, &here, w),
            Schema::Object2vec => object2vec(ctx, &obj, &here, w),
            Schema::BlazingtextManifest => blazingtext(ctx, &obj, &here, w),
            _ => {}
        }
    }
    w.lines = line_no;
    w.ends_with_newline = data.last() == Some(&b'\n');
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `YYYY-MM-DD`, optionally followed by ` HH:MM[:SS]` (or `T`), without a
/// time zone.
fn valid_start(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if b.len() < 10
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !(1..=12).contains(&num(5..7)) || !(1..=31).contains(&num(8..10)) {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    if !matches!(b[10], b' ' | b'T') || b.len() < 16 {
        return false;
    }
    if !digits(11..13) || b[13] != b':' || !digits(14..16) || num(11..13) > 23 || num(14..16) > 59 {
        return false;
    }
    match b.len() {
        16 => true,
        19 => b[16] == b':' && digits(17..19) && num(17..19) <= 60,
        _ => false,
    }
}

fn deepar(ctx: &FileCtx<'_>, obj: &Map<String, Value>, here: &Here<'_>, w: &mut Work) {
    let max = ctx.max;
    let record = w.records - 1;
    let site = || Site {
        line: Some(here.rel),
        record,
        byte: here.at,
        snippet: Some(snippet(here.line, 60)),
    };
    let start_ok = match obj.get("start") {
        Some(Value::String(s)) => valid_start(s),
        _ => false,
    };
    if !start_ok {
        w.out.add(Check::DeeparStart, Severity::Error, || {
            here.finding(Check::DeeparStart, Severity::Error)
                .message(match obj.get("start") {
                    None => "the series has no 'start'".to_string(),
                    Some(Value::String(s)) => format!("'start' is {s:?}, not \"YYYY-MM-DD HH:MM:SS\" (no time zone)"),
                    Some(v) => format!("'start' is a {}, not a string", kind(v)),
                })
                .sagemaker("DeepAR needs 'start' as \"YYYY-MM-DD HH:MM:SS\" without a time zone; the job fails to read the series")
                .fix("write \"start\": \"2024-01-31 00:00:00\"")
        });
    }
    let target_len = match obj.get("target") {
        Some(Value::Array(a)) if !a.is_empty() => {
            let bad = a.iter().position(|v| {
                !(v.is_number() || v.is_null() || v.as_str().is_some_and(|s| s == "NaN"))
            });
            if let Some(i) = bad {
                w.out.add(Check::DeeparTarget, Severity::Error, || {
                    here.finding(Check::DeeparTarget, Severity::Error)
                        .message(format!(
                            "target[{i}] is {}, not a number (null or \"NaN\" mark missing values)",
                            a[i]
                        ))
                        .sagemaker("DeepAR fails to read the series")
                        .fix("write target values as numbers; use null or \"NaN\" for missing values")
                });
            }
            Some(a.len())
        }
        other => {
            w.out.add(Check::DeeparTarget, Severity::Error, || {
                here.finding(Check::DeeparTarget, Severity::Error)
                    .message(match other {
                        None => "the series has no 'target'".to_string(),
                        Some(Value::Array(_)) => "'target' is empty".to_string(),
                        Some(v) => format!("'target' is a {}, not an array of numbers", kind(v)),
                    })
                    .sagemaker("DeepAR needs a non-empty 'target' array in every series")
                    .fix("write \"target\": [1.0, 2.5, null, ...]")
            });
            None
        }
    };
    if let Some(n) = target_len {
        w.stats.seq(n as u64);
    }
    let cat_key = match obj.get("cat") {
        None => "no 'cat'".to_string(),
        Some(Value::Array(a)) => {
            let bad = a.iter().position(|v| v.as_u64().is_none());
            match bad {
                Some(i) => {
                    w.out.add(Check::DeeparCat, Severity::Error, || {
                        here.finding(Check::DeeparCat, Severity::Error)
                            .message(format!("cat[{i}] is {}, not a non-negative integer", a[i]))
                            .sagemaker("DeepAR reads categorical features as 0-based integers and fails on other values")
                            .fix("encode each categorical feature as 0, 1, 2, ...")
                    });
                }
                None => {
                    let c = &mut w.stats.cardinality;
                    if c.len() < a.len() {
                        c.resize(a.len(), 0);
                    }
                    for (slot, v) in c.iter_mut().zip(a) {
                        *slot = (*slot).max(v.as_u64().unwrap_or(0).saturating_add(1));
                    }
                }
            }
            format!(
                "{} 'cat' value{}",
                a.len(),
                if a.len() == 1 { "" } else { "s" }
            )
        }
        Some(v) => {
            w.out.add(Check::DeeparCat, Severity::Error, || {
                here.finding(Check::DeeparCat, Severity::Error)
                    .message(format!("'cat' is a {}, not an array of integers", kind(v)))
                    .sagemaker("DeepAR reads 'cat' as an array of 0-based integers")
                    .fix("write \"cat\": [0, 3]")
            });
            "a malformed 'cat'".to_string()
        }
    };
    w.tally(Check::DeeparCatLength, &cat_key, max, site);
    let dyn_key = match obj.get("dynamic_feat") {
        None => "no 'dynamic_feat'".to_string(),
        Some(Value::Array(feats)) => {
            w.stats.dynamic_feat = w.stats.dynamic_feat.max(Some(feats.len() as u64));
            for (i, f) in feats.iter().enumerate() {
                let problem = match f {
                    Value::Array(vals) => {
                        if let Some(j) = vals.iter().position(|v| !v.is_number()) {
                            Some(format!(
                                "dynamic_feat[{i}][{j}] is {}, not a number",
                                vals[j]
                            ))
                        } else {
                            target_len.filter(|&t| vals.len() < t).map(|t| {
                                format!(
                                    "dynamic_feat[{i}] has {} values, fewer than the {t} of 'target'",
                                    vals.len()
                                )
                            })
                        }
                    }
                    v => Some(format!(
                        "dynamic_feat[{i}] is a {}, not an array of numbers",
                        kind(v)
                    )),
                };
                if let Some(p) = problem {
                    w.out.add(Check::DeeparDynamicFeat, Severity::Error, || {
                        here.finding(Check::DeeparDynamicFeat, Severity::Error)
                            .message(p)
                            .sagemaker("DeepAR needs every dynamic feature as long as 'target' (training), with a number at every time step")
                            .fix("write one array of numbers per dynamic feature, as long as 'target'")
                    });
                    break;
                }
            }
            format!(
                "{} dynamic feature{}",
                feats.len(),
                if feats.len() == 1 { "" } else { "s" }
            )
        }
        Some(v) => {
            w.out.add(Check::DeeparDynamicFeat, Severity::Error, || {
                here.finding(Check::DeeparDynamicFeat, Severity::Error)
                    .message(format!(
                        "'dynamic_feat' is a {}, not an array of arrays",
                        kind(v)
                    ))
                    .sagemaker("DeepAR reads 'dynamic_feat' as an array of number arrays")
                    .fix("write \"dynamic_feat\": [[0.1, 0.2, ...]]")
            });
            "a malformed 'dynamic_feat'".to_string()
        }
    };
    w.tally(Check::DeeparDynamicFeatCount, &dyn_key, max, site);
}

fn object2vec(ctx: &FileCtx<'_>, obj: &Map<String, Value>, here: &Here<'_>, w: &mut Work) {
    let mut problem = None;
    match obj.get("label").and_then(Value::as_f64) {
        Some(v) => w.stats.label(v),
        None => problem = Some("'label' is missing or not a number".to_string()),
    }
    for (i, key) in ["in0", "in1"].into_iter().enumerate() {
        match obj.get(key) {
            Some(Value::Array(a)) if !a.is_empty() => {
                if let Some(j) = a.iter().position(|v| v.as_u64().is_none()) {
                    problem.get_or_insert(format!(
                        "{key}[{j}] is {}, not a token id (a non-negative integer)",
                        a[j]
                    ));
                } else {
                    let top = a.iter().filter_map(Value::as_u64).max().unwrap_or(0);
                    w.stats.vocab[i] = w.stats.vocab[i].max(top.saturating_add(1));
                    w.stats.max_len[i] = w.stats.max_len[i].max(a.len() as u64);
                    if i == 0 {
                        w.stats.seq(a.len() as u64);
                    }
                }
            }
            Some(Value::Array(_)) => {
                problem.get_or_insert(format!("'{key}' is empty"));
            }
            Some(v) => {
                problem.get_or_insert(format!(
                    "'{key}' is a {}, not an array of token ids",
                    kind(v)
                ));
            }
            None => {
                problem.get_or_insert(format!("'{key}' is missing"));
            }
        }
    }
    if let Some(p) = problem {
        w.out.add(Check::Object2vecFields, Severity::Error, || {
            here.finding(Check::Object2vecFields, Severity::Error)
                .message(p)
                .sagemaker(format!(
                    "{} reads {{\"label\": n, \"in0\": [ids], \"in1\": [ids]}} per line and fails on this one",
                    ctx.algorithm.title()
                ))
                .fix("write {\"label\": 1, \"in0\": [774, 14, 21], \"in1\": [21, 366]} (token ids from your vocabulary)")
        });
    }
}

fn blazingtext(ctx: &FileCtx<'_>, obj: &Map<String, Value>, here: &Here<'_>, w: &mut Work) {
    match obj.get("source") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            w.stats.seq(s.split_whitespace().count() as u64);
        }
        other => {
            w.out.add(Check::BlazingtextFields, Severity::Error, || {
                here.finding(Check::BlazingtextFields, Severity::Error)
                    .message(match other {
                        None => "the line has no 'source'".to_string(),
                        Some(Value::String(_)) => "'source' is empty".to_string(),
                        Some(v) => format!("'source' is a {}, not a string", kind(v)),
                    })
                    .sagemaker(format!(
                        "{} reads the sentence from 'source' in augmented manifests",
                        ctx.algorithm.title()
                    ))
                    .fix("write {\"source\": \"a sentence\", \"label\": 1}")
            });
        }
    }
    let label = obj.get("label");
    if let Some(l) = label {
        match l {
            Value::String(s) => w.stats.text_label(s),
            other => w.stats.text_label(&other.to_string()),
        }
    }
    let record = w.records - 1;
    w.tally(
        Check::BlazingtextLabel,
        if label.is_some() {
            "a 'label'"
        } else {
            "no 'label'"
        },
        ctx.max,
        || Site {
            line: Some(here.rel),
            record,
            byte: here.at,
            snippet: Some(snippet(here.line, 60)),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_timestamps() {
        for ok in [
            "2024-01-31 00:00:00",
            "2024-01-31",
            "2024-12-01 23:59",
            "2024-01-31T10:00:00",
        ] {
            assert!(valid_start(ok), "{ok}");
        }
        for bad in [
            "2024-13-01",
            "31/01/2024",
            "2024-01-31 00:00:00+01:00",
            "2024-01-31Z",
            "",
            "2024-01-31 25:00:00",
        ] {
            assert!(!valid_start(bad), "{bad}");
        }
    }
}
