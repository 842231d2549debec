//! Reading Parquet into numeric [`Batch`]es, row group by row group.

use std::io::Write;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader, RowGroups,
};
use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::column::page::{Page, PageIterator, PageMetadata, PageReader};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::serialized_reader::SerializedPageReader;

use super::{LabelColumn, Layout, ParquetOptions, check_framing};
use crate::batch::{Batch, Dtype};
use crate::error::{Error, Result};
use crate::store::{Input, Mapped};

const FORMAT: &str = "parquet";

/// Rows per record batch decoded at a time inside a row group.
pub const READ_BATCH_ROWS: usize = 64 * 1024;

/// Where the features are in the file.
#[derive(Debug, Clone)]
enum Plan {
    /// One numeric column per feature (top-level column indices).
    Wide { features: Vec<usize> },
    /// One list column of feature values per row.
    Dense { features: usize },
    /// `keys` and `values` list columns, and an optional `shape` column.
    Sparse {
        keys: usize,
        values: usize,
        shape: Option<usize>,
    },
}

/// A Parquet file opened for reading numeric examples.
pub struct Reader {
    bytes: Bytes,
    meta: ArrowReaderMetadata,
    name: String,
    plan: Plan,
    /// Label columns: at most one, except in the wide layout of a file
    /// sm-data wrote with several labels.
    labels: Vec<usize>,
    /// Top-level columns read, ascending.
    projected: Vec<usize>,
    dtype: Dtype,
    label_dtype: Dtype,
    /// First row of each row group.
    row_starts: Vec<u64>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "parquet::Reader({}, {:?})", self.name, self.plan)
    }
}

/// Owner of mapped bytes handed to `Bytes` without a copy.
struct MapOwner(Arc<Mapped>);

impl AsRef<[u8]> for MapOwner {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The whole input as `Bytes`: a mapped file in place, a stream spooled to
/// an unlinked temporary file and mapped.
pub(crate) fn whole(input: Input) -> Result<(Bytes, String)> {
    match input {
        Input::Mapped { map, name } => Ok((Bytes::from_owner(MapOwner(map)), name)),
        Input::Stream {
            reader, name, head, ..
        } => {
            let map = spool(reader, &head, &name)?;
            Ok((Bytes::from_owner(MapOwner(map)), name))
        }
    }
}

/// Copies `head` and the rest of `reader` into a temporary file in the
/// system temp directory, unlinked at once (it lives until unmapped), and
/// maps it.
pub(crate) fn spool(
    mut reader: Box<dyn std::io::Read + Send>,
    head: &[u8],
    name: &str,
) -> Result<Arc<Mapped>> {
    let fail = |e: std::io::Error| Error::from(e).in_file(name.to_string());
    let dir = std::env::temp_dir();
    let mut n = 0u32;
    let (file, path) = loop {
        let path = dir.join(format!(".sm-data-spool-{}-{n}", std::process::id()));
        match std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => break (f, path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => return Err(Error::from(e).in_file(path.display().to_string())),
        }
    };
    let _ = std::fs::remove_file(&path);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, &file);
    w.write_all(head).map_err(fail)?;
    std::io::copy(&mut reader, &mut w).map_err(fail)?;
    w.flush().map_err(fail)?;
    drop(w);
    if file.metadata().map_err(fail)?.len() == 0 {
        return Ok(Arc::new(Mapped::Owned(Vec::new())));
    }
    // SAFETY: the file is private to this process (created with
    // create_new and unlinked at once) and never written again.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(fail)?;
    Ok(Arc::new(Mapped::Map(map)))
}

/// Maps a parquet/arrow error to a located error.
fn parquet_error(e: impl std::fmt::Display, what: &str) -> Error {
    Error::syntax(FORMAT, format!("{what}: {e}"))
}

/// Byte offset where a column chunk starts (its dictionary page, else its
/// first data page; 0 for a negative offset). Not the parquet crate's
/// `byte_range()`, which panics on a negative offset or length in a corrupt
/// footer (found by the `parquet` and `validate` fuzz targets).
pub(crate) fn column_start(m: &parquet::file::metadata::ColumnChunkMetaData) -> u64 {
    m.dictionary_page_offset()
        .unwrap_or(m.data_page_offset())
        .max(0) as u64
}

/// A record-batch reader over `row_groups` of the file in `bytes` (the
/// columns of `mask`, `batch_size` rows at a time), as
/// `ParquetRecordBatchReaderBuilder` builds it, except that every
/// dictionary page is checked before the decoder sees it ([`CheckedPages`]).
pub(crate) fn batches(
    bytes: &Bytes,
    meta: &ArrowReaderMetadata,
    row_groups: Vec<usize>,
    mask: ProjectionMask,
    batch_size: usize,
) -> parquet::errors::Result<ParquetRecordBatchReader> {
    let levels = parquet::arrow::parquet_to_arrow_field_levels(
        meta.parquet_schema(),
        mask,
        Some(meta.schema().fields()),
    )?;
    let groups = CheckedRowGroups {
        bytes: bytes.clone(),
        meta: Arc::clone(meta.metadata()),
        row_groups,
    };
    // As the builder does: no buffer larger than the file needs.
    let rows = meta.metadata().file_metadata().num_rows();
    let batch_size = batch_size.min(usize::try_from(rows).unwrap_or(0));
    ParquetRecordBatchReader::try_new_with_row_groups(&levels, &groups, batch_size, None)
}

/// Row groups of a file in memory whose column chunks are read through
/// [`CheckedPages`] (what the builder's own `RowGroups` does, plus the
/// check).
struct CheckedRowGroups {
    bytes: Bytes,
    meta: Arc<ParquetMetaData>,
    row_groups: Vec<usize>,
}

impl RowGroups for CheckedRowGroups {
    fn num_rows(&self) -> usize {
        self.row_groups
            .iter()
            .map(|&rg| self.meta.row_group(rg).num_rows().max(0) as usize)
            .sum()
    }

    fn column_chunks(&self, i: usize) -> parquet::errors::Result<Box<dyn PageIterator>> {
        Ok(Box::new(CheckedChunks {
            bytes: self.bytes.clone(),
            meta: Arc::clone(&self.meta),
            column: i,
            row_groups: self.row_groups.clone().into_iter(),
        }))
    }

    fn row_groups(&self) -> Box<dyn Iterator<Item = &RowGroupMetaData> + '_> {
        Box::new(self.row_groups.iter().map(|&rg| self.meta.row_group(rg)))
    }

    fn metadata(&self) -> &ParquetMetaData {
        &self.meta
    }
}

/// The file's bytes as the page readers read them: `Bytes`' own
/// `ChunkReader`, except that a read at the end of the file is an error.
/// The parquet crate's page-header parser skips a field's bytes with
/// `io::copy`, which takes the end of the input for success, so a corrupt
/// header stating a list of 2^31 doubles went on skipping nothing 2^31
/// times (half a second a header, more than 10 s under AddressSanitizer:
/// found by the `parquet` fuzz target). A valid header never reaches the
/// end of the file (the footer follows the pages).
struct PageBytes(Bytes);

impl Length for PageBytes {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
}

impl ChunkReader for PageBytes {
    type T = EndIsError;

    fn get_read(&self, start: u64) -> parquet::errors::Result<EndIsError> {
        Ok(EndIsError(self.0.get_read(start)?))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.0.get_bytes(start, length)
    }
}

/// A reader of the rest of the file whose reads at the end fail.
struct EndIsError(bytes::buf::Reader<Bytes>);

impl std::io::Read for EndIsError {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use bytes::Buf;
        if !buf.is_empty() && !self.0.get_ref().has_remaining() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "a page header runs past the end of the file",
            ));
        }
        self.0.read(buf)
    }
}

/// The chunks of one column, row group after row group.
struct CheckedChunks {
    bytes: Bytes,
    meta: Arc<ParquetMetaData>,
    column: usize,
    row_groups: std::vec::IntoIter<usize>,
}

impl Iterator for CheckedChunks {
    type Item = parquet::errors::Result<Box<dyn PageReader>>;

    fn next(&mut self) -> Option<Self::Item> {
        let group = self.meta.row_group(self.row_groups.next()?);
        let chunk = group.column(self.column);
        let descr = chunk.column_descr();
        let bits = match descr.physical_type() {
            PhysicalType::BOOLEAN => 1,
            PhysicalType::INT32 | PhysicalType::FLOAT | PhysicalType::BYTE_ARRAY => 32,
            PhysicalType::INT64 | PhysicalType::DOUBLE => 64,
            PhysicalType::INT96 => 96,
            PhysicalType::FIXED_LEN_BYTE_ARRAY => 8 * descr.type_length().max(1) as u64,
        };
        let rows = usize::try_from(group.num_rows()).unwrap_or(0);
        Some(
            SerializedPageReader::new(Arc::new(PageBytes(self.bytes.clone())), chunk, rows, None)
                .map(|inner| {
                    Box::new(CheckedPages {
                        inner,
                        bits,
                        column: descr.path().string(),
                    }) as Box<dyn PageReader>
                }),
        )
    }
}

impl PageIterator for CheckedChunks {}

/// A column chunk's pages as the parquet crate reads them, with each
/// PLAIN dictionary page refused when it states more values than its bytes
/// hold. The decoder sizes a dictionary from that count before decoding a
/// single value (`DictDecoder::set_dict`; the byte-array decoder reserves
/// offsets the same way), so a 1.3 KB file stating 612 M INT64 values made
/// it allocate 4.9 GB (found by the `parquet` fuzz target). A PLAIN value
/// takes at least `bits`: one (BOOLEAN), 32 (INT32, FLOAT, BYTE_ARRAY's
/// length prefix), 64, 96 (INT96) or the fixed length. Checked where the
/// decoder takes the page, so no page is read twice or ahead of it.
struct CheckedPages {
    inner: SerializedPageReader<PageBytes>,
    bits: u64,
    column: String,
}

impl CheckedPages {
    fn check(&self, page: Option<Page>) -> parquet::errors::Result<Option<Page>> {
        if let Some(Page::DictionaryPage {
            buf,
            num_values,
            encoding: Encoding::PLAIN | Encoding::PLAIN_DICTIONARY,
            ..
        }) = &page
            && u64::from(*num_values) * self.bits > buf.len() as u64 * 8
        {
            return Err(ParquetError::General(format!(
                "column {:?}: the dictionary page states {num_values} values but holds {} \
                 bytes ({} bits a value at least)",
                self.column,
                buf.len(),
                self.bits
            )));
        }
        Ok(page)
    }
}

impl Iterator for CheckedPages {
    type Item = parquet::errors::Result<Page>;

    fn next(&mut self) -> Option<Self::Item> {
        self.get_next_page().transpose()
    }
}

impl PageReader for CheckedPages {
    fn get_next_page(&mut self) -> parquet::errors::Result<Option<Page>> {
        let page = self.inner.get_next_page()?;
        self.check(page)
    }

    fn peek_next_page(&mut self) -> parquet::errors::Result<Option<PageMetadata>> {
        self.inner.peek_next_page()
    }

    fn skip_next_page(&mut self) -> parquet::errors::Result<()> {
        self.inner.skip_next_page()
    }

    fn supports_deferred_dictionary(&self) -> bool {
        self.inner.supports_deferred_dictionary()
    }

    fn take_deferred_dictionary(&mut self) -> parquet::errors::Result<Option<Page>> {
        let page = self.inner.take_deferred_dictionary()?;
        self.check(page)
    }

    fn at_record_boundary(&mut self) -> parquet::errors::Result<bool> {
        self.inner.at_record_boundary()
    }
}

/// Runs `f`, a call into the parquet/arrow decoder, turning a panic
/// into a syntax error: arrow-rs panics on some corrupt files (e.g. an
/// out-of-range dictionary index of a fixed-length column, found by the
/// `parquet` fuzz target) instead of returning an error. The caller adds
/// the location. Only decoder calls are wrapped, never sm-data's own code
/// or a caller's callback.
pub(crate) fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    crate::error::catch_expected_panic(f).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Error::syntax(
            FORMAT,
            format!("{what}: the Parquet decoder failed on corrupt data ({msg})"),
        )
    })
}

/// The precision class of a column, for choosing the batch dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// Exact in float32 and int32: bool, int8/16, uint8/16.
    Small,
    Int32,
    Float32,
    Float64,
}

fn class_of(dt: &DataType) -> Option<Class> {
    Some(match dt {
        DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::UInt8
        | DataType::UInt16
        | DataType::Null => Class::Small,
        DataType::Int32 => Class::Int32,
        DataType::Float16 | DataType::Float32 => Class::Float32,
        DataType::Int64
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float64
        | DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..) => Class::Float64,
        DataType::Dictionary(_, v) => class_of(v)?,
        _ => return None,
    })
}

fn list_item(dt: &DataType) -> Option<&DataType> {
    match dt {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            Some(f.data_type())
        }
        _ => None,
    }
}

fn join(a: Option<Class>, b: Class) -> Class {
    match a {
        None => b,
        Some(a) if a == b => a,
        Some(a) => match (a.min(b), a.max(b)) {
            (Class::Small, hi) => hi,
            _ => Class::Float64,
        },
    }
}

fn dtype_of(c: Option<Class>) -> Dtype {
    match c {
        Some(Class::Small | Class::Int32) => Dtype::Int32,
        Some(Class::Float32) => Dtype::Float32,
        Some(Class::Float64) | None => Dtype::Float64,
    }
}

/// The number of rows a Parquet file's footer states, whatever its
/// columns are.
pub fn num_rows(input: Input) -> Result<u64> {
    let (bytes, name) = whole(input)?;
    let (meta, _) = load(&bytes, &name)?;
    Ok(meta
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows().max(0) as u64)
        .sum())
}

/// Checks the framing and reads the footer; returns the metadata and the
/// file's size.
fn load(bytes: &Bytes, name: &str) -> Result<(ArrowReaderMetadata, u64)> {
    check_framing(bytes).map_err(|e| e.in_file(name))?;
    let footer_at = bytes.len() as u64 - 8;
    let what = "cannot read the Parquet footer";
    let meta = no_panic(what, || {
        ArrowReaderMetadata::load(bytes, ArrowReaderOptions::new())
            .map_err(|e| parquet_error(e, what))
    })
    .and_then(|r| r)
    .map_err(|e| e.at_byte(footer_at).in_file(name))?;
    Ok((meta, bytes.len() as u64))
}

impl Reader {
    /// Opens `input` (a stream is spooled to a temporary file first),
    /// reads the footer and plans which columns hold the label and the
    /// features.
    pub fn open(input: Input, opts: &ParquetOptions) -> Result<Reader> {
        let (bytes, name) = whole(input)?;
        Reader::from_bytes(bytes, name, opts)
    }

    /// Like [`Reader::open`] over bytes already in memory.
    pub fn from_bytes(bytes: Bytes, name: String, opts: &ParquetOptions) -> Result<Reader> {
        let (meta, _) = load(&bytes, &name)?;
        // Schema problems are located at the footer, which holds the schema.
        let footer_len = u32::from_le_bytes(
            bytes[bytes.len() - 8..bytes.len() - 4]
                .try_into()
                .expect("4 bytes"),
        ) as u64;
        let footer_start = bytes.len() as u64 - 8 - footer_len;
        let located = |e: Error| e.at_byte(footer_start).in_file(name.clone());
        let schema = meta.schema().clone();
        let fields = schema.fields();
        let find = |n: &str| fields.iter().position(|f| f.name() == n);
        for ex in &opts.exclude {
            if find(ex).is_none() {
                return Err(Error::config(format!(
                    "--exclude-columns names {ex:?}, which {name} does not have (its columns: {})",
                    column_list(&schema)
                )));
            }
        }
        let excluded = |i: usize| opts.exclude.iter().any(|e| e == fields[i].name());
        let lists: Vec<usize> = (0..fields.len())
            .filter(|&i| !excluded(i) && list_item(fields[i].data_type()).is_some())
            .collect();
        let layout = opts.layout.unwrap_or(if lists.is_empty() {
            Layout::Wide
        } else {
            Layout::Tensor
        });
        let label = match (&opts.label, layout) {
            (Some(LabelColumn::None), _) => None,
            (Some(LabelColumn::Index(i)), _) => {
                if *i >= fields.len() {
                    return Err(Error::config(format!(
                        "the label is column {i} (0-based) but {name} has {} columns ({})",
                        fields.len(),
                        column_list(&schema)
                    )));
                }
                Some(*i)
            }
            (Some(LabelColumn::Name(n)), _) => Some(find(n).ok_or_else(|| {
                Error::config(format!(
                    "the label column {n:?} is not in {name} (its columns: {})",
                    column_list(&schema)
                ))
            })?),
            (None, Layout::Wide) => match stated_labels(&meta) {
                Some(0) => None,
                _ => (0..fields.len()).find(|&i| !excluded(i)),
            },
            (None, Layout::Tensor) => find("label").filter(|&i| !excluded(i)),
        };
        if let Some(l) = label {
            if excluded(l) {
                return Err(Error::config(format!(
                    "the label column {:?} is also excluded",
                    fields[l].name()
                )));
            }
            let dt = fields[l].data_type();
            if class_of(dt).is_none() && list_item(dt).and_then(class_of).is_none() {
                return Err(located(Error::unsupported(format!(
                    "the label column {:?} has type {dt}, not a number: choose another with --label-column, or none",
                    fields[l].name()
                ))));
            }
        }
        let mut labels: Vec<usize> = label.into_iter().collect();
        if let (None, Layout::Wide, Some(k @ 2..)) = (&opts.label, layout, stated_labels(&meta)) {
            labels = (0..k.min(fields.len())).filter(|&i| !excluded(i)).collect();
        }
        let rest: Vec<usize> = (0..fields.len())
            .filter(|&i| !excluded(i) && !labels.contains(&i))
            .collect();
        let plan = match layout {
            Layout::Wide => {
                for &i in &rest {
                    if class_of(fields[i].data_type()).is_none() {
                        return Err(located(Error::unsupported(format!(
                            "column {:?} has type {}, not a number: exclude it with --exclude-columns {:?}{}",
                            fields[i].name(),
                            fields[i].data_type(),
                            fields[i].name(),
                            if list_item(fields[i].data_type()).is_some() {
                                " or read the tensor layout"
                            } else {
                                ""
                            }
                        ))));
                    }
                }
                Plan::Wide { features: rest }
            }
            Layout::Tensor => {
                let list_named = |n: &str| {
                    find(n).filter(|&i| {
                        !excluded(i)
                            && Some(i) != label
                            && list_item(fields[i].data_type()).is_some()
                    })
                };
                let plan = if let (Some(k), Some(v)) = (list_named("keys"), list_named("values")) {
                    let shape = find("shape").filter(|&i| !excluded(i) && Some(i) != label);
                    Plan::Sparse {
                        keys: k,
                        values: v,
                        shape,
                    }
                } else {
                    let lists: Vec<usize> = rest
                        .iter()
                        .copied()
                        .filter(|&i| list_item(fields[i].data_type()).is_some())
                        .collect();
                    let features = match (list_named("features"), lists.as_slice()) {
                        (Some(f), _) => f,
                        (None, [one]) => *one,
                        (None, []) => {
                            return Err(located(Error::unsupported(
                                "the tensor layout needs a list column of features (or keys and values list columns), and there is none",
                            )));
                        }
                        (None, _) => {
                            return Err(located(Error::unsupported(format!(
                                "several list columns and none is named \"features\": exclude the others with --exclude-columns (columns: {})",
                                column_list(&schema)
                            ))));
                        }
                    };
                    Plan::Dense { features }
                };
                let used: Vec<usize> = match &plan {
                    Plan::Dense { features } => vec![*features],
                    Plan::Sparse {
                        keys,
                        values,
                        shape,
                    } => [Some(*keys), Some(*values), *shape]
                        .into_iter()
                        .flatten()
                        .collect(),
                    Plan::Wide { .. } => unreachable!(),
                };
                if let Some(&other) = rest.iter().find(|i| !used.contains(i)) {
                    return Err(located(Error::unsupported(format!(
                        "column {:?} is neither the label nor part of the feature tensor: exclude it with --exclude-columns {:?}",
                        fields[other].name(),
                        fields[other].name()
                    ))));
                }
                for &i in &used {
                    let dt = fields[i].data_type();
                    let item = list_item(dt).unwrap_or(dt);
                    if class_of(item).is_none() {
                        return Err(located(Error::unsupported(format!(
                            "column {:?} has type {dt}, not numbers",
                            fields[i].name()
                        ))));
                    }
                }
                plan
            }
        };
        let class = |i: usize| {
            let dt = fields[i].data_type();
            class_of(list_item(dt).unwrap_or(dt)).expect("checked")
        };
        let feature_cols: Vec<usize> = match &plan {
            Plan::Wide { features } => features.clone(),
            Plan::Dense { features } => vec![*features],
            Plan::Sparse { values, .. } => vec![*values],
        };
        let dtype = dtype_of(
            feature_cols
                .iter()
                .fold(None, |acc, &i| Some(join(acc, class(i)))),
        );
        let label_dtype = dtype_of(
            labels
                .iter()
                .fold(None, |acc, &i| Some(join(acc, class(i)))),
        );
        for &l in &labels {
            let dt = fields[l].data_type();
            if class_of(dt).is_none() && list_item(dt).and_then(class_of).is_none() {
                return Err(located(Error::unsupported(format!(
                    "the label column {:?} has type {dt}, not a number",
                    fields[l].name()
                ))));
            }
        }
        let mut projected: Vec<usize> = feature_cols;
        if let Plan::Sparse { keys, shape, .. } = &plan {
            projected.push(*keys);
            projected.extend(*shape);
        }
        projected.extend(labels.iter().copied());
        projected.sort_unstable();
        projected.dedup();
        let mut row_starts = Vec::new();
        let mut total = 0u64;
        for rg in meta.metadata().row_groups() {
            row_starts.push(total);
            total += rg.num_rows().max(0) as u64;
        }
        row_starts.push(total);
        Ok(Reader {
            bytes,
            meta,
            name,
            plan,
            labels,
            projected,
            dtype,
            label_dtype,
            row_starts,
        })
    }

    /// The name used in error messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of rows the footer states.
    pub fn num_rows(&self) -> u64 {
        *self.row_starts.last().expect("at least one entry")
    }

    /// The number of row groups.
    pub fn num_row_groups(&self) -> usize {
        self.row_starts.len() - 1
    }

    /// The layout being read.
    pub fn layout(&self) -> Layout {
        match self.plan {
            Plan::Wide { .. } => Layout::Wide,
            _ => Layout::Tensor,
        }
    }

    /// True when the features are read as sparse rows.
    pub fn is_sparse(&self) -> bool {
        matches!(self.plan, Plan::Sparse { .. })
    }

    /// The size of the file in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Byte offset where row group `rg` starts.
    pub(crate) fn row_group_offset(&self, rg: usize) -> u64 {
        let g = self.meta.metadata().row_group(rg);
        // Not `byte_range()`, which panics on a negative offset or length
        // in a corrupt footer (found by the `parquet` fuzz target).
        (0..g.num_columns())
            .map(|c| column_start(g.column(c)))
            .min()
            .unwrap_or(4)
    }

    /// Decodes row group `rg` in record batches of at most
    /// [`READ_BATCH_ROWS`] rows, calling `each` with every batch and the
    /// index of its first row in the file. Errors are located (file,
    /// record, byte offset of the row group).
    pub fn read_row_group(
        &self,
        rg: usize,
        batch: &mut Batch,
        each: &mut dyn FnMut(&Batch, u64) -> Result<()>,
    ) -> Result<()> {
        let start = self.row_starts[rg];
        let at = self.row_group_offset(rg);
        let locate = |e: Error, first: u64| {
            e.shift(first, 0, 0)
                .at_record(first)
                .at_byte(at)
                .in_file(self.name.clone())
        };
        let mask =
            ProjectionMask::roots(self.meta.parquet_schema(), self.projected.iter().copied());
        let what = format!("cannot decode row group {rg}");
        let mut reader = no_panic(&what, || {
            batches(&self.bytes, &self.meta, vec![rg], mask, READ_BATCH_ROWS)
        })
        .map_err(|e| locate(e, start))?
        .map_err(|e| locate(parquet_error(e, &format!("row group {rg}")), start))?;
        let mut first = start;
        while let Some(rb) = no_panic(&what, || reader.next()).map_err(|e| locate(e, first))? {
            let rb = rb.map_err(|e| {
                locate(
                    parquet_error(e, &format!("cannot decode row group {rg}")),
                    first,
                )
            })?;
            batch.clear();
            self.to_batch(&rb, batch).map_err(|e| locate(e, first))?;
            each(batch, first).map_err(|e| locate(e, first))?;
            first += rb.num_rows() as u64;
        }
        let expected = self.row_starts[rg + 1];
        if first != expected {
            return Err(locate(
                Error::syntax(
                    FORMAT,
                    format!(
                        "row group {rg} holds {} rows but the footer says {}",
                        first - start,
                        expected - start
                    ),
                ),
                start,
            ));
        }
        Ok(())
    }

    /// Decodes every row group on the rayon pool, `threads` at a time (0 =
    /// one per core), applies `work` to each batch in parallel and hands
    /// the results to `consume` in file order.
    pub fn for_each<T, W, C>(&self, threads: usize, work: W, mut consume: C) -> Result<()>
    where
        T: Send,
        W: Fn(&Batch) -> Result<T> + Sync,
        C: FnMut(T) -> Result<()>,
    {
        use rayon::prelude::*;
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let groups = self.num_row_groups();
        let run_group = |rg: usize| -> Result<Vec<T>> {
            let mut out = Vec::new();
            let mut batch = Batch::default();
            self.read_row_group(rg, &mut batch, &mut |b, _| {
                out.push(work(b)?);
                Ok(())
            })?;
            Ok(out)
        };
        if threads == 1 {
            for rg in 0..groups {
                for t in run_group(rg)? {
                    consume(t)?;
                }
            }
            return Ok(());
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("sm-data-pq-{i}"))
            .build()
            .map_err(|e| Error::config(format!("cannot start {threads} worker threads: {e}")))?;
        let window = threads + 1;
        let mut rg = 0;
        while rg < groups {
            let end = (rg + window).min(groups);
            let results: Vec<Result<Vec<T>>> =
                pool.install(|| (rg..end).into_par_iter().map(run_group).collect());
            for r in results {
                for t in r? {
                    consume(t)?;
                }
            }
            rg = end;
        }
        Ok(())
    }

    /// Converts one record batch into `out` (cleared by the caller).
    fn to_batch(&self, rb: &RecordBatch, out: &mut Batch) -> Result<()> {
        let n = rb.num_rows();
        let schema = rb.schema();
        // Columns of `rb` follow `projected`.
        let col = |i: usize| {
            let k = self.projected.binary_search(&i).expect("projected");
            (rb.column(k).as_ref(), schema.field(k).name().as_str())
        };
        out.dtype = self.dtype;
        out.label_dtype = self.label_dtype;
        match &self.plan {
            Plan::Wide { features } => {
                out.sparse = false;
                let width = features.len();
                out.values.resize(n * width, 0.0);
                for (j, &c) in features.iter().enumerate() {
                    let (array, name) = col(c);
                    let values = &mut out.values;
                    numeric(array, name, &mut |i, v| values[i * width + j] = v)?;
                }
                out.row_ends.extend((1..=n).map(|i| i * width));
            }
            Plan::Dense { features } => {
                out.sparse = false;
                let (array, name) = col(*features);
                let mut vals = Vec::new();
                lists(array, name, &mut vals, &mut out.row_ends)?;
                out.values = vals;
            }
            Plan::Sparse {
                keys,
                values,
                shape,
            } => {
                out.sparse = true;
                let (array, name) = col(*values);
                lists(array, name, &mut out.values, &mut out.row_ends)?;
                let (karray, kname) = col(*keys);
                let mut kv = Vec::new();
                let mut kends = Vec::new();
                lists(karray, kname, &mut kv, &mut kends)?;
                for i in 0..n {
                    if kends[i] != out.row_ends[i] {
                        let start = if i == 0 { 0 } else { kends[i - 1] };
                        return Err(Error::syntax(
                            FORMAT,
                            format!(
                                "the row has {} keys but {} values",
                                kends[i] - start,
                                out.row_values(i).len()
                            ),
                        )
                        .at_record(i as u64));
                    }
                }
                out.indices.reserve(kv.len());
                for (k, &v) in kv.iter().enumerate() {
                    if !((0.0..18_446_744_073_709_551_616.0).contains(&v) && v.fract() == 0.0) {
                        let row = out.row_ends.partition_point(|&e| e <= k);
                        return Err(Error::syntax(
                            FORMAT,
                            format!(
                                "column {kname:?}: key {v} is not a non-negative integer index"
                            ),
                        )
                        .at_record(row as u64));
                    }
                    out.indices.push(v as u64);
                }
                if let Some(s) = shape {
                    let (sarray, sname) = col(*s);
                    out.shapes.resize(n, crate::batch::UNKNOWN_SHAPE);
                    let shapes = &mut out.shapes;
                    numeric(sarray, sname, &mut |i, v| {
                        shapes[i] = if v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 {
                            v as u64
                        } else {
                            crate::batch::UNKNOWN_SHAPE
                        }
                    })?;
                }
            }
        }
        match self.labels[..] {
            [] => out.label_ends.resize(n, 0),
            [l] => {
                let (array, name) = col(l);
                if list_item(array.data_type()).is_some() {
                    lists(array, name, &mut out.labels, &mut out.label_ends)?;
                } else {
                    out.labels.resize(n, 0.0);
                    let labels = &mut out.labels;
                    numeric(array, name, &mut |i, v| labels[i] = v)?;
                    out.label_ends.extend(1..=n);
                }
            }
            ref many => {
                let k = many.len();
                out.labels.resize(n * k, 0.0);
                for (j, &l) in many.iter().enumerate() {
                    let (array, name) = col(l);
                    let labels = &mut out.labels;
                    numeric(array, name, &mut |i, v| labels[i * k + j] = v)?;
                }
                out.label_ends.extend((1..=n).map(|i| i * k));
            }
        }
        Ok(())
    }
}

/// The number of label columns recorded by sm-data in a file it wrote.
fn stated_labels(meta: &ArrowReaderMetadata) -> Option<usize> {
    meta.metadata()
        .file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == super::LABELS_KEY)?
        .value
        .as_deref()?
        .parse()
        .ok()
}

fn column_list(schema: &arrow_schema::Schema) -> String {
    let names: Vec<String> = schema
        .fields()
        .iter()
        .take(20)
        .map(|f| format!("{} {}", f.name(), f.data_type()))
        .collect();
    let more = schema.fields().len().saturating_sub(20);
    if more > 0 {
        format!("{}, and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// Appends the values of a list column, row after row, to `values`, and
/// each row's end offset (in `values`) to `ends`. A null row is empty; a
/// null item is NaN.
fn lists(
    array: &dyn Array,
    name: &str,
    values: &mut Vec<f64>,
    ends: &mut Vec<usize>,
) -> Result<()> {
    let n = array.len();
    let (child, offsets): (&dyn Array, Vec<usize>) = match array.data_type() {
        DataType::List(_) => {
            let l = array.as_list::<i32>();
            (
                l.values().as_ref(),
                l.value_offsets().iter().map(|&o| o as usize).collect(),
            )
        }
        DataType::LargeList(_) => {
            let l = array.as_list::<i64>();
            (
                l.values().as_ref(),
                l.value_offsets().iter().map(|&o| o as usize).collect(),
            )
        }
        DataType::FixedSizeList(_, w) => {
            let l = array.as_fixed_size_list();
            let w = (*w).max(0) as usize;
            let off = l.offset();
            (
                l.values().as_ref(),
                (0..=n).map(|i| (off + i) * w).collect(),
            )
        }
        dt => {
            return Err(Error::unsupported(format!(
                "column {name:?} has type {dt}, not a list of numbers"
            )));
        }
    };
    let mut flat = vec![0.0; child.len()];
    numeric(child, name, &mut |i, v| flat[i] = v)?;
    for i in 0..n {
        let (lo, hi) = (offsets[i], offsets[i + 1]);
        if lo > hi || hi > flat.len() {
            return Err(
                Error::syntax(FORMAT, format!("column {name:?}: bad list offsets"))
                    .at_record(i as u64),
            );
        }
        if !array.is_null(i) {
            values.extend_from_slice(&flat[lo..hi]);
        }
        ends.push(values.len());
    }
    Ok(())
}

/// Calls `put(row, value)` for every row of a numeric column, nulls as NaN.
fn numeric(array: &dyn Array, name: &str, put: &mut dyn FnMut(usize, f64)) -> Result<()> {
    macro_rules! prim {
        ($t:ty, $conv:expr) => {{
            let a = array.as_primitive::<$t>();
            let conv = $conv;
            if a.null_count() == 0 {
                for (i, &v) in a.values().iter().enumerate() {
                    put(i, conv(v));
                }
            } else {
                for (i, v) in a.iter().enumerate() {
                    put(i, v.map_or(f64::NAN, conv));
                }
            }
        }};
    }
    match array.data_type() {
        DataType::Null => (0..array.len()).for_each(|i| put(i, f64::NAN)),
        DataType::Boolean => {
            for (i, v) in array.as_boolean().iter().enumerate() {
                put(i, v.map_or(f64::NAN, |b| if b { 1.0 } else { 0.0 }));
            }
        }
        DataType::Int8 => prim!(Int8Type, |v: i8| v as f64),
        DataType::Int16 => prim!(Int16Type, |v: i16| v as f64),
        DataType::Int32 => prim!(Int32Type, |v: i32| v as f64),
        DataType::Int64 => prim!(Int64Type, |v: i64| v as f64),
        DataType::UInt8 => prim!(UInt8Type, |v: u8| v as f64),
        DataType::UInt16 => prim!(UInt16Type, |v: u16| v as f64),
        DataType::UInt32 => prim!(UInt32Type, |v: u32| v as f64),
        DataType::UInt64 => prim!(UInt64Type, |v: u64| v as f64),
        DataType::Float16 => prim!(
            Float16Type,
            |v: <Float16Type as ArrowPrimitiveType>::Native| v.to_f64()
        ),
        DataType::Float32 => prim!(Float32Type, |v: f32| v as f64),
        DataType::Float64 => prim!(Float64Type, |v: f64| v),
        DataType::Decimal32(_, s) => {
            let scale = 10f64.powi(*s as i32);
            prim!(Decimal32Type, |v: i32| v as f64 / scale)
        }
        DataType::Decimal64(_, s) => {
            let scale = 10f64.powi(*s as i32);
            prim!(Decimal64Type, |v: i64| v as f64 / scale)
        }
        DataType::Decimal128(_, s) => {
            let scale = 10f64.powi(*s as i32);
            prim!(Decimal128Type, |v: i128| v as f64 / scale)
        }
        DataType::Dictionary(_, _) => {
            let d = array
                .as_any_dictionary_opt()
                .ok_or_else(|| Error::unsupported(format!("column {name:?}: bad dictionary")))?;
            let vals = d.values();
            let mut dict = vec![0.0; vals.len()];
            numeric(vals.as_ref(), name, &mut |i, v| dict[i] = v)?;
            let mut bad = None;
            numeric(d.keys(), name, &mut |i, k| {
                if k.is_nan() {
                    put(i, f64::NAN);
                } else if k >= 0.0 && (k as usize) < dict.len() {
                    put(i, dict[k as usize]);
                } else if bad.is_none() {
                    bad = Some((i, k));
                }
            })?;
            if let Some((i, k)) = bad {
                return Err(Error::syntax(
                    FORMAT,
                    format!(
                        "column {name:?}: dictionary key {k} is outside the dictionary of {} values",
                        dict.len()
                    ),
                )
                .at_record(i as u64));
            }
        }
        dt => {
            return Err(Error::unsupported(format!(
                "column {name:?} has type {dt}, not a number: exclude it with --exclude-columns {name:?}"
            )));
        }
    }
    Ok(())
}
