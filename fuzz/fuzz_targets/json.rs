//! JSON documents: `scan_prefix` and `DocumentFramer` never panic; the
//! framer's cuts (at any buffer size, without EOF) are element boundaries,
//! and decoding the chunks it cuts gives the same rows, or fails, exactly as
//! decoding the whole document does; errors carry an offset inside the
//! input; a decoded request re-encodes to a document that decodes to the
//! same rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::codec::json::{DocumentDecoder, DocumentFramer, Encoder, JsonOptions, scan_prefix};
use sm_data::codec::{BatchEncoder, ChunkDecoder, Framer};
use sm_data::{Batch, Format};
use sm_data_fuzz::{check_batch, same_f64s, same_rows, split_first};

fn decode_chunked(text: &[u8], step: usize, opts: &JsonOptions) -> sm_data::Result<Batch> {
    let f = DocumentFramer;
    let d = DocumentDecoder::new(opts.clone());
    let mut all = Batch::default();
    let mut part = Batch::default();
    let mut pos = 0;
    while pos < text.len() {
        let mut want = step;
        let n = loop {
            let end = (pos + want).min(text.len());
            let eof = end == text.len();
            let n = f.boundary_at(&text[pos..end], eof, pos as u64)?;
            if n > 0 || eof {
                break n;
            }
            want *= 2;
        };
        if n == 0 {
            break;
        }
        d.decode(&text[pos..pos + n], pos == 0, &mut part)?;
        all.sparse |= part.sparse;
        all.values.extend_from_slice(&part.values);
        all.labels.extend_from_slice(&part.labels);
        // Only the number of rows is compared.
        all.row_ends.extend(std::iter::repeat_n(0, part.len()));
        pos += n;
    }
    Ok(all)
}

fuzz_target!(|data: &[u8]| {
    let (sel, text) = split_first(data);
    let Ok(Some(prefix)) = scan_prefix(text, true) else {
        return;
    };
    assert!(prefix.array_start <= text.len());
    let opts = JsonOptions {
        document: Some(prefix.document),
        bare_array: prefix.bare,
        ..JsonOptions::default()
    };
    let whole = DocumentFramer.boundary_at(text, true, 0).and_then(|n| {
        assert_eq!(n, text.len(), "at EOF the framer takes everything");
        let mut b = Batch::default();
        DocumentDecoder::new(opts.clone()).decode(text, true, &mut b)?;
        Ok(b)
    });
    let step = 1 + (sel as usize % 32);
    let chunked = decode_chunked(text, step, &opts);
    match (&whole, &chunked) {
        (Ok(w), Ok(c)) => {
            check_batch(w);
            assert_eq!(
                w.len(),
                c.row_ends.len(),
                "rows differ when chunked by {step}"
            );
            if !w.sparse && !c.sparse {
                assert!(
                    same_f64s(&w.values, &c.values),
                    "values differ when chunked"
                );
            }
            assert!(
                same_f64s(&w.labels, &c.labels),
                "labels differ when chunked"
            );
        }
        (Err(e), _) => {
            let b = e.position().byte.expect("an error offset");
            assert!(b <= text.len() as u64, "offset past the end: {e}");
        }
        (Ok(_), Err(e)) => {
            // Only raggedness across chunks may differ: checked by convert.
            assert!(e.to_string().contains("features like"), "chunked only: {e}");
        }
    }
    let Ok(batch) = whole else { return };
    let e = Encoder::new(Format::Json, JsonOptions::default(), None, None);
    let mut out = e.header();
    let mut body = Vec::new();
    if e.encode(&batch, &mut body).is_err() {
        return; // sparse rows without a shape cannot always be densified
    }
    out.extend_from_slice(&body[e.separator().len().min(body.len())..]);
    out.extend_from_slice(&e.footer());
    let p = scan_prefix(&out, true).unwrap().expect("a prefix");
    let mut back = Batch::default();
    DocumentDecoder::new(JsonOptions {
        document: Some(p.document),
        ..JsonOptions::default()
    })
    .decode(&out, true, &mut back)
    .unwrap_or_else(|err| {
        panic!(
            "re-encoded JSON does not decode: {err}\n{}",
            String::from_utf8_lossy(&out)
        )
    });
    if prefix.document == sm_data::codec::json::Document::Request {
        assert!(
            same_rows(&batch, &back),
            "round trip differs:\n{}",
            String::from_utf8_lossy(&out)
        );
    }
});
