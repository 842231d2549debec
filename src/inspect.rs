//! `count` and `inspect`: what is in a file, read in parallel.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::batch::{Batch, Dtype};
use crate::convert::{ConvertOptions, input_format, prepare, reading};
use crate::error::Result;
use crate::format::Format;
use crate::pipeline::{self, Chunk, Chunker, Counted};
use crate::store::Input;

/// At most this many distinct label values are listed as classes.
pub const MAX_CLASSES: usize = 32;

/// Counts the records of `input` (lines for text formats without blank
/// lines, comments or a header; logical records for RecordIO), checking
/// framing but not decoding values where the format allows.
pub fn count(input: Input, opts: &ConvertOptions) -> Result<(Format, u64)> {
    let spec = input_format(&input, opts.from.as_ref())?;
    if spec.format == Format::Parquet {
        // The footer states the number of rows.
        #[cfg(feature = "parquet")]
        {
            let rows = crate::format::parquet::read::num_rows(input)?;
            return Ok((Format::Parquet, rows));
        }
        #[cfg(not(feature = "parquet"))]
        return Err(crate::format::parquet::not_built());
    }
    let (input, opts) = prepare(input, &spec, opts)?;
    let opts = &opts;
    let reading = reading(&spec, opts)?;
    let mut chunker = Chunker::new(input, reading.framer.as_ref(), opts.pipeline.chunk_size);
    let mut total = 0;
    pipeline::run(
        &mut chunker,
        opts.pipeline,
        |chunk: &Chunk| Ok(Count(reading.decoder.count(chunk, chunk.index == 0)?)),
        |c: Count| {
            total += c.0;
            Ok(())
        },
        &mut |_| {},
    )?;
    Ok((spec.format, total))
}

struct Count(u64);

impl Counted for Count {
    fn records(&self) -> u64 {
        self.0
    }
    fn lines(&self) -> u64 {
        0
    }
}

/// One example as shown by `inspect`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Label values.
    pub labels: Vec<f64>,
    /// Column indices for a sparse row.
    pub indices: Option<Vec<u64>>,
    /// Feature values.
    pub values: Vec<f64>,
}

/// Summary of a file's content.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The format read.
    pub format: Format,
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// Number of records.
    pub records: u64,
    /// Records with sparse features.
    pub sparse_records: u64,
    /// The feature dimension: widest dense row, or the largest sparse
    /// shape or index + 1.
    pub feature_dim: u64,
    /// Smallest and largest number of stored feature values in a record.
    pub values_per_record: Option<(u64, u64)>,
    /// Stored feature values in all records.
    pub stored_values: u64,
    /// Missing (NaN) feature values.
    pub missing_values: u64,
    /// Precision of the feature values (widest seen).
    pub dtype: Option<Dtype>,
    /// Precision of the labels (widest seen).
    pub label_dtype: Option<Dtype>,
    /// Records that have at least one label.
    pub labeled_records: u64,
    /// Smallest and largest number of labels in a record.
    pub labels_per_record: Option<(u64, u64)>,
    /// Smallest and largest label value.
    pub label_range: Option<(f64, f64)>,
    /// Count of each distinct label value, when there are at most
    /// [`MAX_CLASSES`] of them (`None` for continuous labels).
    pub label_classes: Option<BTreeMap<String, u64>>,
    /// The first records.
    pub head: Vec<Row>,
    /// Smallest and largest payload in bytes, for formats whose payloads
    /// are opaque (TFRecord), which are inspected by their framing alone.
    pub payload_bytes: Option<(u64, u64)>,
}

#[derive(Default)]
struct Part {
    records: u64,
    lines: u64,
    sparse: u64,
    dim: u64,
    per_rec: Option<(u64, u64)>,
    stored: u64,
    missing: u64,
    dtype: Option<Dtype>,
    label_dtype: Option<Dtype>,
    labeled: u64,
    labels_per: Option<(u64, u64)>,
    range: Option<(f64, f64)>,
    classes: Option<BTreeMap<u64, u64>>,
    head: Vec<Row>,
}

impl Counted for Part {
    fn records(&self) -> u64 {
        self.records
    }
    fn lines(&self) -> u64 {
        self.lines
    }
}

fn minmax<T: PartialOrd + Copy>(a: Option<(T, T)>, b: Option<(T, T)>) -> Option<(T, T)> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some((a0, a1)), Some((b0, b1))) => {
            Some((if b0 < a0 { b0 } else { a0 }, if b1 > a1 { b1 } else { a1 }))
        }
    }
}

fn widen(a: Option<Dtype>, b: Option<Dtype>) -> Option<Dtype> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.widen(b)),
    }
}

fn summarize(batch: &Batch, head: usize) -> Part {
    let mut p = Part {
        records: batch.len() as u64,
        lines: batch.lines,
        classes: Some(BTreeMap::new()),
        ..Part::default()
    };
    if batch.is_empty() {
        return p;
    }
    p.dtype = (!batch.values.is_empty() || !batch.sparse).then_some(batch.dtype);
    p.dim = batch.max_columns();
    p.stored = batch.values.len() as u64;
    p.missing = batch.values.iter().filter(|v| v.is_nan()).count() as u64;
    if batch.sparse {
        p.sparse = batch.len() as u64;
    }
    for i in 0..batch.len() {
        let n = batch.row_values(i).len() as u64;
        p.per_rec = minmax(p.per_rec, Some((n, n)));
        let labels = batch.row_labels(i);
        let l = labels.len() as u64;
        p.labels_per = minmax(p.labels_per, Some((l, l)));
        if l > 0 {
            p.labeled += 1;
        }
        for &v in labels {
            if !v.is_nan() {
                p.range = minmax(p.range, Some((v, v)));
            }
            if let Some(c) = p.classes.as_mut() {
                *c.entry(class_key(v)).or_default() += 1;
                if c.len() > MAX_CLASSES {
                    p.classes = None;
                }
            }
        }
        if i < head {
            p.head.push(Row {
                labels: labels.to_vec(),
                indices: batch.sparse.then(|| batch.row_indices(i).to_vec()),
                values: batch.row_values(i).to_vec(),
            });
        }
    }
    if !batch.labels.is_empty() {
        p.label_dtype = Some(batch.label_dtype);
    }
    p
}

/// The key of label `v` among the classes: -0 is class 0, and every NaN
/// (whatever its sign and payload) is one class, as each is printed alike.
fn class_key(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        (v + 0.0).to_bits()
    }
}

/// Reads all of `input` and reports its content; `head` is how many of the
/// first records to keep.
pub fn inspect(input: Input, opts: &ConvertOptions, head: usize) -> Result<Report> {
    let spec = input_format(&input, opts.from.as_ref())?;
    if spec.format == Format::Tfrecord {
        return inspect_frames(input, opts);
    }
    if spec.format == Format::Parquet {
        #[cfg(feature = "parquet")]
        return inspect_parquet(input, opts, head);
        #[cfg(not(feature = "parquet"))]
        return Err(crate::format::parquet::not_built());
    }
    let (input, opts) = prepare(input, &spec, opts)?;
    let opts = &opts;
    let reading = reading(&spec, opts)?;
    let mut chunker = Chunker::new(input, reading.framer.as_ref(), opts.pipeline.chunk_size);
    let mut acc = Part {
        classes: Some(BTreeMap::new()),
        ..Part::default()
    };
    let batches: Mutex<Vec<Batch>> = Mutex::new(Vec::new());
    pipeline::run(
        &mut chunker,
        opts.pipeline,
        |chunk: &Chunk| {
            let mut batch = batches.lock().expect("lock").pop().unwrap_or_default();
            let r = reading.decoder.decode(chunk, chunk.index == 0, &mut batch);
            let part = r.map(|_| {
                summarize(
                    &batch,
                    if chunk.index == 0 {
                        head
                    } else {
                        head.min(batch.len())
                    },
                )
            });
            batch.clear();
            batches.lock().expect("lock").push(batch);
            part
        },
        |p: Part| {
            acc.merge(p, head);
            Ok(())
        },
        &mut |_| {},
    )?;
    Ok(acc.report(spec.format, chunker.position()))
}

/// [`inspect`] of a Parquet file: row groups decoded in parallel.
#[cfg(feature = "parquet")]
fn inspect_parquet(input: Input, opts: &ConvertOptions, head: usize) -> Result<Report> {
    let reader = crate::format::parquet::Reader::open(input, &opts.parquet)?;
    let mut acc = Part {
        classes: Some(BTreeMap::new()),
        ..Part::default()
    };
    reader.for_each(
        opts.pipeline.threads,
        |batch: &Batch| Ok(summarize(batch, head)),
        |p: Part| {
            acc.merge(p, head);
            Ok(())
        },
    )?;
    Ok(acc.report(Format::Parquet, reader.size()))
}

impl Part {
    /// Adds the summary of the records that follow these.
    fn merge(&mut self, p: Part, head: usize) {
        let acc = self;

        acc.records += p.records;
        acc.sparse += p.sparse;
        acc.dim = acc.dim.max(p.dim);
        acc.per_rec = minmax(acc.per_rec, p.per_rec);
        acc.stored += p.stored;
        acc.missing += p.missing;
        acc.dtype = widen(acc.dtype, p.dtype);
        acc.label_dtype = widen(acc.label_dtype, p.label_dtype);
        acc.labeled += p.labeled;
        acc.labels_per = minmax(acc.labels_per, p.labels_per);
        acc.range = minmax(acc.range, p.range);
        acc.classes = match (acc.classes.take(), p.classes) {
            (Some(mut a), Some(b)) => {
                for (k, v) in b {
                    *a.entry(k).or_default() += v;
                }
                (a.len() <= MAX_CLASSES).then_some(a)
            }
            _ => None,
        };
        let room = head.saturating_sub(acc.head.len());
        acc.head.extend(p.head.into_iter().take(room));
    }

    /// The report of everything merged.
    fn report(self, format: Format, bytes: u64) -> Report {
        let acc = self;
        let classes = acc.classes.filter(|_| acc.labeled > 0).map(|c| {
            c.into_iter()
                .map(|(bits, n)| {
                    let mut s = Vec::new();
                    crate::codec::text::write_value(
                        &mut s,
                        f64::from_bits(bits),
                        acc.label_dtype.unwrap_or(Dtype::Float64),
                    );
                    (String::from_utf8(s).expect("ascii"), n)
                })
                .collect()
        });
        Report {
            format,
            bytes,
            records: acc.records,
            sparse_records: acc.sparse,
            feature_dim: acc.dim,
            values_per_record: acc.per_rec,
            stored_values: acc.stored,
            missing_values: acc.missing,
            dtype: acc.dtype,
            label_dtype: acc.label_dtype,
            labeled_records: acc.labeled,
            labels_per_record: acc.labels_per,
            label_range: acc.range,
            label_classes: classes,
            head: acc.head,
            payload_bytes: None,
        }
    }
}

/// Frames of one chunk: count and payload size range.
struct Frames(u64, Option<(u64, u64)>);

impl Counted for Frames {
    fn records(&self) -> u64 {
        self.0
    }
    fn lines(&self) -> u64 {
        0
    }
}

/// `inspect` of a TFRecord file: its framing (records, sizes, CRCs), not
/// its opaque payloads.
fn inspect_frames(input: Input, opts: &ConvertOptions) -> Result<Report> {
    let mut tf = crate::codec::tfrecord::Decoder::new();
    if let Some(max) = opts.max_record_len {
        tf.max_record_len(max);
    }
    let mut chunker = Chunker::new(input, &tf, opts.pipeline.chunk_size);
    let (mut records, mut sizes) = (0, None);
    pipeline::run(
        &mut chunker,
        opts.pipeline,
        |chunk: &Chunk| {
            let mut range = None;
            let n = tf.for_each(chunk, |p, _| {
                let l = p.len() as u64;
                range = minmax(range, Some((l, l)));
                Ok(())
            })?;
            Ok(Frames(n, range))
        },
        |f: Frames| {
            records += f.0;
            sizes = minmax(sizes, f.1);
            Ok(())
        },
        &mut |_| {},
    )?;
    Ok(Report {
        format: Format::Tfrecord,
        bytes: chunker.position(),
        records,
        sparse_records: 0,
        feature_dim: 0,
        values_per_record: None,
        stored_values: 0,
        missing_values: 0,
        dtype: None,
        label_dtype: None,
        labeled_records: 0,
        labels_per_record: None,
        label_range: None,
        label_classes: None,
        head: Vec::new(),
        payload_bytes: sizes,
    })
}
