//! The format-agnostic data model: a columnar [`Batch`] of examples.
//!
//! Every example has zero or more label values and a feature vector that is
//! either dense (one value per column) or sparse (column indices and their
//! values, plus the number of columns when known). Values are held as `f64`,
//! which represents every `f32` and `i32` exactly; [`Dtype`] remembers the
//! precision they came in so that writers print `0.1f32` as `0.1`, not as
//! `0.10000000149011612`. Missing values (empty CSV cells) are NaN.
//!
//! A batch is reused chunk after chunk by the parallel pipeline: `clear`
//! keeps every allocation.

use crate::error::{Error, Result};

/// Numeric type of tensor values: the three tensor types of SageMaker's
/// RecordIO-protobuf `Value` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dtype {
    /// 32-bit IEEE float (`Float32Tensor`). What the built-in algorithms read.
    Float32,
    /// 64-bit IEEE float (`Float64Tensor`).
    Float64,
    /// 32-bit signed integer (`Int32Tensor`).
    Int32,
}

impl Dtype {
    /// The name used on the command line (`float32`, `float64`, `int32`).
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Float32 => "float32",
            Dtype::Float64 => "float64",
            Dtype::Int32 => "int32",
        }
    }

    /// The narrowest dtype that holds values of both `self` and `other`.
    pub fn widen(self, other: Dtype) -> Dtype {
        if self == other { self } else { Dtype::Float64 }
    }
}

impl std::str::FromStr for Dtype {
    type Err = Error;
    fn from_str(s: &str) -> Result<Dtype> {
        match s.to_ascii_lowercase().as_str() {
            "float32" | "f32" | "float" => Ok(Dtype::Float32),
            "float64" | "f64" | "double" => Ok(Dtype::Float64),
            "int32" | "i32" | "int" => Ok(Dtype::Int32),
            _ => Err(Error::config(format!(
                "unknown dtype {s:?}: expected float32, float64 or int32"
            ))),
        }
    }
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A block of examples in columnar (CSR-like) form.
///
/// Row `i` owns `values[row_start(i)..row_ends[i]]` and, when the batch is
/// sparse, the same range of `indices`. Its labels are
/// `labels[label_start(i)..label_ends[i]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Precision of the feature values.
    pub dtype: Dtype,
    /// Precision of the label values.
    pub label_dtype: Dtype,
    /// True when features are sparse (`indices` is parallel to `values`).
    pub sparse: bool,
    /// End offset of each row in `values` (and `indices`).
    pub row_ends: Vec<usize>,
    /// Feature values of all rows, back to back.
    pub values: Vec<f64>,
    /// Column index of each value when sparse; empty when dense.
    pub indices: Vec<u64>,
    /// Number of columns of each sparse row when the input states it
    /// (RecordIO-protobuf `shape`); empty when unknown or dense.
    pub shapes: Vec<u64>,
    /// End offset of each row in `labels`.
    pub label_ends: Vec<usize>,
    /// Label values of all rows, back to back.
    pub labels: Vec<f64>,
    /// In a sparse batch that also holds rows read as dense (RecordIO-
    /// protobuf mixes them), `true` marks those rows; empty when every row
    /// has the batch's kind. Such rows are stored without zeros and with
    /// their width as shape, so writers can restore them exactly.
    pub dense_rows: Vec<bool>,
    /// The (features, labels) tensor types of each row, when the rows of
    /// the batch do not all have the batch's `dtype` and `label_dtype`
    /// (RecordIO-protobuf records each carry their own: a batch that mixes
    /// them is widened, and writers print each row at its own type, so
    /// that the text does not depend on which records share a batch);
    /// empty when every row has the batch's types.
    pub row_dtypes: Vec<(Dtype, Dtype)>,
    /// Input lines consumed (text formats), for error positions.
    pub lines: u64,
}

impl Default for Batch {
    fn default() -> Batch {
        Batch::new(Dtype::Float64)
    }
}

impl Batch {
    /// An empty dense batch of the given precision.
    pub fn new(dtype: Dtype) -> Batch {
        Batch {
            dtype,
            label_dtype: dtype,
            sparse: false,
            row_ends: Vec::new(),
            values: Vec::new(),
            indices: Vec::new(),
            shapes: Vec::new(),
            label_ends: Vec::new(),
            labels: Vec::new(),
            dense_rows: Vec::new(),
            row_dtypes: Vec::new(),
            lines: 0,
        }
    }

    /// Empties the batch, keeping its allocations.
    pub fn clear(&mut self) {
        self.row_ends.clear();
        self.values.clear();
        self.indices.clear();
        self.shapes.clear();
        self.label_ends.clear();
        self.labels.clear();
        self.dense_rows.clear();
        self.row_dtypes.clear();
        self.lines = 0;
    }

    /// The tensor type of row `i`'s features (see [`Batch::row_dtypes`]).
    pub fn row_dtype(&self, i: usize) -> Dtype {
        self.row_dtypes.get(i).map_or(self.dtype, |d| d.0)
    }

    /// The tensor type of row `i`'s labels (see [`Batch::row_dtypes`]).
    pub fn row_label_dtype(&self, i: usize) -> Dtype {
        self.row_dtypes.get(i).map_or(self.label_dtype, |d| d.1)
    }

    /// Notes the tensor types of row `row`, just ended: `features` and
    /// `labels` are the record's own (`None` when it had no such tensor),
    /// `before` the batch's types before the record. While every row has
    /// the batch's types [`Batch::row_dtypes`] stays empty; from the first
    /// row that has other types or widens the batch's, every row's are
    /// kept (the earlier rows' at `before`).
    pub fn note_row_dtypes(
        &mut self,
        row: usize,
        before: (Dtype, Dtype),
        features: Option<Dtype>,
        labels: Option<Dtype>,
    ) {
        let now = (self.dtype, self.label_dtype);
        let own = (features.unwrap_or(now.0), labels.unwrap_or(now.1));
        if self.row_dtypes.is_empty() {
            if row == 0 || (now == before && own == now) {
                return;
            }
            self.row_dtypes.resize(row, before);
        }
        self.row_dtypes.push(own);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.row_ends.len()
    }

    /// True when the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.row_ends.is_empty()
    }

    /// Turns the closed rows of a dense batch into sparse rows marked dense
    /// (their `+0` values dropped, `-0` kept; shape = the row's width), so
    /// that sparse rows can follow. Values past the last closed row must
    /// have been taken out first.
    pub fn dense_rows_to_sparse(&mut self) {
        self.sparse = true;
        self.indices.clear();
        self.shapes.clear();
        self.dense_rows.clear();
        let mut kept = 0;
        let mut start = 0;
        for i in 0..self.len() {
            let end = self.row_ends[i];
            for j in start..end {
                let v = self.values[j];
                if v.to_bits() != 0 {
                    self.values[kept] = v;
                    self.indices.push((j - start) as u64);
                    kept += 1;
                }
            }
            self.shapes.push((end - start) as u64);
            self.dense_rows.push(true);
            self.row_ends[i] = kept;
            start = end;
        }
        self.values.truncate(kept);
    }

    /// Closes the current row: the values and labels pushed since the last
    /// call belong to it.
    #[inline]
    pub fn end_row(&mut self) {
        self.row_ends.push(self.values.len());
        self.label_ends.push(self.labels.len());
    }

    /// Start offset of row `i` in `values`.
    #[inline]
    pub fn row_start(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.row_ends[i - 1] }
    }

    /// Start offset of row `i` in `labels`.
    #[inline]
    pub fn label_start(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.label_ends[i - 1] }
    }

    /// The feature values of row `i`.
    #[inline]
    pub fn row_values(&self, i: usize) -> &[f64] {
        &self.values[self.row_start(i)..self.row_ends[i]]
    }

    /// The column indices of sparse row `i` (empty when dense).
    #[inline]
    pub fn row_indices(&self, i: usize) -> &[u64] {
        if self.sparse {
            &self.indices[self.row_start(i)..self.row_ends[i]]
        } else {
            &[]
        }
    }

    /// The labels of row `i`.
    #[inline]
    pub fn row_labels(&self, i: usize) -> &[f64] {
        &self.labels[self.label_start(i)..self.label_ends[i]]
    }

    /// True when row `i` was read as dense (always, in a dense batch).
    #[inline]
    pub fn row_is_dense(&self, i: usize) -> bool {
        !self.sparse || self.dense_rows.get(i).copied().unwrap_or(false)
    }

    /// The stated number of columns of sparse row `i`, if known.
    #[inline]
    pub fn row_shape(&self, i: usize) -> Option<u64> {
        self.shapes.get(i).copied().filter(|&s| s != UNKNOWN_SHAPE)
    }

    /// Appends sparse row `i` to `out` as `width` dense values (zeros
    /// where nothing is stored; a repeated index keeps its last value).
    /// A width over [`MAX_DENSE_WIDTH`] or an index not below `width` is
    /// an error at record `i`.
    pub fn densify_row(
        &self,
        i: usize,
        width: u64,
        out: &mut Vec<f64>,
    ) -> crate::error::Result<()> {
        check_dense_width(width).map_err(|e| e.at_record(i as u64))?;
        let at = out.len();
        out.resize(at + width as usize, 0.0);
        for (&k, &v) in self.row_indices(i).iter().zip(self.row_values(i)) {
            if k >= width {
                out.truncate(at);
                return Err(crate::error::Error::unsupported(format!(
                    "feature index {k} is not below the number of features ({width})"
                ))
                .at_record(i as u64));
            }
            out[at + k as usize] = v;
        }
        Ok(())
    }

    /// Number of label values per row if every row has the same number.
    /// `Err(row)` names the first row that differs from row 0.
    pub fn uniform_label_width(&self) -> Result<Option<usize>, usize> {
        uniform(&self.label_ends)
    }

    /// Number of values per row if every row has the same number (dense
    /// batches). `Err(row)` names the first row that differs from row 0.
    pub fn uniform_width(&self) -> Result<Option<usize>, usize> {
        uniform(&self.row_ends)
    }

    /// One more than the largest column index of any sparse row, or the
    /// widest dense row.
    pub fn max_columns(&self) -> u64 {
        if self.sparse {
            let from_idx = self.indices.iter().copied().max().map_or(0, |m| m + 1);
            let from_shape = self
                .shapes
                .iter()
                .copied()
                .filter(|&s| s != UNKNOWN_SHAPE)
                .max()
                .unwrap_or(0);
            from_idx.max(from_shape)
        } else {
            (0..self.len())
                .map(|i| (self.row_ends[i] - self.row_start(i)) as u64)
                .max()
                .unwrap_or(0)
        }
    }
}

/// The widest dense row sm-data writes (2^24 columns, 128 MiB of `f64`).
/// Densifying a sparse row wider than this is refused rather than
/// exhausting memory; write sparse output instead.
pub const MAX_DENSE_WIDTH: u64 = 1 << 24;

/// Checks that a dense row of `width` columns can be written.
pub fn check_dense_width(width: u64) -> crate::error::Result<()> {
    if width > MAX_DENSE_WIDTH {
        return Err(crate::error::Error::unsupported(format!(
            "a dense row of {width} columns is wider than the limit of {MAX_DENSE_WIDTH}: write sparse output (libsvm, or recordio-protobuf --sparse)"
        )));
    }
    Ok(())
}

/// Marker in [`Batch::shapes`] for a sparse row whose width is unknown.
pub const UNKNOWN_SHAPE: u64 = u64::MAX;

fn uniform(ends: &[usize]) -> Result<Option<usize>, usize> {
    let Some(&first) = ends.first() else {
        return Ok(None);
    };
    let mut prev = first;
    for (i, &end) in ends.iter().enumerate().skip(1) {
        if end - prev != first {
            return Err(i);
        }
        prev = end;
    }
    Ok(Some(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_labels_are_sliced_by_their_ends() {
        let mut b = Batch::new(Dtype::Float32);
        b.labels.push(1.0);
        b.values.extend([1.0, 2.0]);
        b.end_row();
        b.labels.push(0.0);
        b.values.extend([3.0, 4.0]);
        b.end_row();
        assert_eq!(b.len(), 2);
        assert_eq!(b.row_values(1), &[3.0, 4.0]);
        assert_eq!(b.row_labels(0), &[1.0]);
        assert_eq!(b.uniform_width(), Ok(Some(2)));
        b.values.push(5.0);
        b.end_row();
        assert_eq!(b.uniform_width(), Err(2));
        assert_eq!(b.uniform_label_width(), Err(2));
        b.clear();
        assert!(b.is_empty());
    }

    #[test]
    fn sparse_rows_densify_with_zeros_and_checked_indices() {
        let mut b = Batch::new(Dtype::Float32);
        b.sparse = true;
        b.indices.extend([3, 0, 3]);
        b.values.extend([1.0, 2.0, 5.0]);
        b.end_row();
        let mut out = vec![9.0];
        b.densify_row(0, 5, &mut out).unwrap();
        assert_eq!(out, [9.0, 2.0, 0.0, 0.0, 5.0, 0.0]);
        let e = b.densify_row(0, 3, &mut out).unwrap_err();
        assert!(
            e.to_string()
                .contains("feature index 3 is not below the number of features (3)"),
            "{e}"
        );
        assert_eq!(e.position().record, Some(0));
        assert_eq!(out.len(), 6, "nothing appended on error");
        let e = b.densify_row(0, MAX_DENSE_WIDTH + 1, &mut out).unwrap_err();
        assert!(e.to_string().contains("wider than the limit"), "{e}");
    }

    #[test]
    fn dtype_parses_and_widens() {
        assert_eq!("Float32".parse::<Dtype>().unwrap(), Dtype::Float32);
        assert!("float16".parse::<Dtype>().is_err());
        assert_eq!(Dtype::Int32.widen(Dtype::Float32), Dtype::Float64);
    }
}
