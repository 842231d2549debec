//! JSON Lines: decoding never panics; errors have a line and an offset in
//! the input; `count` (which frames without parsing) gives the non-blank
//! lines of any input and agrees with `decode` where it succeeds; decode → encode → decode gives
//! the same rows (NaN-aware) and encode is a fixpoint; cutting at the
//! `LineFramer`'s boundaries gives the same rows as decoding whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::codec::json::{Encoder, JsonOptions, LinesDecoder};
use sm_data::codec::lines::LineFramer;
use sm_data::codec::{BatchEncoder, ChunkDecoder, Framer};
use sm_data::{Batch, Format};
use sm_data_fuzz::{check_batch, same_rows, split_first};

fuzz_target!(|data: &[u8]| {
    let (sel, text) = split_first(data);
    let opts = JsonOptions {
        response: sel & 1 == 1,
        ..JsonOptions::default()
    };
    let d = LinesDecoder::new(opts.clone());
    let mut batch = Batch::default();
    let decoded = d.decode(text, true, &mut batch);
    let counted = d.count(text, true);
    assert_eq!(
        counted.as_ref().ok(),
        Some(&non_blank_lines(text)),
        "count is not the number of non-blank lines"
    );
    if let Err(e) = &decoded {
        let p = e.position();
        assert!(
            p.line.is_some() && p.byte.is_some(),
            "error without position: {e}"
        );
        assert!(
            p.byte.unwrap() <= text.len() as u64,
            "offset past the end: {e}"
        );
        return;
    }
    check_batch(&batch);
    assert_eq!(counted.ok(), Some(batch.len() as u64), "count disagrees");
    // Cut into small chunks where the framer says: same rows.
    let mut pos = 0;
    let mut parts = Batch::default();
    let mut part = Batch::default();
    let f = LineFramer::new();
    let mut first = true;
    while pos < text.len() {
        let end = (pos + 7).min(text.len());
        let mut n = f.boundary(&text[pos..end], end == text.len()).unwrap();
        if n == 0 {
            n = f.boundary(&text[pos..], true).unwrap();
        }
        d.decode(&text[pos..pos + n], first, &mut part)
            .expect("a chunk of a decodable input decodes");
        for i in 0..part.len() {
            append_row(&mut parts, &part, i);
        }
        first = false;
        pos += n;
    }
    assert_eq!(parts.len(), batch.len(), "chunked rows");
    if !batch.sparse && !parts.sparse {
        assert!(
            sm_data_fuzz::same_f64s(&parts.values, &batch.values),
            "chunked values"
        );
    }
    // Round trip (rows that the encoder can write: sparse rows need a shape
    // to be densified, which they are not here).
    let e = Encoder::new(Format::Jsonl, JsonOptions::default(), None, None);
    let mut out = Vec::new();
    e.encode(&batch, &mut out).expect("a decoded batch encodes");
    let mut back = Batch::default();
    let d2 = LinesDecoder::new(JsonOptions::default());
    if let Err(err) = d2.decode(&out, false, &mut back) {
        panic!(
            "re-encoded JSON Lines does not decode: {err}\n{}",
            String::from_utf8_lossy(&out)
        );
    }
    let mut again = Vec::new();
    e.encode(&back, &mut again).unwrap();
    assert_eq!(out, again, "encode is not a fixpoint");
    if !opts.response {
        assert!(
            same_rows(&batch, &back),
            "round trip differs:\n{}",
            String::from_utf8_lossy(&out)
        );
    }
});

/// The records `count` reports: lines (split at `\n`, a final one without
/// it included) holding anything but JSON whitespace, a leading UTF-8 BOM
/// on the first line ignored.
fn non_blank_lines(text: &[u8]) -> u64 {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    text.split(|&c| c == b'\n')
        .filter(|l| !l.iter().all(|&c| matches!(c, b' ' | b'\t' | b'\r')))
        .count() as u64
}

/// Appends the values of row `i` of `src` (kind-agnostic: a count check).
fn append_row(dst: &mut Batch, src: &Batch, i: usize) {
    dst.sparse = src.sparse;
    dst.values.extend_from_slice(src.row_values(i));
    dst.labels.extend_from_slice(src.row_labels(i));
    dst.end_row();
}
