//! ManifestFile (`sm_data::manifest`): `Manifest::parse` accepts exactly
//! the JSON arrays `[{"prefix": "<non-empty>"}, "key", ...]` (checked
//! against `serde_json::Value`), and its errors name the file and a byte
//! offset inside the input; a parsed manifest written with `to_json`
//! parses to the same value and `to_json` is a fixpoint; `check_bytes`
//! never panics, agrees with `parse` (no manifest and parse's error when
//! it fails, the same manifest when it parses) and reports exactly the
//! keys that are empty, absolute or escape the prefix with `..`, each at
//! the key's byte offset.
//!
//! `check_bytes` lists the prefix when the manifest is well formed, so it
//! runs on the input only when that cannot touch the file system (an
//! `s3://` or other remote prefix, which this build cannot list); the keys
//! are also checked under a prefix that does not exist.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sm_data::manifest::{Manifest, check_bytes};

const NAME: &str = "fuzz.manifest";
const NOWHERE: &str = "fuzz-no-such-dir-7f3a/";

/// What serde_json says the manifest is (`None`: not a manifest).
fn oracle(bytes: &[u8]) -> Option<Manifest> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return None;
    }
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    let Some(Value::Object(first)) = items.first() else {
        return None;
    };
    let Some(Value::String(prefix)) = first.get("prefix") else {
        return None;
    };
    if first.len() != 1 || prefix.is_empty() || items.len() < 2 {
        return None;
    }
    let keys = items[1..]
        .iter()
        .map(|k| k.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()?;
    Some(Manifest {
        prefix: prefix.clone(),
        keys,
    })
}

/// Does the key fail the escape checks of `check`?
fn bad_key(k: &str) -> bool {
    k.is_empty() || k.starts_with('/') || k.split('/').any(|s| s == "..")
}

/// Byte offset of each key in `m.to_json()`.
fn key_offsets(m: &Manifest) -> Vec<u64> {
    let mut part = Manifest {
        prefix: m.prefix.clone(),
        keys: Vec::new(),
    };
    let mut out = Vec::new();
    for k in &m.keys {
        // `[..., K]`: the next key starts after the ", " that replaces "]".
        out.push(part.to_json().len() as u64 + 1);
        part.keys.push(k.clone());
    }
    out
}

/// Runs `check_bytes` on `m.to_json()` (whose prefix does not exist):
/// bad keys, and only they, are reported, each at the key's offset; a
/// manifest without bad keys fails only on the listing.
fn check_keys(m: &Manifest) {
    let json = m.to_json();
    let report = check_bytes(json.as_bytes(), NAME);
    assert_eq!(
        report.manifest.as_ref(),
        Some(m),
        "check_bytes parses alike"
    );
    assert!(!report.ok(), "keys under a missing prefix are not ok");
    let offsets = key_offsets(m);
    let want: Vec<u64> = (0..m.keys.len())
        .filter(|&i| bad_key(&m.keys[i]))
        .map(|i| offsets[i])
        .collect();
    if want.is_empty() {
        for e in &report.errors {
            let msg = e.to_string();
            assert!(
                msg.contains("no object") || msg.contains(NOWHERE),
                "unexpected: {e}"
            );
        }
    } else {
        let got: Vec<u64> = report
            .errors
            .iter()
            .map(|e| {
                assert_eq!(e.position().file.as_deref(), Some(NAME), "{e}");
                e.position()
                    .byte
                    .unwrap_or_else(|| panic!("no offset: {e}"))
            })
            .collect();
        assert_eq!(got, want, "bad keys reported: {:?}", report.errors);
    }
}

fuzz_target!(|bytes: &[u8]| {
    let parsed = Manifest::parse(bytes, NAME);
    assert_eq!(
        parsed.as_ref().ok(),
        oracle(bytes).as_ref(),
        "parse and serde_json disagree"
    );
    let m = match parsed {
        Ok(m) => m,
        Err(e) => {
            let p = e.position();
            assert_eq!(p.file.as_deref(), Some(NAME), "{e}");
            assert!(p.byte.is_some_and(|b| b <= bytes.len() as u64), "{e}");
            let report = check_bytes(bytes, NAME);
            assert!(report.manifest.is_none());
            assert_eq!(report.errors.len(), 1);
            assert_eq!(report.errors[0].to_string(), e.to_string());
            return;
        }
    };
    // Write and parse again.
    let json = m.to_json();
    assert!(json.is_ascii(), "to_json escapes like ensure_ascii");
    let again = Manifest::parse(json.as_bytes(), NAME)
        .unwrap_or_else(|e| panic!("to_json output does not parse: {e}\n{json}"));
    assert_eq!(again, m, "round trip");
    assert_eq!(again.to_json(), json, "to_json is not a fixpoint");
    assert_eq!(m.uris().len(), m.keys.len());
    // check_bytes on the input, when it cannot walk the file system.
    let remote = m.prefix.starts_with("s3://")
        || (m.prefix.contains("://") && !m.prefix.starts_with("file://"));
    if remote {
        let report = check_bytes(bytes, NAME);
        assert_eq!(report.manifest.as_ref(), Some(&m));
        assert!(!report.ok(), "this build cannot list {}", m.prefix);
        for e in &report.errors {
            if let Some(b) = e.position().byte {
                // Located at element 0 (`{`) or a key (`"`).
                let c = bytes.get(b as usize).copied();
                assert!(c == Some(b'{') || c == Some(b'"'), "{e} at {c:?}");
            }
        }
    }
    // The same keys under a prefix that does not exist.
    check_keys(&Manifest {
        prefix: NOWHERE.into(),
        keys: m.keys.clone(),
    });
});
