//! Checks, for every one of the 2^32 f32 bit patterns, that the CSV row
//! writer (`write_fields`, which prints most f32 values with its own
//! printer, eight or four at a time where the CPU has AVX-512 or AVX2)
//! writes exactly the text
//! `write_value` writes (zmij's shortest round-trip text and the integer
//! rules), a NaN as an empty field. Run by `.ci/run`:
//!
//! ```text
//! cargo run --release --no-default-features --example f32_text_exhaustive
//! SM_DATA_F32_KERNEL=avx2 target/release/examples/f32_text_exhaustive
//! ```
//!
//! (the first checks the widest kernel the CPU has, the second the AVX2
//! one on a CPU that also has AVX-512).
//!
//! Each pattern is printed in a row of four (the four-at-a-time path) and
//! alone (the one-at-a-time path).

use rayon::prelude::*;
use sm_data::batch::Dtype;
use sm_data::codec::text::{write_fields, write_value};

/// The kernel asked for.
fn kernel() -> String {
    let k = std::env::var("SM_DATA_F32_KERNEL").unwrap_or_default();
    format!("SM_DATA_F32_KERNEL={k:?}")
}

/// Bit patterns per task.
const SPAN: u64 = 1 << 22;

fn main() {
    let tasks = (1u64 << 32) / SPAN;
    let mismatches: u64 = (0..tasks)
        .into_par_iter()
        .map(|t| check_span(t * SPAN, SPAN))
        .sum();
    if mismatches > 0 {
        eprintln!("{mismatches} mismatching rows ({})", kernel());
        std::process::exit(1);
    }
    println!(
        "all 2^32 f32 bit patterns print as write_value prints them, in rows of 4 and alone ({})",
        kernel()
    );
}

/// Checks patterns `first..first + n` (`n` a multiple of 4).
fn check_span(first: u64, n: u64) -> u64 {
    let (mut row, mut one, mut want, mut all) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut bad = 0;
    for b in (first..first + n).step_by(4) {
        let values: Vec<f64> = (b..b + 4)
            .map(|x| f64::from(f32::from_bits(x as u32)))
            .collect();
        row.clear();
        write_fields(&mut row, &values, Dtype::Float32, b',', true);
        all.clear();
        for (i, &v) in values.iter().enumerate() {
            want.clear();
            if !v.is_nan() {
                write_value(&mut want, v, Dtype::Float32);
            }
            one.clear();
            write_fields(&mut one, &[v], Dtype::Float32, b',', true);
            if one != want {
                bad += 1;
                report(bad, b + i as u64, &one, &want);
            }
            if i > 0 {
                all.push(b',');
            }
            all.extend_from_slice(&want);
        }
        if row != all {
            bad += 1;
            report(bad, b, &row, &all);
        }
    }
    bad
}

fn report(bad: u64, bits: u64, got: &[u8], want: &[u8]) {
    if bad <= 5 {
        eprintln!(
            "bits {bits:#010x}: got {:?}, want {:?}",
            String::from_utf8_lossy(got),
            String::from_utf8_lossy(want)
        );
    }
}
