//! The integration test binary: one binary, one module per area.

mod it;
