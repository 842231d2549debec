//! Number parsing and printing shared by the text formats.
//!
//! Parsing goes through `f64` (as numpy does before casting to `float32`),
//! accepts `nan`, `inf`, `infinity` in any case, a leading `+`, and
//! surrounding spaces or tabs. Printing is the shortest text that reads
//! back to the same value at the batch's precision; integral values print
//! without a fraction (`2`, not `2.0`), and `-0.0` keeps its sign.

use crate::batch::Dtype;

/// Parses a number, ignoring surrounding spaces and tabs. `None` when the
/// text is not a number (an empty field is not a number either).
#[inline]
pub fn parse_f64(field: &[u8]) -> Option<f64> {
    if let Some(v) = parse_plain(field) {
        return Some(v);
    }
    match fast_float2::parse::<f64, _>(field) {
        Ok(v) => Some(v),
        Err(_) => fast_float2::parse::<f64, _>(trim(field)).ok(),
    }
}

/// The common shape of numbers in data files, `-?D+(.D+)?` with at most
/// 15 digits in all, parsed without fast_float2's generality; `None` for
/// anything else (the caller then parses it in full). With at most 15
/// digits the digits form an integer below 2^53 and the divisor is a power
/// of ten up to 10^15, both exact in f64, so one IEEE division gives the
/// correctly rounded value, the same bits fast_float2 gives (Clinger's
/// fast path).
#[inline(always)]
fn parse_plain(s: &[u8]) -> Option<f64> {
    match parse_plain_prefix(s) {
        Some((v, end)) if end == s.len() => Some(v),
        _ => None,
    }
}

/// [`parse_plain`] of the longest prefix of `s` made of a sign, digits
/// and a point: the value and the prefix's length, `None` when that
/// prefix is not a plain decimal. Whatever follows is the caller's to
/// check (a number only when followed by a field's end).
#[inline(always)]
pub(crate) fn parse_plain_prefix(s: &[u8]) -> Option<(f64, usize)> {
    let neg = s.first() == Some(&b'-');
    let mut i = neg as usize;
    let mut m = 0u64;
    let whole = digits(s, &mut i, &mut m);
    let mut frac = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        frac = digits(s, &mut i, &mut m);
        if frac == 0 {
            return None;
        }
    }
    if whole == 0 {
        return None;
    }
    Some((plain_value(m, frac, neg, whole + frac)?, i))
}

/// Appends the ASCII digits at `s[*i..]` to `m` (wrapping: exact for up
/// to 19 digits in all), moves `*i` past them and returns how many there
/// were.
///
/// Eight bytes at a time while eight remain (SWAR: which bytes are
/// digits, and their value, from one 64-bit word; the same wrapping sum
/// as digit by digit), then byte by byte.
#[inline(always)]
pub(crate) fn digits(s: &[u8], i: &mut usize, m: &mut u64) -> usize {
    const POW10: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
    let from = *i;
    while let Some(word) = s.get(*i..*i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        // Each byte's digit value (exact in the bytes below the first
        // non-digit, which neither borrows nor carries into them).
        let d = w.wrapping_sub(0x3030_3030_3030_3030);
        // The high bit of every byte below '0' (d) or above '9' (w + 0x46).
        let non_digit = (d | w.wrapping_add(0x4646_4646_4646_4646)) & 0x8080_8080_8080_8080;
        if non_digit == 0 {
            *m = m.wrapping_mul(100_000_000).wrapping_add(eight_digits(d));
            *i += 8;
            continue;
        }
        let n = (non_digit.trailing_zeros() / 8) as usize;
        if n > 0 {
            // The n digits, after 8 - n leading zeros.
            *m = m
                .wrapping_mul(POW10[n])
                .wrapping_add(eight_digits(d << (8 * (8 - n))));
            *i += n;
        }
        return *i - from;
    }
    while let Some(&b) = s.get(*i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *m = m.wrapping_mul(10).wrapping_add(d as u64);
        *i += 1;
    }
    *i - from
}

/// The number whose eight decimal digits (values 0..=9, the first in the
/// lowest byte) are the bytes of `d` (as fast_float's
/// `parse_eight_digits_unrolled`).
#[inline(always)]
fn eight_digits(d: u64) -> u64 {
    let d = d.wrapping_mul(10).wrapping_add(d >> 8);
    let hi = (d & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let lo = ((d >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    (hi.wrapping_add(lo) >> 32) as u32 as u64
}

/// The value of the plain decimal whose `total` digits form `m`, `frac`
/// of them after the point (Clinger's fast path: with at most 15 digits
/// `m` is below 2^53 and `10^frac` exact, so one division rounds
/// correctly); `None` beyond 15 digits.
#[inline(always)]
pub(crate) fn plain_value(m: u64, frac: usize, neg: bool, total: usize) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    if total > 15 {
        return None;
    }
    // `m` is below 2^53: a signed conversion (one instruction) is exact.
    let v = m as i64 as f64 / POW10[frac];
    // The sign by its bit, not a branch: signs of data are random, and a
    // mispredicted branch costs more than the rest of a short number.
    Some(f64::from_bits(v.to_bits() ^ (u64::from(neg) << 63)))
}

/// Removes ASCII spaces, tabs and carriage returns from both ends.
#[inline]
pub fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

/// Parses an unsigned decimal integer (no sign, no spaces).
#[inline]
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(d as u64)?;
    }
    Some(v)
}

/// Appends the shortest text for `v` at precision `dtype`.
#[inline]
pub fn write_value(out: &mut Vec<u8>, v: f64, dtype: Dtype) {
    let (mut z, mut n) = (zmij::Buffer::new(), itoa::Buffer::new());
    push_short(out, value_text(v, dtype, &mut z, &mut n));
}

/// Appends `values` as delimited fields, a NaN as an empty field (CSV's
/// missing value), each after a `delim` except the first when `first`.
/// The same text as [`write_value`] per field, faster: room for the whole
/// list is reserved once. At f32 precision most values are printed straight
/// into `out`, several at a time (see `fields_f32`). Otherwise each value
/// is formatted one value ahead of its copy into `out`, in alternating
/// buffers, so that the copy reads bytes the formatter stored a while ago
/// (reading them at once stalls on store forwarding: the formatter's
/// narrow stores cannot feed one wide load).
pub fn write_fields(out: &mut Vec<u8>, values: &[f64], dtype: Dtype, delim: u8, first: bool) {
    match dtype {
        Dtype::Float32 => fields_f32(out, values, delim, first),
        Dtype::Float64 | Dtype::Int32 => fields_f64(out, values, delim, first),
    }
}

/// [`write_fields`] at f32 precision: the common values are printed
/// straight into `out` by [`shortf32`](super::shortf32) (eight or four at
/// a time where the CPU has AVX-512 or AVX2), the others as
/// [`write_value`] prints them, copied.
fn fields_f32(out: &mut Vec<u8>, values: &[f64], delim: u8, first: bool) {
    #[cfg(target_arch = "x86_64")]
    use super::shortf32::Kernel;
    match super::shortf32::kernel() {
        // SAFETY: the kernel's features are present.
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 => unsafe { fields_f32_avx512(out, values, delim, first) },
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 => unsafe { fields_f32_avx2(out, values, delim, first) },
        _ => fields_f32_with::<1>(out, values, delim, first),
    }
}

/// [`fields_f32_with`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fields_f32_avx2(out: &mut Vec<u8>, values: &[f64], delim: u8, first: bool) {
    fields_f32_with::<4>(out, values, delim, first)
}

/// [`fields_f32_with`] compiled for AVX-512.
///
/// # Safety
/// The CPU must support AVX-512F and AVX-512BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn fields_f32_avx512(out: &mut Vec<u8>, values: &[f64], delim: u8, first: bool) {
    fields_f32_with::<8>(out, values, delim, first)
}

/// The body of [`fields_f32`]: blocks of `LANES` values (4 only ever
/// instantiated inside [`fields_f32_avx2`], 8 inside
/// [`fields_f32_avx512`]) go through the vector kernel, the rest (all of
/// them for `LANES` = 1) one at a time.
#[inline(always)]
fn fields_f32_with<const LANES: usize>(out: &mut Vec<u8>, values: &[f64], delim: u8, first: bool) {
    use super::shortf32;
    const _: () = assert!(MAX_FIELD > shortf32::ROOM);
    out.reserve(values.len() * MAX_FIELD);
    let base = out.as_mut_ptr();
    let mut len = out.len();
    let mut need = !first;
    let (mut z, mut n) = (zmij::Buffer::new(), itoa::Buffer::new());
    // SAFETY (both closures and the stores below): `len` starts at
    // `out.len()` and grows by at most MAX_FIELD per value: a delimiter,
    // then either at most MAX_FIELD - 1 text bytes or `shortf32`'s ROOM
    // bytes of stores; room for MAX_FIELD per value was reserved.
    let mut delimit = |len: &mut usize| unsafe {
        *base.add(*len) = delim;
        *len += need as usize;
        need = true;
    };
    let mut other = |len: &mut usize, v: f64| {
        if !v.is_nan() {
            let s = f32_text(v as f32, &mut z, &mut n);
            unsafe { copy_short(s, base.add(*len)) };
            *len += s.len();
        }
    };
    let rest = if LANES > 1 {
        let (blocks, rest) = values.as_chunks::<LANES>();
        // Filled by the x86-64 kernels (LANES is 1 elsewhere).
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let mut d = shortf32::Decimals::default();
        for block in blocks {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: LANES is 4 only inside `fields_f32_avx2` and 8 only
            // inside `fields_f32_avx512`.
            unsafe {
                if LANES == 8 {
                    shortf32::avx512::decimal8(block[..].try_into().unwrap(), &mut d);
                } else {
                    shortf32::avx2::decimal4(block[..].try_into().unwrap(), &mut d);
                }
            }
            for (i, &v) in block.iter().enumerate() {
                delimit(&mut len);
                let digits = d.digits[i];
                let w = if digits != 0 {
                    unsafe {
                        shortf32::place(
                            base.add(len),
                            digits,
                            d.adj[i] as i32,
                            d.bits[i] >> 31 != 0,
                        )
                    }
                } else {
                    0
                };
                if w > 0 {
                    len += w;
                } else {
                    other(&mut len, v);
                }
            }
        }
        rest
    } else {
        values
    };
    for &v in rest {
        delimit(&mut len);
        let w = unsafe { shortf32::write(base.add(len), v as f32) };
        if w > 0 {
            len += w;
        } else {
            other(&mut len, v);
        }
    }
    // SAFETY: every byte below `len` was written above or was already in
    // `out`, and `len` is within the reserved capacity.
    unsafe { out.set_len(len) };
}

/// The longest field [`write_fields`] writes, with its delimiter
/// (`-2.2250738585072014e-308,`).
const MAX_FIELD: usize = 25;

/// [`write_fields`] at f64 precision (and for Int32 values, which f64
/// holds exactly).
#[inline(always)]
fn fields_f64(out: &mut Vec<u8>, values: &[f64], delim: u8, first: bool) {
    out.reserve(values.len() * MAX_FIELD);
    let base = out.as_mut_ptr();
    let mut len = out.len();
    let mut need = !first;
    // A NaN is an empty field.
    #[inline(always)]
    fn text<'a>(v: f64, z: &'a mut zmij::Buffer, n: &'a mut itoa::Buffer) -> &'a [u8] {
        if v.is_nan() { b"" } else { f64_text(v, z, n) }
    }
    let mut put = |s: &[u8]| {
        debug_assert!(s.len() < MAX_FIELD);
        // SAFETY: `len` starts at `out.len()` and grows by at most
        // MAX_FIELD per value (a delimiter and at most MAX_FIELD - 1 text
        // bytes), and room for MAX_FIELD per value was reserved.
        unsafe {
            *base.add(len) = delim;
            len += need as usize;
            copy_short(s, base.add(len));
        }
        len += s.len();
        need = true;
    };
    let (mut za, mut zb) = (zmij::Buffer::new(), zmij::Buffer::new());
    let (mut na, mut nb) = (itoa::Buffer::new(), itoa::Buffer::new());
    let mut pending: &[u8] = &[];
    let mut has_pending = false;
    let mut pairs = values.chunks_exact(2);
    for p in &mut pairs {
        let a = text(p[0], &mut za, &mut na);
        if has_pending {
            put(pending);
        }
        pending = text(p[1], &mut zb, &mut nb);
        has_pending = true;
        put(a);
    }
    if has_pending {
        put(pending);
    }
    if let [v] = pairs.remainder() {
        put(text(*v, &mut za, &mut na));
    }
    // SAFETY: every byte below `len` was written above or was already in
    // `out`, and `len` is within the reserved capacity.
    unsafe { out.set_len(len) };
}

/// Copies the few bytes of a printed number to `dst` with fixed-size
/// copies the compiler inlines instead of a call to `memcpy` (which cost
/// more than the copy itself: two calls per value were an eighth of the
/// instructions of RecordIO-protobuf → CSV).
///
/// # Safety
/// `dst` must be valid for `s.len()` bytes of writes.
#[inline(always)]
unsafe fn copy_short(s: &[u8], dst: *mut u8) {
    let n = s.len();
    let src = s.as_ptr();
    // SAFETY: every read is within `s` and every write within the first
    // `n` bytes at `dst`.
    unsafe {
        if (8..=16).contains(&n) {
            let a = src.cast::<u64>().read_unaligned();
            let b = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(a);
            dst.add(n - 8).cast::<u64>().write_unaligned(b);
        } else if (4..8).contains(&n) {
            let a = src.cast::<u32>().read_unaligned();
            let b = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(a);
            dst.add(n - 4).cast::<u32>().write_unaligned(b);
        } else if (1..4).contains(&n) {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        } else {
            std::ptr::copy_nonoverlapping(src, dst, n);
        }
    }
}

/// The text [`write_value`] writes for `v`, in `z`, `n` or static.
#[inline(always)]
fn value_text<'a>(
    v: f64,
    dtype: Dtype,
    z: &'a mut zmij::Buffer,
    n: &'a mut itoa::Buffer,
) -> &'a [u8] {
    if v.is_nan() {
        return b"nan";
    }
    match dtype {
        Dtype::Float32 => f32_text(v as f32, z, n),
        Dtype::Float64 | Dtype::Int32 => f64_text(v, z, n),
    }
}

/// The text of a non-NaN value at f32 precision. Integral values print as
/// integers: below 2^24 the test is exact (`as i32` truncates; equality
/// means integral, cheaper than `fract`, a libm call); above, zmij's
/// `1e+30`-style or `.0` forms are trimmed instead. An f64 beyond the f32
/// range prints as the infinity it rounds to.
#[inline(always)]
fn f32_text<'a>(f: f32, z: &'a mut zmij::Buffer, n: &'a mut itoa::Buffer) -> &'a [u8] {
    if f.abs() <= 16_777_216.0 {
        let i = f as i32;
        if i as f32 == f {
            return integral_text(i as i64, f.is_sign_negative(), n);
        }
        // Not integral: no `.0` to trim.
        return z.format_finite(f).as_bytes();
    }
    if f.is_infinite() {
        return if f > 0.0 { b"inf" } else { b"-inf" };
    }
    trim_point_zero(z.format_finite(f))
}

/// The text of a non-NaN value at f64 precision (see [`f32_text`]).
#[inline(always)]
fn f64_text<'a>(v: f64, z: &'a mut zmij::Buffer, n: &'a mut itoa::Buffer) -> &'a [u8] {
    if v.abs() <= 9_007_199_254_740_992.0 {
        let i = v as i64;
        if i as f64 == v {
            return integral_text(i, v.is_sign_negative(), n);
        }
        return z.format_finite(v).as_bytes();
    }
    if v.is_infinite() {
        return if v > 0.0 { b"inf" } else { b"-inf" };
    }
    trim_point_zero(z.format_finite(v))
}

/// zmij writes integral values as `30000000.0`; drop the fraction.
#[inline]
fn trim_point_zero(s: &str) -> &[u8] {
    s.strip_suffix(".0").unwrap_or(s).as_bytes()
}

/// The text of integral value `i`, keeping the sign of a negative zero
/// (`negative` is the value's sign; an f64 too small for f32 rounds to -0).
#[inline(always)]
fn integral_text(i: i64, negative: bool, n: &mut itoa::Buffer) -> &[u8] {
    if i == 0 {
        return if negative { b"-0" } else { b"0" };
    }
    n.format(i).as_bytes()
}

/// `out.extend_from_slice(s)` for the few bytes of a printed number (see
/// [`copy_short`]).
#[inline(always)]
fn push_short(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len());
    let len = out.len();
    // SAFETY: room for `s` was reserved, and `copy_short` writes exactly
    // `s.len()` bytes at the end of `out`.
    unsafe {
        copy_short(s, out.as_mut_ptr().add(len));
        out.set_len(len + s.len());
    }
}

/// Appends an unsigned integer.
#[inline]
pub fn write_u64(out: &mut Vec<u8>, v: u64) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

/// The first `max` characters of `s` for an error message, with `...` when
/// shortened and invalid UTF-8 replaced.
pub fn snippet(s: &[u8], max: usize) -> String {
    let cut = &s[..s.len().min(max)];
    let mut t = String::from_utf8_lossy(cut).into_owned();
    if s.len() > max {
        t.push_str("...");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_eight_at_a_time_match_digit_by_digit() {
        // Every byte value around the digits, in runs of every length
        // around 8 and 16, at every offset.
        let mut rng = crate::testutil::XorShift(0xD1B5_4A32_D192_ED03);
        let edge = [
            b'/', b':', 0x00, 0x80, 0xAF, 0xB0, 0xB9, 0xBA, 0xC6, 0xFF, b'.', b'e',
        ];
        for _ in 0..20_000 {
            let r = rng.next_u64();
            let len = (r % 24) as usize;
            let mut s: Vec<u8> = (0..len)
                .map(|_| b'0' + (rng.next_u64() % 10) as u8)
                .collect();
            if r & (1 << 40) != 0 {
                s.push(edge[(r >> 41) as usize % edge.len()]);
            }
            s.extend((0..(r >> 50) % 10).map(|_| rng.next_u64() as u8));
            let start = (r >> 60) as usize % (s.len() + 1);
            let (mut i, mut m) = (start, (r >> 8) % 1000);
            let (mut j, mut want) = (start, m);
            while let Some(&b) = s.get(j).filter(|b| b.is_ascii_digit()) {
                want = want.wrapping_mul(10).wrapping_add((b - b'0') as u64);
                j += 1;
            }
            let n = digits(&s, &mut i, &mut m);
            assert_eq!((n, i, m), (j - start, j, want), "{s:?} from {start}");
        }
    }

    fn show(v: f64, d: Dtype) -> String {
        let mut out = Vec::new();
        write_value(&mut out, v, d);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_the_values_as_write_value_writes_them() {
        let mut rng = crate::testutil::XorShift(0x9E37_79B9_7F4A_7C15u64);
        let mut next = || rng.next_u64();
        let specials = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            1e-300,
            3.0,
            -7.0,
            16_777_217.0,
            1e30,
            0.1,
            -2.5,
        ];
        for round in 0..3000 {
            let len = (next() % 9) as usize;
            let values: Vec<f64> = (0..len)
                .map(|_| match next() % 4 {
                    0 => specials[(next() % specials.len() as u64) as usize],
                    1 => (next() % 2000) as f64 - 1000.0,
                    2 => f64::from_bits(next()),
                    _ => (next() % 1_000_000) as f64 / 997.0,
                })
                .collect();
            for dtype in [Dtype::Float32, Dtype::Float64, Dtype::Int32] {
                let first = round % 2 == 0;
                let mut want = b"x".to_vec();
                for (k, &v) in values.iter().enumerate() {
                    if k > 0 || !first {
                        want.push(b';');
                    }
                    if !v.is_nan() {
                        write_value(&mut want, v, dtype);
                    }
                }
                let mut got = b"x".to_vec();
                write_fields(&mut got, &values, dtype, b';', first);
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&want),
                    "{values:?} {dtype:?}"
                );
            }
        }
    }

    #[test]
    fn prints_shortest_round_trip_text() {
        assert_eq!(show(0.1f32 as f64, Dtype::Float32), "0.1");
        assert_eq!(show(0.1, Dtype::Float64), "0.1");
        assert_eq!(show(2.0, Dtype::Float32), "2");
        assert_eq!(show(-0.0, Dtype::Float64), "-0");
        assert_eq!(show(f64::NAN, Dtype::Float64), "nan");
        assert_eq!(show(f64::NEG_INFINITY, Dtype::Float32), "-inf");
        assert_eq!(show(1e20, Dtype::Float32), "1e+20");
        assert_eq!(show(30_000_000.0, Dtype::Float32), "30000000");
        assert_eq!(show(16_777_217.0, Dtype::Float32), "16777216");
        assert_eq!(show(-2147483648.0, Dtype::Int32), "-2147483648");
        for v in [1.0e-7f32, 3.4028235e38, 1.175_494_4e-38, 123.456] {
            let s = show(v as f64, Dtype::Float32);
            assert_eq!(s.parse::<f32>().unwrap(), v, "{s}");
        }
    }

    #[test]
    fn f64_values_written_as_f32_print_what_f32_holds() {
        // Rounding to f32 can make a value integral or a (negative) zero.
        assert_eq!(show(2.999_999_999_9, Dtype::Float32), "3");
        assert_eq!(show(-1e-50, Dtype::Float32), "-0");
        assert_eq!(show(1e-50, Dtype::Float32), "0");
        assert_eq!(show(-1e-50, Dtype::Float64), "-1e-50");
        // Beyond the f32 range: the infinity it rounds to.
        assert_eq!(show(1e300, Dtype::Float32), "inf");
        assert_eq!(show(-1e39, Dtype::Float32), "-inf");
        assert_eq!(show(0.1, Dtype::Float32), "0.1");
        // Every f32 prints as the shortest text that reads back to it.
        let mut bits = 1u32;
        for _ in 0..100_000 {
            // Finite positive and negative f32 bit patterns, spread out.
            bits = bits.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let f = f32::from_bits((bits % 0x7f80_0000) | (bits & 0x8000_0000));
            let s = show(f as f64, Dtype::Float32);
            assert_eq!(s.parse::<f32>().unwrap(), f, "{s}");
            assert!(!s.ends_with(".0"), "{s}");
        }
    }

    #[test]
    fn short_pushes_append_exactly_the_bytes() {
        let src: Vec<u8> = (b'a'..=b'z').collect();
        for n in 0..=src.len() {
            let mut out = b"xy".to_vec();
            push_short(&mut out, &src[..n]);
            assert_eq!(&out[..2], b"xy");
            assert_eq!(&out[2..], &src[..n], "n = {n}");
        }
    }

    #[test]
    fn the_plain_fast_path_gives_fast_float2_s_bits() {
        let mut rng = crate::testutil::XorShift(0x2545_F491_4F6C_DD1Du64);
        let mut next = || rng.next_u64();
        let alphabet = b"0123456789012345678901234567890123456789.-e+ ";
        let mut plain = 0;
        for _ in 0..300_000 {
            let n = 1 + (next() % 20) as usize;
            let t: Vec<u8> = (0..n)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let want = fast_float2::parse::<f64, _>(&t[..]).ok();
            if let Some(v) = parse_plain(&t) {
                plain += 1;
                let w = want.unwrap_or_else(|| panic!("{:?}", String::from_utf8_lossy(&t)));
                assert_eq!(
                    v.to_bits(),
                    w.to_bits(),
                    "{:?}",
                    String::from_utf8_lossy(&t)
                );
            }
        }
        assert!(plain > 10_000, "{plain}");
        // The edges: 15 digits in, 16 out; shapes fast_float2 also takes.
        for (t, fast) in [
            ("999999999999999", true),
            ("9999999999999999", false),
            ("0.000000000000001", false),
            ("0.00000000000001", true),
            ("-0.0", true),
            ("1.", false),
            (".5", false),
            ("-", false),
            ("", false),
            ("1e5", false),
            ("+1", false),
        ] {
            assert_eq!(parse_plain(t.as_bytes()).is_some(), fast, "{t}");
            assert_eq!(
                parse_f64(t.as_bytes()).map(f64::to_bits),
                fast_float2::parse::<f64, _>(t).ok().map(f64::to_bits),
                "{t}"
            );
        }
        assert!(parse_plain(b"-0.0").unwrap().is_sign_negative());
    }

    #[test]
    fn parses_numbers_with_spaces_and_specials() {
        assert_eq!(parse_f64(b" 1.5 "), Some(1.5));
        assert_eq!(parse_f64(b"+2"), Some(2.0));
        assert!(parse_f64(b"NaN").unwrap().is_nan());
        assert_eq!(parse_f64(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e-3"), Some(0.001));
        assert_eq!(parse_f64(b""), None);
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_f64(b"1,5"), None);
    }

    #[test]
    fn parses_unsigned_integers_strictly() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"1.0"), None);
        assert_eq!(parse_u64(b""), None);
    }
}
