//! Helpers shared by the unit tests (compiled only for `cargo test`).

/// Marsaglia's xorshift64 (shifts 13, 7, 17): a fixed, seedable sequence
/// of pseudo-random words for generated test inputs. Not for statistics.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    /// The next word (the seed must not be zero).
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = xorshift(self.0);
        self.0
    }
}

/// One step of [`XorShift`]: the word after `x`.
pub(crate) fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}
