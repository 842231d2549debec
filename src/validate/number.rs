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
            Some(v) if v == 0.0 => Class::Zero,
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
    let mut nonzero = 0u8;
    let int_start = i;
    while i < n && s[i].is_ascii_digit() {
        nonzero |= s[i] ^ b'0';
        i += 1;
    }
    let mut digits = i - int_start;
    let mut frac = 0usize;
    if i < n && s[i] == b'.' {
        i += 1;
        let f = i;
        while i < n && s[i].is_ascii_digit() {
            nonzero |= s[i] ^ b'0';
            i += 1;
        }
        frac = i - f;
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
    if nonzero == 0 {
        return (Class::Zero, i);
    }
    if exp >= EXP_CAP || exp <= -EXP_CAP || exp - (frac as i64) < SAFE_UNIT {
        // Small enough that it may round to zero (or an exponent too long
        // to reason about): convert to decide.
        return (Class::of(parse_f64(&s[at..i])), i);
    }
    (if neg { Class::Negative } else { Class::Positive }, i)
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
            "", "e", "E", "e5", "E+3", "e-3", "e+", "e-", "e-400", "e400", "e-320", "e-324",
            "e-323", "e308", "e309", "e-99999999999999999999", "e99999999999999999999", "ee1",
            "e1.5", "e0",
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
            "nan", "NaN", "NAN", "-nan", "+nan", "nan(1)", "nanx", "na", "inf", "Inf", "-inf",
            "+INF", "infinity", "Infinity", "-INFINITY", "+infinity", "infin", "infinit",
            "infinityy", "infinit y", "-", "+", ".", "-.", "+.", "e", "E", "-e", ".e1", "0x10",
            "0X1p3", "0x", "1_000", "1,5", "١", "1e1e1", " ", "", "\t1\t", " -0 ", "0.", "-0.",
            ".0", "-.0e5", "1.e5", "1.E-5", "+.5", "- 1", "1 2", "1\r", "\r1", "∞", "1e+0",
            "2.2250738585072014e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
            "2.4703282292062328e-324", "-2.4703282292062328e-324", "1.7976931348623157e308",
            "1.7976931348623159e308", "-1e400",
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
            assert_eq!(got, Class::of(parse_f64(t)), "classify vs parse_f64 on {show:?}");
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
                    want == Class::NotNumber || special(trim(&t)) != Class::NotNumber || trim(&t) != &t[..],
                    "{show:?} scanned as {c:?} to {end}, classify says {want:?}"
                );
            }
        }
        assert_eq!(scan(b"1e,", 0), (Class::Positive, 1));
        assert_eq!(scan(b"-0.0e5 ", 0), (Class::Zero, 6));
        assert_eq!(scan(b"x", 0), (Class::NotNumber, 0));
    }

    #[test]
    fn accepts_the_spellings_the_spec_names() {
        for t in ["1", "-1.5", "+2", ".5", "5.", "1e3", "1E-3", "-1.5e+10", "  3 "] {
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
        for t in ["", "e", "1e", "1e+", ".", "0x1", "1.2.3", "--1", "1,0", "abc", "n/a", "1 2"] {
            assert_eq!(classify(t.as_bytes()), Class::NotNumber, "{t}");
        }
    }
}
