//! RecordIO-protobuf payloads: `Record::decode` then `encode` then `decode`
//! is the identity (floats compared by bits) and `encode` is a fixpoint;
//! `Decoder::decode_payload` never panics, leaves a consistent batch, and
//! agrees with `Record::decode` on the values it reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sm_data::Batch;
use sm_data::batch::UNKNOWN_SHAPE;
use sm_data::codec::protobuf::{Decoder, Record, Scratch, VALUES_KEY};
use sm_data_fuzz::{check_batch, same_f64s, same_record, tensor_f64};

fuzz_target!(|data: &[u8]| {
    let record = Record::decode(data);
    if let Err(e) = &record {
        let at = e.position().byte.expect("decode errors carry an offset");
        assert!(at <= data.len() as u64, "offset {at} past the end: {e}");
    }
    if let Ok(rec) = &record {
        let mut bytes = Vec::new();
        rec.encode(&mut bytes).expect("a decoded record encodes");
        let back = Record::decode(&bytes).expect("an encoded record decodes");
        assert!(same_record(rec, &back), "{rec:?}\n!=\n{back:?}");
        let mut again = Vec::new();
        back.encode(&mut again).unwrap();
        assert_eq!(bytes, again, "encode is not a fixpoint");
    }

    let mut batch = Batch::default();
    let mut scratch = Scratch::default();
    let res = Decoder::decode_payload(data, &mut batch, &mut scratch);
    match &res {
        Ok(()) => {
            check_batch(&batch);
            assert_eq!(batch.len(), 1);
            let rec = record
                .as_ref()
                .expect("decode_payload ok but Record::decode failed");
            let want = rec.feature(VALUES_KEY).and_then(tensor_f64);
            match want {
                Some((values, keys, shape)) => {
                    assert!(same_f64s(&values, &batch.values), "feature values");
                    if !keys.is_empty() || !shape.is_empty() {
                        assert!(batch.sparse);
                        assert_eq!(keys, &batch.indices[..]);
                        let width = if shape.is_empty() {
                            UNKNOWN_SHAPE
                        } else {
                            shape
                                .iter()
                                .skip(1)
                                .fold(shape[0], |a, &s| a.saturating_mul(s))
                        };
                        assert_eq!(batch.shapes, vec![width]);
                    } else {
                        assert!(!batch.sparse);
                    }
                }
                None => assert!(batch.values.is_empty()),
            }
            let labels = rec.label(VALUES_KEY).and_then(tensor_f64);
            match labels {
                Some((values, _, _)) => assert!(same_f64s(&values, &batch.labels), "labels"),
                None => assert!(batch.labels.is_empty()),
            }
        }
        Err(e) => {
            if let Some(at) = e.position().byte {
                assert!(at <= data.len() as u64, "offset {at} past the end: {e}");
            }
        }
    }

    // A second row into the same batch (the dense-to-sparse switch).
    if res.is_ok() {
        let before = batch.len();
        if Decoder::decode_payload(data, &mut batch, &mut scratch).is_ok() {
            assert_eq!(batch.len(), before + 1);
            check_batch(&batch);
        }
    }
});
