//! The whole-chunk JSON Lines scan of `validate` (SIMD tokens and a
//! grammar over them) against `serde_json`: it yields the lines of
//! `split_lines`; a line is blank exactly when it is spaces, tabs and
//! carriage returns; a line it calls clean is one JSON object to
//! `serde_json` (it may be unsure of valid lines, never sure of invalid
//! ones). Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::codec::lines::split_lines;
use sm_data::codec::text::trim;
use sm_data::validate::json_lines_scan;

fuzz_target!(|data: &[u8]| {
    let got = json_lines_scan(data);
    let want: Vec<(&[u8], usize)> = split_lines(data).collect();
    assert_eq!(got.len(), want.len(), "not the lines of split_lines");
    for (&(start, end, verdict), &(line, at)) in got.iter().zip(&want) {
        assert_eq!((start, end), (at, at + line.len()), "line bounds");
        assert_eq!(verdict == "blank", trim(line).is_empty(), "blank line {start}");
        if verdict == "clean" {
            assert!(
                matches!(
                    serde_json::from_slice::<serde_json::Value>(line),
                    Ok(serde_json::Value::Object(_))
                ),
                "clean line at {start} is not one JSON object: {:?}",
                String::from_utf8_lossy(line)
            );
        }
    }
});
