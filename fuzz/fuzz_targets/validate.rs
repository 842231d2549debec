//! `sm_data::validate::validate` over a file whose bytes, extension,
//! algorithm and content type the fuzzer chooses (the first two bytes). It
//! must return a report or an error, never panic (a worker panic comes back
//! as an `Internal` error, which counts as a crash here) or hang; the
//! validators' hand-written scanners (the SIMD number masks, the JSON Lines
//! scanner, the RecordIO-protobuf wire walk) and their full-decode
//! fallbacks all see the input. The same file checked in 64-byte chunks on
//! two threads and in one chunk on one thread must give the same report
//! (findings, counts and statistics) or the same error.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sm_data::validate::{Algorithm, Options, validate};
use sm_data::{ErrorKind, pipeline};
use sm_data_fuzz::{let_decoder_panics_unwind, split_first};

const EXTENSIONS: [&str; 8] = [
    "csv", "libsvm", "pbr", "jsonl", "txt", "rec", "parquet", "json",
];

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    None,
    Some("text/csv"),
    Some("text/csv;label_size=0"),
    Some("text/libsvm"),
    Some("application/x-recordio-protobuf"),
    Some("application/jsonlines"),
    Some("application/x-parquet"),
];

/// A scratch folder of this process.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("sm-data-fuzz-validate-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch folder");
        d
    })
}

fn run(path: &str, opts: &Options) -> String {
    match validate(&[path.to_string()], opts) {
        Ok(report) => format!("{report:?}"),
        Err(e) => {
            if let ErrorKind::Internal(m) = e.kind() {
                panic!("internal error (a panic in a worker): {m}");
            }
            format!("error: {e}")
        }
    }
}

fuzz_target!(
    init: let_decoder_panics_unwind(),
    |data: &[u8]| {
        let (sel, rest) = split_first(data);
        let (sel2, body) = split_first(rest);
        let ext = EXTENSIONS[(sel & 7) as usize];
        let path = dir().join(format!("data.{ext}"));
        std::fs::write(&path, body).expect("write the input");
        let path = path.to_str().expect("utf-8 path").to_string();
        let algorithm = Algorithm::ALL[(sel2 as usize >> 3) % Algorithm::ALL.len()];
        let mut opts = Options::new(algorithm);
        opts.content_type = CONTENT_TYPES[(sel2 & 7) as usize].map(str::to_string);
        opts.max_per_kind = ((sel >> 3) & 3) as usize;
        opts.pipeline = pipeline::Options {
            threads: 1,
            chunk_size: 1 << 20,
            ..pipeline::Options::default()
        };
        let whole = run(&path, &opts);
        opts.pipeline = pipeline::Options {
            threads: 2,
            chunk_size: 64,
            ..pipeline::Options::default()
        };
        let small = run(&path, &opts);
        assert_eq!(whole, small, "one chunk and 64-byte chunks disagree");
    }
);
