//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sm_data::FormatSpec;
use sm_data::convert::{ConvertOptions, convert};
use sm_data::store::Input;

/// Path of a file under `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Bytes of a file under `testdata/`.
pub fn read_testdata(rel: &str) -> Vec<u8> {
    std::fs::read(testdata(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Converts in memory through the library.
pub fn convert_bytes(
    input: &[u8],
    name: &str,
    to: &str,
    opts: &ConvertOptions,
) -> sm_data::Result<Vec<u8>> {
    convert_input(Input::from_bytes(input.to_vec(), name), to, opts)
}

/// Converts a stream (not mapped) through the library.
pub fn convert_stream(
    input: &[u8],
    name: &str,
    to: &str,
    opts: &ConvertOptions,
) -> sm_data::Result<Vec<u8>> {
    let input = Input::from_reader(Box::new(std::io::Cursor::new(input.to_vec())), name, None)?;
    convert_input(input, to, opts)
}

fn convert_input(input: Input, to: &str, opts: &ConvertOptions) -> sm_data::Result<Vec<u8>> {
    let mut opts = opts.clone();
    opts.to = Some(to.parse::<FormatSpec>().expect("format"));
    let mut out = Vec::new();
    convert(
        input,
        &mut |b: &[u8]| {
            out.extend_from_slice(b);
            Ok(())
        },
        &opts,
        &mut |_, _| {},
    )?;
    Ok(out)
}

/// Runs the real binary with `args` in `dir`.
pub fn sm_data(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sm-data"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run sm-data")
}

/// Runs the real binary with `stdin` as standard input.
pub fn sm_data_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sm-data"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sm-data");
    let mut sin = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

/// Standard error of a run, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small deterministic generator (xorshift), so tests need no RNG crate.
pub struct Rng(pub u64);

impl Rng {
    /// Next raw value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A float that float32 represents exactly and prints shortly: k/16.
    pub fn value(&mut self) -> f64 {
        (self.below(2001) as f64 - 1000.0) / 16.0
    }
}

/// Prints a value as the writers do (integral without fraction).
pub fn show(v: f64) -> String {
    let mut s = Vec::new();
    sm_data::codec::text::write_value(&mut s, v, sm_data::Dtype::Float64);
    String::from_utf8(s).expect("ascii")
}

/// A dense labeled CSV of `rows` × `cols`, some zeros included.
pub fn dense_csv(rng: &mut Rng, rows: usize, cols: usize) -> String {
    let mut s = String::new();
    for _ in 0..rows {
        s.push_str(&rng.below(3).to_string());
        for _ in 0..cols {
            s.push(',');
            let v = if rng.below(4) == 0 { 0.0 } else { rng.value() };
            s.push_str(&show(v));
        }
        s.push('\n');
    }
    s
}

/// A 0-based LibSVM text of `rows` rows over `cols` features.
pub fn sparse_libsvm(rng: &mut Rng, rows: usize, cols: u64) -> String {
    let mut s = String::new();
    for _ in 0..rows {
        s.push_str(&rng.below(2).to_string());
        let mut idx = 0;
        loop {
            idx += 1 + rng.below(cols / 4 + 1);
            if idx >= cols {
                break;
            }
            s.push_str(&format!(" {}:{}", idx, show(rng.value())));
        }
        s.push('\n');
    }
    s
}
