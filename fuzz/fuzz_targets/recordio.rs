//! RecordIO framing: the streaming path (the pipeline's `Chunker` over a
//! stream, tiny chunks) agrees with the whole-buffer path (`for_each`), the
//! framer never claims more than it was given, the record limit holds, and
//! re-encoding the payloads reads back the same payloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::codec::Framer;
use sm_data::codec::recordio::{self, Decoder, HEADER_LEN, SplitConvention, padded};
use sm_data::pipeline::Chunker;
use sm_data::store::{GZIP_MAGIC, Input};
use sm_data::{Error, ErrorKind};

const LIMIT: usize = 1 << 20;

/// Payloads of every record of `buf` (whole-buffer path).
fn whole(d: &Decoder, buf: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    let n = d.for_each(buf, &mut scratch, |p, _| {
        out.push(p.to_vec());
        Ok(())
    })?;
    assert_eq!(n as usize, out.len(), "for_each count");
    Ok(out)
}

/// Payloads through the pipeline's chunker over a stream.
fn streamed(d: &Decoder, buf: &[u8], chunk_size: usize) -> Result<Vec<Vec<u8>>, Error> {
    let input = Input::from_reader(Box::new(std::io::Cursor::new(buf.to_vec())), "f", None)
        .expect("reading memory cannot fail");
    let mut chunker = Chunker::new(input, d, chunk_size);
    let mut out = Vec::new();
    let mut scratch = Vec::new();
    while let Some(chunk) = chunker.next_chunk()? {
        assert!(!chunk.is_empty(), "empty chunk");
        assert_eq!(
            chunk.offset as usize + chunk.len(),
            chunker.position() as usize
        );
        d.for_each(&chunk, &mut scratch, |p, _| {
            out.push(p.to_vec());
            Ok(())
        })
        .map_err(|e| e.shift(0, 0, chunk.offset))?;
    }
    assert_eq!(
        chunker.position() as usize,
        buf.len(),
        "chunker stopped early"
    );
    Ok(out)
}

fn describe(e: &Error) -> (String, Option<u64>) {
    (e.kind().to_string(), e.position().byte)
}

fn check(d: &Decoder, data: &[u8], chunk_size: usize) {
    let whole_res = whole(d, data);
    // The framer never claims more than it was given, and at EOF it claims
    // everything exactly when the whole-buffer path succeeds.
    for eof in [false, true] {
        if let Ok(n) = d.boundary(data, eof) {
            assert!(n <= data.len(), "boundary {n} past the end {}", data.len());
            if eof {
                assert!(whole_res.is_ok(), "boundary accepted what for_each refused");
                assert_eq!(n, data.len());
            } else if let Ok(all) = &whole_res {
                // A boundary without EOF cuts after whole records.
                let head = whole(d, &data[..n]).expect("prefix at a boundary");
                assert_eq!(&all[..head.len()], &head[..], "prefix records");
            }
        } else if eof {
            assert!(
                whole_res.is_err(),
                "for_each accepted what boundary refused"
            );
        }
    }
    if let Err(e) = &whole_res {
        assert!(e.position().byte.is_some(), "error without offset: {e}");
        assert!(e.position().record.is_some(), "error without record: {e}");
        assert!(
            e.position().byte.unwrap() <= data.len() as u64,
            "offset past end: {e}"
        );
    }
    // The first record found on growing prefixes, without EOF, is the
    // record found on the whole buffer (or an error that the whole buffer
    // also has).
    let first = d.next_record(data, true);
    for k in 0..=data.len().min(64) {
        match d.next_record(&data[..k], false) {
            Ok(None) => {}
            Ok(Some(f)) => {
                assert_eq!(first.as_ref().ok(), Some(&Some(f)), "prefix {k}");
            }
            Err(e) => {
                let w = first.as_ref().expect_err("prefix error but whole ok");
                assert_eq!(describe(&e).1, describe(w).1, "prefix {k}: {e} vs {w}");
            }
        }
    }
    // Streaming agrees with the whole buffer.
    if !data.starts_with(&GZIP_MAGIC) {
        match (&whole_res, streamed(d, data, chunk_size)) {
            (Ok(a), Ok(b)) => assert_eq!(a, &b, "streamed payloads differ"),
            (Err(a), Err(b)) => assert_eq!(describe(a), describe(&b), "{a} vs {b}"),
            (a, b) => panic!(
                "whole {:?} but streamed {:?}",
                a.as_ref().map(Vec::len),
                b.map(|v| v.len())
            ),
        }
    }
    let Ok(payloads) = whole_res else {
        return;
    };
    let mut again = Vec::new();
    for p in &payloads {
        assert!(
            p.len() <= LIMIT,
            "payload of {} bytes over the limit",
            p.len()
        );
        recordio::encode_record(&mut again, p).expect("small payloads encode");
    }
    let expected: usize = payloads.iter().map(|p| HEADER_LEN + padded(p.len())).sum();
    assert_eq!(again.len(), expected, "encoded size");
    assert!(again.len().is_multiple_of(4));
    assert_eq!(
        whole(d, &again).expect("re-encoded records decode"),
        payloads
    );
    assert_eq!(d.boundary(&again, false).unwrap(), again.len());
}

fuzz_target!(|data: &[u8]| {
    // The chunk size comes from the last byte so the first bytes stay a
    // valid header for seeds.
    let chunk_size = 1 + data.last().map_or(0, |&b| b as usize % 24);
    let mut results = Vec::new();
    for convention in [SplitConvention::Aws, SplitConvention::Dmlc] {
        let mut d = Decoder::new();
        d.convention(convention).max_record_len(LIMIT);
        check(&d, data, chunk_size);
        results.push(whole(&d, data).ok());
    }
    // The two conventions find the same records; dmlc payloads are longer
    // by 4 bytes per extra part.
    if let [Some(aws), Some(dmlc)] = &results[..] {
        assert_eq!(aws.len(), dmlc.len());
        for (a, m) in aws.iter().zip(dmlc) {
            assert!(m.len() >= a.len() && (m.len() - a.len()).is_multiple_of(4));
        }
    }
    // A small limit is never exceeded either.
    let mut small = Decoder::new();
    small.max_record_len(12);
    match whole(&small, data) {
        Ok(ps) => assert!(ps.iter().all(|p| p.len() <= 12)),
        Err(e) => {
            if let ErrorKind::TooLarge { len, max } = e.kind() {
                assert!(*len > 12 && *max == 12, "{e}");
            }
        }
    }
});
