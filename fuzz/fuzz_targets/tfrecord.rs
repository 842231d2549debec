//! TFRecord framing: `Framer::boundary` never goes past the input and, at
//! EOF, accepts exactly what `for_each` accepts unless a data CRC is bad;
//! the slice reader and the streaming reader (1–24-byte reads) give the same
//! payloads or the same error (kind and offset); errors carry a record and
//! an offset; no payload exceeds `max_record_len`; re-encoding the payloads
//! gives back the input bytes (TFRecord framing is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::codec::Framer;
use sm_data::codec::tfrecord::{self, Decoder};
use sm_data::format::tfrecord::{Reader, SliceReader};
use sm_data_fuzz::split_first;

struct Trickle<'a>(&'a [u8], usize);
impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(self.0.len()).min(out.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let (sel, bytes) = split_first(data);
    let mut d = Decoder::new();
    let max = if sel & 1 == 1 { 12 } else { 1 << 20 };
    d.max_record_len(max);
    let n = d.boundary(bytes, false);
    if let Ok(n) = n {
        assert!(n <= bytes.len());
    }
    let mut payloads = Vec::new();
    let all = d.for_each(bytes, |p, _| {
        assert!(p.len() <= max, "payload over the limit");
        payloads.push(p.to_vec());
        Ok(())
    });
    let at_eof = d.boundary(bytes, true);
    match &all {
        Ok(_) => assert_eq!(at_eof.as_ref().ok(), Some(&bytes.len())),
        Err(e) => {
            let p = e.position();
            assert!(
                p.record.is_some() && p.byte.is_some(),
                "error without position: {e}"
            );
            assert!(p.byte.unwrap() <= bytes.len() as u64);
            if at_eof.is_ok() {
                assert!(e.to_string().contains("CRC check on data failed"), "{e}");
            }
        }
    }
    // Slice and stream readers agree with for_each.
    let mut s = SliceReader::new(bytes, d);
    let mut r = Reader::new(Trickle(bytes, 1 + (sel as usize >> 3) % 24), d);
    let mut k = 0;
    loop {
        let a = s.next_record();
        let b = r.read_record().map(|o| o.map(|p| p.to_vec()));
        match (a, b) {
            (Ok(Some(x)), Ok(Some(y))) => {
                assert_eq!(x, &y[..]);
                assert_eq!(x, &payloads[k][..]);
                k += 1;
            }
            (Ok(None), Ok(None)) => {
                assert!(all.is_ok());
                break;
            }
            (Err(x), Err(y)) => {
                assert_eq!(x.position().byte, y.position().byte, "{x} vs {y}");
                assert_eq!(x.position().record, y.position().record, "{x} vs {y}");
                assert_eq!(x.to_string(), y.to_string());
                break;
            }
            (x, y) => panic!("slice {x:?} vs stream {y:?}"),
        }
    }
    if all.is_ok() {
        let mut again = Vec::new();
        for p in &payloads {
            tfrecord::encode_record(&mut again, p);
        }
        assert_eq!(again, bytes, "re-encoding is not the identity");
    }
});
