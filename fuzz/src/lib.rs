//! Helpers shared by the fuzz targets: NaN-aware comparisons of batches
//! and records, and checks of a [`Batch`]'s internal consistency.

use sm_data::Batch;
use sm_data::codec::protobuf::{BytesValue, Record, Tensor, Value};

/// Two `f64` values are the same value: bit-identical (so `0` and `-0`
/// differ), or both NaN (any payload: text formats print every NaN alike).
pub fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Element-wise [`same_f64`].
pub fn same_f64s(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| same_f64(x, y))
}

/// The rows of two batches hold the same labels, values, indices and
/// shapes (dtypes and line counts are not compared).
pub fn same_rows(a: &Batch, b: &Batch) -> bool {
    a.sparse == b.sparse
        && a.row_ends == b.row_ends
        && a.label_ends == b.label_ends
        && a.indices == b.indices
        && a.shapes == b.shapes
        && a.dense_rows == b.dense_rows
        && same_f64s(&a.values, &b.values)
        && same_f64s(&a.labels, &b.labels)
}

/// Panics unless the batch's offsets are consistent with its data.
pub fn check_batch(b: &Batch) {
    assert_eq!(b.row_ends.len(), b.label_ends.len(), "row and label ends");
    assert!(
        b.row_ends.windows(2).all(|w| w[0] <= w[1]),
        "row ends sorted"
    );
    assert!(
        b.label_ends.windows(2).all(|w| w[0] <= w[1]),
        "label ends sorted"
    );
    assert_eq!(b.row_ends.last().copied().unwrap_or(0), b.values.len());
    assert_eq!(b.label_ends.last().copied().unwrap_or(0), b.labels.len());
    if b.sparse {
        assert_eq!(b.indices.len(), b.values.len(), "one index per value");
    } else {
        assert!(b.indices.is_empty(), "dense batch with indices");
    }
    assert!(b.shapes.is_empty() || b.shapes.len() == b.len(), "shapes");
    assert!(
        b.dense_rows.is_empty() || (b.sparse && b.dense_rows.len() == b.len()),
        "dense_rows"
    );
}

fn same_tensor<T: Copy>(a: &Tensor<T>, b: &Tensor<T>, bits: impl Fn(T) -> u64) -> bool {
    a.keys == b.keys
        && a.shape == b.shape
        && a.values.len() == b.values.len()
        && a.values
            .iter()
            .zip(&b.values)
            .all(|(&x, &y)| bits(x) == bits(y))
}

fn same_bytes(a: &BytesValue, b: &BytesValue) -> bool {
    a == b
}

/// Two values are equal, comparing floats by their bits (so NaN equals
/// itself and `0` differs from `-0`).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Empty, Value::Empty) => true,
        (Value::Float32(x), Value::Float32(y)) => same_tensor(x, y, |v| v.to_bits() as u64),
        (Value::Float64(x), Value::Float64(y)) => same_tensor(x, y, f64::to_bits),
        (Value::Int32(x), Value::Int32(y)) => same_tensor(x, y, |v| v as u32 as u64),
        (Value::Bytes(x), Value::Bytes(y)) => same_bytes(x, y),
        _ => false,
    }
}

fn same_map(a: &[(String, Value)], b: &[(String, Value)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
}

/// Two records are equal, comparing floats by their bits.
pub fn same_record(a: &Record, b: &Record) -> bool {
    same_map(&a.features, &b.features)
        && same_map(&a.label, &b.label)
        && a.uid == b.uid
        && a.metadata == b.metadata
        && a.configuration == b.configuration
}

/// A value's tensor values as `f64`, and its keys and shape (`None` for
/// `Empty` and `Bytes`).
pub fn tensor_f64(v: &Value) -> Option<(Vec<f64>, &[u64], &[u64])> {
    Some(match v {
        Value::Float32(t) => (
            t.values.iter().map(|&x| x as f64).collect(),
            &t.keys,
            &t.shape,
        ),
        Value::Float64(t) => (t.values.clone(), &t.keys, &t.shape),
        Value::Int32(t) => (
            t.values.iter().map(|&x| x as f64).collect(),
            &t.keys,
            &t.shape,
        ),
        Value::Empty | Value::Bytes(_) => return None,
    })
}

/// Splits fuzz input into a selector byte and the rest.
pub fn split_first(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&b, rest)) => (b, rest),
        None => (0, data),
    }
}

/// Lets a panic raised by third-party code while sm-data's guard
/// (`format::parquet::read::no_panic`) runs unwind to that guard, which
/// turns it into an error, as it does outside the fuzzer: libfuzzer-sys's
/// hook aborts on every panic before it unwinds. "Third-party" is any
/// location outside this workspace (the `parquet` and `arrow` crates, and
/// crates they call into: a corrupt page made `parquet` slice a `bytes`
/// buffer out of range, panicking in `bytes`). A panic outside the guard,
/// or inside it but in sm-data's own code, still aborts at once with its
/// message; a decoder panic that escapes the guard reaches libfuzzer-sys's
/// `catch_unwind` and aborts there (a crash either way). Call it from the
/// `init:` block of `fuzz_target!`.
pub fn let_decoder_panics_unwind() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let third_party = info
            .location()
            .is_some_and(|l| l.file().contains("/registry/src/"));
        if !(third_party && sm_data::error::panic_is_expected()) {
            abort(info);
        }
    }));
}
