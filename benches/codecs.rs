//! Criterion benchmarks of sm-data's codecs and of whole conversions
//! through the parallel pipeline, on seeded in-memory inputs:
//!
//! - dense CSV: a 0/1 label and 100 values like `-3.141593` (6 decimals),
//!   ~16 MiB;
//! - LibSVM: a 0/1 label and ~30 of 100 000 features per row, 0-based,
//!   sorted indices, ~12 MiB;
//! - RecordIO-protobuf: the CSV converted by sm-data (dense float32);
//!   JSON Lines, TFRecord (the RecordIO-protobuf payloads in TFRecord
//!   frames) and, with the `parquet` feature, Parquet (wide layout) made
//!   from them the same way. Each conversion runs on 1 thread and on all.
//!
//! Throughput is bytes of *input* per second: for `convert/*` the input
//! file, for decoders the chunk, for encoders the text the batch was
//! decoded from (so a decode and an encode of the same data add up).
//!
//! ```sh
//! cargo bench --bench codecs                 # all, a few minutes
//! cargo bench --bench codecs -- convert/     # only whole conversions
//! cargo bench --bench codecs -- --test       # run each once (CI smoke)
//! ```
//!
//! The whole-program comparison with the SageMaker SDK is in
//! `benches/compare/`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use sm_data::Batch;
use sm_data::codec::csv::{self, CsvOptions, CsvWriteOptions};
use sm_data::codec::libsvm::{self, LibsvmOptions};
use sm_data::codec::{BatchEncoder, ChunkDecoder, Framer, protobuf, recordio};
use sm_data::convert::{ConvertOptions, convert};
use sm_data::format::Format;
use sm_data::store::Input;

const SEED: u64 = 20240611;
const CSV_BYTES: usize = 16 << 20;
const LIBSVM_BYTES: usize = 12 << 20;
const COLS: usize = 100;
const FEATURES: u64 = 100_000;
/// The pipeline's default chunk size: what one worker decodes at a time.
const CHUNK: usize = 4 << 20;

/// SplitMix64: a small, seeded, dependency-free generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (the tiny modulo bias does not matter here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Appends `micros / 10^6` with exactly 6 decimals, e.g. `-3.141593`.
fn push_fixed6(out: &mut Vec<u8>, micros: i64) {
    if micros < 0 {
        out.push(b'-');
    }
    let m = micros.unsigned_abs();
    let mut buf = itoa::Buffer::new();
    out.extend_from_slice(buf.format(m / 1_000_000).as_bytes());
    out.push(b'.');
    let frac = m % 1_000_000;
    let digits = buf.format(frac).as_bytes();
    out.extend(std::iter::repeat_n(b'0', 6 - digits.len()));
    out.extend_from_slice(digits);
}

/// Dense CSV: label, then `COLS` values in (-10, 10).
fn gen_csv(bytes: usize) -> Vec<u8> {
    let mut rng = Rng(SEED);
    let mut out = Vec::with_capacity(bytes + 2048);
    while out.len() < bytes {
        out.push(b'0' + rng.below(2) as u8);
        for _ in 0..COLS {
            out.push(b',');
            push_fixed6(&mut out, rng.below(19_999_999) as i64 - 9_999_999);
        }
        out.push(b'\n');
    }
    out
}

/// LibSVM: label, then 20–40 (mean 30) strictly increasing 0-based
/// indices below `FEATURES` with values in (0, 10).
fn gen_libsvm(bytes: usize) -> Vec<u8> {
    let mut rng = Rng(SEED ^ 0x5356_4D4C);
    let mut out = Vec::with_capacity(bytes + 2048);
    let mut idx = Vec::new();
    let mut buf = itoa::Buffer::new();
    while out.len() < bytes {
        out.push(b'0' + rng.below(2) as u8);
        let k = 20 + rng.below(21);
        idx.clear();
        while (idx.len() as u64) < k {
            idx.push(rng.below(FEATURES));
            idx.sort_unstable();
            idx.dedup();
        }
        for &i in &idx {
            out.push(b' ');
            out.extend_from_slice(buf.format(i).as_bytes());
            out.push(b':');
            push_fixed6(&mut out, 1 + rng.below(9_999_999) as i64);
        }
        out.push(b'\n');
    }
    out
}

/// Runs `convert` on in-memory bytes, returning the output size.
fn run_convert(input: Vec<u8>, name: &str, opts: &ConvertOptions) -> usize {
    let mut n = 0usize;
    convert(
        Input::from_bytes(input, name),
        &mut |b: &[u8]| {
            n += black_box(b).len();
            Ok(())
        },
        opts,
        &mut |_, _| {},
    )
    .expect("conversion");
    n
}

fn options(from: Format, to: Format, threads: usize) -> ConvertOptions {
    let mut opts = ConvertOptions {
        from: Some(from.into()),
        to: Some(to.into()),
        ..ConvertOptions::default()
    };
    opts.pipeline.threads = threads;
    opts
}

/// The first whole lines of `text` up to about `CHUNK` bytes.
fn first_chunk(text: &[u8]) -> &[u8] {
    let end = text[..CHUNK.min(text.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(text.len(), |i| i + 1);
    &text[..end]
}

/// Whole records of `pbr` up to about `CHUNK` bytes.
fn first_frames(pbr: &[u8]) -> &[u8] {
    let framing = recordio::Decoder::new();
    let n = framing
        .boundary(&pbr[..CHUNK.min(pbr.len())], CHUNK >= pbr.len())
        .expect("framing");
    &pbr[..n]
}

struct Inputs {
    csv: Vec<u8>,
    libsvm: Vec<u8>,
    pbr: Vec<u8>,
    jsonl: Vec<u8>,
    tfrecord: Vec<u8>,
    #[cfg(feature = "parquet")]
    parquet: Vec<u8>,
}

/// `input` converted by sm-data (the other benchmark inputs come from the
/// generated CSV this way).
fn converted(input: &[u8], name: &str, from: Format, to: Format) -> Vec<u8> {
    let mut out = Vec::new();
    convert(
        Input::from_bytes(input.to_vec(), name),
        &mut |b: &[u8]| {
            out.extend_from_slice(b);
            Ok(())
        },
        &options(from, to, 0),
        &mut |_, _| {},
    )
    .expect("conversion of a benchmark input");
    out
}

fn inputs() -> Inputs {
    let csv = gen_csv(CSV_BYTES);
    let libsvm = gen_libsvm(LIBSVM_BYTES);
    let pbr = converted(&csv, "bench.csv", Format::Csv, Format::RecordioProtobuf);
    let jsonl = converted(&csv, "bench.csv", Format::Csv, Format::Jsonl);
    let tfrecord = converted(
        &pbr,
        "bench.pbr",
        Format::RecordioProtobuf,
        Format::Tfrecord,
    );
    Inputs {
        #[cfg(feature = "parquet")]
        parquet: converted(&csv, "bench.csv", Format::Csv, Format::Parquet),
        csv,
        libsvm,
        pbr,
        jsonl,
        tfrecord,
    }
}

fn bench_convert(c: &mut Criterion, data: &Inputs) {
    let mut group = c.benchmark_group("convert");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    #[allow(unused_mut)] // without the parquet feature
    let mut cases: Vec<(&str, &Vec<u8>, &str, Format, Format)> = vec![
        (
            "csv_to_pbr",
            &data.csv,
            "bench.csv",
            Format::Csv,
            Format::RecordioProtobuf,
        ),
        (
            "libsvm_to_sparse_pbr",
            &data.libsvm,
            "bench.libsvm",
            Format::Libsvm,
            Format::RecordioProtobuf,
        ),
        (
            "pbr_to_csv",
            &data.pbr,
            "bench.pbr",
            Format::RecordioProtobuf,
            Format::Csv,
        ),
        (
            "csv_to_jsonl",
            &data.csv,
            "bench.csv",
            Format::Csv,
            Format::Jsonl,
        ),
        (
            "jsonl_to_pbr",
            &data.jsonl,
            "bench.jsonl",
            Format::Jsonl,
            Format::RecordioProtobuf,
        ),
        (
            "pbr_to_tfrecord",
            &data.pbr,
            "bench.pbr",
            Format::RecordioProtobuf,
            Format::Tfrecord,
        ),
        (
            "tfrecord_to_pbr",
            &data.tfrecord,
            "bench.tfrecord",
            Format::Tfrecord,
            Format::RecordioProtobuf,
        ),
    ];
    #[cfg(feature = "parquet")]
    cases.extend([
        (
            "csv_to_parquet",
            &data.csv,
            "bench.csv",
            Format::Csv,
            Format::Parquet,
        ),
        (
            "parquet_to_csv",
            &data.parquet,
            "bench.parquet",
            Format::Parquet,
            Format::Csv,
        ),
    ]);
    for (name, input, file, from, to) in cases {
        group.throughput(Throughput::Bytes(input.len() as u64));
        for threads in [1, 0] {
            let opts = options(from, to, threads);
            let id = if threads == 0 {
                "all_threads".to_string()
            } else {
                format!("{threads}_thread")
            };
            group.bench_with_input(BenchmarkId::new(name, id), input, |b, input| {
                b.iter_batched(
                    || input.clone(),
                    |bytes| run_convert(bytes, file, &opts),
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

fn bench_codecs(c: &mut Criterion, data: &Inputs) {
    let mut group = c.benchmark_group("codec");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    // Decoders: one pipeline-sized chunk into a reused batch.
    let csv_chunk = first_chunk(&data.csv);
    let csv_decoder = csv::Decoder::new(CsvOptions::default());
    let mut csv_batch = Batch::default();
    group.throughput(Throughput::Bytes(csv_chunk.len() as u64));
    group.bench_function("csv_decode", |b| {
        b.iter(|| {
            csv_decoder
                .decode(black_box(csv_chunk), true, &mut csv_batch)
                .expect("csv decode");
            csv_batch.len()
        })
    });

    let svm_chunk = first_chunk(&data.libsvm);
    let svm_decoder = libsvm::Decoder::new(LibsvmOptions::default());
    let mut svm_batch = Batch::default();
    group.throughput(Throughput::Bytes(svm_chunk.len() as u64));
    group.bench_function("libsvm_decode", |b| {
        b.iter(|| {
            svm_decoder
                .decode(black_box(svm_chunk), true, &mut svm_batch)
                .expect("libsvm decode");
            svm_batch.len()
        })
    });

    let pbr_chunk = first_frames(&data.pbr);
    let pbr_decoder = protobuf::Decoder::new(recordio::Decoder::new());
    let mut pbr_batch = Batch::default();
    group.throughput(Throughput::Bytes(pbr_chunk.len() as u64));
    group.bench_function("protobuf_decode", |b| {
        b.iter(|| {
            pbr_decoder
                .decode(black_box(pbr_chunk), true, &mut pbr_batch)
                .expect("protobuf decode");
            pbr_batch.len()
        })
    });

    // Encoders: the batches decoded above; throughput counts the bytes
    // they were decoded from.
    let encoder = protobuf::Encoder::new();
    let mut out = Vec::new();
    group.throughput(Throughput::Bytes(csv_chunk.len() as u64));
    group.bench_function("protobuf_encode_dense", |b| {
        b.iter(|| {
            out.clear();
            encoder
                .encode(black_box(&csv_batch), &mut out)
                .expect("protobuf encode");
            out.len()
        })
    });

    let mut sparse_encoder = protobuf::Encoder::new();
    sparse_encoder.num_features(Some(FEATURES));
    group.throughput(Throughput::Bytes(svm_chunk.len() as u64));
    group.bench_function("protobuf_encode_sparse", |b| {
        b.iter(|| {
            out.clear();
            sparse_encoder
                .encode(black_box(&svm_batch), &mut out)
                .expect("protobuf encode");
            out.len()
        })
    });

    let csv_encoder = csv::Encoder::new(CsvWriteOptions::default());
    group.throughput(Throughput::Bytes(pbr_chunk.len() as u64));
    group.bench_function("csv_encode", |b| {
        b.iter(|| {
            out.clear();
            csv_encoder
                .encode(black_box(&pbr_batch), &mut out)
                .expect("csv encode");
            out.len()
        })
    });

    // Framing: walk every RecordIO frame of the whole file.
    let framing = recordio::Decoder::new();
    group.throughput(Throughput::Bytes(data.pbr.len() as u64));
    group.bench_function("recordio_frame_walk", |b| {
        b.iter(|| {
            framing
                .boundary(black_box(&data.pbr), true)
                .expect("framing")
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let data = inputs();
    bench_codecs(c, &data);
    bench_convert(c, &data);
}

criterion_group!(codecs, benches);
criterion_main!(codecs);
