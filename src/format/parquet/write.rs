//! Writing numeric [`Batch`]es as Parquet, one row group at a time.

use std::sync::Arc;

use arrow_array::types::{Float32Type, Float64Type, Int32Type, UInt64Type};
use arrow_array::{ArrayRef, ListArray, PrimitiveArray, RecordBatch};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{GzipLevel, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterPropertiesBuilder};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use super::{Compression, Layout, ParquetOptions};
use crate::batch::{Batch, Dtype, check_dense_width};
use crate::error::{Error, Result};

/// The most feature columns written in the wide layout; wider data needs
/// the tensor layout.
pub const MAX_WIDE_COLUMNS: u64 = 1 << 16;

/// The shape of the file, fixed by the first batch.
#[derive(Debug, Clone)]
struct Shape {
    layout: Layout,
    sparse: bool,
    /// Features per row (wide layout).
    width: usize,
    /// Labels per row.
    labels: usize,
    dtype: Dtype,
    label_dtype: Dtype,
    schema: SchemaRef,
}

/// Writes batches as one Parquet file. The encoded bytes are collected
/// in memory a row group at a time: after each [`Writer::write`], take
/// what is ready with [`Writer::take_bytes`] and send it on.
pub struct Writer {
    opts: ParquetOptions,
    dtype: Option<Dtype>,
    label_dtype: Option<Dtype>,
    num_features: Option<u64>,
    inner: Option<ArrowWriter<Vec<u8>>>,
    shape: Option<Shape>,
    rows: u64,
    scratch: Vec<f64>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "parquet::Writer({:?}, {} rows)", self.shape, self.rows)
    }
}

fn arrow_type(d: Dtype) -> DataType {
    match d {
        Dtype::Float32 => DataType::Float32,
        Dtype::Float64 => DataType::Float64,
        Dtype::Int32 => DataType::Int32,
    }
}

fn properties(opts: &ParquetOptions) -> Result<WriterProperties> {
    Ok(properties_builder(opts)?.build())
}

fn properties_builder(opts: &ParquetOptions) -> Result<WriterPropertiesBuilder> {
    let compression = match opts.compression {
        Compression::Snappy => parquet::basic::Compression::SNAPPY,
        Compression::None => parquet::basic::Compression::UNCOMPRESSED,
        Compression::Zstd(l) => parquet::basic::Compression::ZSTD(
            ZstdLevel::try_new(l).map_err(|e| Error::config(e.to_string()))?,
        ),
        Compression::Gzip(l) => parquet::basic::Compression::GZIP(
            GzipLevel::try_new(l).map_err(|e| Error::config(e.to_string()))?,
        ),
    };
    if opts.row_group_size == 0 {
        return Err(Error::config("the row group size must be at least 1 row"));
    }
    Ok(WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(opts.row_group_size))
        .set_created_by(format!("sm-data {}", env!("CARGO_PKG_VERSION"))))
}

/// Builds a writer over an in-memory buffer.
pub(crate) fn arrow_writer(
    schema: SchemaRef,
    opts: &ParquetOptions,
) -> Result<ArrowWriter<Vec<u8>>> {
    arrow_writer_for(schema, opts, None)
}

/// Builds a writer over an in-memory buffer, with dictionary encoding off
/// for the columns of `first` (the first batch to be written) that are
/// not worth it (see [`plain_columns`]).
fn arrow_writer_for(
    schema: SchemaRef,
    opts: &ParquetOptions,
    first: Option<&RecordBatch>,
) -> Result<ArrowWriter<Vec<u8>>> {
    let mut props = properties_builder(opts)?;
    if let Some(batch) = first {
        for j in plain_columns(batch) {
            let name = batch.schema_ref().field(j).name().clone();
            props = props.set_column_dictionary_enabled(ColumnPath::from(name.clone()), false);
            if delta_encoded(batch.schema_ref().field(j).data_type()) {
                props = props.set_column_encoding(
                    ColumnPath::from(name),
                    parquet::basic::Encoding::DELTA_BINARY_PACKED,
                );
            }
        }
        if opts.compression == Compression::Snappy {
            for path in incompressible_columns(schema.clone(), props.clone().build(), batch)? {
                props =
                    props.set_column_compression(path, parquet::basic::Compression::UNCOMPRESSED);
            }
        }
    }
    arrow_writer_with(schema, props.build())
}

/// Whether a column of this type that skips its dictionary
/// ([`plain_columns`]) is written DELTA_BINARY_PACKED rather than PLAIN:
/// integers and timestamps. Differences of neighbouring values packed in
/// as few bits as they need take a fraction of the 8 bytes of a plain
/// int64 (ids and sorted times almost nothing, ints from 200k values 18
/// bits), cost less to encode than plain values and snappy on them, and
/// leave little for snappy ([`incompressible_columns`] then drops it).
/// A standard encoding (Parquet format 2.0, valid in v1 data pages) that
/// pyarrow, polars, duckdb, Spark and the parquet crate read.
fn delta_encoded(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int64 | DataType::Int32 | DataType::Timestamp(..)
    )
}

/// Values of the first batch (over all its columns) encoded by
/// [`incompressible_columns`] to see what snappy saves.
const COMPRESSION_SAMPLE_VALUES: usize = 1 << 20;

/// A first batch with fewer rows keeps snappy on every column.
const COMPRESSION_SAMPLE_MIN_ROWS: usize = 256;

/// A column whose sample snappy shrinks by less than 1 part in this many
/// is written uncompressed.
const SNAPPY_MIN_SAVING: i64 = 32;

/// The leaf columns that snappy does not shrink: on a sample of the first
/// batch (at most 16 Ki rows and about [`COMPRESSION_SAMPLE_VALUES`]
/// values), encoded with the file's own properties, those whose
/// compressed pages save less than 1/[`SNAPPY_MIN_SAVING`] of their
/// uncompressed size. Random-looking doubles (most measured features)
/// and dictionary indices of small dictionaries do not compress, and
/// snappy on them costs a tenth of the encoding time for nothing; such
/// column chunks are written with codec UNCOMPRESSED, which every Parquet
/// reader handles (the codec is per column chunk). The decision is made
/// once, from the first batch, so the file depends only on its input.
fn incompressible_columns(
    schema: SchemaRef,
    props: WriterProperties,
    batch: &RecordBatch,
) -> Result<Vec<ColumnPath>> {
    let leaves_per_row = schema.fields().len().max(1);
    let rows = batch
        .num_rows()
        .min(DICTIONARY_SAMPLE_ROWS)
        .min((COMPRESSION_SAMPLE_VALUES / leaves_per_row).max(COMPRESSION_SAMPLE_MIN_ROWS));
    if rows < COMPRESSION_SAMPLE_MIN_ROWS {
        // Too few rows to judge (and too few for the codec to matter).
        return Ok(Vec::new());
    }
    let (file, factory) = arrow_writer_with(schema.clone(), props)?
        .into_serialized_writer()
        .map_err(write_error)?;
    let sample = batch.slice(0, rows);
    let mut columns = factory.create_column_writers(0).map_err(write_error)?;
    let mut w = columns.iter_mut();
    for (field, array) in schema.fields().iter().zip(sample.columns()) {
        for leaf in compute_leaves(field, array).map_err(write_error)? {
            w.next()
                .ok_or_else(|| write_error("more leaves than column writers"))?
                .write(&leaf)
                .map_err(write_error)?;
        }
    }
    let descr = file.schema_descr();
    let mut out = Vec::new();
    for (i, column) in columns.into_iter().enumerate() {
        let chunk = column.close().map_err(write_error)?;
        let meta = &chunk.close().metadata;
        let (packed, plain) = (meta.compressed_size(), meta.uncompressed_size());
        if (plain - packed) * SNAPPY_MIN_SAVING < plain {
            out.push(descr.column(i).path().clone());
        }
    }
    Ok(out)
}

fn arrow_writer_with(schema: SchemaRef, props: WriterProperties) -> Result<ArrowWriter<Vec<u8>>> {
    ArrowWriter::try_new(Vec::new(), schema, Some(props))
        .map_err(|e| Error::unsupported(format!("cannot start the Parquet writer: {e}")))
}

/// Rows of the first batch looked at by [`plain_columns`].
const DICTIONARY_SAMPLE_ROWS: usize = 16 * 1024;

/// The top-level columns of `batch` whose values are so nearly all
/// distinct that a dictionary would not hold them: dictionary encoding
/// would hash every value until the dictionary page is full (1 MiB, so
/// 128 Ki float64 values) and then fall back to plain encoding anyway,
/// which costs more than all the rest of the encoding. On a sample of `n`
/// values, `d` repeats estimate `n² / 2d` distinct values; a column is
/// plain when that is more than the dictionary page holds (such a
/// dictionary fills up partway through a row group and falls back: ints
/// drawn from 200k values cost a fifth of the encoding time of a 20-column
/// table that way and saved under 1% of the column's size).
/// Values are not changed, only their encoding; low-cardinality columns
/// (labels, categories, small ints) keep their dictionary.
pub(crate) fn plain_columns(batch: &RecordBatch) -> Vec<usize> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int64Type, TimestampMicrosecondType};
    let limit = parquet::file::properties::DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT;
    let rows = batch.num_rows().min(DICTIONARY_SAMPLE_ROWS);
    let mut out = Vec::new();
    let mut keys: Vec<u64> = Vec::with_capacity(rows);
    for (j, col) in batch.columns().iter().enumerate() {
        let col = col.slice(0, rows);
        keys.clear();
        let mut bytes = 0usize;
        macro_rules! bits {
            ($t:ty, $size:expr, $f:expr) => {{
                let a = col.as_primitive::<$t>();
                keys.extend(a.iter().flatten().map($f));
                bytes = keys.len() * $size;
            }};
        }
        match col.data_type() {
            DataType::Float64 => bits!(Float64Type, 8, |v: f64| v.to_bits()),
            DataType::Float32 => bits!(Float32Type, 4, |v: f32| v.to_bits() as u64),
            DataType::Int64 => bits!(Int64Type, 8, |v: i64| v as u64),
            DataType::Int32 => bits!(Int32Type, 4, |v: i32| v as u64),
            DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, _) => {
                bits!(TimestampMicrosecondType, 8, |v: i64| v as u64)
            }
            DataType::Utf8 => {
                use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
                let hasher = BuildHasherDefault::<DefaultHasher>::default();
                for s in col.as_string::<i32>().iter().flatten() {
                    keys.push(hasher.hash_one(s));
                    bytes += s.len() + 4;
                }
            }
            _ => continue,
        }
        let n = keys.len();
        if n < 1024 {
            continue;
        }
        keys.sort_unstable();
        let repeats = keys.windows(2).filter(|w| w[0] == w[1]).count();
        // What the dictionary page holds, in values of this column's size.
        let capacity = limit / (bytes / n).max(1);
        if (repeats as u128) * 2 * (capacity as u128) < (n as u128) * (n as u128) {
            out.push(j);
        }
    }
    out
}

fn write_error(e: impl std::fmt::Display) -> Error {
    Error::unsupported(format!("cannot write Parquet: {e}"))
}

impl Writer {
    /// A writer with the given options. `dtype` is the feature column type
    /// (default: the precision of the input), `label_dtype` the label's
    /// (default: `dtype` if given, else the input's); `num_features` fixes
    /// the number of feature columns of the wide layout (densified sparse
    /// rows, zero-padded dense rows).
    pub fn new(
        opts: &ParquetOptions,
        dtype: Option<Dtype>,
        label_dtype: Option<Dtype>,
        num_features: Option<u64>,
    ) -> Result<Writer> {
        properties(opts)?;
        Ok(Writer {
            opts: opts.clone(),
            dtype,
            label_dtype: label_dtype.or(dtype),
            num_features,
            inner: None,
            shape: None,
            rows: 0,
            scratch: Vec::new(),
        })
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn decide(&self, batch: &Batch) -> Result<Shape> {
        let layout = self.opts.layout.unwrap_or(Layout::Wide);
        let labels = batch
            .uniform_label_width()
            .map_err(|row| {
                Error::unsupported(format!(
                    "record has {} labels but the records before it have {}",
                    batch.row_labels(row).len(),
                    batch.row_labels(0).len()
                ))
                .at_record(row as u64)
            })?
            .unwrap_or(0);
        // Without --dtype the columns take the first record's types, not
        // the batch's (RecordIO-protobuf records each carry theirs, and a
        // batch mixing them is widened): the file's schema must not depend
        // on which records share the first batch. Later records that do
        // not fit are refused ([`Writer::check_fits`]).
        let dtype = self.dtype.unwrap_or(batch.row_dtype(0));
        let label_dtype = self.label_dtype.unwrap_or(batch.row_label_dtype(0));
        let sparse = batch.sparse && layout == Layout::Tensor;
        let width = if layout == Layout::Tensor {
            0
        } else if let Some(n) = self.num_features {
            n as usize
        } else if batch.sparse {
            match batch.row_shape(0) {
                Some(s) => s as usize,
                None => {
                    return Err(Error::unsupported(
                        "a sparse record has no known number of features: pass --num-features, or write the tensor layout",
                    )
                    .at_record(0));
                }
            }
        } else {
            batch.row_values(0).len()
        };
        if layout == Layout::Wide {
            check_dense_width(width as u64)?;
            if width as u64 > MAX_WIDE_COLUMNS {
                return Err(Error::unsupported(format!(
                    "{width} features would be {width} Parquet columns, more than the limit of {MAX_WIDE_COLUMNS}: write the tensor layout (--parquet-layout tensor)"
                )));
            }
        }
        let mut fields = Vec::new();
        let lt = arrow_type(label_dtype);
        let nullable = |d: Dtype| d == Dtype::Int32;
        match (layout, labels) {
            (_, 0) => {}
            (_, 1) => fields.push(Field::new("label", lt, nullable(label_dtype))),
            (Layout::Wide, k) => fields.extend(
                (0..k).map(|i| Field::new(format!("label_{i}"), lt.clone(), nullable(label_dtype))),
            ),
            (Layout::Tensor, _) => fields.push(Field::new(
                "label",
                DataType::List(Arc::new(Field::new_list_field(lt, nullable(label_dtype)))),
                false,
            )),
        }
        let ft = arrow_type(dtype);
        match (layout, sparse) {
            (Layout::Wide, _) => fields.extend(
                (0..width).map(|j| Field::new(format!("f{j}"), ft.clone(), nullable(dtype))),
            ),
            (Layout::Tensor, false) => fields.push(Field::new(
                "features",
                DataType::List(Arc::new(Field::new_list_field(ft, nullable(dtype)))),
                false,
            )),
            (Layout::Tensor, true) => {
                fields.push(Field::new(
                    "keys",
                    DataType::List(Arc::new(Field::new_list_field(DataType::UInt64, false))),
                    false,
                ));
                fields.push(Field::new(
                    "values",
                    DataType::List(Arc::new(Field::new_list_field(ft, nullable(dtype)))),
                    false,
                ));
                fields.push(Field::new("shape", DataType::UInt64, true));
            }
        }
        Ok(Shape {
            layout,
            sparse,
            width,
            labels,
            dtype,
            label_dtype,
            schema: Arc::new(Schema::new(fields)),
        })
    }

    /// Appends the rows of `batch`. Errors name the row within the batch.
    pub fn write(&mut self, batch: &Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let rb = match &self.shape {
            Some(shape) => {
                self.check_fits(batch, shape)?;
                to_record_batch(batch, shape, self.num_features, &mut self.scratch)?
            }
            None => {
                let shape = self.decide(batch)?;
                self.check_fits(batch, &shape)?;
                let mut opts = self.opts.clone();
                opts.row_group_size = row_group_rows(&shape, batch, self.opts.row_group_size);
                let rb = to_record_batch(batch, &shape, self.num_features, &mut self.scratch)?;
                let mut w = arrow_writer_for(shape.schema.clone(), &opts, Some(&rb))?;
                // How many leading columns are labels, so that sm-data reads
                // unlabeled files back without taking a feature as the label.
                w.append_key_value_metadata(parquet::file::metadata::KeyValue::new(
                    super::LABELS_KEY.to_string(),
                    shape.labels.to_string(),
                ));
                self.inner = Some(w);
                self.shape = Some(shape);
                rb
            }
        };
        self.inner
            .as_mut()
            .expect("set with the shape")
            .write(&rb)
            .map_err(write_error)?;
        self.rows += batch.len() as u64;
        Ok(())
    }

    /// Refuses a record whose tensor type the columns would round: a
    /// float64 or int32 record in a float32 column whose type was not
    /// asked for (it came from the first record). Rounding it silently
    /// would lose digits; with --dtype / --label-dtype the user chose
    /// the columns' type and gets it. (float64 columns hold every type
    /// exactly; int32 columns check each value.)
    fn check_fits(&self, batch: &Batch, shape: &Shape) -> Result<()> {
        let rounds = |row: Dtype, col: Dtype| col == Dtype::Float32 && row != Dtype::Float32;
        let features = self.dtype.is_none() && rounds(batch.dtype, shape.dtype);
        let labels = shape.labels > 0
            && self.label_dtype.is_none()
            && rounds(batch.label_dtype, shape.label_dtype);
        if !features && !labels {
            return Ok(());
        }
        for i in 0..batch.len() {
            let (what, row, col, flag) = if features && rounds(batch.row_dtype(i), shape.dtype) {
                ("values", batch.row_dtype(i), shape.dtype, "--dtype")
            } else if labels
                && !batch.row_labels(i).is_empty()
                && rounds(batch.row_label_dtype(i), shape.label_dtype)
            {
                (
                    "labels",
                    batch.row_label_dtype(i),
                    shape.label_dtype,
                    "--label-dtype",
                )
            } else {
                continue;
            };
            return Err(Error::unsupported(format!(
                "the record's {what} are {row} but the Parquet columns are {col}, the type of the first record: they would be rounded; write {row} columns ({flag} {row}) to keep them exact"
            ))
            .at_record(i as u64));
        }
        Ok(())
    }

    /// The encoded bytes that are ready (whole row groups), leaving the
    /// buffer empty.
    pub fn take_bytes(&mut self) -> Vec<u8> {
        match self.inner.as_mut() {
            Some(w) => std::mem::take(w.inner_mut()),
            None => Vec::new(),
        }
    }

    /// Writes the last row group and the footer, and returns the bytes not
    /// yet taken. Without any row, the file has no columns.
    pub fn finish(mut self) -> Result<Vec<u8>> {
        let w = match self.inner.take() {
            Some(w) => w,
            None => arrow_writer(Arc::new(Schema::empty()), &self.opts)?,
        };
        w.into_inner().map_err(write_error)
    }
}

/// Values a row group holds at most with the default row-group size: the
/// writer keeps a whole row group's encoded pages in memory, and 1 Mi rows
/// of 100 float64 features would be 800 MiB. At 32 MiB (128 MiB before)
/// a 1 GB dense CSV → Parquet peaks at 188 MiB instead of 372 MiB and is
/// a little faster (2.17 → 2.03 s, 2 threads): the buffers of one row
/// group are reused by the next.
pub const DEFAULT_ROW_GROUP_BYTES: usize = 32 << 20;

/// The rows per row group: `asked`, except that the default
/// ([`super::DEFAULT_ROW_GROUP_SIZE`]) is lowered so that a row group holds
/// about [`DEFAULT_ROW_GROUP_BYTES`] of values (the width of the first
/// batch's rows decides; at least 1024 rows). An explicit
/// `--row-group-size` is kept as given.
fn row_group_rows(shape: &Shape, first: &Batch, asked: usize) -> usize {
    if asked != super::DEFAULT_ROW_GROUP_SIZE || first.is_empty() {
        return asked;
    }
    let size = |d: Dtype| if d == Dtype::Float64 { 8 } else { 4 };
    let values = if shape.layout == Layout::Wide {
        shape.width
    } else {
        first.values.len().div_ceil(first.len())
    };
    let key = if shape.sparse && shape.layout != Layout::Wide {
        8
    } else {
        0
    };
    let row = values * (size(shape.dtype) + key) + shape.labels * size(shape.label_dtype);
    (DEFAULT_ROW_GROUP_BYTES / row.max(1)).clamp(1024, asked)
}

/// A column of `n` values of type `dtype` from `get(i)`; NaN is null in
/// an int32 column.
fn column(n: usize, dtype: Dtype, get: impl Fn(usize) -> f64) -> Result<ArrayRef> {
    Ok(match dtype {
        Dtype::Float64 => Arc::new(PrimitiveArray::<Float64Type>::from_iter_values(
            (0..n).map(get),
        )),
        Dtype::Float32 => Arc::new(PrimitiveArray::<Float32Type>::from_iter_values(
            (0..n).map(|i| get(i) as f32),
        )),
        Dtype::Int32 => {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let v = get(i);
                out.push(if v.is_nan() {
                    None
                } else if v.fract() == 0.0 && v >= i32::MIN as f64 && v <= i32::MAX as f64 {
                    Some(v as i32)
                } else {
                    return Err(Error::unsupported(format!(
                        "value {v} does not fit an int32 column: write float32 or float64 (--dtype)"
                    ))
                    .at_record(i as u64));
                });
            }
            Arc::new(PrimitiveArray::<Int32Type>::from(out))
        }
    })
}

fn offsets(ends: &[usize]) -> Result<OffsetBuffer<i32>> {
    let mut v = Vec::with_capacity(ends.len() + 1);
    v.push(0i32);
    for &e in ends {
        v.push(i32::try_from(e).map_err(|_| {
            Error::unsupported("more than 2^31 values in one batch of a list column")
        })?);
    }
    Ok(OffsetBuffer::new(ScalarBuffer::from(v)))
}

fn list(item: &Field, ends: &[usize], values: ArrayRef) -> Result<ArrayRef> {
    Ok(Arc::new(
        ListArray::try_new(Arc::new(item.clone()), offsets(ends)?, values, None)
            .map_err(write_error)?,
    ))
}

fn list_item(f: &Field) -> &Field {
    match f.data_type() {
        DataType::List(item) => item,
        _ => unreachable!("a list field"),
    }
}

fn to_record_batch(
    batch: &Batch,
    shape: &Shape,
    num_features: Option<u64>,
    scratch: &mut Vec<f64>,
) -> Result<RecordBatch> {
    let pad = num_features.is_some();
    let n = batch.len();
    let fields = shape.schema.fields();
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    // Labels.
    for i in 0..n {
        let k = batch.row_labels(i).len();
        if k != shape.labels {
            return Err(Error::unsupported(format!(
                "record has {k} labels but the records before it have {}",
                shape.labels
            ))
            .at_record(i as u64));
        }
    }
    match (shape.layout, shape.labels) {
        (_, 0) => {}
        (Layout::Tensor, k) if k > 1 => {
            let vals = column(batch.labels.len(), shape.label_dtype, |i| batch.labels[i])?;
            cols.push(list(list_item(&fields[0]), &batch.label_ends, vals)?);
        }
        (_, k) => {
            for j in 0..k {
                cols.push(column(n, shape.label_dtype, |i| batch.labels[i * k + j])?);
            }
        }
    }
    match (shape.layout, shape.sparse) {
        (Layout::Wide, _) => {
            let width = shape.width;
            let dense: &[f64] = if batch.sparse || pad || batch.uniform_width() != Ok(Some(width)) {
                scratch.clear();
                scratch.resize(n * width, 0.0);
                for i in 0..n {
                    let row = &mut scratch[i * width..(i + 1) * width];
                    let vals = batch.row_values(i);
                    if batch.sparse {
                        let stated = batch.row_shape(i);
                        if !pad && stated.is_some_and(|s| s != width as u64) {
                            return Err(Error::unsupported(format!(
                                "sparse record has shape [{}] but the records before it have [{width}]: pass --num-features to write them at one width",
                                stated.unwrap_or(0)
                            ))
                            .at_record(i as u64));
                        }
                        for (&j, &v) in batch.row_indices(i).iter().zip(vals) {
                            if j >= width as u64 {
                                return Err(Error::unsupported(format!(
                                    "a sparse record has feature index {j} but the number of features is {width}"
                                ))
                                .at_record(i as u64));
                            }
                            row[j as usize] = v;
                        }
                    } else if vals.len() == width || (pad && vals.len() < width) {
                        row[..vals.len()].copy_from_slice(vals);
                    } else {
                        return Err(Error::unsupported(format!(
                            "record has {} features but {} {width}",
                            vals.len(),
                            if pad {
                                "the number of features passed is"
                            } else {
                                "the records before it have"
                            }
                        ))
                        .at_record(i as u64));
                    }
                }
                scratch
            } else {
                &batch.values
            };
            for j in 0..width {
                cols.push(column(n, shape.dtype, |i| dense[i * width + j])?);
            }
        }
        (Layout::Tensor, false) => {
            if batch.sparse {
                return Err(Error::unsupported(
                    "a sparse record after dense ones: the tensor layout of this file is dense",
                )
                .at_record(0));
            }
            let k = fields.len() - 1;
            let vals = column(batch.values.len(), shape.dtype, |i| batch.values[i])?;
            cols.push(list(list_item(&fields[k]), &batch.row_ends, vals)?);
        }
        (Layout::Tensor, true) => {
            let k = fields.len() - 3;
            let mut shapes: Vec<Option<u64>> = Vec::with_capacity(n);
            let (keys, vals): (Vec<u64>, ArrayRef);
            if batch.sparse {
                keys = batch.indices.clone();
                vals = column(batch.values.len(), shape.dtype, |i| batch.values[i])?;
                shapes.extend((0..n).map(|i| batch.row_shape(i).or(num_features)));
                cols.push(list(
                    list_item(&fields[k]),
                    &batch.row_ends,
                    Arc::new(PrimitiveArray::<UInt64Type>::from(keys)),
                )?);
                cols.push(list(list_item(&fields[k + 1]), &batch.row_ends, vals)?);
            } else {
                // Dense rows in a sparse file: every column is a key.
                keys = (0..n)
                    .flat_map(|i| 0..batch.row_values(i).len() as u64)
                    .collect();
                vals = column(batch.values.len(), shape.dtype, |i| batch.values[i])?;
                shapes.extend((0..n).map(|i| Some(batch.row_values(i).len() as u64)));
                cols.push(list(
                    list_item(&fields[k]),
                    &batch.row_ends,
                    Arc::new(PrimitiveArray::<UInt64Type>::from(keys)),
                )?);
                cols.push(list(list_item(&fields[k + 1]), &batch.row_ends, vals)?);
            }
            cols.push(Arc::new(PrimitiveArray::<UInt64Type>::from(shapes)));
        }
    }
    RecordBatch::try_new(shape.schema.clone(), cols).map_err(write_error)
}

/// Bytes of Arrow values a typed table's row group holds by default
/// (duckdb writes 122,880 rows, ~19 MB for the 20-column table of the
/// benchmark). The writer keeps a row group's pages, compressed pages and
/// file bytes in memory at once; at this size those buffers come back from
/// the allocator for the next row group, where 100 MB row groups were
/// fresh pages from the kernel each time (page faults were a quarter of a
/// typed CSV → Parquet run).
pub const TABLE_ROW_GROUP_BYTES: usize = 16 << 20;

/// The rows per row group of a typed table: `asked`, except that the
/// default ([`super::DEFAULT_ROW_GROUP_SIZE`]) is lowered so that a row
/// group holds about [`TABLE_ROW_GROUP_BYTES`] of values, judged by the
/// first batch (at least 1024 rows). An explicit `--row-group-size` is
/// kept as given.
pub(crate) fn table_row_group_rows(first: &RecordBatch, asked: usize) -> usize {
    if asked != super::DEFAULT_ROW_GROUP_SIZE || first.num_rows() == 0 {
        return asked;
    }
    let bytes: usize = first
        .columns()
        .iter()
        .map(|c| c.to_data().buffers().iter().map(|b| b.len()).sum::<usize>())
        .sum();
    let row = bytes.div_ceil(first.num_rows());
    (TABLE_ROW_GROUP_BYTES / row.max(1)).clamp(1024, asked)
}

/// An Arrow → Parquet writer that encodes the columns of each batch in
/// parallel (one [`ArrowColumnWriter`] per column, on a rayon pool of
/// `threads`), then appends the closed column chunks to the row group in
/// column order. The file is the one [`ArrowWriter`] writes with the same
/// properties; only who does the encoding differs. Encoded bytes collect
/// in memory a row group at a time: take them with
/// [`ColumnParallelWriter::take_bytes`].
pub(crate) struct ColumnParallelWriter {
    file: SerializedFileWriter<Vec<u8>>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    columns: Vec<ArrowColumnWriter>,
    /// Rows in the row group being built.
    rows: usize,
    max_rows: usize,
    pool: Option<rayon::ThreadPool>,
}

impl ColumnParallelWriter {
    /// A writer of `schema` with `opts`; `threads` encode (0 = one per
    /// core, 1 = on the calling thread). `first`, the first batch to be
    /// written, decides which columns skip dictionary encoding
    /// ([`plain_columns`]).
    pub(crate) fn new(
        schema: SchemaRef,
        opts: &ParquetOptions,
        threads: usize,
        first: Option<&RecordBatch>,
    ) -> Result<ColumnParallelWriter> {
        let max_rows = match first {
            Some(batch) => table_row_group_rows(batch, opts.row_group_size),
            None => opts.row_group_size,
        };
        let (file, factory) = arrow_writer_for(schema.clone(), opts, first)?
            .into_serialized_writer()
            .map_err(write_error)?;
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let pool = if threads > 1 && schema.fields().len() > 1 {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("sm-data-encode-{i}"))
                    .build()
                    .map_err(|e| {
                        Error::config(format!("cannot start {threads} encoder threads: {e}"))
                    })?,
            )
        } else {
            None
        };
        Ok(ColumnParallelWriter {
            file,
            factory,
            schema,
            columns: Vec::new(),
            rows: 0,
            max_rows,
            pool,
        })
    }

    /// Appends the rows of `batch` (which has the writer's schema), closing
    /// row groups as they fill.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut at = 0;
        while at < batch.num_rows() {
            if self.columns.is_empty() {
                let index = self.file.flushed_row_groups().len();
                self.columns = self
                    .factory
                    .create_column_writers(index)
                    .map_err(write_error)?;
            }
            let n = (batch.num_rows() - at).min(self.max_rows - self.rows);
            let part = batch.slice(at, n);
            let mut leaves = Vec::with_capacity(self.columns.len());
            for (field, array) in self.schema.fields().iter().zip(part.columns()) {
                leaves.extend(compute_leaves(field, array).map_err(write_error)?);
            }
            let encode = |columns: &mut [ArrowColumnWriter]| -> Result<()> {
                columns
                    .par_iter_mut()
                    .zip(leaves.par_iter())
                    .try_for_each(|(w, leaf)| w.write(leaf).map_err(write_error))
            };
            match &self.pool {
                Some(pool) => pool.install(|| encode(&mut self.columns))?,
                None => {
                    for (w, leaf) in self.columns.iter_mut().zip(&leaves) {
                        w.write(leaf).map_err(write_error)?;
                    }
                }
            }
            self.rows += n;
            at += n;
            if self.rows >= self.max_rows {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Closes the row group being built (if any) and appends it.
    fn flush(&mut self) -> Result<()> {
        if self.columns.is_empty() {
            return Ok(());
        }
        let columns = std::mem::take(&mut self.columns);
        let close = |columns: Vec<ArrowColumnWriter>| -> Result<Vec<ArrowColumnChunk>> {
            columns
                .into_par_iter()
                .map(|w| w.close().map_err(write_error))
                .collect()
        };
        let chunks = match &self.pool {
            Some(pool) => pool.install(|| close(columns))?,
            None => columns
                .into_iter()
                .map(|w| w.close().map_err(write_error))
                .collect::<Result<Vec<_>>>()?,
        };
        append_group(&mut self.file, chunks)?;
        self.rows = 0;
        Ok(())
    }

    /// The encoded bytes that are ready (whole row groups), leaving the
    /// buffer empty.
    pub(crate) fn take_bytes(&mut self) -> Vec<u8> {
        std::mem::take(self.file.inner_mut())
    }

    /// Writes the last row group and the footer, and returns the bytes not
    /// yet taken.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>> {
        self.flush()?;
        // Writes the footer.
        self.file.into_inner().map_err(write_error)
    }
}

/// Row groups encoded where their rows are parsed: a typed table's
/// chunk becomes whole row groups on the worker that parsed it (its
/// columns one after another, while they are still in that core's
/// cache), and the thread that orders the output only appends the
/// encoded column chunks ([`append_groups`]). Row groups never span two
/// batches: a batch of more than `max_rows` rows is cut into equal parts
/// of at most `max_rows`, so the file depends on the batches, not on
/// which thread encoded them or when.
pub(crate) struct GroupEncoder {
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    props: WriterProperties,
    max_rows: usize,
}

/// A batch's row groups, encoded: each the closed column chunks of one
/// row group, in column order.
pub(crate) struct EncodedGroups(Vec<Vec<ArrowColumnChunk>>);

impl GroupEncoder {
    /// The encoder of a file of `schema` with `opts`. `first`, the
    /// file's first batch with rows, decides which columns skip dictionary
    /// encoding ([`plain_columns`]) and the rows per row group
    /// ([`table_row_group_rows`]).
    pub(crate) fn start(
        schema: SchemaRef,
        opts: &ParquetOptions,
        first: &RecordBatch,
    ) -> Result<GroupEncoder> {
        let max_rows = table_row_group_rows(first, opts.row_group_size);
        let (file, factory) = arrow_writer_for(schema.clone(), opts, Some(first))?
            .into_serialized_writer()
            .map_err(write_error)?;
        let props = WriterProperties::clone(file.properties());
        Ok(GroupEncoder {
            factory,
            schema,
            props,
            max_rows,
        })
    }

    /// A writer of the file the encoded row groups go into (same schema
    /// and properties).
    pub(crate) fn file(&self) -> Result<SerializedFileWriter<Vec<u8>>> {
        let writer = arrow_writer_with(self.schema.clone(), self.props.clone())?;
        Ok(writer.into_serialized_writer().map_err(write_error)?.0)
    }

    /// The row groups of `batch` (which has the encoder's schema).
    pub(crate) fn encode(&self, batch: &RecordBatch) -> Result<EncodedGroups> {
        let rows = batch.num_rows();
        let parts = rows.div_ceil(self.max_rows);
        let mut groups = Vec::with_capacity(parts);
        let mut at = 0;
        for k in 0..parts {
            // Equal parts: no short row group at the end of every batch.
            let end = rows * (k + 1) / parts;
            let part = batch.slice(at, end - at);
            at = end;
            let mut columns = self.factory.create_column_writers(0).map_err(write_error)?;
            let mut w = columns.iter_mut();
            for (field, array) in self.schema.fields().iter().zip(part.columns()) {
                for leaf in compute_leaves(field, array).map_err(write_error)? {
                    w.next()
                        .ok_or_else(|| write_error("more leaves than column writers"))?
                        .write(&leaf)
                        .map_err(write_error)?;
                }
            }
            groups.push(
                columns
                    .into_iter()
                    .map(|c| c.close().map_err(write_error))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        Ok(EncodedGroups(groups))
    }
}

/// Appends encoded row groups to `file`, in order.
pub(crate) fn append_groups(
    file: &mut SerializedFileWriter<Vec<u8>>,
    groups: EncodedGroups,
) -> Result<()> {
    for chunks in groups.0 {
        append_group(file, chunks)?;
    }
    Ok(())
}

/// Writes the footer of `file` and returns the bytes not yet taken.
pub(crate) fn finish_file(file: SerializedFileWriter<Vec<u8>>) -> Result<Vec<u8>> {
    file.into_inner().map_err(write_error)
}

/// Appends one row group's closed column chunks to `file`.
fn append_group(
    file: &mut SerializedFileWriter<Vec<u8>>,
    chunks: Vec<ArrowColumnChunk>,
) -> Result<()> {
    let mut group = file.next_row_group().map_err(write_error)?;
    for chunk in chunks {
        chunk.append_to_row_group(&mut group).map_err(write_error)?;
    }
    group.close().map_err(write_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense_batch(rows: usize, width: usize, dtype: Dtype) -> Batch {
        let mut b = Batch::new(dtype);
        b.label_dtype = dtype;
        for r in 0..rows {
            b.labels.push(r as f64);
            b.values.extend((0..width).map(|c| c as f64));
            b.end_row();
        }
        b
    }

    fn shape_of(batch: &Batch) -> Shape {
        let w = Writer::new(&ParquetOptions::default(), None, None, None).unwrap();
        w.decide(batch).unwrap()
    }

    #[test]
    fn the_default_row_group_size_is_capped_by_bytes_an_explicit_one_is_kept() {
        let wide = dense_batch(3, 100, Dtype::Float64);
        let shape = shape_of(&wide);
        let default = crate::format::parquet::DEFAULT_ROW_GROUP_SIZE;
        // 100 float64 features + a float64 label: 808 bytes a row.
        assert_eq!(
            row_group_rows(&shape, &wide, default),
            DEFAULT_ROW_GROUP_BYTES / 808
        );
        assert_eq!(row_group_rows(&shape, &wide, 5000), 5000);
        // Narrow rows keep the default; very wide ones keep 1024 rows.
        let narrow = dense_batch(3, 2, Dtype::Float32);
        assert_eq!(
            row_group_rows(&shape_of(&narrow), &narrow, default),
            default
        );
        let huge = dense_batch(1, 60_000, Dtype::Float64);
        assert_eq!(row_group_rows(&shape_of(&huge), &huge, default), 1024);
    }

    fn table(rows: std::ops::Range<usize>) -> RecordBatch {
        use arrow_array::{Float64Array, Int64Array, StringArray};
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("x", DataType::Float64, true),
            Field::new("c", DataType::Utf8, true),
        ]));
        let ids: Int64Array = rows.clone().map(|i| Some(i as i64)).collect();
        let xs: Float64Array = rows
            .clone()
            .map(|i| (i % 7 != 3).then(|| (i as f64).sqrt() * 1.000_001))
            .collect();
        let cs: StringArray = rows.map(|i| Some(["a", "b", "c"][i % 3])).collect();
        RecordBatch::try_new(schema, vec![Arc::new(ids), Arc::new(xs), Arc::new(cs)]).unwrap()
    }

    #[test]
    fn near_unique_columns_skip_the_dictionary_others_keep_it() {
        assert_eq!(plain_columns(&table(0..5000)), [0, 1]);
        // Too few rows to tell: every column keeps its dictionary.
        assert!(plain_columns(&table(0..500)).is_empty());
    }

    #[test]
    fn typed_row_groups_hold_about_16_mib_unless_the_size_is_given() {
        let default = crate::format::parquet::DEFAULT_ROW_GROUP_SIZE;
        // id int64 + x float64 + c one-byte strings (4-byte offsets, 1
        // byte of text), validity bitmaps: about 21 bytes a row.
        let first = table(0..5000);
        let rows = table_row_group_rows(&first, default);
        assert!(
            (TABLE_ROW_GROUP_BYTES / 22..=TABLE_ROW_GROUP_BYTES / 20).contains(&rows),
            "{rows}"
        );
        assert_eq!(table_row_group_rows(&first, 5000), 5000);
        assert_eq!(table_row_group_rows(&table(0..0), default), default);
    }

    #[test]
    fn columns_with_more_distinct_values_than_the_dictionary_page_holds_are_plain() {
        use arrow_array::Int64Array;
        // 1 MiB holds 131,072 int64 values: ints drawn from 200k values
        // overflow it, from 100k they fit.
        let schema = Arc::new(Schema::new(vec![
            Field::new("wide", DataType::Int64, true),
            Field::new("narrow", DataType::Int64, true),
        ]));
        let mut rng = crate::testutil::XorShift(0x9E37_79B9_7F4A_7C15);
        let mut ints = |range: u64| -> Int64Array {
            (0..DICTIONARY_SAMPLE_ROWS)
                .map(|_| Some((rng.next_u64() % range) as i64))
                .collect()
        };
        let (wide, narrow) = (ints(200_000), ints(100_000));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(wide), Arc::new(narrow)]).unwrap();
        assert_eq!(plain_columns(&batch), [0]);
    }

    #[test]
    fn the_column_parallel_writer_writes_what_it_is_given_in_row_groups() {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        for threads in [1, 3] {
            let opts = ParquetOptions {
                row_group_size: 1000,
                ..ParquetOptions::default()
            };
            let first = table(0..1500);
            let schema = first.schema();
            let mut w =
                ColumnParallelWriter::new(schema.clone(), &opts, threads, Some(&first)).unwrap();
            let mut file = Vec::new();
            for b in [first, table(1500..1501), table(1501..3201)] {
                w.write(&b).unwrap();
                file.extend(w.take_bytes());
            }
            file.extend(w.finish().unwrap());
            let r = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).unwrap();
            let meta = r.metadata().clone();
            let groups: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
            assert_eq!(groups, [1000, 1000, 1000, 201], "{threads} threads");
            let rg = &meta.row_groups()[0];
            assert!(rg.column(0).dictionary_page_offset().is_none());
            assert!(rg.column(2).dictionary_page_offset().is_some());
            // The near-unique int column is delta-encoded, the float plain.
            use parquet::basic::Encoding;
            assert!(
                rg.column(0)
                    .encodings()
                    .any(|e| e == Encoding::DELTA_BINARY_PACKED)
            );
            assert!(
                !rg.column(1)
                    .encodings()
                    .any(|e| e == Encoding::DELTA_BINARY_PACKED)
            );
            let got: Vec<RecordBatch> = r.build().unwrap().map(|b| b.unwrap()).collect();
            let got = arrow_select_concat(&schema, &got);
            assert_eq!(got, table(0..3201), "{threads} threads");
        }
    }

    #[test]
    fn the_group_encoder_cuts_each_batch_into_equal_row_groups() {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let opts = ParquetOptions {
            row_group_size: 1000,
            ..ParquetOptions::default()
        };
        let first = table(0..1500);
        let schema = first.schema();
        let enc = GroupEncoder::start(schema.clone(), &opts, &first).unwrap();
        let mut file = enc.file().unwrap();
        // 1500 rows: two groups of 750, not 1000 + 500; 1000 fit one.
        for b in [
            first,
            table(1500..1501),
            table(1501..2501),
            table(2501..5001),
        ] {
            append_groups(&mut file, enc.encode(&b).unwrap()).unwrap();
        }
        let bytes = file.into_inner().unwrap();
        let r = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).unwrap();
        let meta = r.metadata().clone();
        let groups: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, [750, 750, 1, 1000, 833, 833, 834]);
        // The first batch decided the dictionaries, as for ArrowWriter.
        let rg = &meta.row_groups()[0];
        assert!(rg.column(0).dictionary_page_offset().is_none());
        assert!(rg.column(2).dictionary_page_offset().is_some());
        let got: Vec<RecordBatch> = r.build().unwrap().map(|b| b.unwrap()).collect();
        assert_eq!(arrow_select_concat(&schema, &got), table(0..5001));
    }

    #[test]
    fn snappy_is_kept_only_for_the_columns_it_shrinks() {
        use arrow_array::cast::AsArray;
        use arrow_array::{Float64Array, Int64Array};
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        use parquet::basic::Compression as Codec;
        let schema = Arc::new(Schema::new(vec![
            Field::new("noise", DataType::Float64, true),
            Field::new("steps", DataType::Int64, true),
        ]));
        let mut rng = crate::testutil::XorShift(0x2545_F491_4F6C_DD1D);
        let rows = 20_000;
        let noise: Float64Array = (0..rows)
            .map(|_| Some(f64::from_bits(rng.next_u64() >> 2 | 0x3FF0_0000_0000_0000)))
            .collect();
        // Distinct (no dictionary) but runs of repeated bytes: snappy halves it.
        let steps: Int64Array = (0..rows).map(|i| Some(i as i64 * 1000)).collect();
        let batch =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(noise), Arc::new(steps)]).unwrap();
        for (compression, want) in [
            (Compression::Snappy, [Codec::UNCOMPRESSED, Codec::SNAPPY]),
            (
                Compression::Zstd(1),
                [
                    Codec::ZSTD(ZstdLevel::try_new(1).unwrap()),
                    Codec::ZSTD(ZstdLevel::try_new(1).unwrap()),
                ],
            ),
        ] {
            let opts = ParquetOptions {
                compression,
                ..ParquetOptions::default()
            };
            let mut w = ColumnParallelWriter::new(schema.clone(), &opts, 1, Some(&batch)).unwrap();
            w.write(&batch).unwrap();
            let file = w.finish().unwrap();
            let r = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).unwrap();
            let rg = &r.metadata().row_groups()[0];
            assert_eq!(
                [rg.column(0).compression(), rg.column(1).compression()],
                want
            );
            let got: Vec<RecordBatch> = r.build().unwrap().map(|b| b.unwrap()).collect();
            for j in 0..2 {
                let values = |b: &RecordBatch| -> Vec<u64> {
                    let c = b.column(j);
                    match c.data_type() {
                        DataType::Float64 => c
                            .as_primitive::<Float64Type>()
                            .values()
                            .iter()
                            .map(|v| v.to_bits())
                            .collect(),
                        _ => c
                            .as_primitive::<arrow_array::types::Int64Type>()
                            .values()
                            .iter()
                            .map(|&v| v as u64)
                            .collect(),
                    }
                };
                let read: Vec<u64> = got.iter().flat_map(values).collect();
                assert_eq!(read, values(&batch), "column {j}");
            }
        }
    }

    fn arrow_select_concat(schema: &SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
        // Rebuild one batch column by column (arrow-select is not a
        // dependency of the crate).
        use arrow_array::Array;
        use arrow_array::cast::AsArray;
        use arrow_array::types::Int64Type;
        use arrow_array::{Float64Array, Int64Array, StringArray};
        let ids: Int64Array = batches
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_primitive::<Int64Type>()
                    .iter()
                    .collect::<Vec<_>>()
            })
            .collect();
        let xs: Float64Array = batches
            .iter()
            .flat_map(|b| {
                b.column(1)
                    .as_primitive::<Float64Type>()
                    .iter()
                    .collect::<Vec<_>>()
            })
            .collect();
        let cs: StringArray = batches
            .iter()
            .flat_map(|b| {
                let c = b.column(2).as_string::<i32>();
                (0..c.len())
                    .map(|i| (!c.is_null(i)).then(|| c.value(i).to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(ids), Arc::new(xs), Arc::new(cs)],
        )
        .unwrap()
    }
}
