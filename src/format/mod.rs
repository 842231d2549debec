//! The formats sm-data reads and writes, their names, file extensions and
//! SageMaker content types, and sniffing; and the record-level readers and
//! writers over memory and streams ([`recordio`], [`tfrecord`], [`json`]).

use std::fmt;
use std::str::FromStr;

use crate::codec::recordio as rio;
use crate::error::{Error, Result};

pub mod frames;
pub mod json;
pub mod parquet;
pub mod recordio;
pub mod tfrecord;

/// A data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `text/csv`: one example per line, label first (SageMaker training).
    Csv,
    /// `text/libsvm`: `label idx:val ...`, sparse.
    Libsvm,
    /// `application/x-recordio`: MXNet RecordIO frames with opaque payloads.
    /// Examples written to it are encoded as `aialgs.data.Record`, the only
    /// example payload SageMaker defines for RecordIO.
    Recordio,
    /// `application/x-recordio-protobuf`: RecordIO frames holding
    /// `aialgs.data.Record` messages.
    RecordioProtobuf,
    /// `application/jsonlines`: one JSON object per line
    /// (`{"features":[...],"label":x}` and SageMaker's inference shapes).
    Jsonl,
    /// `application/json`: one JSON document, SageMaker's inference request
    /// `{"instances":[...]}` or response `{"predictions":[...]}`.
    Json,
    /// `application/x-tfrecord`: TFRecord frames (masked CRC-32C) with
    /// opaque payloads.
    Tfrecord,
    /// `application/x-parquet`: Apache Parquet, wide or tensor layout
    /// ([`parquet`]; needs the Cargo feature `parquet`).
    Parquet,
}

impl Format {
    /// Every format, for help texts and tests.
    pub const ALL: [Format; 8] = [
        Format::Csv,
        Format::Libsvm,
        Format::Recordio,
        Format::RecordioProtobuf,
        Format::Jsonl,
        Format::Json,
        Format::Tfrecord,
        Format::Parquet,
    ];

    /// The short name (`csv`, `libsvm`, `recordio`, `recordio-protobuf`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Libsvm => "libsvm",
            Format::Recordio => "recordio",
            Format::RecordioProtobuf => "recordio-protobuf",
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Tfrecord => "tfrecord",
            Format::Parquet => "parquet",
        }
    }

    /// The SageMaker content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Libsvm => "text/libsvm",
            Format::Recordio => "application/x-recordio",
            Format::RecordioProtobuf => "application/x-recordio-protobuf",
            Format::Jsonl => "application/jsonlines",
            Format::Json => "application/json",
            Format::Tfrecord => "application/x-tfrecord",
            Format::Parquet => "application/x-parquet",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Libsvm => "libsvm",
            Format::Recordio => "rec",
            Format::RecordioProtobuf => "pbr",
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Tfrecord => "tfrecord",
            Format::Parquet => "parquet",
        }
    }

    /// True for the binary framed formats whose records can be copied
    /// frame by frame without decoding (RecordIO and TFRecord).
    pub fn is_framed(self) -> bool {
        self.is_recordio() || self == Format::Tfrecord
    }

    /// True for the RecordIO-framed formats.
    pub fn is_recordio(self) -> bool {
        matches!(self, Format::Recordio | Format::RecordioProtobuf)
    }

    /// The format named by a file's extension (a trailing `.gz` is
    /// ignored). `None` when the extension is not one of ours.
    pub fn from_path(path: &str) -> Option<Format> {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        Some(match ext {
            "csv" => Format::Csv,
            "libsvm" | "svm" | "svmlight" => Format::Libsvm,
            "rec" | "recordio" => Format::Recordio,
            "pbr" | "protobuf" | "recordio-protobuf" | "recordioprotobuf" => {
                Format::RecordioProtobuf
            }
            "jsonl" | "jsonlines" | "ndjson" => Format::Jsonl,
            "json" => Format::Json,
            "tfrecord" | "tfrecords" => Format::Tfrecord,
            "parquet" | "pq" => Format::Parquet,
            _ => return None,
        })
    }

    /// Guesses the format from the first bytes of an input: RecordIO by its
    /// magic (RecordIO-protobuf when the first payload parses as a Record),
    /// TFRecord by a valid length CRC in the first 12 bytes, JSON when the
    /// text starts with `[` or with an object whose first key is
    /// `instances`, `predictions` or `configuration`, JSON Lines when it
    /// starts with another object, LibSVM when the first data line that is
    /// more than a number alone has `idx:val` tokens, else CSV.
    pub fn sniff(head: &[u8]) -> Option<Format> {
        if head.is_empty() {
            return None;
        }
        if head.starts_with(&rio::MAGIC_BYTES) {
            return Some(Format::RecordioProtobuf);
        }
        if head.starts_with(parquet::MAGIC) {
            return Some(Format::Parquet);
        }
        if head.len() >= crate::codec::tfrecord::HEADER_LEN
            && crate::codec::tfrecord::masked_crc(&head[..8])
                == u32::from_le_bytes([head[8], head[9], head[10], head[11]])
        {
            return Some(Format::Tfrecord);
        }
        if let Some(f) = crate::codec::json::sniff(head) {
            return Some(f);
        }
        let text = std::str::from_utf8(head).ok().or_else(|| {
            // The head may cut a multi-byte character.
            std::str::from_utf8(&head[..head.len().saturating_sub(3)]).ok()
        })?;
        // The first line that tells: a LibSVM row with no features (a
        // label alone, which scikit-learn writes for an empty row) reads as
        // a one-column CSV row as well, so such lines are passed over.
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut tokens = line.split_whitespace();
            let first = tokens.next().unwrap_or_default();
            match tokens.next() {
                Some(t) if t.contains(':') => return Some(Format::Libsvm),
                None if first.parse::<f64>().is_ok() => continue,
                _ => return Some(Format::Csv),
            }
        }
        Some(Format::Csv)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format with the parameters of its content type, as given by
/// `--from`/`--to`: a short name (`csv`) or a SageMaker content type
/// (`text/csv;label_size=0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatSpec {
    /// The format.
    pub format: Format,
    /// `label_size` from a `text/csv;label_size=N` content type.
    pub label_size: Option<usize>,
}

impl FromStr for FormatSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<FormatSpec> {
        let mut parts = s.split(';');
        let base = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let format = match base.as_str() {
            "csv" | "text/csv" => Format::Csv,
            "libsvm" | "text/libsvm" | "text/x-libsvm" => Format::Libsvm,
            "recordio" | "application/x-recordio" => Format::Recordio,
            "recordio-protobuf" | "protobuf" | "pbr" | "application/x-recordio-protobuf" => {
                Format::RecordioProtobuf
            }
            "jsonl"
            | "jsonlines"
            | "ndjson"
            | "application/jsonlines"
            | "application/x-jsonlines"
            | "application/jsonl"
            | "application/x-ndjson" => Format::Jsonl,
            "json" | "application/json" => Format::Json,
            "tfrecord" | "tfrecords" | "application/x-tfrecord" => Format::Tfrecord,
            "parquet" | "application/x-parquet" | "application/parquet" => Format::Parquet,
            _ => {
                return Err(Error::config(format!(
                    "unknown format {s:?}: expected csv, libsvm, recordio, recordio-protobuf, jsonl, json, tfrecord, parquet or a SageMaker content type such as text/csv;label_size=0"
                )));
            }
        };
        let mut label_size = None;
        for param in parts {
            let (k, v) = param.split_once('=').ok_or_else(|| {
                Error::config(format!("bad content type parameter {param:?} in {s:?}"))
            })?;
            match (k.trim().to_ascii_lowercase().as_str(), format) {
                ("label_size", Format::Csv) => {
                    label_size = Some(v.trim().parse().map_err(|_| {
                        Error::config(format!(
                            "label_size must be a non-negative integer, not {v:?}"
                        ))
                    })?);
                }
                (k, _) => {
                    return Err(Error::config(format!(
                        "content type parameter {k:?} is not supported for {format}"
                    )));
                }
            }
        }
        Ok(FormatSpec { format, label_size })
    }
}

impl From<Format> for FormatSpec {
    fn from(format: Format) -> FormatSpec {
        FormatSpec {
            format,
            label_size: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_content_types() {
        let s: FormatSpec = "text/csv;label_size=0".parse().unwrap();
        assert_eq!(
            s,
            FormatSpec {
                format: Format::Csv,
                label_size: Some(0)
            }
        );
        assert_eq!(
            "TEXT/X-LIBSVM".parse::<FormatSpec>().unwrap().format,
            Format::Libsvm
        );
        assert_eq!(
            "application/x-recordio-protobuf"
                .parse::<FormatSpec>()
                .unwrap()
                .format,
            Format::RecordioProtobuf
        );
        assert!("text/csv;label_size=x".parse::<FormatSpec>().is_err());
        assert!("text/libsvm;label_size=1".parse::<FormatSpec>().is_err());
        assert!("parquet2".parse::<FormatSpec>().is_err());
        for f in Format::ALL {
            assert_eq!(f.name().parse::<FormatSpec>().unwrap().format, f);
            assert_eq!(f.content_type().parse::<FormatSpec>().unwrap().format, f);
            assert_eq!(
                Format::from_path(&format!("x/y.{}", f.extension())),
                Some(f)
            );
        }
    }

    #[test]
    fn maps_extensions_and_sniffs_content() {
        assert_eq!(Format::from_path("a/train.csv.gz"), Some(Format::Csv));
        assert_eq!(Format::from_path("train"), None);
        assert_eq!(Format::sniff(b"1 0:1.5 3:2\n"), Some(Format::Libsvm));
        assert_eq!(Format::sniff(b"1,2,3\n"), Some(Format::Csv));
        // A label-only first row (a LibSVM row without features) decides
        // nothing; the next line does.
        assert_eq!(Format::sniff(b"1\n\n0 1:2 3:4\n"), Some(Format::Libsvm));
        assert_eq!(Format::sniff(b"1\n0,1,2\n"), Some(Format::Csv));
        assert_eq!(Format::sniff(b"1\n0\n"), Some(Format::Csv));
        assert_eq!(Format::sniff(b"x\n0 1:2\n"), Some(Format::Csv));
        assert_eq!(
            Format::sniff(&[0x0a, 0x23, 0xd7, 0xce, 0, 0, 0, 0]),
            Some(Format::RecordioProtobuf)
        );
        assert_eq!(Format::sniff(b""), None);
        assert_eq!(
            Format::sniff(b"{\"features\": [1, 2]}\n"),
            Some(Format::Jsonl)
        );
        assert_eq!(
            Format::sniff(b" {\"instances\": [{\"features\": [1]}]}"),
            Some(Format::Json)
        );
        assert_eq!(Format::sniff(b"[[1,2],[3,4]]"), Some(Format::Json));
        let mut tf = Vec::new();
        crate::codec::tfrecord::encode_record(&mut tf, b"hello");
        assert_eq!(Format::sniff(&tf), Some(Format::Tfrecord));
        assert_eq!(Format::from_path("a/b.ndjson"), Some(Format::Jsonl));
        assert_eq!(
            Format::from_path("a/b.tfrecords.gz"),
            Some(Format::Tfrecord)
        );
        assert_eq!(Format::sniff(b"PAR1\x15\x04"), Some(Format::Parquet));
        assert_eq!(Format::from_path("d/x.PQ"), Some(Format::Parquet));
    }
}
