//! `manifest`: build, expand and check, through the library and the binary.

use sm_data::manifest::{self, Manifest};

use super::util::{sm_data, stderr};

/// A folder with three objects (one nested) and a hidden file.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("b.csv"), "1,2\n").unwrap();
    std::fs::write(d.join("a.csv"), "1,2\n").unwrap();
    std::fs::write(d.join("sub/c.csv"), "1,2\n").unwrap();
    std::fs::write(d.join(".hidden"), "x").unwrap();
    dir
}

#[test]
fn build_lists_a_prefix_and_expand_gives_full_uris() {
    let dir = folder();
    let prefix = dir.path().join("data").display().to_string();
    let m = manifest::build(&prefix).unwrap();
    assert_eq!(m.prefix, format!("{prefix}/"));
    assert_eq!(m.keys, vec!["a.csv", "b.csv", "sub/c.csv"]);
    assert_eq!(m.uris()[2], format!("{prefix}/sub/c.csv"));
    let json = m.to_json();
    assert_eq!(
        json,
        format!(r#"[{{"prefix": "{prefix}/"}}, "a.csv", "b.csv", "sub/c.csv"]"#)
    );
    assert_eq!(Manifest::parse(json.as_bytes(), "m").unwrap(), m);
    // An empty folder has no manifest.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let e = manifest::build(dir.path().join("empty").to_str().unwrap()).unwrap_err();
    assert!(e.to_string().contains("no objects"), "{e}");
}

/// Checks `text` as a manifest file and returns the error messages.
fn problems(dir: &std::path::Path, text: &str) -> Vec<String> {
    let p = dir.join("m.manifest");
    std::fs::write(&p, text).unwrap();
    let r = manifest::check(p.to_str().unwrap()).unwrap();
    r.errors.iter().map(|e| e.to_string()).collect()
}

#[test]
fn check_catches_each_bad_case_with_a_location() {
    let dir = folder();
    let data = dir.path().join("data").display().to_string();
    let good = format!(r#"[{{"prefix": "{data}/"}}, "a.csv", "sub/c.csv"]"#);
    assert!(problems(dir.path(), &good).is_empty());
    let cases: Vec<(String, &str)> = vec![
        ("[{\"prefix\": \"s3://b/\"}, \"a\"".into(), "not valid JSON"),
        ("{\"prefix\": \"s3://b/\"}".into(), "expected a JSON array"),
        ("[]".into(), "the array is empty"),
        ("[{\"prefix\": \"s3://b/\"}]".into(), "lists no keys"),
        ("[\"s3://b/\", \"a\"]".into(), "element 1 must be"),
        ("[{\"prefix\": 3}, \"a\"]".into(), "must be a string"),
        (
            "[{\"prefix\": \"s3://b/\", \"k\": 1}, \"a\"]".into(),
            "exactly one key",
        ),
        (
            "[{\"prefix\": \"s3://b/\"}, \"a\", null]".into(),
            "key 2 must be a string, found null",
        ),
        (
            "[{\"prefix\": \"s3://bucket\"}, \"x/a\"]".into(),
            "extend the bucket name",
        ),
        (
            "[{\"prefix\": \"s3:///p/\"}, \"a\"]".into(),
            "empty bucket name",
        ),
        (
            "[{\"prefix\": \"http://b/p/\"}, \"a\"]".into(),
            "not an s3:// URI",
        ),
        (
            format!(r#"[{{"prefix": "{data}/"}}, "a.csv", "../x.csv"]"#),
            "escapes the prefix",
        ),
        (
            format!(r#"[{{"prefix": "{data}/"}}, "sub/../../x"]"#),
            "escapes the prefix",
        ),
        (
            format!(r#"[{{"prefix": "{data}/"}}, "/etc/passwd"]"#),
            "is absolute",
        ),
        (format!(r#"[{{"prefix": "{data}/"}}, ""]"#), "is empty"),
        (
            format!(r#"[{{"prefix": "{data}/"}}, "a.csv", "nope.csv"]"#),
            "no object",
        ),
        (
            "\u{feff}[{\"prefix\": \"s3://b/\"}, \"a\"]".into(),
            "byte-order mark",
        ),
    ];
    for (text, want) in cases {
        let p = problems(dir.path(), &text);
        assert!(
            p.iter()
                .any(|e| e.contains(want) && e.contains("m.manifest") && e.contains("byte offset")),
            "{text}: expected {want:?}, got {p:?}"
        );
    }
    // The location is the element at fault.
    let p = problems(
        dir.path(),
        &format!(r#"[{{"prefix": "{data}/"}}, "a.csv", "../x"]"#),
    );
    let at = format!(r#"[{{"prefix": "{data}/"}}, "a.csv", "#).len();
    assert!(p[0].contains(&format!("byte offset {at}:")), "{p:?}");
}

#[test]
fn cli_build_expand_check() {
    let dir = folder();
    let o = sm_data(
        dir.path(),
        &["manifest", "build", "data", "-o", "data.manifest"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sm_data(dir.path(), &["manifest", "expand", "data.manifest"]);
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "data/a.csv\ndata/b.csv\ndata/sub/c.csv\n"
    );
    let o = sm_data(dir.path(), &["manifest", "check", "data.manifest"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok, 3 keys"));
    assert!(stderr(&o).contains("warning") && stderr(&o).contains("local path"));
    // Existing output needs --force.
    let o = sm_data(
        dir.path(),
        &["manifest", "build", "data", "-o", "data.manifest"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A missing object fails the check with exit 1 and names it.
    std::fs::remove_file(dir.path().join("data/b.csv")).unwrap();
    let o = sm_data(dir.path(), &["manifest", "check", "data.manifest"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("key 2 \"b.csv\": no object data/b.csv"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("1 problem found"), "{}", stderr(&o));
}
