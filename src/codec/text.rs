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
    match fast_float2::parse::<f64, _>(field) {
        Ok(v) => Some(v),
        Err(_) => fast_float2::parse::<f64, _>(trim(field)).ok(),
    }
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
    if v.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let exact_int_limit = match dtype {
        Dtype::Float32 => 16_777_216.0,
        Dtype::Float64 | Dtype::Int32 => 9_007_199_254_740_992.0,
    };
    // `as i64` saturates and truncates; equality means v is integral
    // (cheaper than `fract`, which is a libm call).
    if v.abs() <= exact_int_limit && (v as i64) as f64 == v {
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(v as i64).as_bytes());
        return;
    }
    let mut b = zmij::Buffer::new();
    let s = match dtype {
        Dtype::Float32 => b.format_finite(v as f32),
        Dtype::Float64 | Dtype::Int32 => b.format_finite(v),
    };
    // zmij writes integral values as `30000000.0`; drop the fraction.
    push_short(out, s.strip_suffix(".0").unwrap_or(s).as_bytes());
}

/// `out.extend_from_slice(s)` for the few bytes of a printed number, with
/// fixed-size copies the compiler inlines instead of a call to `memcpy`
/// (which cost more than the copy itself: two calls per value were an
/// eighth of the instructions of RecordIO-protobuf → CSV).
#[inline]
fn push_short(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if !(4..=16).contains(&n) {
        out.extend_from_slice(s);
        return;
    }
    let at = out.len();
    out.extend_from_slice(&[0u8; 16]);
    let dst = &mut out[at..at + n];
    if n >= 8 {
        dst[..8].copy_from_slice(&s[..8]);
        dst[n - 8..].copy_from_slice(&s[n - 8..]);
    } else {
        dst[..4].copy_from_slice(&s[..4]);
        dst[n - 4..].copy_from_slice(&s[n - 4..]);
    }
    out.truncate(at + n);
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

    fn show(v: f64, d: Dtype) -> String {
        let mut out = Vec::new();
        write_value(&mut out, v, d);
        String::from_utf8(out).unwrap()
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
