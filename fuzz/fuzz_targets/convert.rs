//! The whole conversion (`sm_data::convert::convert`) over in-memory input,
//! for a pair of formats chosen by the first byte (options by the next
//! two). It must return Ok or an error, never panic (a worker panic comes
//! back as an `Internal` error, which counts as a crash here) or hang. Data
//! errors must say where they are. Small chunks (64 bytes) and one big chunk
//! must give the same outcome and the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::codec::ChunkDecoder;
use sm_data::codec::csv::{CsvOptions, LabelColumns};
use sm_data::codec::libsvm::{self, LibsvmOptions};
use sm_data::codec::protobuf::{Decoder, Scratch};
use sm_data::codec::recordio::{self, SplitConvention};
use sm_data::convert::{ConvertOptions, Summary, convert};
use sm_data::pipeline;
use sm_data::store::Input;
use sm_data::{Batch, Dtype, Error, ErrorKind, Format};
use sm_data_fuzz::split_first;

fn options(sel: u8, sel2: u8, sel3: u8) -> ConvertOptions {
    let from = Format::ALL[(sel & 3) as usize];
    let to = Format::ALL[((sel >> 2) & 3) as usize];
    ConvertOptions {
        from: Some(from.into()),
        to: Some(to.into()),
        libsvm_one_based_in: sel & 0x10 != 0,
        libsvm_one_based_out: sel & 0x20 != 0,
        split: if sel & 0x40 != 0 {
            SplitConvention::Dmlc
        } else {
            SplitConvention::Aws
        },
        sparse: match sel2 & 3 {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        },
        dtype: match (sel2 >> 2) & 3 {
            1 => Some(Dtype::Float64),
            2 => Some(Dtype::Int32),
            _ => None,
        },
        num_features: (sel2 & 0x10 != 0).then_some(((sel2 >> 5) as u64) * 3),
        max_record_len: (sel & 0x80 != 0).then_some(1 << 20),
        csv: CsvOptions {
            has_header: sel3 & 1 != 0,
            label: match (sel3 >> 1) & 3 {
                0 => Some(LabelColumns { index: 0, size: 1 }),
                1 => None,
                2 => Some(LabelColumns { index: 1, size: 1 }),
                _ => Some(LabelColumns { index: 0, size: 2 }),
            },
            delimiter: [b',', b';', b'\t', b','][((sel3 >> 3) & 3) as usize],
            ..CsvOptions::default()
        },
        csv_out_delimiter: (sel3 & 0x20 != 0).then_some(b';'),
        ..ConvertOptions::default()
    }
}

fn run(body: &[u8], opts: &ConvertOptions, chunk_size: usize) -> Result<(Summary, Vec<u8>), Error> {
    let mut opts = opts.clone();
    opts.pipeline = pipeline::Options {
        threads: 1,
        chunk_size,
        window: 0,
    };
    let mut out = Vec::new();
    let summary = convert(
        Input::from_bytes(body.to_vec(), "fuzz.in"),
        &mut |b: &[u8]| {
            out.extend_from_slice(b);
            Ok(())
        },
        &opts,
        &mut |_, _| {},
    )?;
    Ok((summary, out))
}

/// Widest row the conversion would write dense. Densifying is linear in the
/// width by design (a LibSVM index of 10^9 is 2 GB of CSV zeros), so wider
/// inputs are skipped: they make the fuzzer slow or run out of memory.
const MAX_DENSE_WIDTH: u64 = 1 << 16;

/// The largest number of columns the records of `body` state or use, as
/// far as they can be read (records before a bad one count).
fn stated_width(body: &[u8], opts: &ConvertOptions) -> u64 {
    match opts.from.as_ref().map(|f| f.format) {
        Some(Format::Libsvm) => libsvm::Decoder::new(LibsvmOptions {
            one_based: opts.libsvm_one_based_in,
        })
        .columns(body, true)
        .unwrap_or(u64::MAX),
        Some(Format::Recordio | Format::RecordioProtobuf) => {
            let mut d = recordio::Decoder::new();
            d.convention(opts.split);
            let mut max = 0;
            let mut scratch = Scratch::default();
            let _ = d.for_each(body, &mut Vec::new(), |p, _| {
                let mut b = Batch::default();
                if Decoder::decode_payload(p, &mut b, &mut scratch).is_ok() {
                    max = max.max(b.max_columns());
                }
                Ok(())
            });
            max
        }
        _ => 0,
    }
}

fn check_error(e: &Error, len: usize) {
    let p = e.position();
    match e.kind() {
        ErrorKind::Internal(m) => panic!("internal error (a panic in a worker): {m}"),
        ErrorKind::Io(_) => panic!("I/O error from memory: {e}"),
        ErrorKind::Syntax { .. } | ErrorKind::Truncated { .. } | ErrorKind::TooLarge { .. } => {
            assert!(p.file.is_some(), "error without the file name: {e}");
            assert!(p.byte.is_some(), "error without a byte offset: {e}");
            assert!(
                p.line.is_some() || p.record.is_some(),
                "error without a line or record: {e}"
            );
            assert!(p.byte.unwrap() <= len as u64, "offset past the end: {e}");
        }
        ErrorKind::Unsupported(_) => {
            assert!(p.file.is_some(), "error without the file name: {e}");
            assert!(
                p.line.is_some() || p.record.is_some(),
                "error without a line or record: {e}"
            );
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let (sel, rest) = split_first(data);
    let (sel2, rest) = split_first(rest);
    let (sel3, body) = split_first(rest);
    let opts = options(sel, sel2, sel3);
    let to = opts.to.as_ref().map(|f| f.format);
    let densifies = to == Some(Format::Csv) || opts.sparse == Some(false);
    let width = opts
        .num_features
        .unwrap_or(0)
        .max(stated_width(body, &opts));
    if densifies && width > MAX_DENSE_WIDTH {
        return;
    }
    let small = run(body, &opts, 64);
    let big = run(body, &opts, 1 << 20);
    for r in [&small, &big] {
        match r {
            Ok((s, out)) => {
                assert_eq!(s.bytes_in as usize, body.len(), "not all input read");
                assert_eq!(s.bytes_out as usize, out.len(), "bytes_out");
            }
            Err(e) => check_error(e, body.len()),
        }
    }
    match (&small, &big) {
        (Ok((a, x)), Ok((b, y))) => {
            assert_eq!(
                a.records, b.records,
                "record counts differ with the chunk size"
            );
            assert!(
                x == y,
                "output differs with the chunk size:\n64 bytes: {:?}\none chunk: {:?}",
                String::from_utf8_lossy(x),
                String::from_utf8_lossy(y)
            );
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "chunk size changes the outcome: 64 bytes {:?}, one chunk {:?}",
            a.as_ref().map(|r| r.0.records).map_err(|e| e.to_string()),
            b.as_ref().map(|r| r.0.records).map_err(|e| e.to_string())
        ),
    }
});
