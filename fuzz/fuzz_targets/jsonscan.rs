//! The whole-chunk JSON Lines scan of `validate` (SIMD tokens and a
//! grammar over them) against `serde_json`: it yields the lines of
//! `split_lines`; a line is blank exactly when it is spaces, tabs and
//! carriage returns; a line it calls clean is one JSON object to
//! `serde_json` (it may be unsure of valid lines, never sure of invalid
//! ones). Never panics.
//!
//! `serde_json::Value` is not the oracle: with the `raw_value` feature
//! (which sm-data enables) its visitor takes an object whose first key is
//! `"$serde_json::private::RawValue"` for a raw value and rejects valid
//! JSON such as `{"$serde_json::private::RawValue":[]}` (found by this
//! target). [`Json`] reads any JSON value through the same parser without
//! that magic: strings (keys too) decoded, so escapes and surrogates are
//! checked as `Value` checks them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::codec::lines::split_lines;
use sm_data::codec::text::trim;
use sm_data::validate::json_lines_scan;

/// Any JSON value, read and dropped; `Object` tells an object from the rest.
enum Json {
    Object,
    Other,
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
        Ok(Json::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Json, E> {
        Ok(Json::Other)
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Other)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        while seq.next_element::<Json>()?.is_some() {}
        Ok(Json::Other)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        while map.next_key::<String>()?.is_some() {
            map.next_value::<Json>()?;
        }
        Ok(Json::Object)
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

fuzz_target!(|data: &[u8]| {
    let got = json_lines_scan(data);
    let want: Vec<(&[u8], usize)> = split_lines(data).collect();
    assert_eq!(got.len(), want.len(), "not the lines of split_lines");
    for (&(start, end, verdict), &(line, at)) in got.iter().zip(&want) {
        assert_eq!((start, end), (at, at + line.len()), "line bounds");
        assert_eq!(
            verdict == "blank",
            trim(line).is_empty(),
            "blank line {start}"
        );
        if verdict == "clean" {
            assert!(
                matches!(serde_json::from_slice::<Json>(line), Ok(Json::Object)),
                "clean line at {start} is not one JSON object: {:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
});
