//! Whole-chunk JSON syntax check for JSON Lines whose lines only need to
//! be JSON objects (the `generic` checks and every schema without fields
//! of its own): a SIMD classification of 64-byte blocks into bit masks
//! (quotes, backslashes, structural characters, whitespace), as in
//! simdjson's first stage, and a small state machine over the resulting
//! tokens, so that string contents and whitespace cost no per-byte work.
//!
//! The scan only vouches for lines: each line is [`Verdict::Blank`],
//! [`Verdict::Clean`] (certainly one valid JSON object, as `serde_json`
//! reads it) or [`Verdict::Unsure`], which the caller checks the slow way
//! (and which is where every finding comes from). Anything out of the
//! ordinary — a BOM, a lone surrogate, a number near `f64`'s range,
//! deep nesting — is `Unsure`, never `Clean`.

use super::jsongrammar::{MAX_DEPTH, escape_end, number_end};
#[cfg(any(test, not(target_arch = "x86_64")))]
use super::number::Portable;
#[cfg(target_arch = "x86_64")]
use super::number::{Avx2, Avx512, Sse2};
#[cfg(target_arch = "x86_64")]
use super::number::{Level, level};
use super::number::{PREFETCH, json_array_end, multiversion, prefetch};

/// What [`json_lines`] found for one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Spaces, tabs and carriage returns only (what `trim` empties).
    Blank,
    /// One JSON object between optional whitespace.
    Clean,
    /// Possibly invalid: to be checked line by line.
    Unsure,
}

/// Bit masks of a 64-byte block (bit `i` for byte `i`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct JsonMasks {
    quote: u64,
    backslash: u64,
    /// Space, tab and carriage return.
    space: u64,
    newline: u64,
    /// `{ } [ ] : ,`
    structural: u64,
    /// `{`, `}`, `:`, `,` and `[` or `]`, each on its own (for [`flat`]).
    open: u64,
    close: u64,
    colon: u64,
    comma: u64,
    bracket: u64,
    /// The bytes of numbers, each on its own (for [`flat`]): `0`-`9`,
    /// `0`, `.`, `-`, `e` or `E`, `+`.
    digit: u64,
    zero: u64,
    dot: u64,
    minus: u64,
    exp: u64,
    plus: u64,
    /// Bytes below 0x20.
    control: u64,
    /// Bytes above 0x7F.
    high: u64,
}

/// How [`json_lines`] computes the [`JsonMasks`] of a block, one copy per
/// instruction set (as `number::Masker`).
pub(super) trait JsonMasker {
    /// Whether lines are checked as flat objects from the masks first
    /// ([`flat`]): the copies whose CPUs have a fast [`JsonMasker::pext`].
    const FLAT: bool = false;
    /// The masks of `b`.
    fn json64(b: &[u8; 64]) -> JsonMasks;
    /// The bits of `x` where `m` has ones, packed at the bottom (BMI2's
    /// PEXT).
    #[inline(always)]
    fn pext(x: u64, m: u64) -> u64 {
        pext_portable(x, m)
    }
}

/// [`JsonMasker::pext`] a bit at a time.
#[inline]
fn pext_portable(x: u64, mut m: u64) -> u64 {
    let (mut out, mut k) = (0, 0);
    while m != 0 {
        out |= (x >> m.trailing_zeros() & 1) << k;
        k += 1;
        m &= m - 1;
    }
    out
}

#[cfg(target_arch = "x86_64")]
impl JsonMasker for Sse2 {
    #[inline(always)]
    fn json64(b: &[u8; 64]) -> JsonMasks {
        use std::arch::x86_64::*;
        let mut m = JsonMasks::default();
        for k in 0..4 {
            // SAFETY: SSE2 is part of x86-64, so these intrinsics are
            // always available; `b[16 * k..]` holds 16 readable bytes
            // (k < 4) and the load is unaligned.
            let (q, s, w, n, t, c, h, [o, e, l, a, r, d, z, p, i, x, u]) = unsafe {
                let v = _mm_loadu_si128(b.as_ptr().add(16 * k).cast::<__m128i>());
                let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let open = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'{' as i8));
                let close = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'}' as i8));
                let colon = _mm_cmpeq_epi8(v, _mm_set1_epi8(b':' as i8));
                let comma = _mm_cmpeq_epi8(v, _mm_set1_epi8(b',' as i8));
                let bracket = _mm_or_si128(
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'[' as i8)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b']' as i8)),
                );
                // v - '0' (wrapping) at most 9.
                let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
                let digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
                let st = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8)),
                        _mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8)),
                    ),
                    _mm_or_si128(colon, comma),
                );
                let sp = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\t' as i8)),
                    ),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\r' as i8)),
                );
                (
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))),
                    _mm_movemask_epi8(sp),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8))),
                    _mm_movemask_epi8(st),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v)),
                    _mm_movemask_epi8(v),
                    [
                        open,
                        close,
                        colon,
                        comma,
                        bracket,
                        digit,
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'0' as i8)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'-' as i8)),
                        _mm_cmpeq_epi8(folded, _mm_set1_epi8(b'e' as i8)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'+' as i8)),
                    ]
                    .map(|x| _mm_movemask_epi8(x)),
                )
            };
            let at = 16 * k;
            m.quote |= (q as u16 as u64) << at;
            m.backslash |= (s as u16 as u64) << at;
            m.space |= (w as u16 as u64) << at;
            m.newline |= (n as u16 as u64) << at;
            m.structural |= (t as u16 as u64) << at;
            m.control |= (c as u16 as u64) << at;
            m.high |= (h as u16 as u64) << at;
            m.open |= (o as u16 as u64) << at;
            m.close |= (e as u16 as u64) << at;
            m.colon |= (l as u16 as u64) << at;
            m.comma |= (a as u16 as u64) << at;
            m.bracket |= (r as u16 as u64) << at;
            m.digit |= (d as u16 as u64) << at;
            m.zero |= (z as u16 as u64) << at;
            m.dot |= (p as u16 as u64) << at;
            m.minus |= (i as u16 as u64) << at;
            m.exp |= (x as u16 as u64) << at;
            m.plus |= (u as u16 as u64) << at;
        }
        m
    }
}

/// The AVX2 copy classifies in 16-byte steps too (VEX-encoded, as it is
/// compiled with AVX2): with 32-byte steps `json_lines`' AVX2 copy came out
/// at 45 KiB of code against 14 KiB, and took 1.6 s for the 1 GB JSON Lines
/// benchmark file (`validate -a generic -j 1`) against 1.0 s.
#[cfg(target_arch = "x86_64")]
impl JsonMasker for Avx2 {
    #[inline(always)]
    fn json64(b: &[u8; 64]) -> JsonMasks {
        Sse2::json64(b)
    }
}

#[cfg(target_arch = "x86_64")]
impl JsonMasker for Avx512 {
    const FLAT: bool = true;

    #[inline(always)]
    fn pext(x: u64, m: u64) -> u64 {
        // SAFETY: the AVX-512 copies enable BMI2 (`level` requires it).
        unsafe { std::arch::x86_64::_pext_u64(x, m) }
    }

    #[inline(always)]
    fn json64(b: &[u8; 64]) -> JsonMasks {
        use std::arch::x86_64::*;
        // SAFETY: only reached from `#[target_feature(enable =
        // "avx512bw")]` copies, run after `level` detected AVX-512BW; `b`
        // is 64 readable bytes and the load is unaligned.
        unsafe {
            let v = _mm512_loadu_si512(b.as_ptr().cast::<__m512i>());
            let folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
            let colon = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b':' as i8));
            let comma = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b',' as i8));
            JsonMasks {
                quote: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'"' as i8)),
                backslash: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8)),
                space: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b' ' as i8))
                    | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\t' as i8))
                    | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\r' as i8)),
                newline: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\n' as i8)),
                structural: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'{' as i8))
                    | _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'}' as i8))
                    | colon
                    | comma,
                open: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'{' as i8)),
                close: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'}' as i8)),
                colon,
                comma,
                bracket: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'[' as i8))
                    | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b']' as i8)),
                digit: _mm512_cmplt_epu8_mask(
                    _mm512_sub_epi8(v, _mm512_set1_epi8(b'0' as i8)),
                    _mm512_set1_epi8(10),
                ),
                zero: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'0' as i8)),
                dot: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'.' as i8)),
                minus: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'-' as i8)),
                exp: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'e' as i8)),
                plus: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'+' as i8)),
                control: _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20)),
                high: _mm512_movepi8_mask(v),
            }
        }
    }
}

#[cfg(any(test, not(target_arch = "x86_64")))]
impl JsonMasker for Portable {
    #[inline(always)]
    fn json64(b: &[u8; 64]) -> JsonMasks {
        json64_portable(b)
    }
}

/// [`JsonMasker::json64`] a byte at a time (other targets; the SIMD
/// copies are tested against it).
#[cfg(any(test, not(target_arch = "x86_64")))]
fn json64_portable(b: &[u8; 64]) -> JsonMasks {
    let mut m = JsonMasks::default();
    for (i, &c) in b.iter().enumerate() {
        let bit = 1u64 << i;
        let set = |mask: &mut u64, on: bool| *mask |= if on { bit } else { 0 };
        set(&mut m.quote, c == b'"');
        set(&mut m.backslash, c == b'\\');
        set(&mut m.space, matches!(c, b' ' | b'\t' | b'\r'));
        set(&mut m.newline, c == b'\n');
        set(
            &mut m.structural,
            matches!(c, b'{' | b'}' | b'[' | b']' | b':' | b','),
        );
        set(&mut m.open, c == b'{');
        set(&mut m.close, c == b'}');
        set(&mut m.colon, c == b':');
        set(&mut m.comma, c == b',');
        set(&mut m.bracket, matches!(c, b'[' | b']'));
        set(&mut m.digit, c.is_ascii_digit());
        set(&mut m.zero, c == b'0');
        set(&mut m.dot, c == b'.');
        set(&mut m.minus, c == b'-');
        set(&mut m.exp, matches!(c, b'e' | b'E'));
        set(&mut m.plus, c == b'+');
        set(&mut m.control, c < 0x20);
        set(&mut m.high, c >= 0x80);
    }
    m
}

/// Each bit set to the XOR of itself and every lower bit: 1 from an
/// opening quote up to (not including) its closing quote.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The bytes escaped by a backslash other than backslashes: those right
/// after an odd-length run of backslashes (simdjson's
/// `find_odd_backslash_sequences`). `carry` is
/// 1 when the previous block ended in an odd run, and is updated.
#[inline(always)]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    const ODD: u64 = !EVEN;
    if backslash == 0 && *carry == 0 {
        return 0;
    }
    let starts = backslash & !(backslash << 1);
    // A run continued from the previous block has its start before bit 0:
    // flip the parity of the start positions.
    let even_start_mask = EVEN ^ *carry;
    let even_starts = starts & even_start_mask;
    let odd_starts = starts & !even_start_mask;
    let even_carries = backslash.wrapping_add(even_starts);
    let (mut odd_carries, ends_odd) = backslash.overflowing_add(odd_starts);
    odd_carries |= *carry;
    *carry = u64::from(ends_odd);
    let even_carry_ends = even_carries & !backslash;
    let odd_carry_ends = odd_carries & !backslash;
    (even_carry_ends & ODD) | (odd_carry_ends & EVEN)
}

/// The state carried from block to block by the classification.
#[derive(Debug, Default, Clone, Copy)]
struct Carry {
    /// All ones when the previous block ended inside a string.
    in_string: u64,
    /// 1 when the previous block ended in an odd run of backslashes.
    escape: u64,
    /// 1 when the previous block ended inside a bare value (number or
    /// literal).
    scalar: u64,
}

impl Carry {
    /// The tokens of a block — opening quotes, structural characters and
    /// newlines outside strings, the first byte of each bare value — and
    /// the subset of them inside strings (escaped bytes and control
    /// characters, which need a look).
    #[inline(always)]
    fn tokens(&mut self, m: &JsonMasks) -> (u64, u64) {
        let s = self.split(m);
        (
            s.opening | (s.outside & (m.structural | m.newline)) | s.starts | s.special,
            s.special,
        )
    }

    /// The block's bytes by where they are: the state machine under
    /// [`Carry::tokens`] and [`flat`].
    #[inline(always)]
    fn split(&mut self, m: &JsonMasks) -> Split {
        let esc = escaped(m.backslash, &mut self.escape);
        let quote = m.quote & !esc;
        let in_string = prefix_xor(quote) ^ self.in_string;
        self.in_string = ((in_string as i64) >> 63) as u64;
        let inside = in_string & !quote;
        let outside = !(in_string | quote);
        let scalar = outside & !(m.structural | m.space | m.newline);
        let continued = self.scalar;
        let starts = scalar & !((scalar << 1) | continued);
        self.scalar = scalar >> 63;
        Split {
            opening: quote & in_string,
            outside,
            scalar,
            continued,
            starts,
            special: inside & (esc | m.control),
        }
    }
}

/// A block's bytes by where they are ([`Carry::split`]).
#[derive(Debug, Clone, Copy)]
struct Split {
    /// Opening quotes.
    opening: u64,
    /// Bytes outside strings (quotes excluded).
    outside: u64,
    /// The bytes of bare values.
    scalar: u64,
    /// 1 when the previous block ended in a bare value.
    continued: u64,
    /// The first byte of each bare value.
    starts: u64,
    /// Escaped bytes and control characters inside strings.
    special: u64,
}

/// The tokens of a chunk, in order, block by block: the classification
/// of [`Carry::tokens`] with the bytes inside strings that need a look
/// checked on the way (escapes, control characters).
struct Tokens<'a, M> {
    data: &'a [u8],
    /// Where the current block starts, and the next.
    pos: usize,
    next_block: usize,
    /// The tokens of the current block not yet returned.
    bits: u64,
    /// The tokens of the current block that are inside strings.
    special: u64,
    /// The bytes above 0x7F of the current block.
    high: u64,
    carry: Carry,
    /// The first byte above 0x7F since the current line started, if any.
    high_at: usize,
    /// The position of the `u` of the low surrogate that completes the
    /// last high surrogate (checked with it), if any.
    paired_low: usize,
    /// Where [`Tokens::next`] stopped: the byte inside a string that
    /// makes the line `Unsure`, or the end of the data.
    stop: usize,
    masker: std::marker::PhantomData<M>,
}

impl<'a, M: JsonMasker> Tokens<'a, M> {
    fn new(data: &'a [u8]) -> Self {
        Tokens {
            data,
            pos: 0,
            next_block: 0,
            bits: 0,
            special: 0,
            high: 0,
            carry: Carry::default(),
            high_at: usize::MAX,
            paired_low: usize::MAX,
            stop: 0,
            masker: std::marker::PhantomData,
        }
    }

    /// Starts over at `at` (a line start), outside any string.
    fn restart(&mut self, at: usize) {
        self.skip_to(at);
        self.high_at = usize::MAX;
    }

    /// Goes on at `at`, outside any string, after bytes that are all
    /// ASCII (the line's UTF-8 watch is kept).
    fn skip_to(&mut self, at: usize) {
        self.next_block = at;
        self.bits = 0;
        self.carry = Carry::default();
    }

    /// Skips the array of numbers whose `[` is at `open` when
    /// [`json_array_end`] vouches for it (true), so that the next token is
    /// the one after its `]`.
    #[inline(always)]
    fn number_array(&mut self, open: usize) -> bool {
        match json_array_end(self.data, open) {
            Some((_, end)) => {
                self.skip_to(end);
                true
            }
            None => false,
        }
    }

    /// The next token (outside strings); `None` at the end of the data
    /// or at a byte inside a string that makes the line `Unsure` (then
    /// at [`Tokens::stop`]).
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.bits != 0 {
                let i = self.bits.trailing_zeros() as usize;
                self.bits &= self.bits - 1;
                let p = self.pos + i;
                if self.special >> i & 1 == 0 {
                    return Some(p);
                }
                // An escaped byte past the end is padding.
                if p >= self.data.len() || !self.inside(p) {
                    self.stop = p.min(self.data.len());
                    return None;
                }
                continue;
            }
            if !self.refill() {
                self.stop = self.data.len();
                return None;
            }
        }
    }

    /// Classifies the next block; false at the end of the data.
    #[inline(always)]
    fn refill(&mut self) -> bool {
        match self.block() {
            Some(masks) => {
                (self.bits, self.special) = self.carry.tokens(&masks);
                true
            }
            None => false,
        }
    }

    /// The masks of the next block (now the current one, at
    /// [`Tokens::pos`]), its high bytes noted for [`Tokens::utf8_until`];
    /// `None` at the end of the data.
    #[inline(always)]
    fn block(&mut self) -> Option<JsonMasks> {
        let (data, pos) = (self.data, self.next_block);
        if pos >= data.len() {
            return None;
        }
        let block: [u8; 64] = match data.get(pos..pos + 64) {
            Some(b) => b.try_into().expect("64 bytes"),
            None => {
                let mut b = [b' '; 64];
                b[..data.len() - pos].copy_from_slice(&data[pos..]);
                b
            }
        };
        prefetch(data, pos + PREFETCH);
        let masks = M::json64(&block);
        if masks.high != 0 && self.high_at == usize::MAX {
            self.high_at = pos + masks.high.trailing_zeros() as usize;
        }
        self.high = masks.high;
        self.pos = pos;
        self.next_block = pos + 64;
        Some(masks)
    }

    /// Whether the line from `start` to the newline token at `end` (or
    /// the end of the data) is valid UTF-8; moves the UTF-8 watch on to
    /// the next line.
    #[inline(always)]
    fn utf8_until(&mut self, start: usize, end: usize) -> bool {
        if self.high_at >= end {
            return true;
        }
        let ok = std::str::from_utf8(&self.data[start..end]).is_ok();
        let later = if end >= self.pos && end < self.pos + 64 {
            self.high & (u64::MAX << (end - self.pos))
        } else {
            0
        };
        self.high_at = if later == 0 {
            usize::MAX
        } else {
            self.pos + later.trailing_zeros() as usize
        };
        ok
    }

    /// A byte inside a string that needs a look (`p` is escaped, or a
    /// control character); false when the line is `Unsure`.
    #[cold]
    fn inside(&mut self, p: usize) -> bool {
        // The `u` of the low half of a pair already checked with its high
        // half (on its own, a low surrogate is not valid).
        if p == self.paired_low {
            return true;
        }
        // Control characters, raw or escaped, fail as unknown escapes.
        match escape_end(self.data, p) {
            Some(end) => {
                if end == p + 11 {
                    self.paired_low = p + 6;
                }
                true
            }
            None => false,
        }
    }
}

/// The closing byte of an object (`true`) or array.
#[inline(always)]
fn close_of(object: bool) -> u8 {
    if object { b'}' } else { b']' }
}

/// The rest of the object whose `{` was the last token: `Ok` after its
/// closing `}`, `Err(p)` with a position in the line when it is not valid
/// (or not certainly so).
///
/// Written as loops over tokens rather than a table of states: inside a
/// container the usual sequence (key, `:`, value, `,`) is straight-line
/// code whose branches predict well; only opening and closing nested
/// containers move between the loops.
#[inline(always)]
fn object<M: JsonMasker>(t: &mut Tokens<'_, M>) -> Result<(), usize> {
    let data = t.data;
    // One bit per open container, the innermost lowest: 1 for an object.
    let mut stack: u128 = 1;
    let mut depth = 1;
    let mut first = true;
    let mut p = t.next().ok_or(t.stop)?;
    'containers: loop {
        let object = stack & 1 == 1;
        let close = close_of(object);
        // The elements of the innermost container, from `p`.
        loop {
            let mut c = data[p];
            if first && c == close {
                break;
            }
            first = false;
            if object {
                if c != b'"' {
                    return Err(p);
                }
                p = t.next().ok_or(t.stop)?;
                if data[p] != b':' {
                    return Err(p);
                }
                p = t.next().ok_or(t.stop)?;
                c = data[p];
            }
            match c {
                b'"' => {}
                // An array of numbers, checked as a whole (a value).
                b'[' if depth < MAX_DEPTH && t.number_array(p) => {}
                b'{' | b'[' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(p);
                    }
                    stack = (stack << 1) | u128::from(c == b'{');
                    first = true;
                    p = t.next().ok_or(t.stop)?;
                    continue 'containers;
                }
                b'}' | b']' | b',' | b':' | b'\n' => return Err(p),
                _ if bare(data, p) => {}
                _ => return Err(p),
            }
            p = t.next().ok_or(t.stop)?;
            match data[p] {
                b',' => p = t.next().ok_or(t.stop)?,
                c if c == close => break,
                _ => return Err(p),
            }
        }
        // The container closed at `p`: close the enclosing ones that end
        // here too, or go on after a `,`.
        loop {
            depth -= 1;
            stack >>= 1;
            if depth == 0 {
                return Ok(());
            }
            p = t.next().ok_or(t.stop)?;
            match data[p] {
                b',' => {
                    p = t.next().ok_or(t.stop)?;
                    first = false;
                    continue 'containers;
                }
                c if c == close_of(stack & 1 == 1) => {}
                _ => return Err(p),
            }
        }
    }
}

/// The tokens of the lines checked so far by [`flat`] that its rules
/// look back at: bit 0 of each field is set when the last token was one.
#[derive(Debug, Clone, Copy)]
struct Last {
    newline: u64,
    open: u64,
    close: u64,
    colon: u64,
    comma: u64,
    /// A string that is a key (after `{` or `,`).
    key: u64,
    /// A value: a string after `:`, or a bare value.
    value: u64,
}

/// Lines of flat objects — `{"key": value, ...}` with strings, numbers
/// and literals as values — checked a block at a time from the masks,
/// from `line` (a line start, where `t` was restarted) on: the tokens'
/// classes are packed in token order ([`JsonMasker::pext`]) and every
/// token checked against the one or two before it with a few mask
/// operations, instead of walking the tokens one by one. In such a line
/// the tokens run `{` (key `:` value (`,` key `:` value)*)? `}` and each
/// token's predecessor decides whether it may come: `{` after a newline,
/// a string after `{`, `,` or `:` (a key after the first two, a value
/// after `:`), `:` after a key, `,` after a value, `}` after `{` or a
/// value, a bare value after `:`, a newline after `}` or a newline (a
/// blank line). Bare values are then read one by one ([`bare`]), as are
/// the bytes in strings that need a look ([`Tokens::inside`]).
///
/// Calls `each` for every line it vouches for, as [`json_lines_with`]
/// does, and returns `Ok(lines)` at the end of the data, or `Err((start,
/// lines))` at the start of a line it cannot vouch for (nested
/// containers, or an error), which the caller walks, restarting there.
#[inline(always)]
fn flat<M: JsonMasker>(
    t: &mut Tokens<'_, M>,
    mut line: usize,
    each: &mut dyn FnMut(usize, usize, Verdict),
) -> Result<usize, (usize, usize)> {
    let data = t.data;
    let mut lines = 0;
    let mut last = Last {
        newline: 1,
        open: 0,
        close: 0,
        colon: 0,
        comma: 0,
        key: 0,
        value: 0,
    };
    while let Some(m) = t.block() {
        let pos = t.pos;
        let s = t.carry.split(&m);
        let newline = s.outside & m.newline;
        let tokens = s.opening
            | s.starts
            | (s.outside & (m.open | m.close | m.colon | m.comma | m.bracket | m.newline));
        // The first position that breaks the rules, if any.
        let mut wrong = usize::MAX;
        let mut blanks = 0;
        if tokens != 0 {
            let packed = |x: u64| M::pext(x, tokens);
            let nl = packed(newline);
            let open = packed(s.outside & m.open);
            let close = packed(s.outside & m.close);
            let colon = packed(s.outside & m.colon);
            let comma = packed(s.outside & m.comma);
            let string = packed(s.opening);
            let bare_value = packed(s.starts);
            // Each token's predecessor (the last token before the block
            // for the first).
            let after_nl = (nl << 1) | last.newline;
            let after_open = (open << 1) | last.open;
            let after_close = (close << 1) | last.close;
            let after_colon = (colon << 1) | last.colon;
            let after_comma = (comma << 1) | last.comma;
            let key = string & (after_open | after_comma);
            let value = (string & after_colon) | bare_value;
            let after_key = (key << 1) | last.key;
            let after_value = (value << 1) | last.value;
            let bad = (open & !after_nl)
                | (string & !(after_open | after_comma | after_colon))
                | (colon & !after_key)
                | (comma & !after_value)
                | (close & !(after_value | after_open))
                | (nl & !(after_close | after_nl))
                | (bare_value & !after_colon)
                | packed(s.outside & m.bracket);
            if bad != 0 {
                wrong = pos + nth_one(tokens, bad.trailing_zeros()) as usize;
            }
            let top = tokens.count_ones() - 1;
            last = Last {
                newline: nl >> top & 1,
                open: open >> top & 1,
                close: close >> top & 1,
                colon: colon >> top & 1,
                comma: comma >> top & 1,
                key: key >> top & 1,
                value: value >> top & 1,
            };
            // Blank lines, one bit per newline in order.
            blanks = M::pext(nl & after_nl, nl);
        }
        let (mut starts, wrong_number) = numbers(&m, &s);
        if wrong_number != 0 {
            wrong = wrong.min(pos + wrong_number.trailing_zeros() as usize);
        }
        while starts != 0 {
            let p = pos + starts.trailing_zeros() as usize;
            if p >= wrong {
                break;
            }
            if !bare(data, p) {
                wrong = p;
                break;
            }
            starts &= starts - 1;
        }
        let mut special = s.special;
        while special != 0 {
            let p = pos + special.trailing_zeros() as usize;
            if p >= wrong {
                break;
            }
            // An escaped byte past the end is padding.
            if p >= data.len() || !t.inside(p) {
                wrong = p.min(data.len());
                break;
            }
            special &= special - 1;
        }
        let mut ends = newline;
        while ends != 0 {
            let p = pos + ends.trailing_zeros() as usize;
            if p >= wrong {
                break;
            }
            let v = if blanks & 1 == 1 {
                Verdict::Blank
            } else if t.utf8_until(line, p) {
                Verdict::Clean
            } else {
                Verdict::Unsure
            };
            each(line, p, v);
            lines += 1;
            line = p + 1;
            blanks >>= 1;
            ends &= ends - 1;
        }
        if wrong != usize::MAX {
            return Err((line, lines));
        }
    }
    // The last line, without a newline.
    if line < data.len() {
        let v = if last.newline == 1 {
            Verdict::Blank
        } else if last.close == 1 {
            if t.utf8_until(line, data.len()) {
                Verdict::Clean
            } else {
                Verdict::Unsure
            }
        } else {
            return Err((line, lines));
        };
        each(line, data.len(), v);
        lines += 1;
    }
    Ok(lines)
}

/// The numbers of a block checked from its masks, for [`flat`]: those
/// within the block that have no exponent, `-?(0|[1-9][0-9]*)(\.[0-9]+)?`
/// and nothing else. Returns the starts of the bare values left to
/// [`bare`] (literals, a value that runs on into the next block, every
/// value of a block with an exponent in it) and the bytes where a number
/// breaks the grammar. A value carried on from the previous block was
/// read by [`bare`] there.
#[inline(always)]
fn numbers(m: &JsonMasks, s: &Split) -> (u64, u64) {
    let scalar = s.scalar;
    if scalar == 0 {
        return (0, 0);
    }
    // An exponent: `e`/`E` after a digit, or `+`.
    if scalar & (m.plus | (m.exp & (m.digit << 1))) != 0 {
        return (s.starts, 0);
    }
    // The rest of the value carried on (trailing ones, when the previous
    // block ended in one), and the value that reaches the block's end.
    let carried = scalar & !scalar.wrapping_add(s.continued);
    let last = match s.starts {
        0 => 0,
        st => {
            let from = 63 - st.leading_zeros();
            if scalar >> from == u64::MAX >> from {
                1u64 << from
            } else {
                0
            }
        }
    };
    let words = s.starts & !last & !(m.digit | m.minus);
    let to_read = last | words;
    // The bytes of the values read by `bare` (the addition carries
    // through each value's run of bytes, clearing it).
    let read = scalar & !scalar.wrapping_add(to_read) | carried;
    let num = scalar & !read;
    let first = s.starts & num;
    let minus = num & m.minus;
    let dot = num & m.dot;
    let int = (first & m.digit) | ((first & minus) << 1);
    let wrong = (num & !(m.digit | m.dot | m.minus))
        // `-` only first, and a digit after it.
        | (minus & !first)
        | ((minus << 1) & !m.digit)
        // A digit after `.` (one before it follows: `.` is not first, as
        // values starting with it go to `bare`, and `-` or `.` before it
        // fail the rules for them), and no second `.`: the digits after
        // a `.` do not end at another.
        | ((dot << 1) & !m.digit)
        | (m.digit.wrapping_add(dot << 1) & dot)
        // No leading zero before another digit.
        | (((int & m.zero) << 1) & m.digit);
    (to_read, wrong)
}

/// The position of the `n`th set bit of `x` (from 0), which has one.
#[inline]
fn nth_one(mut x: u64, n: u32) -> u32 {
    for _ in 0..n {
        x &= x - 1;
    }
    x.trailing_zeros()
}

/// Bytes that end a bare value.
static ENDS_BARE: [bool; 256] = {
    let mut t = [false; 256];
    let ends = b" \t\r\n{}[]:,\"";
    let mut i = 0;
    while i < ends.len() {
        t[ends[i] as usize] = true;
        i += 1;
    }
    t
};

/// Whether the bare value (outside strings) starting at `p` is a valid
/// number or literal that ends where the run of bare bytes ends.
#[inline(always)]
fn bare(b: &[u8], p: usize) -> bool {
    let end = match b[p] {
        b't' => literal(b, p, b"true"),
        b'f' => literal(b, p, b"false"),
        b'n' => literal(b, p, b"null"),
        _ => number_end(b, p),
    };
    match end {
        Some(e) => b.get(e).is_none_or(|&c| ENDS_BARE[c as usize]),
        None => false,
    }
}

#[inline(always)]
fn literal(b: &[u8], p: usize, lit: &[u8]) -> Option<usize> {
    b[p..].starts_with(lit).then_some(p + lit.len())
}

multiversion! {
/// Calls `each(start, end, verdict)` for every line of `data` in order
/// (`data[start..end]`, the newline excluded; the lines of
/// `codec::lines::split_lines`).
///
/// Blocks of 64 bytes are classified into tokens ([`Carry::tokens`]) that
/// [`object`] reads; an `Unsure` line restarts the classification at
/// the next line, so nothing a broken line does (an unclosed string)
/// leaks into the next one.
    json_lines => json_lines_with(data: &[u8], each: &mut dyn FnMut(usize, usize, Verdict)) -> ()
}

#[inline(always)]
fn json_lines_with<M: JsonMasker>(data: &[u8], each: &mut dyn FnMut(usize, usize, Verdict)) {
    let mut t = Tokens::<M>::new(data);
    let mut line = 0;
    // With `M::FLAT`, lines go to [`flat`] first; a line it cannot vouch
    // for is walked token by token below, and when that line was valid
    // (nested, not flat) the next `walk` lines are walked straight away,
    // `walk` doubling each time up to 1024 lines, so that input of nested
    // objects is not checked twice over.
    let (mut walk, mut backoff) = (0usize, 1usize);
    while line < data.len() {
        let mut refused = false;
        if M::FLAT && walk == 0 {
            t.restart(line);
            match flat(&mut t, line, each) {
                Ok(_) => return,
                Err((start, lines)) => {
                    if lines >= 64 {
                        backoff = 1;
                    }
                    line = start;
                    t.restart(line);
                    refused = true;
                }
            }
        } else if M::FLAT {
            walk -= 1;
        }
        let outcome = match t.next() {
            None => {
                each(line, data.len(), Verdict::Blank);
                return;
            }
            Some(p) if data[p] == b'\n' => {
                each(line, p, Verdict::Blank);
                line = p + 1;
                continue;
            }
            Some(p) if data[p] == b'{' => object(&mut t).and_then(|()| match t.next() {
                Some(q) if data[q] == b'\n' => Ok(q),
                Some(q) => Err(q),
                None if t.stop == data.len() => Ok(data.len()),
                None => Err(t.stop),
            }),
            Some(p) => Err(p),
        };
        match outcome {
            Ok(end) => {
                let v = if t.utf8_until(line, end) {
                    Verdict::Clean
                } else {
                    Verdict::Unsure
                };
                each(line, end, v);
                line = end + 1;
                if refused {
                    walk = backoff;
                    backoff = (backoff * 2).min(1024);
                }
            }
            Err(at) => {
                let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |k| at + k);
                each(line, end, Verdict::Unsure);
                line = end + 1;
                t.restart(line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::jsongrammar::MAX_DECIMAL_EXP;
    use super::*;
    use crate::codec::lines::split_lines;
    use crate::testutil::XorShift;

    /// The portable masks with the [`flat`] check on (and PEXT a bit at a
    /// time): the flat path on any CPU.
    struct PortableFlat;

    impl JsonMasker for PortableFlat {
        const FLAT: bool = true;

        fn json64(b: &[u8; 64]) -> JsonMasks {
            json64_portable(b)
        }
    }

    /// The verdicts of [`json_lines_with`] for masker `M`.
    fn verdicts_with<M: JsonMasker>(data: &[u8]) -> Vec<(usize, usize, Verdict)> {
        let mut v = Vec::new();
        json_lines_with::<M>(data, &mut |s, e, k| v.push((s, e, k)));
        v
    }

    /// What `serde_json` says of each line of `data`, as verdicts.
    fn reference(data: &[u8]) -> Vec<(usize, usize, Verdict)> {
        split_lines(data)
            .map(|(line, start)| {
                let t = crate::codec::text::trim(line);
                let k = if t.is_empty() {
                    Verdict::Blank
                } else if matches!(
                    crate::validate::jsongrammar::parse_value(line),
                    Ok(serde_json::Value::Object(_))
                ) {
                    Verdict::Clean
                } else {
                    Verdict::Unsure
                };
                (start, start + line.len(), k)
            })
            .collect()
    }

    /// Checks the scan of `data` against `serde_json`, for every masker:
    /// the same lines; `Clean` and `Blank` exactly where the reference has
    /// them, except that the scan may be `Unsure` of a clean line when
    /// `allow_unsure` says so.
    fn agrees(data: &[u8], allow_unsure: impl Fn(&[u8]) -> bool) {
        let want = reference(data);
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let mut runs = vec![
            ("portable", verdicts_with::<Portable>(data)),
            ("portable-flat", verdicts_with::<PortableFlat>(data)),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            runs.push(("sse2", verdicts_with::<Sse2>(data)));
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 was just detected.
                runs.push(("avx2", unsafe { avx2_verdicts(data) }));
            }
            if std::arch::is_x86_feature_detected!("avx512bw") {
                // SAFETY: AVX-512BW was just detected.
                runs.push(("avx512", unsafe { avx512_verdicts(data) }));
            }
        }
        for (name, got) in runs {
            assert_eq!(got.len(), want.len(), "{name}: lines of {data:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!((g.0, g.1), (w.0, w.1), "{name}: line bounds in {data:?}");
                let line = &data[w.0..w.1];
                let ok = match (g.2, w.2) {
                    (a, b) if a == b => true,
                    (Verdict::Unsure, Verdict::Clean) => allow_unsure(line),
                    _ => false,
                };
                assert!(
                    ok,
                    "{name}: {:?} for {:?} (serde_json: {:?})",
                    g.2,
                    String::from_utf8_lossy(line),
                    w.2
                );
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn avx2_verdicts(data: &[u8]) -> Vec<(usize, usize, Verdict)> {
        verdicts_with::<Avx2>(data)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn avx512_verdicts(data: &[u8]) -> Vec<(usize, usize, Verdict)> {
        verdicts_with::<Avx512>(data)
    }

    /// Whether the scan may leave `line`, valid JSON, to the careful path:
    /// exactly when it nests deeper than [`MAX_DEPTH`] or has a number
    /// whose integer digits plus positive exponent exceed
    /// [`MAX_DECIMAL_EXP`] or whose positive exponent has more than four
    /// digits. (A BOM, lone surrogates and invalid UTF-8, the other things
    /// the scan is unsure of, are errors to `serde_json` too.)
    fn careful(line: &[u8]) -> bool {
        let (mut depth, mut deepest) = (0, 0);
        let mut i = 0;
        while i < line.len() {
            match line[i] {
                b'"' => {
                    // To the closing quote, escapes skipped whole.
                    i += 1;
                    while line[i] != b'"' {
                        i += if line[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b']' | b'}' => depth -= 1,
                b'-' | b'0'..=b'9' => {
                    let token = line[i..]
                        .split(|c| !b"-+.eE0123456789".contains(c))
                        .next()
                        .unwrap();
                    i += token.len();
                    let e = token.iter().position(|&c| c == b'e' || c == b'E');
                    let (mantissa, exp) = token.split_at(e.unwrap_or(token.len()));
                    let exp = exp.get(1..).unwrap_or_default();
                    let int = mantissa
                        .iter()
                        .take_while(|&&c| c != b'.')
                        .filter(|c| c.is_ascii_digit())
                        .count();
                    // A negative exponent counts as none.
                    let exp = exp.strip_prefix(b"+").unwrap_or(exp);
                    let exp = if exp.first() == Some(&b'-') { &[] } else { exp };
                    let e = std::str::from_utf8(exp).unwrap().parse().unwrap_or(0);
                    if exp.len() > 4 || int + e > MAX_DECIMAL_EXP {
                        return true;
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        deepest > MAX_DEPTH
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_masks_of_every_copy_agree() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"\"\\ \t\r\n{}[]:,aZ0\x00\x1f\x20\x7f\x80\xff";
        for _ in 0..5000 {
            let mut b = [0u8; 64];
            for x in &mut b {
                let r = rng.next_u64();
                *x = if r & 1 == 0 {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                } else {
                    (r >> 16) as u8
                };
            }
            let want = json64_portable(&b);
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!(Sse2::json64(&b), want, "{b:?}");
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: AVX2 was just detected.
                    assert_eq!(unsafe { avx2_masks(&b) }, want, "{b:?}");
                }
                if std::arch::is_x86_feature_detected!("avx512bw") {
                    // SAFETY: AVX-512BW was just detected.
                    assert_eq!(unsafe { avx512_masks(&b) }, want, "{b:?}");
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn avx2_masks(b: &[u8; 64]) -> JsonMasks {
        Avx2::json64(b)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn avx512_masks(b: &[u8; 64]) -> JsonMasks {
        Avx512::json64(b)
    }

    #[test]
    fn escaped_bytes_follow_odd_runs_of_backslashes_across_blocks() {
        let mut rng = XorShift(0xA076_1D64_78BD_642F);
        for _ in 0..20_000 {
            let n = 1 + rng.next_u64() as usize % 4;
            let bits: Vec<u64> = (0..n)
                .map(|_| {
                    let (a, b) = (rng.next_u64(), rng.next_u64());
                    match a % 3 {
                        0 => a & b,
                        1 => a | b,
                        _ => a,
                    }
                })
                .collect();
            // By hand: a byte is escaped when the byte before it is an
            // escaping backslash (one not itself escaped); escaped
            // backslashes are left out (they need no check).
            let total = 64 * n;
            let is_bs = |i: usize| bits[i / 64] >> (i % 64) & 1 == 1;
            let mut want = vec![0u64; n];
            let mut escaping = false;
            for i in 0..total {
                if escaping {
                    if !is_bs(i) {
                        want[i / 64] |= 1 << (i % 64);
                    }
                    escaping = false;
                } else {
                    escaping = is_bs(i);
                }
            }
            let mut carry = 0;
            let got: Vec<u64> = bits.iter().map(|&b| escaped(b, &mut carry)).collect();
            assert_eq!(got, want, "{bits:x?}");
        }
    }

    #[test]
    fn numbers_match_the_json_grammar() {
        for (s, end) in [
            ("0", Some(1)),
            ("-0", Some(2)),
            ("01", None),
            ("-01", None),
            ("-", None),
            ("1.", None),
            (".5", None),
            ("1.5", Some(3)),
            ("1e5", Some(3)),
            ("1E+5", Some(4)),
            ("1e-5", Some(4)),
            ("1e", None),
            ("1e+", None),
            ("12345678901234567890.5e-3", Some(25)),
            ("1e300", None),
            ("1e299", Some(5)),
            ("9e00001", None),
            ("1.5.3", Some(3)),
            ("1x", Some(1)),
        ] {
            assert_eq!(number_end(s.as_bytes(), 0), end, "{s}");
        }
        for (s, ok) in [
            ("1.5.3", false),
            ("1x", false),
            ("1,", true),
            ("1}", true),
            ("1 ", true),
            ("1\"", true),
            ("true", true),
            ("truex", false),
            ("tru", false),
            ("nul", false),
            ("null]", true),
            ("false", true),
            ("+1", false),
            ("\u{FEFF}{}", false),
        ] {
            assert_eq!(bare(s.as_bytes(), 0), ok, "{s}");
        }
    }

    #[test]
    fn lines_agree_with_serde_json() {
        let lines: &[&[u8]] = &[
            br#"{"a":1,"b":[1,2,{"c":null}],"d":"x\"y\\","e":true,"f":false}"#,
            b"{}",
            b"  { }  \r",
            b"",
            b"   ",
            b"\t\r",
            b"{",
            b"}",
            b"[]",
            b"[1]",
            b"1",
            b"\"s\"",
            br#"{"a"}"#,
            br#"{"a":}"#,
            br#"{"a":1,}"#,
            br#"{"a":1 "b":2}"#,
            br#"{"a":[1,]}"#,
            br#"{"a":[,1]}"#,
            br#"{"a":{"b":1}}"#,
            br#"{"a":{"b":1]}"#,
            br#"{"a":[1}]"#,
            br#"{"a":1}}"#,
            br#"{"a":1}{"b":2}"#,
            br#"{"a":1} x"#,
            br#"{1:2}"#,
            br#"{"a":"\u00e9\ud83d\ude00"}"#,
            br#"{"a":"\ud83d"}"#,
            br#"{"a":"\ude00"}"#,
            br#"{"a":"\ud83dx\ude00"}"#,
            br#"{"a":"\\ud83d\ude00"}"#,
            br#"{"a":"\u12G4"}"#,
            br#"{"a":"\q"}"#,
            br#"{"a":"\/"}"#,
            br#"{"a\"b":"c\\\"d"}"#,
            br#"{"a":"\\\\"}"#,
            br#"{"a":"\\\"}"#,
            b"{\"a\":\"x\ty\"}",
            b"{\"a\":\"x\x01y\"}",
            b"{\"a\":\"caf\xc3\xa9\"}",
            b"{\"a\":\"\xc3\"}",
            b"{\"a\":\"\xff\xfe\"}",
            b"{\"a\":\"\xc3\xa9\"}",
            b"{\"a\":\"\xed\xa0\x80\"}",
            b"{\"a\":caf\xc3\xa9}",
            b"\xEF\xBB\xBF{\"a\":1}",
            br#"{"a":-0.5e-7,"b":1E+2,"c":0,"d":-0}"#,
            br#"{"a":01}"#,
            br#"{"a":-01}"#,
            br#"{"a":00}"#,
            br#"{"a":-0,"b":0.0,"c":10.01,"d":-0.5}"#,
            br#"{"a":-}"#,
            br#"{"a":1-2}"#,
            br#"{"a":1.2.3}"#,
            br#"{"a":-0.5.1}"#,
            br#"{"a":1.-2}"#,
            br#"{"a":1..2}"#,
            br#"{"a":2.5e3.1}"#,
            br#"{"a":1.}"#,
            br#"{"a":.1}"#,
            br#"{"a":+1}"#,
            br#"{"a":1e400}"#,
            br#"{"a":tru}"#,
            br#"{"a":nulls}"#,
            br#"{"a":NaN}"#,
            br#"{"a":"unterminated}"#,
            br#"{"a":"x"y"}"#,
            br#"{"a" : [ 1 , 2 ] , "b" : { } }"#,
            b"{\"a\":\"x\\\ny\"}",
            b"{\"a\":\"x\\",
            b"{\"a\":\"x\\\\",
        ];
        let allow = |l: &[u8]| careful(l);
        for l in lines {
            agrees(l, allow);
            // Each line alone, with a newline, after another line, and at
            // every offset in a 64-byte block.
            let mut d = l.to_vec();
            d.push(b'\n');
            agrees(&d, allow);
            for pad in 0..70 {
                let mut d = vec![b' '; pad];
                d.extend_from_slice(l);
                d.extend_from_slice(b"\n{\"next\":\"line\\\"\"}\n");
                d.extend_from_slice(l);
                agrees(&d, allow);
            }
        }
        // All of them in one chunk, in both orders.
        let all: Vec<u8> = lines.join(&b'\n');
        agrees(&all, allow);
        let rev: Vec<u8> = lines.iter().rev().copied().collect::<Vec<_>>().join(&b'\n');
        agrees(&rev, allow);
        // Deep nesting.
        let deep = |n: usize| {
            let mut s = b"{\"a\":".to_vec();
            s.extend(std::iter::repeat_n(b'[', n));
            s.extend(std::iter::repeat_n(b']', n));
            s.push(b'}');
            s
        };
        agrees(&deep(98), allow);
        agrees(&deep(99), allow);
        agrees(&deep(150), allow);
    }

    /// Valid lines on either side of the limits of the scan: it vouches
    /// for those within them ([`careful`] allows no `Unsure` there).
    #[test]
    fn lines_at_the_limits_agree_with_serde_json() {
        let digits = |n: usize| "1".repeat(n);
        let mut lines: Vec<String> = [
            "1e299",
            "1e300",
            "1E+0299",
            "9e0001",
            "9e00001",
            "9e+00001",
            "-1e-99999",
            "1e-400",
            "10e298",
            "10e299",
            "-0.5e-7",
        ]
        .iter()
        .map(|n| format!("{{\"a\":{n}}}"))
        .collect();
        for (int, rest) in [
            (300, ""),
            (301, ""),
            (299, "e1"),
            (299, "e2"),
            (400, "e-100"),
        ] {
            lines.push(format!("{{\"a\":[{}{rest}]}}", digits(int)));
        }
        lines.push(format!("{{\"a\":0.{}}}", digits(500)));
        for depth in [99, 100, 101, 127, 128, 129] {
            lines.push(format!(
                "{{\"a\":{}{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            ));
            // The innermost an array of numbers (checked as a whole).
            lines.push(format!(
                "{{\"a\":{}1,2{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            ));
        }
        for l in &lines {
            agrees(l.as_bytes(), careful);
            agrees(format!("{l}\n{l}").as_bytes(), careful);
        }
    }

    #[test]
    fn random_lines_agree_with_serde_json() {
        // Lines of JSON-ish tokens: mostly valid objects, each mutated a
        // little, many lines per chunk (so blocks span lines).
        let mut rng = XorShift(0xDEAD_BEEF_1234_5678);
        let atoms: &[&[u8]] = &[
            b"1",
            b"-2.5",
            b"3e7",
            b"0",
            b"true",
            b"false",
            b"null",
            b"\"s\"",
            b"\"a\\\"b\"",
            b"\"\\\\\"",
            b"\"\\u00e9\"",
            b"\"x y\"",
            b"\"\"",
            b"12345678901",
            b"[]",
            b"{}",
        ];
        let noise = b"\"\\{}[]:, \t\r\nx01-.e+";
        for round in 0..6000 {
            // Every other round flat objects only (before the mutations),
            // as `flat` vouches for them.
            let nested = round % 2 == 0;
            let atoms = if nested {
                atoms
            } else {
                &atoms[..atoms.len() - 2]
            };
            let mut data = Vec::new();
            for _ in 0..rng.next_u64() % 6 {
                let mut line = b"{".to_vec();
                let n = rng.next_u64() % 5;
                for k in 0..n {
                    if k > 0 {
                        line.push(b',');
                    }
                    line.extend_from_slice(format!("\"k{k}\":").as_bytes());
                    let r = rng.next_u64();
                    if nested && r.is_multiple_of(4) {
                        line.push(b'[');
                        line.extend_from_slice(atoms[(r >> 8) as usize % atoms.len()]);
                        line.push(b',');
                        line.extend_from_slice(atoms[(r >> 16) as usize % atoms.len()]);
                        line.push(b']');
                    } else {
                        line.extend_from_slice(atoms[(r >> 8) as usize % atoms.len()]);
                    }
                }
                line.push(b'}');
                for _ in 0..rng.next_u64() % 3 {
                    let r = rng.next_u64();
                    let at = (r >> 8) as usize % (line.len() + 1);
                    match r % 3 {
                        0 => line.insert(at, noise[(r >> 32) as usize % noise.len()]),
                        1 if at < line.len() => {
                            line.remove(at);
                        }
                        _ if at < line.len() => line[at] = noise[(r >> 32) as usize % noise.len()],
                        _ => {}
                    }
                }
                data.extend_from_slice(&line);
                data.push(b'\n');
            }
            if rng.next_u64().is_multiple_of(2) {
                data.pop();
            }
            agrees(&data, |_| false);
        }
    }

    /// Lines of flat objects are vouched for by [`flat`] itself, without
    /// the token walk, at every offset in a block; the first line it
    /// cannot take (a nested one) is where it stops.
    #[test]
    fn flat_objects_need_no_walk() {
        let lines: &[&[u8]] = &[
            br#"{"id":0,"ts":"2024-06-07 07:50:22","f0":9.442977,"i3":-41963,"b0":true,"c1":"foxtrot"}"#,
            br#"{}"#,
            b"",
            b" \t\r",
            br#"  { "a" : null , "b":false,"c":"x\"y\\","d":"\u00e9\ud83d\ude00" }  "#,
            "{\"caf\u{e9}\":\"\u{1F600}\",\"e\":-0.5e-7,\"f\":1E+2,\"g\":0}\r".as_bytes(),
            br#"{"":""}"#,
        ];
        for pad in 0..70 {
            let mut data = vec![b' '; pad];
            for _ in 0..3 {
                data.extend_from_slice(&lines.join(&b'\n'));
                data.push(b'\n');
            }
            let want = reference(&data);
            assert!(want.iter().all(|v| v.2 != Verdict::Unsure));
            let mut got = Vec::new();
            let mut t = Tokens::<PortableFlat>::new(&data);
            let n = flat(&mut t, 0, &mut |s, e, k| got.push((s, e, k)));
            assert_eq!(n, Ok(want.len()), "pad {pad}");
            assert_eq!(got, want, "pad {pad}");
            // A nested line after them: every line before it is vouched
            // for, and the flat check stops at its start.
            let start = data.len();
            data.extend_from_slice(b"{\"a\":[1]}\n{\"b\":2}");
            let mut got = Vec::new();
            let mut t = Tokens::<PortableFlat>::new(&data);
            let n = flat(&mut t, 0, &mut |s, e, k| got.push((s, e, k)));
            assert_eq!(n, Err((start, want.len())), "pad {pad}");
            assert_eq!(got, want, "pad {pad}");
        }
    }
}
