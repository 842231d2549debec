//! A syntax-only number check for the validators' hot loops.
//!
//! `validate` must know, for every feature cell, whether it is a number and
//! whether it is missing (NaN), zero, positive or negative; it never needs
//! the value itself. [`classify`] answers that from the text alone, without
//! converting it to a float, under exactly the rule of
//! [`crate::codec::text::parse_f64`] (fast-float's grammar, the same that
//! Rust's `str::parse::<f64>` accepts, after trimming spaces, tabs and
//! carriage returns):
//!
//! ```text
//! number  = [sign] (digits ["." [digits]] | "." digits) [exponent]
//!         | [sign] ("nan" | "inf" | "infinity")      (any case)
//! exponent = ("e" | "E") [sign] digits
//! sign    = "+" | "-"
//! ```
//!
//! A number is zero exactly when all its mantissa digits are `0`, except
//! when it is so small that it rounds to zero as an `f64` (`1e-400`): the
//! rare texts that could underflow are converted to decide.

use crate::codec::text::{parse_f64, trim};

/// What a cell holds, as far as validation and its statistics care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Not a number under `parse_f64`'s rule (including the empty text).
    NotNumber,
    /// `nan` in any case and sign: a missing value.
    Nan,
    /// A number equal to zero (`0`, `-0.0`, `0e5`, `1e-400`).
    Zero,
    /// A number greater than zero (`inf` included).
    Positive,
    /// A number less than zero (`-inf` included).
    Negative,
}

impl Class {
    /// The class of a parsed value (what `parse_f64` says).
    #[inline]
    pub(crate) fn of(v: Option<f64>) -> Class {
        match v {
            None => Class::NotNumber,
            Some(v) if v.is_nan() => Class::Nan,
            Some(0.0) => Class::Zero, // -0.0 too (float patterns compare with ==)
            Some(v) if v > 0.0 => Class::Positive,
            Some(_) => Class::Negative,
        }
    }
}

/// A text whose smallest decimal unit (`10^(exponent - fraction digits)`)
/// is at least this power of ten is never rounded to zero by an `f64`
/// (the smallest subnormal is about `4.9e-324`).
const SAFE_UNIT: i64 = -300;

/// Exponents are read up to this magnitude; texts with larger ones are
/// converted to decide.
const EXP_CAP: i64 = 1 << 20;

/// Classifies `field` exactly as `Class::of(parse_f64(field))` would,
/// without converting it (except for texts that could underflow).
#[inline]
pub(crate) fn classify(field: &[u8]) -> Class {
    let s = trim(field);
    match scan(s, 0) {
        (Class::NotNumber, _) => special(s),
        (c, end) if end == s.len() => c,
        _ => Class::NotNumber,
    }
}

/// Reads the longest number in the decimal grammar (not the `nan`/`inf`
/// spellings) that starts at `s[at]` and returns its class and where it
/// ends. `Class::NotNumber` when there are no mantissa digits; an `e`
/// without exponent digits is not part of the number. The text
/// `s[at..end]` is a number of that class exactly when `end` is where the
/// field ends, which lets line checkers split and classify a field in one
/// pass.
#[inline]
pub(crate) fn scan(s: &[u8], at: usize) -> (Class, usize) {
    let n = s.len();
    let mut i = at;
    let mut neg = false;
    match s.get(i) {
        Some(b'-') => {
            neg = true;
            i += 1;
        }
        Some(b'+') => i += 1,
        _ => {}
    }
    // Mantissa: integer digits, an optional '.', fraction digits.
    let int_start = i;
    let (end, mut nonzero) = digit_run(s, i);
    i = end;
    let mut digits = i - int_start;
    let mut frac = 0usize;
    if i < n && s[i] == b'.' {
        i += 1;
        let (end, nz) = digit_run(s, i);
        nonzero |= nz;
        frac = end - i;
        i = end;
        digits += frac;
    }
    if digits == 0 {
        return (Class::NotNumber, at);
    }
    let mut exp = 0i64;
    if i < n && s[i] | 0x20 == b'e' {
        let mut j = i + 1;
        let mut eneg = false;
        if j < n && matches!(s[j], b'+' | b'-') {
            eneg = s[j] == b'-';
            j += 1;
        }
        let e = j;
        while j < n && s[j].is_ascii_digit() {
            if exp < EXP_CAP {
                exp = exp * 10 + (s[j] - b'0') as i64;
            }
            j += 1;
        }
        if j > e {
            // An 'e' without digits is left unread (trailing text).
            i = j;
            if eneg {
                exp = -exp;
            }
        } else {
            exp = 0;
        }
    }
    if !nonzero {
        return (Class::Zero, i);
    }
    if exp >= EXP_CAP || exp <= -EXP_CAP || exp - (frac as i64) < SAFE_UNIT {
        // Small enough that it may round to zero (or an exponent too long
        // to reason about): convert to decide.
        return (Class::of(parse_f64(&s[at..i])), i);
    }
    (
        if neg {
            Class::Negative
        } else {
            Class::Positive
        },
        i,
    )
}

/// Classifies the short number at the start of `w` in one step: `w[..e]`
/// where `w[e]` is the first byte that is not a digit, `.`, `+` or `-`.
/// `Some((class, e))` when `w[..e]` is a decimal number without exponent
/// (an optional sign first, at most one dot, at least one digit): then
/// `classify(&w[..e]) == class`. `None` when it is not, or when no such
/// byte is in `w` (the caller then uses [`scan`]). Bytes from `e` on only
/// end the number: callers check that `w[e]` is their delimiter.
#[inline]
pub(crate) fn short_number(w: &[u8; 16]) -> Option<(Class, usize)> {
    let (digit, dot, sign, zero) = masks(w);
    let other = !(digit | dot | sign) & 0xFFFF;
    if other == 0 {
        return None;
    }
    let e = other.trailing_zeros();
    let before = (1u32 << e) - 1;
    let signs = sign & before;
    let dots = dot & before;
    let digits = digit & before;
    if signs & !1 != 0 || dots & dots.wrapping_sub(1) != 0 || digits == 0 {
        return None;
    }
    let class = if digits & !zero == 0 {
        Class::Zero
    } else if signs != 0 && w[0] == b'-' {
        Class::Negative
    } else {
        Class::Positive
    };
    Some((class, e as usize))
}

/// Bit masks of the 16 bytes of `w` (bit `i` for byte `i`): digits, dots,
/// signs, `0`s. SSE2 (every x86-64) compares all 16 at once.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks(w: &[u8; 16]) -> (u32, u32, u32, u32) {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of x86-64, so these intrinsics are always
    // available; `w` is 16 readable bytes and the load is unaligned.
    unsafe {
        let v = _mm_loadu_si128(w.as_ptr().cast::<__m128i>());
        let x = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        let digit = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x);
        let dot = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8));
        let sign = _mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b'-' as i8)),
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b'+' as i8)),
        );
        let zero = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'0' as i8));
        (
            _mm_movemask_epi8(digit) as u32,
            _mm_movemask_epi8(dot) as u32,
            _mm_movemask_epi8(sign) as u32,
            _mm_movemask_epi8(zero) as u32,
        )
    }
}

/// Bit masks of the 16 bytes of `w` (bit `i` for byte `i`): digits, dots,
/// signs, `0`s.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn masks(w: &[u8; 16]) -> (u32, u32, u32, u32) {
    masks_portable(w)
}

/// [`masks`] a byte at a time (other targets; tested against SSE2).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn masks_portable(w: &[u8; 16]) -> (u32, u32, u32, u32) {
    let (mut digit, mut dot, mut sign, mut zero) = (0u32, 0u32, 0u32, 0u32);
    for (i, &b) in w.iter().enumerate() {
        digit |= ((b.wrapping_sub(b'0') < 10) as u32) << i;
        dot |= ((b == b'.') as u32) << i;
        sign |= ((b == b'-' || b == b'+') as u32) << i;
        zero |= ((b == b'0') as u32) << i;
    }
    (digit, dot, sign, zero)
}

/// Bit masks of 64 bytes (bit `i` for byte `i`), for [`plain_fields`].
#[derive(Debug, Default, PartialEq, Eq)]
struct Masks64 {
    digit: u64,
    zero: u64,
    dot: u64,
    minus: u64,
    delim: u64,
    /// A second separator (LibSVM's ':'; the delimiter again for CSV).
    delim2: u64,
    /// `\n` (where [`plain_pairs_line`] stops).
    newline: u64,
}

/// Defines `pub(crate) fn $name(args) -> ret` (with the docs given) that
/// runs `$generic::<M>(args)` for the best [`Masker`] of this CPU: each
/// x86-64 copy is compiled with its instruction set enabled, so the masks
/// inline into the scan. Without the `vbmi` marker, CPUs with AVX-512
/// VBMI run the plain AVX-512 copy (compiled once more with VBMI enabled:
/// the masker has nothing that uses it).
macro_rules! multiversion {
    ($(#[$doc:meta])* $name:ident => $generic:ident ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        $crate::validate::number::multiversion!(@copies [Avx512] $(#[$doc])* $name => $generic ($($arg: $ty),*) -> $ret);
    };
    // `vbmi`: one more x86-64 copy, with the masker `Avx512Vbmi`, for CPUs
    // that have AVX-512 VBMI, VBMI2 and CD besides AVX-512BW.
    ($(#[$doc:meta])* vbmi $name:ident => $generic:ident ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        $crate::validate::number::multiversion!(@copies [Avx512Vbmi] $(#[$doc])* $name => $generic ($($arg: $ty),*) -> $ret);
    };
    (@copies [$vbmi:ident] $(#[$doc:meta])* $name:ident => $generic:ident ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
                fn avx2($($arg: $ty),*) -> $ret {
                    $generic::<Avx2>($($arg),*)
                }
                #[target_feature(enable = "avx512f,avx512bw,popcnt,bmi1,bmi2,lzcnt")]
                fn avx512($($arg: $ty),*) -> $ret {
                    $generic::<Avx512>($($arg),*)
                }
                #[target_feature(
                    enable = "avx512f,avx512bw,avx512vbmi,avx512vbmi2,avx512cd,popcnt,bmi1,bmi2,lzcnt"
                )]
                fn vbmi($($arg: $ty),*) -> $ret {
                    $generic::<$vbmi>($($arg),*)
                }
                match level() {
                    // SAFETY: `level` detected AVX-512BW, VBMI, VBMI2 and
                    // CD on this CPU.
                    Level::Avx512Vbmi => unsafe { vbmi($($arg),*) },
                    // SAFETY: `level` detected AVX-512BW on this CPU.
                    Level::Avx512 => unsafe { avx512($($arg),*) },
                    // SAFETY: `level` detected AVX2 on this CPU.
                    Level::Avx2 => unsafe { avx2($($arg),*) },
                    Level::Sse2 => $generic::<Sse2>($($arg),*),
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                $generic::<Portable>($($arg),*)
            }
        }
    };
}

pub(super) use multiversion;

/// How [`plain_fields`] and [`plain_pairs`] compute the masks of a
/// 64-byte block: each implementation is a strategy monomorphised into its
/// own copy of the scan, compiled for the instruction set it needs, and
/// the copy is chosen once per call ([`level`]).
trait Masker {
    /// How [`plain_pairs`] gathers the smallest and largest index.
    type Indices: IndexFold;
    /// The masks of `b` with delimiters `d` and `d2`.
    fn masks64(b: &[u8; 64], d: u8, d2: u8) -> Masks64;
}

/// The smallest and largest LibSVM index of a line, gathered block by
/// block by [`plain_pairs`].
trait IndexFold {
    /// Nothing seen yet.
    fn new() -> Self;
    /// Folds in the index before each colon of `co` (bit `i` for
    /// `text[base + i]`; `block` holds the 64 bytes from `base`, copied
    /// with zeros after a short last block). `None` when one is not an
    /// index: no digit before its colon, or more than 19 digits.
    fn fold(&mut self, text: &[u8], base: usize, block: &[u8; 64], co: u64) -> Option<()>;
    /// The smallest and largest index (`u64::MAX` and 0 when none), and
    /// whether each index was larger than the one before it (sorted and
    /// unique, as scikit-learn's reader requires).
    fn finish(self) -> (u64, u64, bool);
}

/// [`IndexFold`] one colon at a time ([`index_before`]).
#[derive(Debug, Clone, Copy)]
struct EachIndex {
    min_key: u64,
    max_key: u64,
    min_index: u64,
    max_index: u64,
    /// The [`IndexKey::Short`] key of the index before, -1 before the
    /// first (keys are below 2^60); once a long index is seen, the value
    /// of the index before.
    last: i64,
    /// A long index was seen: `last` is a value.
    long: bool,
    /// Every index so far was larger than the one before it.
    ascending: bool,
}

impl EachIndex {
    /// Notes index `k`, after the one before.
    #[inline(always)]
    fn follow(&mut self, k: IndexKey) {
        match k {
            IndexKey::Short(b) if !self.long => {
                self.ascending &= b as i64 > self.last;
                self.last = b as i64;
            }
            _ => self.follow_value(k),
        }
    }

    /// [`EachIndex::follow`] by value, from the first long index on.
    #[cold]
    fn follow_value(&mut self, k: IndexKey) {
        let before = match (self.long, self.last) {
            (true, v) => Some(v as u64),
            (false, -1) => None,
            (false, key) => Some(short_value(key as u64)),
        };
        let v = k.value();
        self.ascending &= before.is_none_or(|b| v > b);
        self.last = v as i64;
        self.long = true;
    }
}

impl IndexFold for EachIndex {
    #[inline(always)]
    fn new() -> EachIndex {
        EachIndex {
            min_key: u64::MAX,
            max_key: 0,
            min_index: u64::MAX,
            max_index: 0,
            last: -1,
            long: false,
            ascending: true,
        }
    }

    #[inline(always)]
    fn fold(&mut self, text: &[u8], base: usize, _: &[u8; 64], co: u64) -> Option<()> {
        let mut c = co;
        while c != 0 {
            let key = index_before(text, base + c.trailing_zeros() as usize)?;
            self.follow(key);
            match key {
                IndexKey::Short(k) => {
                    self.min_key = self.min_key.min(k);
                    self.max_key = self.max_key.max(k);
                }
                IndexKey::Long(v) => {
                    self.min_index = self.min_index.min(v);
                    self.max_index = self.max_index.max(v);
                }
            }
            c &= c - 1;
        }
        Some(())
    }

    #[inline(always)]
    fn finish(self) -> (u64, u64, bool) {
        let (mut min, mut max) = (self.min_index, self.max_index);
        if self.min_key != u64::MAX {
            min = min.min(short_value(self.min_key));
            max = max.max(short_value(self.max_key));
        }
        (min, max, self.ascending)
    }
}

/// How far ahead of the byte being checked the line and block loops of
/// the checks ask for the input ([`prefetch`]).
pub(super) const PREFETCH: usize = 2048;

/// Asks for the cache line of `data[at]` to be brought into the cache,
/// if `at` is within `data`.
///
/// The hardware prefetchers follow a stream only within a 4 KiB page, so
/// each page of a mapped input otherwise starts with a wait for memory;
/// asking [`PREFETCH`] bytes ahead starts the next page early. With the
/// JSON Lines checks down to ~2 cycles a byte that wait was a third of
/// their time (`validate -a generic -j 1` on the 1 GB benchmark file:
/// 0.56-0.61 s without, 0.46-0.48 s 2 or 4 KiB ahead, 0.49 s 16 KiB
/// ahead).
#[inline(always)]
pub(super) fn prefetch(data: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if at < data.len() {
        // SAFETY: a prefetch is only a hint and reads nothing; the address
        // is within `data`.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(data.as_ptr().add(at).cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, at);
}

/// The instruction sets the 64-byte scans have copies for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(super) enum Level {
    /// Byte at a time (targets other than x86-64).
    #[cfg(not(target_arch = "x86_64"))]
    Portable,
    /// SSE2 (every x86-64): four 16-byte steps.
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// AVX2 (and POPCNT, BMI1, BMI2, LZCNT, as every AVX level): two
    /// 32-byte steps.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512BW: one 64-byte step straight into mask registers.
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// AVX-512BW with VBMI, VBMI2 and CD (Ice Lake, Zen 4 and later): byte
    /// permutes and compresses as well, for [`plain_pairs`]' indices.
    #[cfg(target_arch = "x86_64")]
    Avx512Vbmi,
}

/// The best [`Level`] this CPU runs (detected once; `std` caches it).
/// `SM_DATA_SIMD=sse2|avx2|avx512` caps it, to compare or test the copies.
#[inline]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(super) fn level() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::atomic::{AtomicU8, Ordering};
        static LEVEL: AtomicU8 = AtomicU8::new(0);
        let l = match LEVEL.load(Ordering::Relaxed) {
            0 => {
                let cap = std::env::var("SM_DATA_SIMD").unwrap_or_default();
                // The AVX2 and AVX-512 copies also use POPCNT, BMI1/2 and
                // LZCNT (which every CPU with AVX2 has).
                let bits = std::arch::is_x86_feature_detected!("popcnt")
                    && std::arch::is_x86_feature_detected!("bmi1")
                    && std::arch::is_x86_feature_detected!("bmi2")
                    && std::arch::is_x86_feature_detected!("lzcnt");
                let l = if !bits || cap == "sse2" {
                    1
                } else if cap.is_empty()
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vbmi")
                    && std::arch::is_x86_feature_detected!("avx512vbmi2")
                    && std::arch::is_x86_feature_detected!("avx512cd")
                {
                    4
                } else if cap != "avx2" && std::arch::is_x86_feature_detected!("avx512bw") {
                    3
                } else if std::arch::is_x86_feature_detected!("avx2") {
                    2
                } else {
                    1
                };
                LEVEL.store(l, Ordering::Relaxed);
                l
            }
            l => l,
        };
        match l {
            4 => Level::Avx512Vbmi,
            3 => Level::Avx512,
            2 => Level::Avx2,
            _ => Level::Sse2,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Level::Portable
    }
}

/// SSE2 masks: four 16-byte steps.
#[cfg(target_arch = "x86_64")]
pub(super) struct Sse2;

#[cfg(target_arch = "x86_64")]
impl Masker for Sse2 {
    type Indices = EachIndex;

    #[inline(always)]
    fn masks64(b: &[u8; 64], d: u8, d2: u8) -> Masks64 {
        use std::arch::x86_64::*;
        let mut m = Masks64::default();
        for k in 0..4 {
            // SAFETY: SSE2 is part of x86-64, so these intrinsics are
            // always available; `b[16 * k..]` holds 16 readable bytes
            // (k < 4) and the load is unaligned.
            let (g, z, p, n, l, l2, nl) = unsafe {
                let v = _mm_loadu_si128(b.as_ptr().add(16 * k).cast::<__m128i>());
                let x = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
                (
                    _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x)),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'0' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'-' as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(d as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(d2 as i8))),
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8))),
                )
            };
            let at = 16 * k;
            m.digit |= (g as u16 as u64) << at;
            m.zero |= (z as u16 as u64) << at;
            m.dot |= (p as u16 as u64) << at;
            m.minus |= (n as u16 as u64) << at;
            m.delim |= (l as u16 as u64) << at;
            m.delim2 |= (l2 as u16 as u64) << at;
            m.newline |= (nl as u16 as u64) << at;
        }
        m
    }
}

/// AVX2 masks: two 32-byte steps. Only called from code compiled with
/// AVX2 enabled, after [`level`] found it.
#[cfg(target_arch = "x86_64")]
pub(super) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Masker for Avx2 {
    type Indices = EachIndex;

    #[inline(always)]
    fn masks64(b: &[u8; 64], d: u8, d2: u8) -> Masks64 {
        use std::arch::x86_64::*;
        let mut m = Masks64::default();
        for k in 0..2 {
            // SAFETY: only reached from `#[target_feature(enable =
            // "avx2")]` copies, run after `level` detected AVX2;
            // `b[32 * k..]` holds 32 readable bytes (k < 2) and the load
            // is unaligned.
            let (g, z, p, n, l, l2, nl) = unsafe {
                let v = _mm256_loadu_si256(b.as_ptr().add(32 * k).cast::<__m256i>());
                let x = _mm256_sub_epi8(v, _mm256_set1_epi8(b'0' as i8));
                (
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(
                        _mm256_min_epu8(x, _mm256_set1_epi8(9)),
                        x,
                    )),
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'0' as i8))),
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'.' as i8))),
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'-' as i8))),
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(d as i8))),
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(d2 as i8))),
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\n' as i8))),
                )
            };
            let at = 32 * k;
            m.digit |= (g as u32 as u64) << at;
            m.zero |= (z as u32 as u64) << at;
            m.dot |= (p as u32 as u64) << at;
            m.minus |= (n as u32 as u64) << at;
            m.delim |= (l as u32 as u64) << at;
            m.delim2 |= (l2 as u32 as u64) << at;
            m.newline |= (nl as u32 as u64) << at;
        }
        m
    }
}

/// AVX-512BW masks: the 64 bytes compared at once into mask registers.
/// Only called from code compiled with AVX-512BW enabled, after [`level`]
/// found it.
#[cfg(target_arch = "x86_64")]
pub(super) struct Avx512;

#[cfg(target_arch = "x86_64")]
impl Masker for Avx512 {
    type Indices = EachIndex;

    #[inline(always)]
    fn masks64(b: &[u8; 64], d: u8, d2: u8) -> Masks64 {
        use std::arch::x86_64::*;
        // SAFETY: only reached from `#[target_feature(enable =
        // "avx512bw")]` copies, run after `level` detected AVX-512BW; `b`
        // is 64 readable bytes and the load is unaligned.
        unsafe {
            let v = _mm512_loadu_si512(b.as_ptr().cast::<__m512i>());
            let x = _mm512_sub_epi8(v, _mm512_set1_epi8(b'0' as i8));
            Masks64 {
                digit: _mm512_cmplt_epu8_mask(x, _mm512_set1_epi8(10)),
                zero: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'0' as i8)),
                dot: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'.' as i8)),
                minus: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'-' as i8)),
                delim: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(d as i8)),
                delim2: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(d2 as i8)),
                newline: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\n' as i8)),
            }
        }
    }
}

/// AVX-512 with VBMI, VBMI2 and CD: the masks of [`Avx512`], and the
/// LibSVM indices of a block read eight at a time ([`VbmiIndices`]).
/// Only called from code compiled with those features enabled, after
/// [`level`] found them.
#[cfg(target_arch = "x86_64")]
pub(super) struct Avx512Vbmi;

#[cfg(target_arch = "x86_64")]
impl Masker for Avx512Vbmi {
    type Indices = VbmiIndices;

    #[inline(always)]
    fn masks64(b: &[u8; 64], d: u8, d2: u8) -> Masks64 {
        Avx512::masks64(b, d, d2)
    }
}

/// [`IndexFold`] eight colons at a time: the colons' positions are
/// compressed into bytes (VBMI2), each is spread over one 64-bit lane as
/// the positions of the eight bytes before it, those bytes are gathered
/// from this block and the one before (VBMI), and each lane becomes the
/// [`IndexKey::Short`] key [`index_before`] computes (the digits above
/// the highest non-digit, found with a leading-zero count (CD), masked to
/// their values and byte-reversed). The running smallest and largest key
/// stay in vector lanes until [`IndexFold::finish`]. A lane of eight
/// digits (perhaps a longer index) sends the block the scalar way.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(super) struct VbmiIndices {
    min: std::arch::x86_64::__m512i,
    max: std::arch::x86_64::__m512i,
    /// The key of the index before, in every lane; -1 (below every key,
    /// compared as signed: keys are below 2^60) before the line's first.
    last: std::arch::x86_64::__m512i,
    /// Lanes whose key was not above the one before.
    unordered: u8,
    /// A long index was seen: the rest of the line goes the scalar way
    /// (`each`), which then holds the order.
    scalar: bool,
    each: EachIndex,
}

#[cfg(target_arch = "x86_64")]
impl VbmiIndices {
    /// Byte `i` is `i`.
    const IOTA: [u8; 64] = {
        let mut a = [0u8; 64];
        let mut i = 0;
        while i < 64 {
            a[i] = i as u8;
            i += 1;
        }
        a
    };
    /// Byte `i` is its lane, `i / 8`.
    const LANE: [u8; 64] = {
        let mut a = [0u8; 64];
        let mut i = 0;
        while i < 64 {
            a[i] = (i / 8) as u8;
            i += 1;
        }
        a
    };
    /// Byte `i` is `56 + i % 8`: added to a colon's position `c`, the
    /// index of byte `c - 8 + i % 8` in the 128 bytes of the block before
    /// and this one.
    const BEFORE: [u8; 64] = {
        let mut a = [0u8; 64];
        let mut i = 0;
        while i < 64 {
            a[i] = 56 + (i % 8) as u8;
            i += 1;
        }
        a
    };
    /// Reverses the bytes of each 64-bit lane (a `shuffle_epi8` pattern,
    /// per 16-byte lane).
    const REVERSE: [u8; 64] = {
        let mut a = [0u8; 64];
        let mut i = 0;
        while i < 64 {
            a[i] = ((i / 8 % 2) * 8 + 7 - i % 8) as u8;
            i += 1;
        }
        a
    };
}

#[cfg(target_arch = "x86_64")]
impl IndexFold for VbmiIndices {
    #[inline(always)]
    fn new() -> VbmiIndices {
        // SAFETY: both are plain 64-byte values.
        let (min, max) = unsafe {
            (
                std::mem::transmute::<[u64; 8], std::arch::x86_64::__m512i>([u64::MAX; 8]),
                std::mem::transmute::<[u64; 8], std::arch::x86_64::__m512i>([0; 8]),
            )
        };
        VbmiIndices {
            min,
            max,
            // SAFETY: a plain 64-byte value.
            last: unsafe { std::mem::transmute::<[i64; 8], std::arch::x86_64::__m512i>([-1; 8]) },
            unordered: 0,
            scalar: false,
            each: EachIndex::new(),
        }
    }

    #[inline(always)]
    fn fold(&mut self, text: &[u8], base: usize, block: &[u8; 64], co: u64) -> Option<()> {
        use std::arch::x86_64::*;
        if co == 0 {
            return Some(());
        }
        if self.scalar {
            return self.each.fold(text, base, block, co);
        }
        let n = co.count_ones();
        // The order before this block, for the scalar way (which folds
        // the whole block again).
        let entry_last = self.last;
        // SAFETY: only reached from `#[target_feature(enable = "avx512f,
        // avx512bw,avx512vbmi,avx512vbmi2,avx512cd")]` copies, run after
        // `level` detected them. The loads read `block` (64 bytes), the
        // 64 bytes of `text` before `base` (present when `base >= 64`)
        // and the 64-byte constants; all unaligned.
        unsafe {
            let load = |p: *const u8| _mm512_loadu_si512(p.cast::<__m512i>());
            let cur = load(block.as_ptr());
            // Before the text: zeros, which are not digits (the first
            // index then starts at byte 0, as `index_before` reads it).
            let prev = if base >= 64 {
                load(text.as_ptr().add(base - 64))
            } else {
                _mm512_setzero_si512()
            };
            let pos = _mm512_maskz_compress_epi8(co, load(Self::IOTA.as_ptr()));
            let mut first = 0u32;
            while first < n {
                let lanes: __mmask8 = if n - first >= 8 {
                    0xFF
                } else {
                    (1u8 << (n - first)) - 1
                };
                let lane =
                    _mm512_add_epi8(load(Self::LANE.as_ptr()), _mm512_set1_epi8(first as i8));
                let at = _mm512_add_epi8(
                    _mm512_permutexvar_epi8(lane, pos),
                    load(Self::BEFORE.as_ptr()),
                );
                let r = _mm512_permutex2var_epi8(prev, at, cur);
                let digit = _mm512_cmplt_epu8_mask(
                    _mm512_sub_epi8(r, _mm512_set1_epi8(b'0' as i8)),
                    _mm512_set1_epi8(10),
                );
                let lz = _mm512_lzcnt_epi64(_mm512_movm_epi8(!digit));
                // The byte before a colon is not a digit: not an index.
                if _mm512_mask_cmpeq_epi64_mask(lanes, lz, _mm512_setzero_si512()) != 0 {
                    return None;
                }
                // Eight digits: the index may be longer; the scalar way
                // for the rest of the line (folding a colon twice changes
                // no minimum or maximum; the order restarts from the
                // block's start).
                if _mm512_mask_cmpeq_epi64_mask(lanes, lz, _mm512_set1_epi64(64)) != 0 {
                    self.scalar = true;
                    let k = std::mem::transmute::<__m512i, [u64; 8]>(entry_last)[0];
                    self.each.last = k as i64;
                    return self.each.fold(text, base, block, co);
                }
                let top = _mm512_sllv_epi64(
                    _mm512_set1_epi64(-1),
                    _mm512_sub_epi64(_mm512_set1_epi64(64), lz),
                );
                let digits = _mm512_and_si512(_mm512_and_si512(r, top), _mm512_set1_epi8(0x0F));
                let key = _mm512_shuffle_epi8(digits, load(Self::REVERSE.as_ptr()));
                self.min = _mm512_mask_min_epu64(self.min, lanes, self.min, key);
                self.max = _mm512_mask_max_epu64(self.max, lanes, self.max, key);
                // Each lane against the one before (lane 0 against the
                // last key), then the last lane becomes `last`.
                let before = _mm512_alignr_epi64::<7>(key, self.last);
                let up = _mm512_mask_cmpgt_epi64_mask(lanes, key, before);
                self.unordered |= lanes & !up;
                let top = (n - first).min(8) as i64 - 1;
                self.last = _mm512_permutexvar_epi64(_mm512_set1_epi64(top), key);
                first += 8;
            }
        }
        Some(())
    }

    #[inline(always)]
    fn finish(self) -> (u64, u64, bool) {
        // SAFETY: plain 64-byte values.
        let (min, max) = unsafe {
            (
                std::mem::transmute::<std::arch::x86_64::__m512i, [u64; 8]>(self.min),
                std::mem::transmute::<std::arch::x86_64::__m512i, [u64; 8]>(self.max),
            )
        };
        let mut each = self.each;
        each.min_key = min.iter().fold(each.min_key, |a, &k| a.min(k));
        each.max_key = max.iter().fold(each.max_key, |a, &k| a.max(k));
        let (min, max, ascending) = each.finish();
        (min, max, ascending && self.unordered == 0)
    }
}

/// Byte-at-a-time masks (other targets; tested against the SIMD ones).
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(super) struct Portable;

#[cfg(any(test, not(target_arch = "x86_64")))]
impl Masker for Portable {
    type Indices = EachIndex;

    #[inline(always)]
    fn masks64(b: &[u8; 64], d: u8, d2: u8) -> Masks64 {
        masks64_portable(b, d, d2)
    }
}

/// [`Masker::masks64`] a byte at a time (other targets; the SIMD copies
/// are tested against it).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn masks64_portable(b: &[u8; 64], d: u8, d2: u8) -> Masks64 {
    let mut m = Masks64::default();
    for (i, &c) in b.iter().enumerate() {
        m.digit |= (c.is_ascii_digit() as u64) << i;
        m.zero |= ((c == b'0') as u64) << i;
        m.dot |= ((c == b'.') as u64) << i;
        m.minus |= ((c == b'-') as u64) << i;
        m.delim |= ((c == d) as u64) << i;
        m.delim2 |= ((c == d2) as u64) << i;
        m.newline |= ((c == b'\n') as u64) << i;
    }
    m
}

multiversion! {
/// Checks a whole run of delimited cells at once, 64 bytes per step:
/// `Some((cells, nonzero))` when every cell of `text` (split at `d`) is a
/// plain decimal number — an optional `-`, digits with at most one `.`,
/// at least one digit, no `+`, exponent or blank — with the number of
/// cells and of cells that are not zero. `None` otherwise (the caller then
/// checks cell by cell). Every such cell is a number to
/// [`classify`], never NaN, and zero exactly when all its digits are `0`:
/// it could only round to zero after more than 300 zeros, and rows with 64
/// zeros in a row are left to the caller.
///
/// Per 64-byte block, with bit `i` for byte `i` and carries between
/// blocks: a `-` only where a cell starts; the byte before each cell end
/// (a delimiter or the end) is a digit, or a `.` after a digit; after a
/// `.` come digits and then a cell end (found by adding the dot+1 bits to
/// the digit bits: the carry runs through the digits to the byte after
/// them); a cell is non-zero when the first byte from its start that is
/// not `0`, `.` or `-` is a digit (the same carry trick).
    plain_fields => plain_fields_with(text: &[u8], d: u8) -> Option<(u64, u64)>
}

/// [`plain_fields`] with the masks of `M`.
#[inline(always)]
fn plain_fields_with<M: Masker>(text: &[u8], d: u8) -> Option<(u64, u64)> {
    if matches!(d, b'0'..=b'9' | b'.' | b'-') {
        return None;
    }
    let mut base = 0usize;
    let mut cells = 1u64;
    let mut nonzero = 0u64;
    // Carries from the previous block: its last byte's delimiter bit and
    // the value checks' carries. (A cell starts at byte 0: as if a
    // delimiter came before it.)
    let mut prev_delim = 1u64 << 63;
    let mut carry = ValueCarry::default();
    let mut buf = [0u8; 64];
    loop {
        let (block, n, valid, end) = block_at(text, base, &mut buf);
        let m = M::masks64(block, d, d);
        let (g, z, p, minus, dl) = (
            m.digit & valid,
            m.zero & valid,
            m.dot & valid,
            m.minus & valid,
            m.delim & valid,
        );
        // A block of 64 '0's: a cell may have hundreds of zeros before
        // its first other digit and round to zero; classify decides.
        if valid & !(g | p | minus | dl) != 0 || z == !0 {
            return None;
        }
        let starts = (dl << 1) | (prev_delim >> 63);
        nonzero += plain_values(g, z, p, minus, starts, dl | end, &mut carry)?;
        cells += dl.count_ones() as u64;
        if n < 64 {
            return Some((cells, nonzero));
        }
        prev_delim = dl;
        base += 64;
    }
}

/// The 64 bytes of `text` from `base` (the last, short block copied into
/// `buf` with zeros after the text), how many of them are text, the mask
/// of those, and the bit just after a short block's text (0 for a full
/// block).
#[inline(always)]
fn block_at<'a>(
    text: &'a [u8],
    base: usize,
    buf: &'a mut [u8; 64],
) -> (&'a [u8; 64], usize, u64, u64) {
    let n = (text.len() - base).min(64);
    let block: &[u8; 64] = match text.get(base..base + 64) {
        Some(b) => b.try_into().expect("64 bytes"),
        None => {
            buf[..n].copy_from_slice(&text[base..]);
            buf
        }
    };
    let valid = if n == 64 { !0 } else { (1u64 << n) - 1 };
    let end = if n == 64 { 0 } else { 1u64 << n };
    (block, n, valid, end)
}

/// What [`plain_values`] carries from one block to the next: the last
/// bytes' digit and dot bits and its two additions' carries out.
#[derive(Debug, Clone, Copy, Default)]
struct ValueCarry {
    digit: u64,
    dot: u64,
    dot_add: bool,
    start_add: bool,
}

/// The checks of plain decimal values on one block (bit masks of digits
/// `g`, zeros `z`, dots `p`, minus signs; value starts and ends), shared
/// by CSV cells and LibSVM values: a `-` only where a value starts; the
/// byte before each end is a digit, or a `.` after a digit; after a `.`
/// come digits and then an end (adding the dot+1 bits to the digit bits:
/// the carry runs through the digits to the byte after them). The number
/// of values that are not zero (the first byte from the start that is not
/// `0`, `.` or `-` is a digit: the same carry trick), or `None`.
#[inline(always)]
fn plain_values(
    g: u64,
    z: u64,
    p: u64,
    minus: u64,
    starts: u64,
    ends: u64,
    carry: &mut ValueCarry,
) -> Option<u64> {
    if minus & !starts != 0 {
        return None;
    }
    let g1 = (g << 1) | (carry.digit >> 63);
    let g2 = (g << 2) | (carry.digit >> 62);
    let p1 = (p << 1) | (carry.dot >> 63);
    if ends & !(g1 | (p1 & g2)) != 0 {
        return None;
    }
    let (y, dot_add) = add_carry(g, p1, carry.dot_add);
    if y & !g & !ends != 0 {
        return None;
    }
    let filler = z | p | minus;
    let (y, start_add) = add_carry(starts, filler, carry.start_add);
    *carry = ValueCarry {
        digit: g,
        dot: p,
        dot_add,
        start_add,
    };
    Some((y & !filler & g & !z).count_ones() as u64)
}

multiversion! {
/// Checks a JSON array of numbers at once, 64 bytes per step, as
/// [`plain_fields`] checks CSV cells. `text` starts just after the `[`;
/// `Some((n, close))` when the array is `n >= 1` numbers in JSON's grammar
/// without an exponent — `-?(0|[1-9][0-9]*)(\.[0-9]+)?` — separated by
/// `,` throughout or by `, ` throughout (what `json.dumps` writes by
/// default), with no other whitespace and no 64-byte block of digits (so
/// under 128 digits in a row, far from `f64`'s range: `serde_json` reads
/// each as a finite number), closed by the `]` at `text[close]`. `None`
/// otherwise: the caller then reads the array element by element. The
/// scan stops at the first byte that cannot belong to such an array, so
/// it costs at most a block more than the array, whatever follows. On top
/// of [`plain_fields`]' checks: a `.` has a digit on each side, and an
/// integer part that starts with `0` is just that `0`.
    json_numbers => json_numbers_with(text: &[u8]) -> Option<(u64, usize)>
}

/// [`json_numbers`] of the array whose `[` is at `data[open]`: its
/// length and the index just past its `]`; `None` when that check cannot
/// vouch for the array.
#[inline]
pub(crate) fn json_array_end(data: &[u8], open: usize) -> Option<(u64, usize)> {
    let (n, close) = json_numbers(data.get(open + 1..)?)?;
    Some((n, open + 2 + close))
}

/// [`json_numbers`] with the masks of `M`: the separator style is the one
/// after the first number (looked for in the first 130 bytes: a longer
/// number is refused anyway).
#[inline(always)]
fn json_numbers_with<M: Masker>(text: &[u8]) -> Option<(u64, usize)> {
    let k = text
        .iter()
        .take(130)
        .position(|c| !matches!(c, b'0'..=b'9' | b'.' | b'-'))?;
    if text[k] == b',' && text.get(k + 1) == Some(&b' ') {
        json_numbers_sep::<M, true>(text)
    } else {
        json_numbers_sep::<M, false>(text)
    }
}

/// [`json_numbers`] for one separator style (`SPACED`: `, `).
#[inline(always)]
fn json_numbers_sep<M: Masker, const SPACED: bool>(text: &[u8]) -> Option<(u64, usize)> {
    let mut base = 0usize;
    let mut cells = 1u64;
    // The previous block's masks, for the bits that cross into this one
    // (a value starts at byte 0: as if a separator came before it).
    let mut prev_sep = 1u64 << 63;
    let mut prev_comma = 0u64;
    let mut prev = (0u64, 0u64); // digits, dots
    let mut prev_minus = 0u64;
    let mut prev_zero_start = 0u64;
    let mut carry = ValueCarry::default();
    let mut buf = [0u8; 64];
    loop {
        prefetch(text, base + PREFETCH);
        let (block, n, valid, _) = block_at(text, base, &mut buf);
        let m = M::masks64(block, b',', b' ');
        let spaces = if SPACED { m.delim2 } else { 0 };
        // The array ends at the first byte that is not a number byte or a
        // separator: it must be the `]` (the zeros after a short block's
        // text are not).
        let other = valid & !(m.digit | m.dot | m.minus | m.delim | spaces);
        let (valid, end, close) = if other != 0 {
            let x = other.trailing_zeros() as usize;
            if block[x] != b']' {
                return None;
            }
            ((1u64 << x) - 1, 1u64 << x, Some(base + x))
        } else if n < 64 {
            return None;
        } else {
            (!0, 0, None)
        };
        let (g, z, p, minus, comma, space) = (
            m.digit & valid,
            m.zero & valid,
            m.dot & valid,
            m.minus & valid,
            m.delim & valid,
            spaces & valid,
        );
        // 64 digits in a row may be part of a number near f64's range.
        if g == !0 {
            return None;
        }
        let comma1 = (comma << 1) | (prev_comma >> 63);
        // `, `: a space after every comma and nowhere else.
        if SPACED && space != comma1 & valid {
            return None;
        }
        let sep = if SPACED { space } else { comma };
        let starts = (sep << 1) | (prev_sep >> 63);
        let g1 = (g << 1) | (prev.0 >> 63);
        let p1 = (p << 1) | (prev.1 >> 63);
        let minus1 = (minus << 1) | (prev_minus >> 63);
        // A digit before and after each dot (the bit of the `]` is no
        // digit: "1.]" fails). A minus sign is followed by a digit
        // already: by a dot fails here, by a separator or the `]` in
        // `plain_values`.
        if p & !g1 != 0 || p1 & !g & (valid | end) != 0 {
            return None;
        }
        // A leading 0 followed by a digit ("01").
        let zero_start = z & (starts | minus1);
        if ((zero_start << 1) | (prev_zero_start >> 63)) & g != 0 {
            return None;
        }
        plain_values(g, z, p, minus, starts, comma | end, &mut carry)?;
        cells += comma.count_ones() as u64;
        if let Some(close) = close {
            return Some((cells, close));
        }
        prev_sep = sep;
        prev_comma = comma;
        prev = (g, p);
        prev_minus = minus;
        prev_zero_start = zero_start;
        base += 64;
    }
}

/// What [`plain_pairs`] found: the pairs, their non-zero values, and the
/// smallest and largest index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pairs {
    pub(crate) count: u64,
    pub(crate) nonzero: u64,
    pub(crate) min_index: u64,
    pub(crate) max_index: u64,
    /// Each index is larger than the one before it.
    pub(crate) ascending: bool,
}

multiversion! {
/// Checks the `idx:val` tokens of a LibSVM line at once, 64 bytes per
/// step, as [`plain_fields`] checks CSV cells: `Some` when `text` is
/// tokens separated by single spaces (none first or last), each an index
/// of 1 to 19 digits, a `:` and a plain decimal value (optional `-`,
/// digits with at most one `.`); `None` otherwise (the caller then checks
/// token by token). Each index is read back from its colon, on its own
/// (no chain from one token to the next); with AVX-512 VBMI, eight at
/// a time ([`Avx512Vbmi`]).
    vbmi plain_pairs => plain_pairs_with(text: &[u8]) -> Option<Pairs>
}

multiversion! {
/// [`plain_pairs`] of the tokens from the start of `text` to its first
/// `\n` (or its end), found in the same pass: `Some` with the pairs and
/// where that newline is. Lets a chunk's lines be checked without first
/// searching each one's end; a line ending in `\r\n` is `None`.
    vbmi plain_pairs_line => plain_pairs_line_with(text: &[u8]) -> Option<(Pairs, usize)>
}

/// [`plain_pairs`] with the masks of `M`.
#[inline(always)]
fn plain_pairs_with<M: Masker>(text: &[u8]) -> Option<Pairs> {
    let len = text.len();
    if len == 0 || text[len - 1] == b' ' {
        return None;
    }
    pairs_with::<M, false>(text).map(|(pairs, _)| pairs)
}

/// [`plain_pairs_line`] with the masks of `M`.
#[inline(always)]
fn plain_pairs_line_with<M: Masker>(text: &[u8]) -> Option<(Pairs, usize)> {
    let (pairs, len) = pairs_with::<M, true>(text)?;
    (len > 0 && text[len - 1] != b' ').then_some((pairs, len))
}

/// The scan under [`plain_pairs`] (the whole of `text`) and
/// [`plain_pairs_line`] (`LINE`: up to the first newline), with the
/// length scanned. A last space is the caller's to refuse.
#[inline(always)]
fn pairs_with<M: Masker, const LINE: bool>(text: &[u8]) -> Option<(Pairs, usize)> {
    let mut base = 0usize;
    let (mut count, mut nonzero) = (0u64, 0u64);
    let mut indices = M::Indices::new();
    // Carries from the previous block (a token starts at byte 0).
    let (mut prev_space, mut prev_colon) = (1u64 << 63, 0u64);
    let mut carry_index = false;
    let mut carry = ValueCarry::default();
    let mut buf = [0u8; 64];
    let len = loop {
        let (block, mut n, mut valid, mut end) = block_at(text, base, &mut buf);
        let m = M::masks64(block, b' ', b':');
        if LINE {
            // Nothing has read the line before: ask for what follows.
            prefetch(text, base + PREFETCH);
            let nl = m.newline & valid;
            if nl != 0 {
                n = nl.trailing_zeros() as usize;
                valid = (1u64 << n) - 1;
                end = 1u64 << n;
            }
        }
        let (g, z, p, minus, sp, co) = (
            m.digit & valid,
            m.zero & valid,
            m.dot & valid,
            m.minus & valid,
            m.delim & valid,
            m.delim2 & valid,
        );
        if valid & !(g | p | minus | sp | co) != 0 || z == !0 {
            return None;
        }
        let tok = (sp << 1) | (prev_space >> 63);
        // Single spaces; every token starts with a digit, and its first
        // byte that is not a digit is its colon (one per token).
        if sp & tok != 0 || tok & valid & !g != 0 {
            return None;
        }
        // (A token that runs to the end without a colon lands on `end`.)
        let (y, c0) = add_carry(tok & valid, g, carry_index);
        if y & !g & (valid | end) != co {
            return None;
        }
        // Values: from after the colon to the space or the end.
        let vstart = (co << 1) | (prev_colon >> 63);
        nonzero += plain_values(g, z, p, minus, vstart, sp | end, &mut carry)?;
        count += co.count_ones() as u64;
        indices.fold(text, base, block, co)?;
        if n < 64 {
            break base + n;
        }
        (prev_space, prev_colon, carry_index) = (sp, co, c0);
        base += 64;
    };
    let (min_index, max_index, ascending) = indices.finish();
    Some((
        Pairs {
            count,
            nonzero,
            min_index,
            max_index,
            ascending,
        },
        len,
    ))
}

/// The index whose digits end before the colon at `text[c]` (digits
/// checked, at least one, back to the token's start), as an order key:
/// [`IndexKey::Short`] for up to 8 digits (the digit values, zero-padded
/// to 8, most significant in the highest byte: ordered as the numbers
/// are, converted only for the smallest and largest), else the value
/// ([`IndexKey::Long`]); `None` past 19 digits. The eight bytes before the
/// colon are checked at once (SWAR) when there are eight.
#[inline(always)]
fn index_before(text: &[u8], c: usize) -> Option<IndexKey> {
    if c >= 8 {
        let x = u64::from_le_bytes(text[c - 8..c].try_into().expect("8 bytes"));
        let t = x & !HIGH;
        let digit = t.wrapping_add(0x50 * ONES) & !t.wrapping_add(0x46 * ONES) & !x & HIGH;
        let other = !digit & HIGH;
        if other >> 63 != 0 {
            return None; // no digit before the colon (the checks exclude it)
        }
        if other != 0 {
            // Byte 7 is the last digit: the digits are the top bytes above
            // the highest non-digit; zeros (leading 0s) below them.
            let keep = 64 - (other.leading_zeros() + 1) / 8 * 8;
            let x = (x & !((1u64 << keep) - 1)) & (0x0F * ONES);
            return Some(IndexKey::Short(x.swap_bytes()));
        }
    }
    let start = text[..c]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |k| k + 1);
    if c - start > 19 {
        return None;
    }
    let v = text[start..c]
        .iter()
        .fold(0u64, |v, &b| v * 10 + (b - b'0') as u64);
    Some(if c - start <= 8 {
        IndexKey::Short(short_key(v))
    } else {
        IndexKey::Long(v)
    })
}

/// An index as [`index_before`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexKey {
    /// Up to 8 digits: digit values, most significant byte first.
    Short(u64),
    /// More digits: the value.
    Long(u64),
}

impl IndexKey {
    /// The index.
    #[inline]
    fn value(self) -> u64 {
        match self {
            IndexKey::Short(k) => short_value(k),
            IndexKey::Long(v) => v,
        }
    }
}

/// The [`IndexKey::Short`] key of `v` (< 10^8).
fn short_key(mut v: u64) -> u64 {
    let mut key = 0u64;
    for k in 0..8 {
        key |= (v % 10) << (8 * k);
        v /= 10;
    }
    key
}

/// The value of an [`IndexKey::Short`] key.
#[inline]
fn short_value(key: u64) -> u64 {
    eight_digits(key.swap_bytes())
}

/// The value of eight decimal digit values (0..=9, one per byte, the most
/// significant in the lowest byte).
#[inline(always)]
fn eight_digits(x: u64) -> u64 {
    let x = (x.wrapping_mul(10) + (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x.wrapping_mul(100) + (x >> 16)) & 0x0000_FFFF_0000_FFFF;
    (x.wrapping_mul(10_000) + (x >> 32)) & 0xFFFF_FFFF
}

/// `a + b + carry` and the carry out.
#[inline(always)]
fn add_carry(a: u64, b: u64, carry: bool) -> (u64, bool) {
    let (s, c1) = a.overflowing_add(b);
    let (s, c2) = s.overflowing_add(carry as u64);
    (s, c1 || c2)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Where the run of ASCII digits starting at `s[i]` ends, and whether any
/// of them is not `0`. Eight bytes at a time (SWAR): a byte `b` is a digit
/// when its high bit is clear, `b + 0x50` has it set (`b >= 0x30`) and
/// `b + 0x46` has not (`b < 0x3A`); with the high bits masked off first
/// no addition carries into the next byte.
#[inline(always)]
fn digit_run(s: &[u8], mut i: usize) -> (usize, bool) {
    let mut nonzero = false;
    while let Some(w) = s.get(i..i + 8) {
        let x = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        let t = x & !HIGH;
        let digit = t.wrapping_add(0x50 * ONES) & !t.wrapping_add(0x46 * ONES) & !x & HIGH;
        let other = !digit & HIGH;
        let zeros = x ^ (0x30 * ONES);
        if other == 0 {
            nonzero |= zeros != 0;
            i += 8;
            continue;
        }
        // Little endian: the first byte that is not a digit is the lowest
        // set bit; `k` digits come before it (k < 8).
        let k = other.trailing_zeros() / 8;
        nonzero |= zeros & ((1u64 << (8 * k)) - 1) != 0;
        return (i + k as usize, nonzero);
    }
    while let Some(&b) = s.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        nonzero |= b != b'0';
        i += 1;
    }
    (i, nonzero)
}

/// `nan`, `inf`, `infinity` (any case) after an optional sign.
#[cold]
fn special(s: &[u8]) -> Class {
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"nan") {
        Class::Nan
    } else if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        if neg {
            Class::Negative
        } else {
            Class::Positive
        }
    } else {
        Class::NotNumber
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `$generic::<M>(args)` for every [`Masker`] this CPU runs and
    /// the dispatching `$name(args)`, asserts they all agree, and returns
    /// the answer.
    macro_rules! every_level {
        ($name:ident, $generic:ident, $($arg:expr),*) => {{
            let want = $generic::<Portable>($($arg),*);
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!($generic::<Sse2>($($arg),*), want, "sse2");
                if std::arch::is_x86_feature_detected!("avx2") {
                    assert_eq!($generic::<Avx2>($($arg),*), want, "avx2");
                }
                if std::arch::is_x86_feature_detected!("avx512bw") {
                    assert_eq!($generic::<Avx512>($($arg),*), want, "avx512");
                }
                if level() == Level::Avx512Vbmi {
                    assert_eq!($generic::<Avx512Vbmi>($($arg),*), want, "avx512 vbmi");
                }
            }
            assert_eq!($name($($arg),*), want, "dispatch");
            want
        }};
    }

    fn plain_fields_every(text: &[u8], d: u8) -> Option<(u64, u64)> {
        every_level!(plain_fields, plain_fields_with, text, d)
    }

    fn plain_pairs_every(text: &[u8]) -> Option<Pairs> {
        let want = every_level!(plain_pairs, plain_pairs_with, text);
        // The same tokens as a line among others: ended by a newline
        // (anything after it unread), or by the end of the text; a `\r`
        // before the newline is refused.
        let mut line = text.to_vec();
        assert_eq!(
            every_level!(plain_pairs_line, plain_pairs_line_with, &line),
            want.map(|p| (p, text.len())),
            "at the end"
        );
        line.extend_from_slice(b"\n1:2 3:4 x\n\n9:9");
        assert_eq!(
            every_level!(plain_pairs_line, plain_pairs_line_with, &line),
            want.map(|p| (p, text.len())),
            "before a newline"
        );
        line.insert(text.len(), b'\r');
        assert_eq!(
            every_level!(plain_pairs_line, plain_pairs_line_with, &line),
            None,
            "before \\r\\n"
        );
        want
    }

    /// What `str::parse::<f64>` says, after the same trim (the reference
    /// rule the classifier must not drift from).
    fn std_class(s: &[u8]) -> Class {
        Class::of(
            std::str::from_utf8(trim(s))
                .ok()
                .and_then(|t| t.parse::<f64>().ok()),
        )
    }

    /// A generated set of tricky texts: every combination of sign,
    /// integer part, dot, fraction, exponent and suffix, plus specials,
    /// whitespace, hex and long digit strings.
    fn corpus() -> Vec<Vec<u8>> {
        let signs = ["", "+", "-", "--", "+-"];
        let ints = ["", "0", "00", "1", "007", "12345678901234567890123", "9"];
        let dots = ["", "."];
        let fracs = ["", "0", "000", "5", "0001", "25"];
        let exps = [
            "",
            "e",
            "E",
            "e5",
            "E+3",
            "e-3",
            "e+",
            "e-",
            "e-400",
            "e400",
            "e-320",
            "e-324",
            "e-323",
            "e308",
            "e309",
            "e-99999999999999999999",
            "e99999999999999999999",
            "ee1",
            "e1.5",
            "e0",
        ];
        let suffixes = ["", " ", "\t", "\r", "x", ".", ",", "f", "d", "_1"];
        let mut out: Vec<Vec<u8>> = Vec::new();
        for s in signs {
            for i in ints {
                for d in dots {
                    for f in fracs {
                        for e in exps {
                            out.push(format!("{s}{i}{d}{f}{e}").into_bytes());
                        }
                    }
                }
            }
        }
        let mut more = Vec::new();
        for base in out.iter().step_by(7) {
            for suf in suffixes {
                let mut t = base.clone();
                t.extend_from_slice(suf.as_bytes());
                more.push(t);
                let mut t = suf.as_bytes().to_vec();
                t.extend_from_slice(base);
                more.push(t);
            }
        }
        out.extend(more);
        for sp in [
            "nan",
            "NaN",
            "NAN",
            "-nan",
            "+nan",
            "nan(1)",
            "nanx",
            "na",
            "inf",
            "Inf",
            "-inf",
            "+INF",
            "infinity",
            "Infinity",
            "-INFINITY",
            "+infinity",
            "infin",
            "infinit",
            "infinityy",
            "infinit y",
            "-",
            "+",
            ".",
            "-.",
            "+.",
            "e",
            "E",
            "-e",
            ".e1",
            "0x10",
            "0X1p3",
            "0x",
            "1_000",
            "1,5",
            "١",
            "1e1e1",
            " ",
            "",
            "\t1\t",
            " -0 ",
            "0.",
            "-0.",
            ".0",
            "-.0e5",
            "1.e5",
            "1.E-5",
            "+.5",
            "- 1",
            "1 2",
            "1\r",
            "\r1",
            "∞",
            "1e+0",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "-2.4703282292062328e-324",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "-1e400",
            "1e1048577",
            "1e-1048577",
            "0.5e1048576",
            "-0.5e-1048576",
            "12345678.12345678e-330",
            "00000000.00000000",
            "0000000000000001",
        ] {
            out.push(sp.as_bytes().to_vec());
        }
        // Very long digit strings, around the underflow boundary too.
        out.push("1".repeat(500).into_bytes());
        out.push("0".repeat(500).into_bytes());
        out.push(format!("0.{}1", "0".repeat(350)).into_bytes());
        out.push(format!("0.{}1", "0".repeat(330)).into_bytes());
        out.push(format!("0.{}1e30", "0".repeat(350)).into_bytes());
        out.push(format!("-0.{}1", "0".repeat(400)).into_bytes());
        out.push(format!("{}e-330", "1".repeat(40)).into_bytes());
        out.push(format!("0.{}", "0".repeat(400)).into_bytes());
        out.push(format!("{}.5e-1", "0".repeat(400)).into_bytes());
        out
    }

    #[test]
    fn agrees_with_std_parse_and_parse_f64_on_tricky_texts() {
        let corpus = corpus();
        assert!(corpus.len() > 8000, "{}", corpus.len());
        let mut seen = [0usize; 5];
        for t in &corpus {
            let got = classify(t);
            let show = String::from_utf8_lossy(t);
            assert_eq!(got, std_class(t), "classify vs str::parse on {show:?}");
            assert_eq!(
                got,
                Class::of(parse_f64(t)),
                "classify vs parse_f64 on {show:?}"
            );
            seen[got as usize] += 1;
        }
        // The corpus exercises every class.
        assert!(seen.iter().all(|&c| c > 0), "{seen:?}");
    }

    #[test]
    fn scans_a_number_up_to_where_it_ends() {
        // Every corpus text followed by a delimiter: the scan stops at the
        // delimiter exactly when the text is a decimal number, and then
        // agrees with classify.
        for t in corpus() {
            let mut line = b"7,".to_vec();
            line.extend_from_slice(&t);
            line.extend_from_slice(b",8");
            let (c, end) = scan(&line, 2);
            let whole = end == 2 + t.len() && c != Class::NotNumber;
            let want = classify(&t);
            let show = String::from_utf8_lossy(&t);
            if whole {
                assert_eq!(c, want, "{show:?}");
            } else {
                // Only the nan/inf spellings, whitespace and non-numbers
                // are left to the slow path.
                assert!(
                    want == Class::NotNumber
                        || special(trim(&t)) != Class::NotNumber
                        || trim(&t) != &t[..],
                    "{show:?} scanned as {c:?} to {end}, classify says {want:?}"
                );
            }
        }
        assert_eq!(scan(b"1e,", 0), (Class::Positive, 1));
        assert_eq!(scan(b"-0.0e5 ", 0), (Class::Zero, 6));
        assert_eq!(scan(b"x", 0), (Class::NotNumber, 0));
    }

    #[test]
    fn agrees_with_std_parse_on_random_texts() {
        // Texts of up to 24 bytes over the bytes that matter (digits,
        // signs, dot, exponent, nan/inf letters, blanks, a delimiter and
        // bytes next to '0' and '9'), from a fixed xorshift sequence.
        let alphabet = b"0000123456789..--++eEeE nNaAiIfFtyx,/:\t\r\x80\xb0";
        let mut rng = crate::testutil::XorShift(0x9E37_79B9_7F4A_7C15u64);
        let mut next = || rng.next_u64();
        let mut t = Vec::new();
        for _ in 0..200_000 {
            t.clear();
            let len = next() % 25;
            for _ in 0..len {
                t.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            assert_eq!(
                classify(&t),
                std_class(&t),
                "{:?}",
                String::from_utf8_lossy(&t)
            );
        }
    }

    #[test]
    fn finds_digit_runs_in_every_alignment() {
        for len in 0..20 {
            for zeros in [true, false] {
                let digits = if zeros {
                    "0".repeat(len)
                } else {
                    format!("{}7", "0".repeat(len))
                };
                for tail in ["", ",", "x", "/", ":", "\u{e9}"] {
                    let s = format!("{digits}{tail}12");
                    let (end, nz) = digit_run(s.as_bytes(), 0);
                    assert_eq!(
                        end,
                        digits.len() + if tail.is_empty() { 2 } else { 0 },
                        "{s}"
                    );
                    assert_eq!(nz, !zeros || tail.is_empty(), "{s}");
                }
            }
        }
    }

    #[test]
    fn short_numbers_agree_with_classify() {
        // Every corpus text and random 16-byte windows, followed by a
        // delimiter: whenever short_number answers, classify agrees on the
        // text before the byte it stopped at.
        let mut windows: Vec<Vec<u8>> = corpus()
            .into_iter()
            .map(|mut t| {
                t.extend_from_slice(b",1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6");
                t
            })
            .collect();
        let alphabet = b"00123456789.-+eE ,x\x80";
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..200_000 {
            let mut w = Vec::with_capacity(16);
            for _ in 0..16 {
                x = crate::testutil::xorshift(x);
                w.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            windows.push(w);
        }
        let mut answered = 0;
        for w in windows.iter().filter(|w| w.len() >= 16) {
            let w: &[u8; 16] = w[..16].try_into().unwrap();
            if let Some((c, e)) = short_number(w) {
                answered += 1;
                assert!(e < 16);
                assert!(!matches!(w[e], b'0'..=b'9' | b'.' | b'+' | b'-'));
                let show = String::from_utf8_lossy(&w[..e]);
                assert_eq!(c, classify(&w[..e]), "{show:?}");
                assert_eq!(c, std_class(&w[..e]), "{show:?}");
            }
        }
        assert!(answered > 10_000, "{answered}");
        assert_eq!(
            short_number(b"-8.954121,1.5,2,"),
            Some((Class::Negative, 9))
        );
        assert_eq!(short_number(b"-0.000,1.5,2,3,4"), Some((Class::Zero, 6)));
        assert_eq!(
            short_number(b"1.5e3,1.5,2,3,4,"),
            Some((Class::Positive, 3))
        );
        assert_eq!(short_number(b"1-2,1.5,2,3,4,5,"), None);
        assert_eq!(short_number(b"1.2.3,1.5,2,3,4,"), None);
        assert_eq!(short_number(b"-.,1.5,2,3,4,5,6"), None);
        assert_eq!(short_number(b"1234567890123456"), None);
    }

    /// What `plain_fields` must say: every cell plain (only digits, '.'
    /// and '-') and a number; the cells and the non-zero ones.
    fn plain_reference(text: &[u8], d: u8) -> Option<(u64, u64)> {
        let mut cells = 0;
        let mut nonzero = 0;
        for c in text.split(|&b| b == d) {
            if !c
                .iter()
                .all(|&b| b.is_ascii_digit() || b == b'.' || b == b'-')
            {
                return None;
            }
            match classify(c) {
                Class::Zero => {}
                Class::Positive | Class::Negative => nonzero += 1,
                Class::NotNumber | Class::Nan => return None,
            }
            cells += 1;
        }
        Some((cells, nonzero))
    }

    /// Pieces of numbers, most of them not numbers on their own, for the
    /// random rows of the agreement tests.
    const BROKEN_NUMBER_PIECES: [&[u8]; 16] = [
        b"0", b"00", b"7", b"-", b".", b"12", b"0.0", b"-0", b"5.", b".5", b"-.", b"1-", b"..",
        b"e", b"+", b" ",
    ];

    #[test]
    fn plain_fields_agree_with_classify_cell_by_cell() {
        let mut rng = crate::testutil::XorShift(0x1234_5678_9ABC_DEF1u64);
        let mut next = || rng.next_u64();
        // Random rows of random cells (mostly numbers, some broken), long
        // enough to cross several 64-byte blocks at every alignment.
        let pieces = BROKEN_NUMBER_PIECES;
        let mut seen = [0usize; 2];
        let mut row = Vec::new();
        for _ in 0..60_000 {
            row.clear();
            let cells = next() % 40;
            let broken = next() % 4 == 0;
            for c in 0..cells {
                if c > 0 {
                    row.push(b',');
                }
                if broken {
                    for _ in 0..next() % 4 {
                        row.extend_from_slice(pieces[(next() % 16) as usize]);
                    }
                } else {
                    if next() % 3 == 0 {
                        row.push(b'-');
                    }
                    let digits = next() % 12;
                    for k in 0..digits {
                        if k == digits / 2 && next() % 2 == 0 {
                            row.push(b'.');
                        }
                        row.push(if next() % 3 == 0 {
                            b'0' + (next() % 10) as u8
                        } else {
                            b'0'
                        });
                    }
                    if digits == 0 {
                        row.push(b'0' + (next() % 10) as u8);
                    }
                }
            }
            let want = plain_reference(&row, b',');
            let got = plain_fields_every(&row, b',');
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&row));
            seen[want.is_some() as usize] += 1;
        }
        assert!(seen[0] > 1000 && seen[1] > 1000, "{seen:?}");
        // Cells too long to be sure of (300 digits) are left to classify.
        let long = format!("1,0.{}1,2", "0".repeat(400));
        assert_eq!(plain_fields_every(long.as_bytes(), b','), None);
        assert_eq!(plain_fields_every(b"1,-2.5,0.00,3", b','), Some((4, 3)));
        assert_eq!(plain_fields_every(b"1;-0;.0;3.", b';'), Some((4, 2)));
        assert_eq!(plain_fields_every(b"", b','), None);
        assert_eq!(plain_fields_every(b"1,", b','), None);
        assert_eq!(plain_fields_every(b",1", b','), None);
    }

    /// `json_numbers` on the array `[text]` followed by more of a line
    /// (and on `text` without its `]`, which is never an array): the
    /// count, the `]` found where it is.
    fn json_numbers_every(text: &[u8]) -> Option<u64> {
        let unclosed = every_level!(json_numbers, json_numbers_with, text);
        assert_eq!(unclosed, None, "no ]: {:?}", String::from_utf8_lossy(text));
        let mut line = text.to_vec();
        line.extend_from_slice(b"],\"x\":[1,2]}");
        let got = every_level!(json_numbers, json_numbers_with, &line);
        got.map(|(n, close)| {
            assert_eq!(close, text.len(), "{:?}", String::from_utf8_lossy(text));
            n
        })
    }

    /// What `json_numbers` may say: `Some(n)` exactly when `[text]` is a
    /// JSON array of `n >= 1` numbers written the way it reads them (no
    /// exponent, the first comma's separator throughout, no other
    /// whitespace), with the longest run of digits in `text`. (With 64 to
    /// 127 digits in a row it may also say `None`; with more it must.)
    fn json_numbers_reference(text: &[u8]) -> (Option<u64>, usize) {
        let (mut run, mut longest) = (0, 0);
        for c in text {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        let want = || {
            let s = std::str::from_utf8(text).ok()?;
            let sep = match s.find(',') {
                Some(c) if s[c + 1..].starts_with(' ') => ", ",
                _ => ",",
            };
            let cells: Vec<&str> = s.split(sep).collect();
            if cells
                .iter()
                .any(|c| c.is_empty() || c.contains([' ', ',', 'e', 'E']))
            {
                return None;
            }
            let v: Vec<serde_json::Value> = serde_json::from_str(&format!("[{s}]")).ok()?;
            assert_eq!(v.len(), cells.len(), "{s:?}");
            v.iter()
                .all(|x| x.as_f64().is_some_and(f64::is_finite))
                .then_some(v.len() as u64)
        };
        (want(), longest)
    }

    /// Checks `json_numbers` on `text` against the reference; true when
    /// the text is an array it must accept.
    fn json_numbers_check(text: &[u8]) -> bool {
        let (want, longest) = json_numbers_reference(text);
        let got = json_numbers_every(text);
        let shown = String::from_utf8_lossy(text);
        match longest {
            0..64 => assert_eq!(got, want, "{shown:?}"),
            64..128 => assert!(got.is_none() || got == want, "{shown:?}: {got:?}"),
            _ => assert_eq!(got, None, "{shown:?}"),
        }
        longest < 64 && want.is_some()
    }

    #[test]
    fn json_numbers_agree_with_serde_json() {
        let mut rng = crate::testutil::XorShift(0x0DEE_9A12_3456_789Bu64);
        let mut next = || rng.next_u64();
        let pieces: Vec<&[u8]> = BROKEN_NUMBER_PIECES
            .into_iter()
            .chain([&b"01"[..], b"1e5"])
            .collect();
        let mut seen = [0usize; 2];
        let mut text = Vec::new();
        for _ in 0..60_000 {
            text.clear();
            let cells = 1 + next() % 40;
            let spaced = next() % 2 == 0;
            let broken = next() % 4 == 0;
            for c in 0..cells {
                if c > 0 {
                    text.push(b',');
                    // Now and then the other style, or more space.
                    if spaced != (broken && next() % 16 == 0) {
                        text.push(b' ');
                    }
                }
                if broken && next() % 3 == 0 {
                    for _ in 0..next() % 4 {
                        text.extend_from_slice(pieces[next() as usize % pieces.len()]);
                    }
                    continue;
                }
                if next() % 3 == 0 {
                    text.push(b'-');
                }
                // Mostly short numbers; now and then a run of digits near
                // the 64 limit.
                let digits = if next() % 50 == 0 {
                    60 + next() % 8
                } else {
                    1 + next() % 8
                };
                // A leading 0 before more digits only in broken rows.
                let zero = next() % 4 == 0 && (digits == 1 || broken);
                let lead = if zero {
                    b'0'
                } else {
                    b'1' + (next() % 9) as u8
                };
                text.push(lead);
                for _ in 1..digits {
                    text.push(b'0' + (next() % 10) as u8);
                }
                if next() % 2 == 0 {
                    text.push(b'.');
                    for _ in 0..1 + next() % 6 {
                        text.push(b'0' + (next() % 10) as u8);
                    }
                }
            }
            seen[json_numbers_check(&text) as usize] += 1;
        }
        assert!(seen[0] > 10_000 && seen[1] > 10_000, "{seen:?}");
        for (text, want) in [
            (&b"1.5,-0.25,0,-0,10"[..], Some(5)),
            (b"1.5, -0.25, 0, -0, 10", Some(5)),
            (b"7", Some(1)),
            (b"", None),
            (b"1,", None),
            (b",1", None),
            (b"1, ", None),
            (b" 1", None),
            (b"1 ,2", None),
            (b"1,2, 3", None),
            (b"1, 2,3", None),
            (b"01", None),
            (b"-01", None),
            (b"1.", None),
            (b".5", None),
            (b"-.5", None),
            (b"-", None),
            (b"1.2.3", None),
            (b"1-2", None),
            (b"1e5", None),
            (b"null", None),
            (b"\"NaN\"", None),
            (b"[1]", None),
        ] {
            assert_eq!(
                json_numbers_every(text),
                want,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        // Too long to be sure of: 400 digits are beyond f64 (serde_json
        // refuses them), 200 are not (left to the caller all the same).
        for digits in [200, 400] {
            let text = format!("1,{}", "9".repeat(digits));
            assert_eq!(json_numbers_every(text.as_bytes()), None, "{digits}");
        }
        assert_eq!(json_numbers_every(b"0"), Some(1));
        // A dot or a minus sign as the last byte of a whole block.
        for tail in [&b"."[..], b"-", b"0", b","] {
            for len in [62, 63, 64, 65, 127, 128] {
                let mut t = b"1,".repeat(len / 2);
                t.truncate(len - 1);
                if t.last() == Some(&b',') {
                    t.pop();
                    t.push(b'2');
                }
                t.extend_from_slice(tail);
                json_numbers_check(&t);
            }
        }
    }

    /// What `plain_pairs` must say, token by token.
    fn pairs_reference(text: &[u8]) -> Option<Pairs> {
        if text.is_empty() || text.ends_with(b" ") {
            return None;
        }
        let mut p = Pairs {
            count: 0,
            nonzero: 0,
            min_index: u64::MAX,
            max_index: 0,
            ascending: true,
        };
        let mut prev: Option<u64> = None;
        for t in text.split(|&b| b == b' ') {
            let c = t.iter().position(|&b| b == b':')?;
            let (idx, val) = (&t[..c], &t[c + 1..]);
            if idx.is_empty() || idx.len() > 19 || !idx.iter().all(u8::is_ascii_digit) {
                return None;
            }
            if !val
                .iter()
                .all(|&b| b.is_ascii_digit() || b == b'.' || b == b'-')
            {
                return None;
            }
            match classify(val) {
                Class::Zero => {}
                Class::Positive | Class::Negative => p.nonzero += 1,
                Class::NotNumber | Class::Nan => return None,
            }
            let i: u64 = std::str::from_utf8(idx).unwrap().parse().unwrap();
            p.ascending &= prev.is_none_or(|v| i > v);
            prev = Some(i);
            p.min_index = p.min_index.min(i);
            p.max_index = p.max_index.max(i);
            p.count += 1;
        }
        Some(p)
    }

    #[test]
    fn plain_pairs_agree_with_the_token_checks() {
        let mut rng = crate::testutil::XorShift(0xA076_1D64_78BD_642Fu64);
        let mut next = || rng.next_u64();
        let pieces: [&[u8]; 14] = [
            b"0", b"7", b"-", b".", b":", b" ", b"12", b"0.0", b"5.", b"..", b"e", b"\t", b"#",
            b"00",
        ];
        let mut seen = [0usize; 2];
        let mut order = [0usize; 2];
        let mut line = Vec::new();
        for _ in 0..60_000 {
            line.clear();
            let tokens = next() % 30;
            let broken = next() % 4 == 0;
            // Half the lines count their indices up (by 0, a repeat, to
            // 2), sometimes with leading zeros or past eight digits.
            let counting = next() % 2 == 0;
            let mut index = next() % 1000;
            for t in 0..tokens {
                if t > 0 {
                    line.push(b' ');
                }
                if broken && next() % 3 == 0 {
                    for _ in 0..next() % 4 {
                        line.extend_from_slice(pieces[(next() % 14) as usize]);
                    }
                    continue;
                }
                if counting {
                    index += next() % 3 + if next() % 40 == 0 { 1 << 30 } else { 0 };
                    // An out-of-order index now and then.
                    let i = if next() % 60 == 0 {
                        next() % 1000
                    } else {
                        index
                    };
                    let zeros = if next() % 20 == 0 { next() % 6 } else { 0 };
                    line.extend(std::iter::repeat_n(b'0', zeros as usize));
                    line.extend_from_slice(i.to_string().as_bytes());
                } else {
                    let digits = 1 + next() % if next() % 50 == 0 { 21 } else { 7 };
                    for _ in 0..digits {
                        line.push(b'0' + (next() % 10) as u8);
                    }
                }
                line.push(b':');
                if next() % 3 == 0 {
                    line.push(b'-');
                }
                let digits = next() % 10;
                for k in 0..digits {
                    if k == digits / 2 && next() % 2 == 0 {
                        line.push(b'.');
                    }
                    line.push(if next() % 3 == 0 {
                        b'0' + (next() % 10) as u8
                    } else {
                        b'0'
                    });
                }
                if digits == 0 {
                    line.push(b'0' + (next() % 10) as u8);
                }
            }
            let want = pairs_reference(&line);
            let got = plain_pairs_every(&line);
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&line));
            seen[want.is_some() as usize] += 1;
            if let Some(w) = want.filter(|w| w.count > 1) {
                order[w.ascending as usize] += 1;
            }
        }
        assert!(seen[0] > 1000 && seen[1] > 1000, "{seen:?}");
        assert!(order[0] > 1000 && order[1] > 1000, "{order:?}");
        // Sixteen 4-byte tokens a block: the smallest and the largest
        // index at every token position, whatever the other one's.
        for lo in 0..40 {
            for hi in 0..40 {
                if lo == hi {
                    continue;
                }
                let line: Vec<String> = (0..40)
                    .map(|t| match t {
                        t if t == lo => "2:1".to_string(),
                        t if t == hi => "7:1".to_string(),
                        _ => "5:1".to_string(),
                    })
                    .collect();
                let got = plain_pairs_every(line.join(" ").as_bytes()).expect("plain");
                assert_eq!((got.min_index, got.max_index), (2, 7), "{lo} {hi}");
            }
        }
        let p = |s: &str| plain_pairs_every(s.as_bytes());
        assert_eq!(
            p("3:1 12345678:0.0 9999999999999999999:-2"),
            Some(Pairs {
                count: 3,
                nonzero: 2,
                min_index: 3,
                max_index: 9_999_999_999_999_999_999,
                ascending: true,
            })
        );
        // A repeat or a step down anywhere, across blocks and past the
        // eighth index of a block, and after a long index.
        for n in [2usize, 9, 17, 40] {
            let up: Vec<String> = (0..n).map(|i| format!("{}:1", 3 * i + 1)).collect();
            assert!(p(&up.join(" ")).unwrap().ascending, "{n}");
            for at in 1..n {
                for (k, v) in [(0, "0"), (1, "repeat"), (2, "000004")] {
                    let mut t = up.clone();
                    t[at] = match k {
                        0 => format!("{v}:1"),
                        1 => t[at - 1].clone(),
                        _ => format!("{v}:1"),
                    };
                    let got = p(&t.join(" ")).unwrap();
                    // 000004 is above the index before only at the start.
                    let want = k == 2 && at == 1;
                    assert_eq!(got.ascending, want, "{n} {at} {k}: {t:?}");
                }
            }
            let mut long = up.clone();
            long.insert(n / 2, "123456789012:1".to_string());
            assert!(!p(&long.join(" ")).unwrap().ascending, "{n}");
            long.push("123456789013:1".to_string());
            long.remove(n / 2);
            assert!(p(&long.join(" ")).unwrap().ascending, "{n}");
        }
        for bad in [
            "1:2 ", " 1:2", "1:2  3:4", "1:2\t3:4", "1:", ":1", "1:2:3", "1", "qid:1", "1:1e5",
            "1:nan",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        let value = |k: Option<IndexKey>| match k {
            Some(IndexKey::Short(k)) => Some(short_value(k)),
            Some(IndexKey::Long(v)) => Some(v),
            None => None,
        };
        assert_eq!(value(index_before(b"12345678:1", 8)), Some(12_345_678));
        assert_eq!(value(index_before(b"1:2 0000042:1 ", 11)), Some(42));
        assert_eq!(value(index_before(b"1:2 5:1", 5)), Some(5));
        assert_eq!(value(index_before(b"42:1", 2)), Some(42));
        assert_eq!(
            index_before(b"1:2 123456789012:1", 16),
            Some(IndexKey::Long(123_456_789_012))
        );
        // Short keys order as their values do.
        let mut prev = None;
        for v in [0u64, 1, 9, 10, 99, 100, 12_345, 99_999_999] {
            let k = short_key(v);
            assert_eq!(short_value(k), v);
            assert!(prev < Some(k), "{v}");
            prev = Some(k);
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn portable_masks_match_the_simd_ones() {
        let mut x = 0xD1B5_4A32_D192_ED03u64;
        let mut b = [0u8; 64];
        for round in 0..5_000 {
            for c in b.iter_mut() {
                x = crate::testutil::xorshift(x);
                // Mostly the bytes that matter, sometimes any byte.
                *c = if round % 2 == 0 {
                    b"0123456789.-+: ,\t"[(x % 17) as usize]
                } else {
                    x as u8
                };
            }
            let want = masks64_portable(&b, b',', b':');
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!(Sse2::masks64(&b, b',', b':'), want);
                if std::arch::is_x86_feature_detected!("avx2") {
                    assert_eq!(Avx2::masks64(&b, b',', b':'), want);
                }
                if std::arch::is_x86_feature_detected!("avx512bw") {
                    assert_eq!(Avx512::masks64(&b, b',', b':'), want);
                }
            }
            let w: &[u8; 16] = b[..16].try_into().unwrap();
            assert_eq!(masks(w), masks_portable(w));
        }
    }

    #[test]
    fn accepts_the_spellings_the_spec_names() {
        for t in [
            "1", "-1.5", "+2", ".5", "5.", "1e3", "1E-3", "-1.5e+10", "  3 ",
        ] {
            assert_ne!(classify(t.as_bytes()), Class::NotNumber, "{t}");
        }
        for t in ["nan", "NaN", "-NAN"] {
            assert_eq!(classify(t.as_bytes()), Class::Nan, "{t}");
        }
        for t in ["inf", "Infinity", "+INF"] {
            assert_eq!(classify(t.as_bytes()), Class::Positive, "{t}");
        }
        assert_eq!(classify(b"-inf"), Class::Negative);
        for t in ["0", "-0", "0.000", "-.0e99", "0e-999", "1e-400", "-1e-400"] {
            assert_eq!(classify(t.as_bytes()), Class::Zero, "{t}");
        }
        assert_eq!(classify(b"4.9e-324"), Class::Positive);
        for t in [
            "", "e", "1e", "1e+", ".", "0x1", "1.2.3", "--1", "1,0", "abc", "n/a", "1 2",
        ] {
            assert_eq!(classify(t.as_bytes()), Class::NotNumber, "{t}");
        }
    }
}
