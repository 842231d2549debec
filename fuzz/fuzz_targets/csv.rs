//! CSV: decoding arbitrary bytes under several option sets never panics;
//! `count` agrees with `decode`; what decodes, encoded and decoded again,
//! gives the same rows (NaN-aware); and cutting the input where the quote-
//! aware line framer says gives the same rows as decoding it whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::Batch;
use sm_data::codec::csv::{CsvOptions, CsvWriteOptions, Decoder, Encoder, LabelColumns};
use sm_data::codec::lines::LineFramer;
use sm_data::codec::{BatchEncoder, ChunkDecoder, Framer};
use sm_data_fuzz::{check_batch, same_rows, split_first};

fn options(sel: u8) -> (CsvOptions, bool) {
    let label = match (sel >> 1) % 4 {
        0 => None,
        1 => Some(LabelColumns { index: 0, size: 1 }),
        2 => Some(LabelColumns { index: 1, size: 1 }),
        _ => Some(LabelColumns { index: 0, size: 2 }),
    };
    let delimiter = [b',', b';', b'\t'][(sel >> 3) as usize % 3];
    let opts = CsvOptions {
        delimiter,
        has_header: sel & 1 == 1,
        label,
        ..CsvOptions::default()
    };
    (opts, sel & 0x80 == 0)
}

fn lines_of(s: &[u8]) -> u64 {
    (s.iter().filter(|&&c| c == b'\n').count() + (!s.is_empty() && !s.ends_with(b"\n")) as usize)
        as u64
}

fuzz_target!(|data: &[u8]| {
    let (sel, text) = split_first(data);
    let (opts, first) = options(sel);
    let d = Decoder::new(opts.clone());
    let _ = d.header_names(text);
    let mut batch = Batch::default();
    let decoded = d.decode(text, first, &mut batch);
    let counted = d.count(text, first);
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
    assert_eq!(
        counted.ok(),
        Some(batch.len() as u64),
        "count disagrees with decode"
    );
    let body = match text.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) if first => rest,
        _ => text,
    };
    assert_eq!(batch.lines, lines_of(body), "line count");

    // Encode and decode again: the same rows. The writer puts the labels
    // first, so read them back from column 0.
    let enc = Encoder::new(CsvWriteOptions {
        delimiter: opts.delimiter,
        header: None,
        num_features: None,
    });
    let mut out = enc.header();
    enc.encode(&batch, &mut out)
        .expect("a decoded CSV batch encodes");
    let back_opts = CsvOptions {
        has_header: false,
        label: opts.label.map(|l| LabelColumns {
            index: 0,
            size: l.size,
        }),
        ..opts.clone()
    };
    let back_dec = Decoder::new(back_opts);
    let mut back = Batch::default();
    if let Err(e) = back_dec.decode(&out, false, &mut back) {
        panic!(
            "re-encoded CSV does not decode: {e}\n{}",
            String::from_utf8_lossy(&out)
        );
    }
    assert!(
        same_rows(&batch, &back),
        "round trip differs:\n{}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(back_dec.count(&out, false).ok(), Some(back.len() as u64));

    // Cut where the framer says (no EOF) and decode the two parts.
    let cut = LineFramer::quoted(opts.quote)
        .boundary(text, false)
        .unwrap();
    assert!(cut <= text.len());
    if cut > 0 && cut < text.len() && !batch.is_empty() {
        let mut a = Batch::default();
        let mut b = Batch::default();
        d.decode(&text[..cut], first, &mut a)
            .expect("head of a good input");
        d.decode(&text[cut..], false, &mut b)
            .expect("tail of a good input");
        let mut joined = a.clone();
        joined.values.extend_from_slice(&b.values);
        joined.labels.extend_from_slice(&b.labels);
        let (nv, nl) = (a.values.len(), a.labels.len());
        joined.row_ends.extend(b.row_ends.iter().map(|&e| e + nv));
        joined
            .label_ends
            .extend(b.label_ends.iter().map(|&e| e + nl));
        assert!(same_rows(&batch, &joined), "cut at {cut} changes the rows");
        assert_eq!(a.lines + b.lines, batch.lines);
    }
});
