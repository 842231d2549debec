//! Typed tables (`sm_data::table::convert_table`, `--typed`). Selector
//! bits 0-1: CSV → Parquet, JSON Lines → Parquet, Parquet → CSV, Parquet →
//! JSON Lines. Never a panic (a worker panic comes back as `Internal`: a
//! crash here); data errors name the file. Text → Parquet gives the same
//! table with 64-byte chunks as with one chunk (the same printed text:
//! each chunk is its own row group, so the bytes differ), and as many rows
//! as the footer states, and the same outcome (bytes, or error text) when the
//! writer may start over (the one-pass guess of `convert_table_with`) as
//! when it may not (two passes). Its Parquet prints back to the same text format, and
//! that text is a fixpoint: text → Parquet → text gives it again (the
//! first pass may change a column's type, e.g. floats that print as
//! integers, but the printed text is stable).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::convert::{ConvertOptions, Summary};
use sm_data::format::parquet::read::num_rows;
use sm_data::pipeline;
use sm_data::store::Input;
use sm_data::table::{TableFormat, convert_table_with};
use sm_data::{Error, ErrorKind};
use sm_data_fuzz::split_first;

fn run(
    body: &[u8],
    from: TableFormat,
    to: TableFormat,
    chunk_size: usize,
) -> Result<(Summary, Vec<u8>), Error> {
    run_with(body, from, to, chunk_size, false)
}

/// [`run`]; `restartable`: the output may be started over (it is cleared).
fn run_with(
    body: &[u8],
    from: TableFormat,
    to: TableFormat,
    chunk_size: usize,
    restartable: bool,
) -> Result<(Summary, Vec<u8>), Error> {
    let opts = ConvertOptions {
        typed: true,
        pipeline: pipeline::Options {
            threads: 1,
            chunk_size,
            window: 0,
        },
        ..ConvertOptions::default()
    };
    let out = std::cell::RefCell::new(Vec::new());
    let mut restart = || {
        out.borrow_mut().clear();
        Ok(())
    };
    let s = convert_table_with(
        Input::from_bytes(body.to_vec(), "fuzz.in"),
        from,
        to,
        &mut |b: &[u8]| {
            out.borrow_mut().extend_from_slice(b);
            Ok(())
        },
        restartable.then_some(&mut restart as &mut dyn FnMut() -> sm_data::Result<()>),
        &opts,
    )?;
    Ok((s, out.into_inner()))
}

fn check_error(e: &Error, len: usize) {
    let p = e.position();
    match e.kind() {
        ErrorKind::Internal(m) => panic!("internal error (a panic in a worker): {m}"),
        ErrorKind::Io(_) => panic!("I/O error from memory: {e}"),
        ErrorKind::Syntax { .. } | ErrorKind::Truncated { .. } | ErrorKind::TooLarge { .. } => {
            assert_eq!(p.file.as_deref(), Some("fuzz.in"), "{e}");
            if let Some(b) = p.byte {
                assert!(b <= len as u64, "offset past the end: {e}");
            }
        }
        _ => {}
    }
}

fuzz_target!(init: sm_data_fuzz::let_decoder_panics_unwind(), |data: &[u8]| {
    let (sel, body) = split_first(data);
    let text = if sel & 1 == 0 {
        TableFormat::Csv
    } else {
        TableFormat::Jsonl
    };
    if sel & 2 != 0 {
        // Parquet → text: any outcome but a panic.
        if let Err(e) = run(body, TableFormat::Parquet, text, 1 << 20) {
            check_error(&e, body.len());
        }
        return;
    }
    let small = run(body, text, TableFormat::Parquet, 64);
    let guessed = run_with(body, text, TableFormat::Parquet, 64, true);
    match (&small, &guessed) {
        (Ok((a, x)), Ok((b, y))) => {
            assert_eq!(a.records, b.records, "records differ with the one-pass guess");
            assert!(x == y, "Parquet differs with the one-pass guess");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "errors differ"),
        (a, b) => panic!(
            "the one-pass guess changes the outcome: two passes {:?}, guess {:?}",
            a.as_ref().map(|r| r.0.records).map_err(|e| e.to_string()),
            b.as_ref().map(|r| r.0.records).map_err(|e| e.to_string())
        ),
    }
    let big = run(body, text, TableFormat::Parquet, 1 << 20);
    let (s, pq) = match (small, big) {
        (Ok((a, x)), Ok((b, y))) => {
            assert_eq!(a.records, b.records, "records differ with the chunk size");
            let print = |pq: &[u8]| {
                run(pq, TableFormat::Parquet, text, 1 << 20)
                    .unwrap_or_else(|e| panic!("sm-data's own Parquet does not print: {e}"))
                    .1
            };
            let (tx, ty) = (print(&x), print(&y));
            assert!(
                tx == ty,
                "the table differs with the chunk size:\n{}\n---\n{}",
                String::from_utf8_lossy(&tx),
                String::from_utf8_lossy(&ty)
            );
            (a, x)
        }
        (Err(a), Err(b)) => {
            check_error(&a, body.len());
            check_error(&b, body.len());
            return;
        }
        (a, b) => panic!(
            "chunk size changes the outcome: 64 bytes {:?}, one chunk {:?}",
            a.map(|r| r.0.records).map_err(|e| e.to_string()),
            b.map(|r| r.0.records).map_err(|e| e.to_string())
        ),
    };
    assert_eq!(s.bytes_in as usize, body.len(), "not all input read");
    let rows = num_rows(Input::from_bytes(pq.clone(), "t.parquet"))
        .unwrap_or_else(|e| panic!("sm-data's own Parquet has no footer: {e}"));
    assert_eq!(rows, s.records, "rows in the footer");
    let (s2, text2) = run(&pq, TableFormat::Parquet, text, 1 << 20)
        .unwrap_or_else(|e| panic!("sm-data's own Parquet does not print: {e}"));
    assert_eq!(s2.records, s.records, "rows printed");
    let (s3, pq2) = run(&text2, text, TableFormat::Parquet, 1 << 20).unwrap_or_else(|e| {
        panic!(
            "printed text does not convert: {e}\n{}",
            String::from_utf8_lossy(&text2)
        )
    });
    assert_eq!(s3.records, s.records, "rows after printing");
    let (_, text3) = run(&pq2, TableFormat::Parquet, text, 1 << 20).unwrap();
    assert!(
        text2 == text3,
        "printed text is not a fixpoint:\n{}\n---\n{}",
        String::from_utf8_lossy(&text2),
        String::from_utf8_lossy(&text3)
    );
});
