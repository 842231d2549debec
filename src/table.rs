//! Typed tables (placeholder, filled in below).

use crate::convert::{ConvertOptions, Summary};
use crate::error::{Error, Result};
use crate::format::FormatSpec;
use crate::store::Input;

/// Converts a typed table.
pub fn convert(
    _input: Input,
    _from: &FormatSpec,
    _to: &FormatSpec,
    _sink: &mut dyn FnMut(&[u8]) -> Result<()>,
    _opts: &ConvertOptions,
    _summary: Summary,
) -> Result<Summary> {
    Err(Error::unsupported("typed tables are not done yet"))
}
