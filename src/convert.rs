//! `convert`: any supported format to any other, streaming and parallel.
//!
//! Two paths:
//! - **frame copy** when both sides are RecordIO and no tensor option asks
//!   for re-encoding: records are re-framed (split records joined, cflag 0
//!   written) without decoding payloads; also between TFRecord and RecordIO
//!   (either way) and TFRecord to TFRecord, whose payloads are opaque;
//! - **decode → encode** otherwise: each chunk is decoded into a
//!   [`Batch`] and encoded in the output format on the rayon pool.
//!
//! A LibSVM input has no stated number of features. When the output needs
//! one (dense rows, or the `shape` of sparse RecordIO-protobuf tensors) and
//! `num_features` is not given, a first parallel pass over a mapped input
//! finds the largest index; a stream cannot be read twice, so then
//! `num_features` is required.

use crate::batch::{Batch, Dtype};
use crate::codec::csv::{self, CsvOptions, CsvWriteOptions, LabelColumns};
use crate::codec::json::{self, JsonOptions};
use crate::codec::libsvm::{self, LibsvmOptions};
use crate::codec::lines::LineFramer;
use crate::codec::protobuf;
use crate::codec::recordio::{self, SplitConvention};
use crate::codec::tfrecord;
use crate::codec::{BatchEncoder, ChunkDecoder, Framer};
use crate::error::{Error, Result};
use crate::format::{Format, FormatSpec};
use crate::pipeline::{self, Chunk, Chunker, Counted};
use crate::store::{Input, Output};

use std::sync::Mutex;

/// Options of a conversion. `Default` gives SageMaker's conventions.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// Input format; guessed from the extension or the content if `None`.
    pub from: Option<FormatSpec>,
    /// Output format; taken from the extension if `None`.
    pub to: Option<FormatSpec>,
    /// How CSV input is read (header, label columns, delimiter).
    pub csv: CsvOptions,
    /// CSV output delimiter (`,` when `None`).
    pub csv_out_delimiter: Option<u8>,
    /// Read LibSVM indices as 1-based.
    pub libsvm_one_based_in: bool,
    /// Write LibSVM indices 1-based.
    pub libsvm_one_based_out: bool,
    /// Tensor type of RecordIO-protobuf features (`float32` when `None`).
    pub dtype: Option<Dtype>,
    /// Tensor type of RecordIO-protobuf labels (the feature dtype when `None`).
    pub label_dtype: Option<Dtype>,
    /// Force sparse (`true`) or dense (`false`) output; `None` keeps the
    /// input's kind.
    pub sparse: Option<bool>,
    /// Number of features: the width of densified rows and the shape of
    /// sparse tensors.
    pub num_features: Option<u64>,
    /// How split RecordIO records are joined when reading.
    pub split: SplitConvention,
    /// Largest RecordIO or TFRecord record accepted (default 1 GiB).
    pub max_record_len: Option<usize>,
    /// How JSON Lines and JSON are read and written.
    pub json: JsonOptions,
    /// Parallelism and chunking.
    pub pipeline: pipeline::Options,
    /// How Parquet is read and written (layout, label, compression).
    pub parquet: crate::format::parquet::ParquetOptions,
    /// Typed-table mode: CSV with a header or JSON Lines with scalar
    /// fields to and from Parquet with inferred column types (see
    /// [`crate::table`]), instead of numeric examples.
    pub typed: bool,
}

/// What a conversion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// The input format.
    pub from: Format,
    /// The output format.
    pub to: Format,
    /// Records converted.
    pub records: u64,
    /// Bytes read (decompressed).
    pub bytes_in: u64,
    /// Bytes written (before output compression).
    pub bytes_out: u64,
    /// True when frames were copied without decoding.
    pub frame_copy: bool,
}

/// Decides the input format: explicit, else by extension, else sniffed.
pub fn input_format(input: &Input, spec: Option<&FormatSpec>) -> Result<FormatSpec> {
    if let Some(s) = spec {
        return Ok(s.clone());
    }
    if let Some(f) = Format::from_path(input.name()) {
        return Ok(f.into());
    }
    Format::sniff(input.head()).map(Into::into).ok_or_else(|| {
        Error::config(format!(
            "cannot tell the format of {} (no known extension and no data): pass --from",
            input.name()
        ))
    })
}

/// Decides the output format: explicit, else by extension.
pub fn output_format(path: &str, spec: Option<&FormatSpec>) -> Result<FormatSpec> {
    if let Some(s) = spec {
        return Ok(s.clone());
    }
    Format::from_path(path).map(Into::into).ok_or_else(|| {
        Error::config(format!(
            "cannot tell the output format of {path:?} from its name: pass --to (csv, libsvm, recordio, recordio-protobuf, jsonl, json, tfrecord)"
        ))
    })
}

/// A decoder and the framer that cuts its input.
pub struct Reading {
    /// Finds record boundaries.
    pub framer: Box<dyn Framer>,
    /// Decodes chunks.
    pub decoder: Box<dyn ChunkDecoder>,
}

/// Builds the framer and decoder for reading `spec` with `opts`.
pub fn reading(spec: &FormatSpec, opts: &ConvertOptions) -> Result<Reading> {
    let framing = recordio_decoder(opts);
    Ok(match spec.format {
        Format::Csv => {
            let mut csv_opts = opts.csv.clone();
            if let Some(n) = spec.label_size {
                csv_opts.label = (n > 0).then(|| LabelColumns {
                    index: csv_opts.label.as_ref().map_or(0, |l| l.index),
                    size: n,
                });
            }
            Reading {
                framer: Box::new(LineFramer::quoted(csv_opts.quote)),
                decoder: Box::new(csv::Decoder::new(csv_opts)),
            }
        }
        Format::Libsvm => Reading {
            framer: Box::new(LineFramer::new()),
            decoder: Box::new(libsvm::Decoder::new(LibsvmOptions {
                one_based: opts.libsvm_one_based_in,
            })),
        },
        Format::Recordio | Format::RecordioProtobuf => Reading {
            framer: Box::new(framing),
            decoder: Box::new(protobuf::Decoder::new(framing)),
        },
        Format::Jsonl => Reading {
            framer: Box::new(LineFramer::new()),
            decoder: Box::new(json::LinesDecoder::new(opts.json.clone())),
        },
        Format::Json => Reading {
            framer: Box::new(json::DocumentFramer),
            decoder: Box::new(json::DocumentDecoder::new(opts.json.clone())),
        },
        Format::Tfrecord => {
            let tf = tfrecord_decoder(opts);
            Reading {
                framer: Box::new(tf),
                decoder: Box::new(tf),
            }
        }
        Format::Parquet => {
            return Err(Error::unsupported(
                "Parquet is read by row groups (format::parquet::Reader), not in chunks of records",
            ));
        }
    })
}

fn tfrecord_decoder(opts: &ConvertOptions) -> tfrecord::Decoder {
    let mut d = tfrecord::Decoder::new();
    if let Some(max) = opts.max_record_len {
        d.max_record_len(max);
    }
    d
}

/// Prepares `input` for reading as `from`: for a JSON document, reads its
/// prefix to find whether it is a request or a response
/// ([`crate::format::json::detect`]) and records that in the returned
/// options; other inputs pass through.
pub fn prepare(
    input: Input,
    from: &FormatSpec,
    opts: &ConvertOptions,
) -> Result<(Input, ConvertOptions)> {
    let mut opts = opts.clone();
    if from.format == Format::Json && opts.json.document.is_none() {
        let (input, prefix) = crate::format::json::detect(input)?;
        opts.json.document = Some(prefix.document);
        opts.json.bare_array = prefix.bare;
        return Ok((input, opts));
    }
    Ok((input, opts))
}

fn recordio_decoder(opts: &ConvertOptions) -> recordio::Decoder {
    let mut d = recordio::Decoder::new();
    d.convention(opts.split);
    if let Some(max) = opts.max_record_len {
        d.max_record_len(max);
    }
    d
}

fn encoder(
    spec: &FormatSpec,
    opts: &ConvertOptions,
    num_features: Option<u64>,
) -> Box<dyn BatchEncoder> {
    match spec.format {
        Format::Parquet => unreachable!("Parquet output is written by convert_parquet"),
        Format::Csv => Box::new(csv::Encoder::new(CsvWriteOptions {
            delimiter: opts.csv_out_delimiter.unwrap_or(b','),
            header: None,
            num_features,
        })),
        Format::Libsvm => Box::new(libsvm::Encoder::new(LibsvmOptions {
            one_based: opts.libsvm_one_based_out,
        })),
        Format::Jsonl | Format::Json => Box::new(json::Encoder::new(
            spec.format,
            opts.json.clone(),
            opts.sparse,
            num_features,
        )),
        Format::Tfrecord => unreachable!("TFRecord is written only by frame copy"),
        Format::Recordio | Format::RecordioProtobuf => {
            let mut e = protobuf::Encoder::new();
            e.dtype(opts.dtype.unwrap_or(Dtype::Float32))
                .sparse(opts.sparse)
                .num_features(num_features);
            if let Some(d) = opts.label_dtype {
                e.label_dtype(d);
            }
            Box::new(e)
        }
    }
}

/// Converts the file (or `-`) at `input` into `output`, which is written
/// to a temporary name and renamed on success. `overwrite` allows
/// replacing an existing output file.
pub fn convert_path(
    input: &str,
    output: &str,
    overwrite: bool,
    opts: &ConvertOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Summary> {
    #[cfg(feature = "parquet")]
    if opts.typed {
        return crate::table::convert_path(input, output, overwrite, opts);
    }
    let to = output_format(output, opts.to.as_ref())?;
    let input = Input::open(input)?;
    let mut out = Output::create(output, overwrite)?;
    let mut opts = opts.clone();
    opts.to = Some(to);
    let summary = convert(input, &mut |b: &[u8]| out.write_all(b), &opts, progress)?;
    out.commit()?;
    Ok(summary)
}

struct Converted {
    bytes: Vec<u8>,
    records: u64,
    lines: u64,
    /// Values per dense row (or densified width), if uniform.
    width: Option<usize>,
    /// Labels per row, if the batch has rows.
    label_width: Option<usize>,
}

impl Counted for Converted {
    fn records(&self) -> u64 {
        self.records
    }
    fn lines(&self) -> u64 {
        self.lines
    }
}

/// Converts `input` and hands the output bytes, in order, to `sink`.
/// `opts.to` must be set. `progress` receives (bytes read, total size).
pub fn convert(
    input: Input,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    opts: &ConvertOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Summary> {
    let from = input_format(&input, opts.from.as_ref())?;
    let to = opts
        .to
        .clone()
        .ok_or_else(|| Error::config("the output format is not set"))?;
    let total = input.size();
    let mut progress = |done: u64| progress(done, total);
    let mut summary = Summary {
        from: from.format,
        to: to.format,
        records: 0,
        bytes_in: 0,
        bytes_out: 0,
        frame_copy: false,
    };
    let reencode = opts.dtype.is_some()
        || opts.label_dtype.is_some()
        || opts.sparse.is_some()
        || opts.num_features.is_some();
    if from.format != Format::Parquet
        && let Some(crate::format::parquet::LabelColumn::Name(n)) = &opts.parquet.label
    {
        return Err(Error::config(format!(
            "--label-column {n:?} names a column, which only Parquet input has: {} takes a column number",
            from.format
        )));
    }
    if from.format == Format::Parquet || opts.typed {
        return convert_parquet(input, &from, &to, sink, opts, opts.num_features, summary);
    }
    if from.format == Format::Tfrecord || to.format == Format::Tfrecord {
        return copy_tfrecord_frames(input, sink, opts, summary, reencode, &mut progress);
    }
    if from.format.is_recordio() && to.format.is_recordio() && !reencode {
        summary.frame_copy = true;
        let framing = recordio_decoder(opts);
        let mut chunker = Chunker::new(input, &framing, opts.pipeline.chunk_size);
        let pool = pipeline::BufferPool::default();
        pipeline::run(
            &mut chunker,
            opts.pipeline,
            |chunk: &Chunk| {
                let mut out = pool.get();
                out.reserve(chunk.len());
                let mut scratch = Vec::new();
                let records = framing.for_each(chunk, &mut scratch, |payload, _| {
                    recordio::encode_record(&mut out, payload)
                })?;
                Ok(Converted {
                    bytes: out,
                    records,
                    lines: 0,
                    width: None,
                    label_width: None,
                })
            },
            |c: Converted| emit(sink, &mut summary, &pool, c),
            &mut progress,
        )?;
        summary.bytes_in = chunker.position();
        return Ok(summary);
    }

    if matches!(to.format, Format::Jsonl | Format::Json) {
        opts.json.validate()?;
    }
    let (input, opts) = prepare(input, &from, opts)?;
    let opts = &opts;
    let reading = reading(&from, opts)?;
    let mut num_features = opts.num_features;
    // Every output but LibSVM states the number of features.
    let needs_width = to.format != Format::Libsvm;
    let input = if from.format == Format::Libsvm && needs_width && num_features.is_none() {
        if !input.is_mapped() {
            return Err(Error::config(format!(
                "{} is a stream: pass --num-features, which LibSVM does not state and a stream cannot be scanned for twice",
                input.name()
            )));
        }
        let (n, input) = max_columns(input, &reading, opts)?;
        num_features = Some(n);
        input
    } else {
        input
    };
    if to.format == Format::Parquet {
        return convert_parquet(input, &from, &to, sink, opts, num_features, summary);
    }
    let encoder = encoder(&to, opts, num_features);
    // Text inputs whose rows must all have one width (ragged rows are an
    // error, not a jagged output).
    let from_csv = matches!(from.format, Format::Csv | Format::Jsonl | Format::Json);
    let needs_uniform = encoder.needs_uniform_width();
    let mut strip = encoder.separator().len();
    let check_width = encoder.needs_uniform_width() || from_csv;
    let header = encoder.header();
    if !header.is_empty() {
        sink(&header)?;
        summary.bytes_out += header.len() as u64;
    }
    let batches: Mutex<Vec<Batch>> = Mutex::new(Vec::new());
    let pool = pipeline::BufferPool::default();
    let mut chunker = Chunker::new(input, reading.framer.as_ref(), opts.pipeline.chunk_size);
    let mut seen_width: Option<(usize, u64)> = None;
    let mut seen_labels: Option<(usize, u64)> = None;
    let to_label_size = to.label_size;
    pipeline::run(
        &mut chunker,
        opts.pipeline,
        |chunk: &Chunk| {
            let mut batch = batches.lock().expect("lock").pop().unwrap_or_default();
            let result = (|| {
                reading
                    .decoder
                    .decode(chunk, chunk.index == 0, &mut batch)?;
                let width = if !check_width || (batch.sparse && !needs_uniform) {
                    None
                } else if batch.sparse {
                    sparse_width(&batch, num_features)?
                } else if let (Some(n), false) = (num_features, from_csv) {
                    // Dense rows are padded to the stated width (the encoder
                    // refuses wider ones), as sparse rows are densified to it.
                    // CSV input keeps its own width here, so that ragged
                    // rows are caught across chunks too.
                    Some(n as usize)
                } else {
                    batch.uniform_width().map_err(|row| {
                        Error::unsupported(format!(
                            "record has {} features but the records before it have {}",
                            batch.row_values(row).len(),
                            batch.row_values(0).len()
                        ))
                        .at_record(row as u64)
                    })?
                };
                let label_width = batch.uniform_label_width().map_err(|row| {
                    Error::unsupported(format!(
                        "record has {} labels but the records before it have {}",
                        batch.row_labels(row).len(),
                        batch.row_labels(0).len()
                    ))
                    .at_record(row as u64)
                });
                let label_width = if check_width {
                    label_width?
                } else {
                    label_width.unwrap_or(None)
                };
                let mut bytes = pool.get();
                encoder.encode(&batch, &mut bytes)?;
                Ok(Converted {
                    bytes,
                    records: batch.len() as u64,
                    lines: batch.lines,
                    width,
                    label_width,
                })
            })();
            batch.clear();
            batches.lock().expect("lock").push(batch);
            result
        },
        |c: Converted| {
            if let Some(w) = c.width {
                match seen_width {
                    Some((prev, _)) if prev != w => {
                        return Err(Error::unsupported(format!(
                            "record has {w} features but the records before it have {prev}"
                        ))
                        .at_record(0));
                    }
                    None => seen_width = Some((w, summary.records)),
                    _ => {}
                }
            }
            if let Some(w) = c.label_width
                && check_width
            {
                if let Some(size) = to_label_size
                    && size != w
                {
                    return Err(Error::unsupported(format!(
                                "the output content type says label_size={size} but the records have {w} labels"
                            ))
                            .at_record(0));
                }
                match seen_labels {
                    Some((prev, _)) if prev != w => {
                        return Err(Error::unsupported(format!(
                            "record has {w} labels but the records before it have {prev}"
                        ))
                        .at_record(0));
                    }
                    None => seen_labels = Some((w, summary.records)),
                    _ => {}
                }
            }
            let mut c = c;
            if strip > 0 && !c.bytes.is_empty() {
                // The separator before the first row of the output.
                c.bytes.drain(..strip);
                strip = 0;
            }
            emit(sink, &mut summary, &pool, c)
        },
        &mut progress,
    )?;
    let footer = encoder.footer();
    if !footer.is_empty() {
        sink(&footer)?;
        summary.bytes_out += footer.len() as u64;
    }
    summary.bytes_in = chunker.position();
    Ok(summary)
}

/// Conversions with TFRecord on one side: frames are copied (TFRecord ↔
/// RecordIO, TFRecord → TFRecord); payloads are never decoded.
fn copy_tfrecord_frames(
    input: Input,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    opts: &ConvertOptions,
    mut summary: Summary,
    reencode: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary> {
    let (from, to) = (summary.from, summary.to);
    if !from.is_framed() || !to.is_framed() {
        let other = if from == Format::Tfrecord { to } else { from };
        return Err(Error::unsupported(format!(
            "cannot convert {from} to {to}: TFRecord payloads are opaque bytes (such as serialized tf.train.Example), which sm-data neither decodes into nor encodes from {other} examples; TFRecord converts only to and from recordio (frames are copied)"
        )));
    }
    if reencode {
        return Err(Error::config(
            "--dtype, --label-dtype, --sparse, --dense and --num-features re-encode RecordIO-protobuf payloads, but TFRecord frames are copied as they are",
        ));
    }
    summary.frame_copy = true;
    let tf = tfrecord_decoder(opts);
    let rio = recordio_decoder(opts);
    let framer: &dyn Framer = if from == Format::Tfrecord { &tf } else { &rio };
    let mut chunker = Chunker::new(input, framer, opts.pipeline.chunk_size);
    let pool = pipeline::BufferPool::default();
    let to_tf = to == Format::Tfrecord;
    pipeline::run(
        &mut chunker,
        opts.pipeline,
        |chunk: &Chunk| {
            let mut out = pool.get();
            out.reserve(chunk.len() + chunk.len() / 8);
            let mut put = |payload: &[u8], _: usize| {
                if to_tf {
                    tfrecord::encode_record(&mut out, payload);
                    Ok(())
                } else {
                    recordio::encode_record(&mut out, payload)
                }
            };
            let records = if from == Format::Tfrecord {
                tf.for_each(chunk, &mut put)?
            } else {
                rio.for_each(chunk, &mut Vec::new(), &mut put)?
            };
            Ok(Converted {
                bytes: out,
                records,
                lines: 0,
                width: None,
                label_width: None,
            })
        },
        |c: Converted| emit(sink, &mut summary, &pool, c),
        progress,
    )?;
    summary.bytes_in = chunker.position();
    Ok(summary)
}

/// Writes a converted chunk, counts it and recycles its buffer.
fn emit(
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    summary: &mut Summary,
    pool: &pipeline::BufferPool,
    c: Converted,
) -> Result<()> {
    sink(&c.bytes)?;
    summary.records += c.records;
    summary.bytes_out += c.bytes.len() as u64;
    pool.put(c.bytes);
    Ok(())
}

/// The densified width of a sparse batch: `num_features`, else the rows'
/// common shape.
fn sparse_width(batch: &Batch, num_features: Option<u64>) -> Result<Option<usize>> {
    if let Some(n) = num_features {
        return Ok(Some(n as usize));
    }
    let mut width = None;
    for i in 0..batch.len() {
        let Some(s) = batch.row_shape(i) else {
            return Err(Error::unsupported(
                "a sparse record has no known number of features: pass --num-features",
            )
            .at_record(i as u64));
        };
        match width {
            None => width = Some(s),
            Some(w) if w != s => {
                return Err(Error::unsupported(format!(
                    "sparse record has shape [{s}] but the records before it have [{w}]: pass --num-features to write them at one width"
                ))
                .at_record(i as u64));
            }
            _ => {}
        }
    }
    Ok(width.map(|w| w as usize))
}

/// One more than the largest column index of a chunk. The pre-pass
/// reports no positions (the decoding pass does), so counts are unused.
struct Columns(u64);

impl Counted for Columns {
    fn records(&self) -> u64 {
        0
    }
    fn lines(&self) -> u64 {
        0
    }
}

/// A first pass over mapped input: one more than the largest feature index.
fn max_columns(input: Input, reading: &Reading, opts: &ConvertOptions) -> Result<(u64, Input)> {
    let Input::Mapped { map, name } = input else {
        unreachable!("checked by the caller")
    };
    let again = Input::Mapped {
        map: map.clone(),
        name: name.clone(),
    };
    let mut chunker = Chunker::new(
        Input::Mapped { map, name },
        reading.framer.as_ref(),
        opts.pipeline.chunk_size,
    );
    let mut max = 0;
    pipeline::run(
        &mut chunker,
        opts.pipeline,
        |chunk: &Chunk| Ok(Columns(reading.decoder.columns(chunk, chunk.index == 0)?)),
        |c: Columns| {
            max = max.max(c.0);
            Ok(())
        },
        &mut |_| {},
    )?;
    Ok((max, again))
}

/// Conversions with Parquet on either side, and typed tables: without the
/// `parquet` feature, an error saying so.
#[cfg(not(feature = "parquet"))]
fn convert_parquet(
    _input: Input,
    _from: &FormatSpec,
    _to: &FormatSpec,
    _sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    _opts: &ConvertOptions,
    _num_features: Option<u64>,
    _summary: Summary,
) -> Result<Summary> {
    Err(crate::format::parquet::not_built())
}

/// Conversions with Parquet on either side, and typed tables.
#[cfg(feature = "parquet")]
fn convert_parquet(
    input: Input,
    from: &FormatSpec,
    to: &FormatSpec,
    sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    opts: &ConvertOptions,
    num_features: Option<u64>,
    mut summary: Summary,
) -> Result<Summary> {
    use crate::format::parquet::{Reader, Writer};
    if opts.typed {
        return crate::table::convert(input, from, to, sink, opts, summary);
    }
    let mut emit = |summary: &mut Summary, bytes: &[u8]| -> Result<()> {
        if !bytes.is_empty() {
            sink(bytes)?;
            summary.bytes_out += bytes.len() as u64;
        }
        Ok(())
    };
    if from.format == Format::Parquet {
        let reader = Reader::open(input, &opts.parquet)?;
        summary.bytes_in = reader.size();
        let name = reader.name().to_string();
        let threads = opts.pipeline.threads;
        if to.format == Format::Parquet {
            let mut writer =
                Writer::new(&opts.parquet, opts.dtype, opts.label_dtype, num_features)?;
            reader.for_each(
                threads,
                |b: &Batch| Ok(b.clone()),
                |b: Batch| {
                    let first = summary.records;
                    writer.write(&b).map_err(|e| e.shift(first, 0, 0))?;
                    summary.records += b.len() as u64;
                    let bytes = writer.take_bytes();
                    emit(&mut summary, &bytes)
                },
            )?;
            let bytes = writer.finish()?;
            emit(&mut summary, &bytes)?;
            return Ok(summary);
        }
        let encoder = encoder(to, opts, num_features);
        let check_width = encoder.needs_uniform_width();
        let header = encoder.header();
        emit(&mut summary, &header)?;
        let mut seen: Option<usize> = None;
        reader.for_each(
            threads,
            |b: &Batch| {
                let width = if check_width && !b.sparse {
                    b.uniform_width().map_err(|row| {
                        Error::unsupported(format!(
                            "record has {} features but the records before it have {}",
                            b.row_values(row).len(),
                            b.row_values(0).len()
                        ))
                        .at_record(row as u64)
                    })?
                } else {
                    None
                };
                let mut bytes = Vec::new();
                encoder.encode(b, &mut bytes)?;
                Ok((bytes, b.len() as u64, width))
            },
            |(bytes, rows, width): (Vec<u8>, u64, Option<usize>)| {
                if let Some(w) = width {
                    match seen {
                        Some(prev) if prev != w => {
                            return Err(Error::unsupported(format!(
                                "record has {w} features but the records before it have {prev}"
                            ))
                            .at_record(summary.records)
                            .in_file(name.clone()));
                        }
                        _ => seen = Some(w),
                    }
                }
                summary.records += rows;
                emit(&mut summary, &bytes)
            },
        )?;
        return Ok(summary);
    }
    // Text or RecordIO in, Parquet out: chunks decode in parallel, the
    // writer encodes row groups in input order.
    let reading = reading(from, opts)?;
    let mut writer = Writer::new(&opts.parquet, opts.dtype, opts.label_dtype, num_features)?;
    let batches: Mutex<Vec<Batch>> = Mutex::new(Vec::new());
    let mut chunker = Chunker::new(input, reading.framer.as_ref(), opts.pipeline.chunk_size);
    pipeline::run(
        &mut chunker,
        opts.pipeline,
        |chunk: &Chunk| {
            let mut batch = batches.lock().expect("lock").pop().unwrap_or_default();
            match reading.decoder.decode(chunk, chunk.index == 0, &mut batch) {
                Ok(()) => Ok(Decoded(batch)),
                Err(e) => {
                    batch.clear();
                    batches.lock().expect("lock").push(batch);
                    Err(e)
                }
            }
        },
        |Decoded(mut batch)| {
            let r = writer.write(&batch);
            summary.records += batch.len() as u64;
            batch.clear();
            batches.lock().expect("lock").push(batch);
            r?;
            let bytes = writer.take_bytes();
            emit(&mut summary, &bytes)
        },
        &mut |_| {},
    )?;
    summary.bytes_in = chunker.position();
    let bytes = writer.finish()?;
    emit(&mut summary, &bytes)?;
    Ok(summary)
}

/// A decoded chunk on its way to the Parquet writer.
#[cfg(feature = "parquet")]
struct Decoded(Batch);

#[cfg(feature = "parquet")]
impl Counted for Decoded {
    fn records(&self) -> u64 {
        self.0.len() as u64
    }
    fn lines(&self) -> u64 {
        self.0.lines
    }
}
