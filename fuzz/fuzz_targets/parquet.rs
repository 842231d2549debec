//! Parquet (`sm_data::format::parquet`): `Reader::from_bytes` with options
//! from the selector byte (layout detected, wide or tensor; label default
//! or none) returns a reader or an error, never panics. When it opens:
//! `num_rows` agrees with the footer count of `read::num_rows`; every row
//! group decodes to consistent batches (or a located error) holding
//! exactly the rows the footer states; `for_each` on one thread gives the
//! same batches. A file that decodes re-encodes through sm-data's
//! `Writer` (same layout) and decodes to the same rows, labels, indices
//! and shapes (NaN-aware).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sm_data::format::parquet::read::num_rows;
use sm_data::format::parquet::{LabelColumn, Layout, ParquetOptions, Reader, Writer};
use sm_data::store::Input;
use sm_data::{Batch, ErrorKind};
use sm_data_fuzz::{check_batch, same_f64s, split_first};

/// Values decoded at most (the input is small; a few bytes of RLE can
/// still state millions of values, which is fine for the reader but makes
/// the round trip slow).
const MAX_VALUES: usize = 1 << 22;

fn options(sel: u8) -> ParquetOptions {
    ParquetOptions {
        layout: match sel & 3 {
            1 => Some(Layout::Wide),
            2 => Some(Layout::Tensor),
            _ => None,
        },
        label: (sel & 4 != 0).then_some(LabelColumn::None),
        ..ParquetOptions::default()
    }
}

/// Reads every row of `r` into one batch per record batch, checking each.
fn read_all(r: &Reader, len: usize) -> Result<Vec<Batch>, sm_data::Error> {
    let mut out = Vec::new();
    let mut values = 0usize;
    let mut rows = 0u64;
    for rg in 0..r.num_row_groups() {
        let mut b = Batch::default();
        let res = r.read_row_group(rg, &mut b, &mut |b, first| {
            check_batch(b);
            assert_eq!(first, rows, "first row of a batch");
            rows += b.len() as u64;
            values += b.values.len();
            out.push(b.clone());
            Ok(())
        });
        if let Err(e) = res {
            let p = e.position();
            assert_eq!(p.file.as_deref(), Some("fuzz.parquet"), "{e}");
            if matches!(e.kind(), ErrorKind::Syntax { .. }) {
                assert!(p.byte.is_some_and(|b| b <= len as u64), "{e}");
                assert!(p.record.is_some(), "{e}");
            }
            return Err(e);
        }
        if values > MAX_VALUES {
            return Ok(Vec::new());
        }
    }
    assert_eq!(rows, r.num_rows(), "rows read vs the footer");
    Ok(out)
}

/// All rows of `batches` in one batch.
fn concat(batches: &[Batch]) -> Batch {
    let mut all = Batch::default();
    for b in batches {
        all.sparse = b.sparse;
        all.dtype = b.dtype;
        all.label_dtype = b.label_dtype;
        for i in 0..b.len() {
            all.values.extend_from_slice(b.row_values(i));
            if b.sparse {
                all.indices.extend_from_slice(b.row_indices(i));
            }
            all.labels.extend_from_slice(b.row_labels(i));
            all.shapes.push(b.row_shape(i).unwrap_or(u64::MAX));
            all.end_row();
        }
    }
    all
}

fn same(a: &Batch, b: &Batch) -> bool {
    a.len() == b.len()
        && a.row_ends == b.row_ends
        && a.label_ends == b.label_ends
        && a.indices == b.indices
        && same_f64s(&a.values, &b.values)
        && same_f64s(&a.labels, &b.labels)
        && (!a.sparse || a.shapes == b.shapes)
}

fuzz_target!(init: sm_data_fuzz::let_decoder_panics_unwind(), |data: &[u8]| {
    let (sel, bytes) = split_first(data);
    let opts = options(sel);
    let r = match Reader::from_bytes(Bytes::copy_from_slice(bytes), "fuzz.parquet".into(), &opts) {
        Ok(r) => r,
        Err(e) => {
            if matches!(
                e.kind(),
                ErrorKind::Syntax { .. } | ErrorKind::Truncated { .. }
            ) {
                let p = e.position();
                assert_eq!(p.file.as_deref(), Some("fuzz.parquet"), "{e}");
                assert!(p.byte.is_some_and(|b| b <= bytes.len() as u64), "{e}");
            }
            return;
        }
    };
    let counted = num_rows(Input::from_bytes(bytes.to_vec(), "fuzz.parquet"))
        .expect("the footer a reader opened is read again");
    assert_eq!(counted, r.num_rows(), "num_rows");
    let Ok(batches) = read_all(&r, bytes.len()) else {
        return;
    };
    if batches.is_empty() && r.num_rows() > 0 {
        return; // over MAX_VALUES
    }
    // for_each on one thread: the same batches, in order.
    let mut k = 0;
    r.for_each(
        1,
        |b| Ok(b.clone()),
        |b| {
            assert!(same(&b, &batches[k]), "for_each batch {k} differs");
            k += 1;
            Ok(())
        },
    )
    .expect("for_each fails where read_row_group did not");
    assert_eq!(k, batches.len());
    // Re-encode in the same layout and read back.
    let all = concat(&batches);
    if all.is_empty() {
        return;
    }
    let wopts = ParquetOptions {
        layout: Some(r.layout()),
        row_group_size: 1 + sel as usize,
        ..ParquetOptions::default()
    };
    let mut w = Writer::new(&wopts, None, None, None).unwrap();
    let mut file = Vec::new();
    for b in &batches {
        if w.write(b).is_err() {
            return; // e.g. ragged labels, a sparse row without a shape
        }
        file.extend(w.take_bytes());
    }
    file.extend(w.finish().expect("a writer that took the rows finishes"));
    let ropts = ParquetOptions {
        layout: Some(r.layout()),
        ..ParquetOptions::default()
    };
    let back = Reader::from_bytes(Bytes::from(file), "again.parquet".into(), &ropts)
        .unwrap_or_else(|e| panic!("sm-data's own Parquet does not open: {e}"));
    assert_eq!(back.num_rows(), r.num_rows(), "rows after the round trip");
    assert_eq!(back.is_sparse(), r.is_sparse());
    let again = read_all(&back, usize::MAX)
        .unwrap_or_else(|e| panic!("sm-data's own Parquet does not decode: {e}"));
    let again = concat(&again);
    assert!(
        same(&all, &again),
        "round trip differs:\nfirst {all:?}\nagain {again:?}"
    );
});
