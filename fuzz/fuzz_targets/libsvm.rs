//! LibSVM: decoding never panics; `count` agrees with `decode`; decode →
//! encode → decode is a fixpoint (NaN-aware), 0-based and 1-based.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::Batch;
use sm_data::codec::libsvm::{Decoder, Encoder, LibsvmOptions};
use sm_data::codec::{BatchEncoder, ChunkDecoder};
use sm_data_fuzz::{check_batch, same_rows, split_first};

fuzz_target!(|data: &[u8]| {
    let (sel, text) = split_first(data);
    let opts = LibsvmOptions {
        one_based: sel & 1 == 1,
    };
    let first = sel & 2 == 0;
    let d = Decoder::new(opts);
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
    assert!(batch.sparse);
    assert_eq!(
        batch.label_ends,
        (1..=batch.len()).collect::<Vec<_>>(),
        "one label per row"
    );
    assert_eq!(
        counted.ok(),
        Some(batch.len() as u64),
        "count disagrees with decode"
    );
    if opts.one_based {
        assert!(
            batch.indices.iter().all(|&i| i < u64::MAX),
            "1-based index shifted down"
        );
    }
    let mut out = Vec::new();
    Encoder::new(opts)
        .encode(&batch, &mut out)
        .expect("a decoded batch encodes");
    let mut back = Batch::default();
    if let Err(e) = d.decode(&out, false, &mut back) {
        panic!(
            "re-encoded LibSVM does not decode: {e}\n{}",
            String::from_utf8_lossy(&out)
        );
    }
    assert!(
        same_rows(&batch, &back),
        "round trip differs:\n{}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(back.lines as usize, back.len());
    let mut again = Vec::new();
    Encoder::new(opts).encode(&back, &mut again).unwrap();
    assert_eq!(out, again, "encode is not a fixpoint");
});
