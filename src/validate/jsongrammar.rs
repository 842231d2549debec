//! Pieces of the JSON grammar that both JSON Lines scanners check the same
//! way: the whole-chunk scan ([`super::jsonscan`]) and the per-line fast
//! path of [`super::jsonl`]. Each is `None` both for invalid JSON and for
//! what the scanners leave to `serde_json` (lone surrogates, numbers near
//! the `f64` range).

/// Numbers whose integer digits plus positive exponent exceed this are
/// left to `serde_json`: it rejects numbers beyond `f64` (about 1.8e308)
/// and this keeps well clear of the edge.
pub(super) const MAX_DECIMAL_EXP: usize = 300;

/// Lines nesting deeper than this are left to `serde_json` (which stops
/// at 128).
pub(super) const MAX_DEPTH: u32 = 100;

/// Four hex digits at `i`.
#[inline]
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let mut v = 0;
    for &c in b.get(i..i + 4)? {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// The end (the index after it) of the escape whose letter, the byte
/// after the `\`, is at `i`; `None` for an unknown escape and for a `\u`
/// surrogate that does not start a valid pair. A pair is one escape: its
/// end is 11 bytes on (`uD83D\uDE00`), where a single `\u` ends 5 on.
#[inline]
pub(super) fn escape_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(i + 1),
        b'u' => match hex4(b, i + 1)? {
            0xD800..=0xDBFF => {
                if b.get(i + 5..i + 7)? != b"\\u" {
                    return None;
                }
                let low = hex4(b, i + 7)?;
                (0xDC00..=0xDFFF).contains(&low).then_some(i + 11)
            }
            0xDC00..=0xDFFF => None,
            _ => Some(i + 5),
        },
        _ => None,
    }
}

/// The end of the number `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
/// at `i`; `None` when there is none or it nears `f64`'s range (integer
/// digits plus positive exponent over [`MAX_DECIMAL_EXP`], or a positive
/// exponent of more than four digits).
#[inline(always)]
pub(super) fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += usize::from(b.get(i) == Some(&b'-'));
    let int = digit_run(b, i);
    match (int, b.get(i)) {
        (0, _) => return None,
        (n, Some(b'0')) if n > 1 => return None,
        _ => {}
    }
    i += int;
    if b.get(i) == Some(&b'.') {
        let frac = digit_run(b, i + 1);
        if frac == 0 {
            return None;
        }
        i += 1 + frac;
    }
    let mut exp = 0;
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let positive = b.get(i) != Some(&b'-');
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        let n = digit_run(b, i);
        if n == 0 {
            return None;
        }
        if positive {
            // Digits beyond 4 already exceed the limit (leading zeros
            // aside, which then go the careful way too).
            exp = if n > 4 {
                usize::MAX / 2
            } else {
                b[i..i + n]
                    .iter()
                    .fold(0, |e, &c| e * 10 + usize::from(c - b'0'))
            };
        }
        i += n;
    }
    (int + exp <= MAX_DECIMAL_EXP).then_some(i)
}

/// The number of ASCII digits at `s[i..]`, eight bytes at a time while
/// eight remain.
#[inline(always)]
fn digit_run(s: &[u8], i: usize) -> usize {
    let mut j = i;
    while let Some(word) = s.get(j..j + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        // The high bit of every byte below '0' or above '9'.
        let non_digit = (w.wrapping_sub(0x3030_3030_3030_3030)
            | w.wrapping_add(0x4646_4646_4646_4646))
            & 0x8080_8080_8080_8080;
        if non_digit != 0 {
            return j - i + (non_digit.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while s.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    j - i
}

/// `serde_json::from_slice::<Value>` without serde_json's raw-value key:
/// with the `raw_value` feature (which `pipe`'s augmented manifests use)
/// `Value` takes an object whose first key is
/// `"$serde_json::private::RawValue"` for a raw value, so valid lines such
/// as `{"$serde_json::private::RawValue":[]}` fail and
/// `{"$serde_json::private::RawValue":"1"}` reads as the number 1. The
/// same parser builds the same `Value` here from any JSON, objects as
/// objects (keys in a map, the last of a repeated key kept).
pub(crate) fn parse_value(bytes: &[u8]) -> serde_json::Result<serde_json::Value> {
    serde_json::from_slice::<PlainValue>(bytes).map(|v| v.0)
}

/// A [`serde_json::Value`] deserialized by [`PlainVisitor`].
struct PlainValue(serde_json::Value);

impl<'de> serde::Deserialize<'de> for PlainValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PlainValue, D::Error> {
        d.deserialize_any(PlainVisitor).map(PlainValue)
    }
}

/// `Value`'s own visitor, less the raw-value key.
struct PlainVisitor;

impl<'de> serde::de::Visitor<'de> for PlainVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<serde_json::Value, E> {
        Ok(serde_json::Number::from_f64(v)
            .map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<serde_json::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(PlainValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<serde_json::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let PlainValue(v) = map.next_value()?;
            out.insert(k, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}
