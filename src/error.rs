//! The error type of the library.
//!
//! Every error carries a [`Position`]: the file (when known), the record and
//! line (both shown 1-based) and the absolute byte offset where the problem
//! starts. I/O errors are kept intact (see [`Error::io_error`]) so that a
//! caller can tell a broken pipe from a full disk.

use std::fmt;
use std::io;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the input an error happened. All fields are optional because a
/// codec seldom knows all of them; the layers above fill in what they know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// The file or URI being read or written.
    pub file: Option<String>,
    /// 0-based index of the record (shown 1-based).
    pub record: Option<u64>,
    /// 0-based line number for text formats (shown 1-based).
    pub line: Option<u64>,
    /// Absolute byte offset from the start of the input.
    pub byte: Option<u64>,
    /// 0-based field (column or token) within the record (shown 1-based).
    pub field: Option<u64>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(line) = self.line {
            parts.push(format!("line {}", line + 1));
        }
        if let Some(record) = self.record
            && self.line.is_none()
        {
            parts.push(format!("record {}", record + 1));
        }
        if let Some(field) = self.field {
            parts.push(format!("field {}", field + 1));
        }
        if let Some(byte) = self.byte {
            parts.push(format!("byte offset {byte}"));
        }
        match (&self.file, parts.is_empty()) {
            (Some(file), true) => write!(f, "{file}"),
            (Some(file), false) => write!(f, "{file}: {}", parts.join(", ")),
            (None, _) => write!(f, "{}", parts.join(", ")),
        }
    }
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An I/O error from the operating system, kept intact.
    Io(io::Error),
    /// The input does not follow its format. `format` is the short format
    /// name (`csv`, `recordio`, ...), `msg` says what was expected.
    Syntax {
        /// Short name of the format being decoded.
        format: &'static str,
        /// What was found and what was expected.
        msg: String,
    },
    /// The input ends inside a record.
    Truncated {
        /// Short name of the format being decoded.
        format: &'static str,
        /// Bytes the record needs.
        needed: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// A record is larger than the format or the configured limit allows.
    TooLarge {
        /// Size of the record in bytes.
        len: u64,
        /// The largest size allowed.
        max: u64,
    },
    /// The data is valid but cannot be represented in the output (for
    /// example a sparse record written to a dense format without a width).
    Unsupported(String),
    /// Options or arguments that do not fit together; nothing was read.
    Config(String),
    /// A bug in sm-data (a worker panicked). Please report it.
    Internal(String),
    /// A request to S3 (or an S3-compatible store) failed after its
    /// retries. The position names the `s3://` URI.
    S3 {
        /// The S3 operation, e.g. `GetObject` or `UploadPart`.
        operation: &'static str,
        /// The S3 error code (`NoSuchKey`, `NoSuchBucket`, `AccessDenied`,
        /// `SignatureDoesNotMatch`, ...) when the service sent one; else a
        /// client-side cause such as `DispatchFailure` (the endpoint could
        /// not be reached) or `Timeout`.
        code: String,
        /// The service's message, or the chain of client-side causes.
        message: String,
    },
}

/// The error type of every fallible operation in this crate.
#[derive(Debug)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    pos: Position,
}

impl Error {
    /// Builds an error of the given kind with an empty position.
    pub fn new(kind: ErrorKind) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                pos: Position::default(),
            }),
        }
    }

    /// A syntax error in `format`.
    pub fn syntax(format: &'static str, msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Syntax {
            format,
            msg: msg.into(),
        })
    }

    /// A configuration error.
    pub fn config(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config(msg.into()))
    }

    /// Data that cannot be represented in the requested output.
    pub fn unsupported(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported(msg.into()))
    }

    /// The kind of error.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// Where the error happened.
    pub fn position(&self) -> &Position {
        &self.inner.pos
    }

    /// Mutable access to the position, for layers that learn more of it.
    pub fn position_mut(&mut self) -> &mut Position {
        &mut self.inner.pos
    }

    /// The underlying I/O error, if this is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        match &self.inner.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }

    /// True for errors caused by a reader that went away (EPIPE).
    pub fn is_broken_pipe(&self) -> bool {
        self.io_error()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The S3 error code (`NoSuchKey`, `AccessDenied`, ...) of an
    /// [`ErrorKind::S3`] error.
    pub fn s3_code(&self) -> Option<&str> {
        match &self.inner.kind {
            ErrorKind::S3 { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True for configuration errors (bad options, nothing was read).
    pub fn is_config(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Config(_))
    }

    /// Sets the byte offset if it is not set yet.
    pub fn at_byte(mut self, byte: u64) -> Error {
        self.inner.pos.byte.get_or_insert(byte);
        self
    }

    /// Sets the record index (0-based) if it is not set yet.
    pub fn at_record(mut self, record: u64) -> Error {
        self.inner.pos.record.get_or_insert(record);
        self
    }

    /// Sets the line number (0-based) if it is not set yet.
    pub fn at_line(mut self, line: u64) -> Error {
        self.inner.pos.line.get_or_insert(line);
        self
    }

    /// Sets the field index (0-based) if it is not set yet.
    pub fn at_field(mut self, field: u64) -> Error {
        self.inner.pos.field.get_or_insert(field);
        self
    }

    /// Sets the file name if it is not set yet.
    pub fn in_file(mut self, file: impl Into<String>) -> Error {
        if self.inner.pos.file.is_none() {
            self.inner.pos.file = Some(file.into());
        }
        self
    }

    /// Shifts chunk-relative record, line and byte positions by the given
    /// bases. Used by the parallel pipeline, whose workers only know where
    /// they are inside their chunk.
    pub fn shift(mut self, record_base: u64, line_base: u64, byte_base: u64) -> Error {
        let pos = &mut self.inner.pos;
        if let Some(r) = pos.record.as_mut() {
            *r += record_base;
        }
        if let Some(l) = pos.line.as_mut() {
            *l += line_base;
        }
        if let Some(b) = pos.byte.as_mut() {
            *b += byte_base;
        }
        self
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "I/O error: {e}"),
            ErrorKind::Syntax { format, msg } => write!(f, "invalid {format}: {msg}"),
            ErrorKind::Truncated {
                format,
                needed,
                available,
            } => write!(
                f,
                "truncated {format}: the record needs {needed} more bytes but only {available} are left"
            ),
            ErrorKind::TooLarge { len, max } => write!(
                f,
                "record of {len} bytes is too large (the limit is {max} bytes)"
            ),
            ErrorKind::Unsupported(msg) => write!(f, "{msg}"),
            ErrorKind::Config(msg) => write!(f, "{msg}"),
            ErrorKind::Internal(msg) => write!(
                f,
                "internal error (a bug in sm-data, please report it): {msg}"
            ),
            ErrorKind::S3 {
                operation,
                code,
                message,
            } => write!(f, "S3 {operation} failed: {code}: {message}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pos = self.inner.pos.to_string();
        if pos.is_empty() {
            write!(f, "{}", self.inner.kind)
        } else {
            write!(f, "{pos}: {}", self.inner.kind)
        }
    }
}

/// The message of an I/O error is part of this error's `Display`, so it is
/// not also returned by `source` (error reporters print both); use
/// [`Error::io_error`] to get at it.
impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        match e.inner.kind {
            ErrorKind::Io(io) => io,
            _ => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_offset() {
        let e = Error::syntax("csv", "expected a number, found \"abc\"")
            .at_line(2)
            .at_field(3)
            .at_byte(10)
            .in_file("data.csv");
        assert_eq!(
            e.to_string(),
            "data.csv: line 3, field 4, byte offset 10: invalid csv: expected a number, found \"abc\""
        );
    }

    #[test]
    fn shift_moves_relative_positions() {
        let e = Error::syntax("libsvm", "x")
            .at_line(1)
            .at_record(1)
            .at_byte(5)
            .shift(10, 20, 100);
        assert_eq!(e.position().line, Some(21));
        assert_eq!(e.position().record, Some(11));
        assert_eq!(e.position().byte, Some(105));
    }

    #[test]
    fn io_errors_stay_intact() {
        let e: Error = io::Error::new(io::ErrorKind::BrokenPipe, "gone").into();
        assert!(e.is_broken_pipe());
        let back: io::Error = e.into();
        assert_eq!(back.kind(), io::ErrorKind::BrokenPipe);
    }
}

thread_local! {
    static EXPECTED_PANICS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// True while the current thread runs a call into a third-party decoder
/// whose panics sm-data catches and reports as located errors (arrow-rs
/// panics on some corrupt Parquet files instead of returning an error). A
/// program's panic hook can stay quiet then: the error that follows says
/// what happened and where. The `sm-data` binary's hook does.
pub fn panic_is_expected() -> bool {
    EXPECTED_PANICS.with(|c| c.get() > 0)
}

/// Runs `f`, catching a panic, with [`panic_is_expected`] true meanwhile.
#[cfg(feature = "parquet")]
pub(crate) fn catch_expected_panic<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    struct Expecting;
    impl Drop for Expecting {
        fn drop(&mut self) {
            EXPECTED_PANICS.with(|c| c.set(c.get() - 1));
        }
    }
    EXPECTED_PANICS.with(|c| c.set(c.get() + 1));
    let _expecting = Expecting;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
}
