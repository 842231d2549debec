//! The real binary in temporary folders.

use std::io::Write;

use super::util::{read_testdata, sm_data, sm_data_stdin, stderr, testdata};

#[test]
fn converts_files_by_extension_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let src = testdata("csv/dense.csv");
    let o = sm_data(dir.path(), &["convert", src.to_str().unwrap(), "train.pbr"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("6 records csv -> recordio-protobuf"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(dir.path().join("train.pbr")).unwrap(),
        read_testdata("recordio-protobuf/dense_f32_label.pbr")
    );
    let o = sm_data(dir.path(), &["count", "train.pbr"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "6\n");
    let o = sm_data(dir.path(), &["convert", "train.pbr", "back.csv", "-q"]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("back.csv")).unwrap(),
        read_testdata("csv/dense.csv")
    );
}

#[test]
fn content_types_and_short_names_choose_formats() {
    let dir = tempfile::tempdir().unwrap();
    let src = testdata("libsvm/sparse.libsvm");
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            src.to_str().unwrap(),
            "out.bin",
            "--from",
            "text/x-libsvm",
            "--to",
            "application/x-recordio-protobuf",
            "--dtype",
            "float64",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.path().join("out.bin")).unwrap(),
        read_testdata("recordio-protobuf/sparse_f64_label.pbr")
    );
    // text/csv;label_size=0: every column is a feature.
    std::fs::write(dir.path().join("u.csv"), "1,2,3\n4,5,6\n").unwrap();
    let o = sm_data(
        dir.path(),
        &[
            "inspect",
            "u.csv",
            "--from",
            "text/csv;label_size=0",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("\"feature_dim\": 3") && text.contains("\"labeled_records\": 0"),
        "{text}"
    );
}

#[test]
fn stdin_stdout_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let csv = read_testdata("csv/dense.csv");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).unwrap();
    let gz = gz.finish().unwrap();
    // gzip is detected by its magic, whatever the name.
    let o = sm_data_stdin(
        dir.path(),
        &[
            "convert",
            "-",
            "-",
            "--from",
            "csv",
            "--to",
            "recordio-protobuf",
        ],
        &gz,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        o.stdout,
        read_testdata("recordio-protobuf/dense_f32_label.pbr")
    );
    std::fs::write(dir.path().join("train.csv.gz"), &gz).unwrap();
    let o = sm_data(dir.path(), &["convert", "train.csv.gz", "train.libsvm.gz"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            "train.libsvm.gz",
            "round.csv",
            "--num-features",
            "5",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(dir.path().join("round.csv")).unwrap(), csv);
}

#[test]
fn broken_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let big: String = (0..200_000)
        .map(|i| format!("{},{}.5,2\n", i % 2, i))
        .collect();
    std::fs::write(dir.path().join("big.csv"), big).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sm-data"))
        .args(["convert", "big.csv", "-", "--to", "libsvm"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 100];
    std::io::Read::read_exact(&mut out, &mut buf).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn inspect_shows_dimension_labels_and_first_records() {
    let dir = tempfile::tempdir().unwrap();
    let src = testdata("recordio-protobuf/sparse_f32_label.pbr");
    let o = sm_data(dir.path(), &["inspect", src.to_str().unwrap(), "-n", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for want in [
        "format:         recordio-protobuf",
        "records:        6",
        "features:       sparse, dimension 10",
        "dtype:          float32",
        "label classes:  3 (0: 2, 1: 2, 2: 2)",
        "1  label [1] features [0:0.375, 1:3.375",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(!text.contains("  3  label"), "{text}");
    let o = sm_data(dir.path(), &["inspect", src.to_str().unwrap(), "--json"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("\"records\": 6") && text.contains("\"feature_dim\": 10"),
        "{text}"
    );
}

#[test]
fn every_pair_of_formats_converts() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        ("csv", testdata("csv/dense.csv")),
        ("libsvm", testdata("libsvm/sparse.libsvm")),
        (
            "recordio",
            testdata("recordio-protobuf/dense_f32_label.pbr"),
        ),
        (
            "recordio-protobuf",
            testdata("recordio-protobuf/sparse_f32_label.pbr"),
        ),
    ];
    for (from, src) in &sources {
        for to in ["csv", "libsvm", "recordio", "recordio-protobuf"] {
            let out = format!("{from}-to-{to}.out");
            let o = sm_data(
                dir.path(),
                &[
                    "convert",
                    src.to_str().unwrap(),
                    &out,
                    "--from",
                    from,
                    "--to",
                    to,
                    "-q",
                ],
            );
            assert!(o.status.success(), "{from} -> {to}: {}", stderr(&o));
            let o = sm_data(dir.path(), &["count", &out, "--from", to]);
            assert_eq!(
                String::from_utf8_lossy(&o.stdout),
                "6\n",
                "{from} -> {to}: {}",
                stderr(&o)
            );
        }
    }
}

/// Runs `convert - OUT --from csv --to recordio-protobuf` with standard
/// error on a real pseudo-terminal, feeding `rows` CSV rows over ~1.5 s,
/// and returns what the terminal received and the exit status.
#[cfg(target_os = "linux")]
fn convert_on_a_terminal(extra: &[&str]) -> (String, std::process::ExitStatus) {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two new descriptors into the pointers; the
    // name, termios and window size arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here only.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut args = vec![
        "convert",
        "-",
        "out.pbr",
        "--from",
        "csv",
        "--to",
        "recordio-protobuf",
    ];
    args.extend_from_slice(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sm-data"))
        .args(&args)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("spawn sm-data");
    // Read the terminal while the job runs (a full pty would block it).
    let mut reader = std::fs::File::from(master);
    let seen = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the child's side is closed ends the loop.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&all).into_owned()
    });
    let mut sin = child.stdin.take().unwrap();
    let row = format!("1,{}\n", vec!["0.5"; 50].join(","));
    let piece = row.repeat(12_000); // ~1.8 MB: chunks finish after the first second
    for _ in 0..6 {
        sin.write_all(piece.as_bytes()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    drop(sin);
    let status = child.wait().unwrap();
    (seen.join().unwrap(), status)
}

#[cfg(target_os = "linux")]
#[test]
fn a_long_job_shows_a_progress_bar_on_a_terminal_and_clears_it() {
    let (tty, status) = convert_on_a_terminal(&[]);
    assert!(status.success(), "{tty}");
    // Bytes done and the average rate, drawn after the first second (a
    // stream: no total, so no bar to fill and no time left).
    assert!(tty.contains(" MiB "), "no progress drawn: {tty:?}");
    assert!(tty.contains("iB/s"), "no rate: {tty:?}");
    assert!(!tty.contains("eta"), "a time left for a stream: {tty:?}");
    // Cleared before the summary line, which comes last.
    let summary = tty
        .rfind("records csv -> recordio-protobuf")
        .expect("summary");
    assert!(
        tty[..summary].contains("\u{1b}["),
        "bar not cleared: {tty:?}"
    );
    assert!(
        !tty[summary..].contains("MiB/s"),
        "bar after the summary: {tty:?}"
    );
    // -q: nothing at all on the terminal.
    let (tty, status) = convert_on_a_terminal(&["-q"]);
    assert!(status.success());
    assert_eq!(tty, "", "-q still wrote to the terminal");
}
