//! Apache Parquet (`application/x-parquet`), through the arrow-rs
//! `parquet` crate (Cargo feature `parquet`, on by default for the binary).
//!
//! # Layouts
//! Numeric examples ([`Batch`](crate::Batch)es) are stored in one of two
//! layouts:
//! - **wide** ([`Layout::Wide`]): a label column first (`label`, or
//!   `label_0`, `label_1`, ... for several labels; none for unlabeled data),
//!   then one numeric column per feature (`f0`, `f1`, ...). This is what
//!   SageMaker XGBoost reads (it takes the first column as the label).
//!   Sparse rows are densified, as for CSV.
//! - **tensor** ([`Layout::Tensor`]): a `label` column (a number, or a list
//!   of numbers for several labels) plus either a `features` list column
//!   (dense rows) or `keys` (`list<uint64>`) and `values` list columns and a
//!   `shape` column (`uint64`, the number of features) for sparse rows.
//!
//! Reading detects the layout from the schema (`keys` and `values` lists →
//! sparse tensor; one list column → dense tensor; else wide) unless
//! [`ParquetOptions::layout`] says otherwise. Any numeric column type is
//! accepted: int8..int64, uint8..uint64, float16/32/64, decimal32/64/128,
//! booleans (1/0), dictionary-encoded numbers; a null is a missing value
//! (NaN), as an empty CSV cell is. A string (or other non-numeric) column is
//! an error naming it unless it is excluded with
//! [`ParquetOptions::exclude`].
//!
//! # Random access
//! Parquet keeps its metadata in a footer at the end of the file, so a
//! reader needs the whole file. A local file is memory-mapped and read in
//! place; a stream (stdin, a FIFO, gzip) is first spooled to an unlinked
//! temporary file in the system temp directory (`$TMPDIR`), then mapped.
//!
//! # Parallelism and memory
//! Reading decodes row groups in parallel on rayon, a bounded window of
//! row groups at a time (each read in record batches of at most 64 Ki
//! rows), and hands the results on in file order: memory is bounded by the
//! row group size times the window, not by the file size. Writing encodes
//! one row group at a time ([`ParquetOptions::row_group_size`] rows); only
//! the row group being built is held in memory.
//!
//! Typed tables (CSV with a header or JSON Lines with scalar fields, with
//! string, timestamp, bool, int and float columns) are a separate mode:
//! see [`crate::table`].

use std::str::FromStr;

use crate::error::{Error, Result};

#[cfg(feature = "parquet")]
pub mod read;
#[cfg(feature = "parquet")]
pub mod write;

#[cfg(feature = "parquet")]
pub use read::Reader;
#[cfg(feature = "parquet")]
pub use write::Writer;

/// Key of the file metadata entry in which sm-data records how many
/// label columns a file it wrote has (`"0"` for unlabeled data), so that
/// reading it back needs no `--label-column`.
pub const LABELS_KEY: &str = "sm-data.labels";

/// The four magic bytes at the start and end of every Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// How examples are laid out in a Parquet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// Label column(s), then one numeric column per feature (XGBoost).
    #[default]
    Wide,
    /// A label column plus a `features` list column (dense) or
    /// `keys`/`values` list columns (sparse).
    Tensor,
}

impl FromStr for Layout {
    type Err = Error;
    fn from_str(s: &str) -> Result<Layout> {
        match s.to_ascii_lowercase().as_str() {
            "wide" => Ok(Layout::Wide),
            "tensor" => Ok(Layout::Tensor),
            _ => Err(Error::config(format!(
                "unknown Parquet layout {s:?}: expected wide or tensor"
            ))),
        }
    }
}

/// Compression of written Parquet pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// Snappy (the default, as pyarrow's).
    #[default]
    Snappy,
    /// Zstandard at the given level (1..=22; 3 is zstd's default).
    Zstd(i32),
    /// Gzip (deflate) at the given level (0..=9; 6 is the default).
    Gzip(u32),
    /// No compression.
    None,
}

impl FromStr for Compression {
    type Err = Error;
    /// `snappy`, `zstd`, `zstd:LEVEL`, `gzip`, `gzip:LEVEL` or `none`.
    fn from_str(s: &str) -> Result<Compression> {
        let lower = s.to_ascii_lowercase();
        let (name, level) = match lower.split_once(':') {
            Some((n, l)) => (n, Some(l)),
            None => (lower.as_str(), None),
        };
        let bad_level = || {
            Error::config(format!(
                "bad compression level in {s:?}: zstd takes 1 to 22, gzip 0 to 9"
            ))
        };
        match (name, level) {
            ("snappy", None) => Ok(Compression::Snappy),
            ("none" | "uncompressed", None) => Ok(Compression::None),
            ("zstd", None) => Ok(Compression::Zstd(3)),
            ("zstd", Some(l)) => match l.parse::<i32>() {
                Ok(l @ 1..=22) => Ok(Compression::Zstd(l)),
                _ => Err(bad_level()),
            },
            ("gzip", None) => Ok(Compression::Gzip(6)),
            ("gzip", Some(l)) => match l.parse::<u32>() {
                Ok(l @ 0..=9) => Ok(Compression::Gzip(l)),
                _ => Err(bad_level()),
            },
            _ => Err(Error::config(format!(
                "unknown Parquet compression {s:?}: expected snappy, zstd[:LEVEL], gzip[:LEVEL] or none"
            ))),
        }
    }
}

/// Which column of a Parquet file holds the label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LabelColumn {
    /// No label: every (non-excluded) column is a feature.
    None,
    /// The top-level column at this 0-based index.
    Index(usize),
    /// The column with this name.
    Name(String),
}

/// How Parquet is read and written. `Default` gives: detected layout, the
/// first column (wide) or the `label` column (tensor) as label, snappy,
/// row groups of 1 Mi rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParquetOptions {
    /// Reading: force a layout (`None`: detect from the schema). Writing:
    /// the layout to write (`None`: wide).
    pub layout: Option<Layout>,
    /// Reading: the label column; `None` means the first column in the wide
    /// layout and the column named `label`, if any, in the tensor layout.
    pub label: Option<LabelColumn>,
    /// Reading: columns to skip (for example string ids).
    pub exclude: Vec<String>,
    /// Writing: page compression.
    pub compression: Compression,
    /// Writing: rows per row group.
    pub row_group_size: usize,
}

/// Rows per row group when not set: pyarrow's default.
pub const DEFAULT_ROW_GROUP_SIZE: usize = 1 << 20;

impl Default for ParquetOptions {
    fn default() -> ParquetOptions {
        ParquetOptions {
            layout: None,
            label: None,
            exclude: Vec::new(),
            compression: Compression::Snappy,
            row_group_size: DEFAULT_ROW_GROUP_SIZE,
        }
    }
}

/// The error for Parquet requested from a build without the feature.
pub fn not_built() -> Error {
    Error::unsupported(
        "Parquet support is not built in: rebuild sm-data with the Cargo feature \"parquet\" (on by default)",
    )
}

/// Checks the framing of a whole Parquet file: length, leading and
/// trailing magic, and a footer length that fits. Errors carry the byte
/// offset of the problem (the name is added by the caller).
pub fn check_framing(bytes: &[u8]) -> Result<()> {
    let len = bytes.len();
    if len < 12 {
        return Err(Error::new(crate::error::ErrorKind::Truncated {
            format: "parquet",
            needed: 12,
            available: len as u64,
        })
        .at_byte(0));
    }
    if &bytes[..4] != MAGIC {
        return Err(Error::syntax(
            "parquet",
            format!(
                "expected the Parquet magic \"PAR1\" at the start, found {}",
                hex(&bytes[..4])
            ),
        )
        .at_byte(0));
    }
    if &bytes[len - 4..] != MAGIC {
        return Err(Error::syntax(
            "parquet",
            format!(
                "expected the Parquet magic \"PAR1\" at the end, found {} (a truncated or unfinished file?)",
                hex(&bytes[len - 4..])
            ),
        )
        .at_byte(len as u64 - 4));
    }
    let footer = u32::from_le_bytes(bytes[len - 8..len - 4].try_into().expect("4 bytes")) as u64;
    if footer > len as u64 - 12 {
        return Err(Error::syntax(
            "parquet",
            format!(
                "the footer length {footer} runs past the start of the file ({} bytes before the footer)",
                len - 12
            ),
        )
        .at_byte(len as u64 - 8));
    }
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compression_and_layout() {
        assert_eq!(
            "snappy".parse::<Compression>().unwrap(),
            Compression::Snappy
        );
        assert_eq!("ZSTD".parse::<Compression>().unwrap(), Compression::Zstd(3));
        assert_eq!(
            "zstd:9".parse::<Compression>().unwrap(),
            Compression::Zstd(9)
        );
        assert_eq!(
            "gzip:1".parse::<Compression>().unwrap(),
            Compression::Gzip(1)
        );
        assert_eq!("none".parse::<Compression>().unwrap(), Compression::None);
        assert!("zstd:99".parse::<Compression>().is_err());
        assert!("lz4".parse::<Compression>().is_err());
        assert_eq!("Tensor".parse::<Layout>().unwrap(), Layout::Tensor);
        assert!("long".parse::<Layout>().is_err());
    }

    #[test]
    fn framing_errors_name_the_offset() {
        let e = check_framing(b"PAR1").unwrap_err();
        assert_eq!(e.position().byte, Some(0));
        let e = check_framing(b"PAR0\0\0\0\0\0\0\0\0PAR1").unwrap_err();
        assert!(
            e.to_string().contains("at the start, found 50415230"),
            "{e}"
        );
        let e = check_framing(b"PAR1\0\0\0\0\0\0\0\0PAR0").unwrap_err();
        assert_eq!(e.position().byte, Some(12));
        let e = check_framing(b"PAR1\0\0\0\0\x10\0\0\0PAR1").unwrap_err();
        assert!(e.to_string().contains("footer length 16"), "{e}");
        assert_eq!(e.position().byte, Some(8));
        check_framing(b"PAR1\0\0\0\0\x04\0\0\0PAR1").unwrap();
    }
}
