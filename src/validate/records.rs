//! Chunk checker for RecordIO-protobuf (spec §2, §8.5, §8.7).

use super::finding::{Check, Finding, Severity, Site};
use super::table::Schema;
use super::{FileCtx, Work};
use crate::batch::Dtype;
use crate::codec::protobuf::{Record, Tensor, Value};
use crate::codec::recordio;
use crate::error::Result;
use crate::pipeline::Chunk;

/// Checks every record of a chunk of whole RecordIO records. Framing
/// errors are returned (they end the file); payload problems are findings.
pub(crate) fn check_records(
    ctx: &FileCtx<'_>,
    rio: &recordio::Decoder,
    chunk: &Chunk,
    w: &mut Work,
) -> Result<()> {
    let data: &[u8] = chunk;
    let base = chunk.offset;
    let mut pos = 0;
    let mut n = 0u64;
    let mut scratch = Vec::new();
    while pos < data.len() {
        let found = rio
            .next_record(&data[pos..], true)
            .map_err(|e| {
                let b = e.position().byte.unwrap_or(0) + pos as u64;
                let mut e = e.at_record(n);
                e.position_mut().byte = Some(b);
                e
            })?
            .expect("next_record never asks for more at eof");
        let at = base + pos as u64;
        let payload = rio.payload(&data[pos..], found, &mut scratch);
        if found.parts > 1 && ctx.rules.xgboost {
            w.out.add(Check::RecordioSplit, Severity::Error, || {
                Finding::new(Check::RecordioSplit, Severity::Error)
                    .record(n)
                    .byte(at)
                    .message(format!(
                        "the record is split into {} parts (cflag 1/2/3)",
                        found.parts
                    ))
                    .sagemaker("XGBoost's RecordIO-protobuf reader expects whole records (cflag 0): \"Failed to load recordio-protobuf data with exception: ...\"")
                    .fix(format!(
                        "rewrite with whole records: sm-data convert {} FIXED.pbr",
                        ctx.name
                    ))
            });
        }
        match Record::decode(payload) {
            Err(e) => {
                let b = at + 8 + e.position().byte.unwrap_or(0);
                w.out.add(Check::ProtobufDecode, Severity::Error, || {
                    Finding::new(Check::ProtobufDecode, Severity::Error)
                        .record(n)
                        .byte(b)
                        .message(format!("the payload is not an aialgs.data.Record: {}", e.kind()))
                        .sagemaker(if ctx.rules.xgboost {
                            "XGBoost: \"Failed to load recordio-protobuf data with exception: ...\""
                        } else {
                            "the algorithm fails to parse the record"
                        })
                        .fix("write the records with the SageMaker SDK 2.x or sm-data convert (plain RecordIO of other payloads is application/x-recordio)")
                });
            }
            Ok(r) => {
                w.stats.records += 1;
                if ctx.rules.schema == Schema::Seq2seq {
                    check_seq2seq(ctx, &r, n, at, w);
                } else {
                    check_record(ctx, &r, n, at, w);
                }
            }
        }
        pos += found.consumed;
        n += 1;
    }
    w.records = n;
    Ok(())
}

fn dtype_name(v: &Value) -> &'static str {
    match v {
        Value::Float32(_) => "Float32Tensor",
        Value::Float64(_) => "Float64Tensor",
        Value::Int32(_) => "Int32Tensor",
        Value::Bytes(_) => "Bytes",
        Value::Empty => "an empty Value",
    }
}

fn tensor_dtype_name(d: Dtype) -> &'static str {
    match d {
        Dtype::Float32 => "Float32Tensor",
        Dtype::Float64 => "Float64Tensor",
        Dtype::Int32 => "Int32Tensor",
    }
}

/// The values of a tensor, borrowed.
#[derive(Clone, Copy)]
enum Values<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    I32(&'a [i32]),
}

impl Values<'_> {
    fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::I32(v) => v.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, i: usize) -> f64 {
        match self {
            Values::F32(v) => v[i] as f64,
            Values::F64(v) => v[i],
            Values::I32(v) => v[i] as f64,
        }
    }

    fn for_each(&self, mut f: impl FnMut(f64)) {
        match self {
            Values::F32(v) => v.iter().for_each(|&x| f(x as f64)),
            Values::F64(v) => v.iter().for_each(|&x| f(x)),
            Values::I32(v) => v.iter().for_each(|&x| f(x as f64)),
        }
    }
}

/// A tensor's parts, borrowed from the decoded record.
struct View<'a> {
    dtype: Dtype,
    values: Values<'a>,
    keys: &'a [u64],
    shape: &'a [u64],
}

fn view<'a, T>(t: &'a Tensor<T>, dtype: Dtype, values: Values<'a>) -> View<'a> {
    View {
        dtype,
        values,
        keys: &t.keys,
        shape: &t.shape,
    }
}

fn tensor(v: &Value) -> Option<View<'_>> {
    match v {
        Value::Float32(t) => Some(view(t, Dtype::Float32, Values::F32(&t.values))),
        Value::Float64(t) => Some(view(t, Dtype::Float64, Values::F64(&t.values))),
        Value::Int32(t) => Some(view(t, Dtype::Int32, Values::I32(&t.values))),
        _ => None,
    }
}

fn check_record(ctx: &FileCtx<'_>, r: &Record, n: u64, at: u64, w: &mut Work) {
    let xgb = ctx.rules.xgboost;
    let max = ctx.max;
    let site = || Site {
        line: None,
        record: n,
        byte: at,
        snippet: None,
    };
    let labeled = r
        .label("values")
        .and_then(tensor)
        .filter(|t| !t.values.is_empty());
    if let Some(t) = &labeled {
        w.stats.label(t.values.get(0));
    }
    {
        w.tally(
            Check::LabelPartial,
            if labeled.is_some() {
                "a label"
            } else {
                "no label"
            },
            max,
            site,
        );
    }
    let value = r.feature("values");
    let Some(value) = value.filter(|v| !matches!(v, Value::Empty)) else {
        let keys: Vec<&str> = r.features.iter().map(|(k, _)| k.as_str()).collect();
        w.out.add(Check::ProtobufMissingValues, Severity::Error, || {
            Finding::new(Check::ProtobufMissingValues, Severity::Error)
                .record(n)
                .byte(at)
                .message(if keys.is_empty() {
                    "the record has no features".to_string()
                } else {
                    format!("the record has no features[\"values\"] (it has {keys:?})")
                })
                .sagemaker(if xgb {
                    "XGBoost skips records without features[\"values\"] (silently fewer rows)"
                } else {
                    "ml-io: \"... has N feature(s) while it is expected to have M\" / \"unknown feature named ...\""
                })
                .fix("write the features under the key \"values\", as the SDK and sm-data convert do")
        });
        return;
    };
    let Some(t) = tensor(value) else {
        w.out.add(Check::ProtobufBytes, Severity::Error, || {
            Finding::new(Check::ProtobufBytes, Severity::Error)
                .record(n)
                .byte(at)
                .message("features[\"values\"] holds Bytes, not a tensor")
                .sagemaker("ml-io: \"The RecordIO-protobuf binary data format is not supported.\"")
                .fix("write numeric tensors (Float32Tensor)")
        });
        return;
    };
    if let Some(want) = ctx.rules.dtype
        && want != t.dtype
    {
        w.out.add(Check::ProtobufDtype, Severity::Error, || {
            Finding::new(Check::ProtobufDtype, Severity::Error)
                .record(n)
                .byte(at)
                .message(format!(
                    "features[\"values\"] is a {}; {} reads {} only",
                    dtype_name(value),
                    ctx.algorithm.title(),
                    tensor_dtype_name(want)
                ))
                .sagemaker(format!(
                    "{} accepts {} only (spec §7); the SDK writes float64 numpy arrays as Float64Tensor",
                    ctx.algorithm.title(),
                    tensor_dtype_name(want)
                ))
                .fix(format!(
                    "re-encode: sm-data convert {} FIXED.pbr --dtype {}",
                    ctx.name,
                    want.name()
                ))
        });
    }
    w.tally(Check::ProtobufDtypeMixed, dtype_name(value), max, site);
    let sparse = !t.keys.is_empty() || (t.values.is_empty() && !t.shape.is_empty());
    w.tally(
        Check::ProtobufKindMixed,
        if sparse {
            "sparse features"
        } else {
            "dense features"
        },
        max,
        site,
    );
    let size: u64 = t.shape.iter().fold(1u64, |a, &b| a.saturating_mul(b));
    let problem = if sparse && t.shape.is_empty() {
        Some("The sparse feature 'values' ... has no shape specified.".to_string())
    } else if sparse && t.keys.len() != t.values.len() {
        Some(format!(
            "has {} key(s) but {} value(s)",
            t.keys.len(),
            t.values.len()
        ))
    } else if sparse && t.keys.iter().any(|&k| k >= size) {
        Some("has one or more invalid keys".to_string())
    } else if !sparse && !t.shape.is_empty() && size != t.values.len() as u64 {
        Some(format!(
            "has {} values(s) but a shape of ({})",
            t.values.len(),
            t.shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    } else {
        None
    };
    if let Some(p) = problem {
        w.out.add(Check::ProtobufSparse, Severity::Error, || {
            Finding::new(Check::ProtobufSparse, Severity::Error)
                .record(n)
                .byte(at)
                .message(format!(
                    "features[\"values\"] {}",
                    p.trim_start_matches("The sparse feature 'values' ... ")
                ))
                .sagemaker(format!("ml-io: \"{p}\""))
                .fix(format!(
                    "re-encode: sm-data convert {} FIXED.pbr --sparse --num-features N",
                    ctx.name
                ))
        });
    }
    // A sparse tensor without a shape has no stated dimension (reported
    // above); its largest key still bounds feature_dim.
    let dim = match (sparse, t.shape.is_empty()) {
        (true, true) => None,
        (true, false) => Some(size),
        (false, _) => Some(t.values.len() as u64),
    };
    let seen = t.keys.iter().max().map_or(0, |k| k + 1);
    w.stats.dim = w.stats.dim.max(dim.unwrap_or(seen));
    if let Some(dim) = dim {
        let mut key = String::new();
        key.push_str(itoa::Buffer::new().format(dim));
        key.push_str(if dim == 1 { " feature" } else { " features" });
        w.tally(Check::FeatureDim, &key, max, site);
    }
    let mut negative = false;
    t.values.for_each(|v| {
        w.stats.value(v);
        negative |= v < 0.0;
    });
    if negative && ctx.rules.counts {
        w.out.add(Check::NegativeCount, Severity::Warning, || {
            Finding::new(Check::NegativeCount, Severity::Warning)
                .record(n)
                .byte(at)
                .message("a negative word count")
                .sagemaker(format!(
                    "{} models documents as word counts: negative values are invalid input",
                    ctx.algorithm.title()
                ))
                .fix("use non-negative counts (bag of words)")
        });
    }
}

fn check_seq2seq(ctx: &FileCtx<'_>, r: &Record, n: u64, at: u64, w: &mut Work) {
    for (i, key) in ["source", "target"].into_iter().enumerate() {
        let problem = match r.feature(key) {
            None => Some(format!("the record has no features[\"{key}\"]")),
            Some(Value::Int32(t)) if t.values.is_empty() => {
                Some(format!("features[\"{key}\"] is empty"))
            }
            Some(Value::Int32(t)) => {
                if t.values.iter().any(|&v| v < 0) {
                    Some(format!("features[\"{key}\"] holds a negative token id"))
                } else {
                    let len = t.values.len() as u64;
                    let top = t.values.iter().copied().max().unwrap_or(0) as u64 + 1;
                    w.stats.vocab[i] = w.stats.vocab[i].max(top);
                    w.stats.max_len[i] = w.stats.max_len[i].max(len);
                    if i == 0 {
                        w.stats.seq(len);
                    }
                    None
                }
            }
            Some(v) => Some(format!(
                "features[\"{key}\"] is a {}, not an Int32Tensor of token ids",
                dtype_name(v)
            )),
        };
        if let Some(p) = problem {
            w.out.add(Check::Seq2seqTokens, Severity::Error, || {
                Finding::new(Check::Seq2seqTokens, Severity::Error)
                    .record(n)
                    .byte(at)
                    .message(p)
                    .sagemaker(format!(
                        "{} reads features[\"source\"] and features[\"target\"] as non-empty Int32Tensor token-id lists (spec §2.3)",
                        ctx.algorithm.title()
                    ))
                    .fix("write the records with the vocabulary script of the AWS example (create_vocab_proto.py): Int32 ids, empty lines skipped")
            });
        }
    }
}
