//! One module per subcommand: parse flags, call the library, print.

pub mod convert;
pub mod count;
pub mod inspect;
pub mod manifest;
pub mod pipe;
pub mod shard;
pub mod validate;
