//! Fault tests: the system fails under a running conversion (the disk fills,
//! a file-size limit is hit, the process is killed) and nothing the user had
//! is lost, nothing truncated is left looking complete.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{Rng, dense_csv, sm_data, stderr};

const BIN: &str = env!("CARGO_BIN_EXE_sm-data");

/// A CSV of about 3 MB (its RecordIO-protobuf is about 1.3 MB).
fn big_csv(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("in.csv");
    std::fs::write(&path, dense_csv(&mut Rng(7), 15_000, 30)).unwrap();
    path
}

/// Names in `dir`, hidden ones included, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_previous_output() {
    // A 256 KiB tmpfs mounted in a private user and mount namespace (no
    // privileges needed); everything is checked from inside it.
    let dir = tempfile::tempdir().unwrap();
    let input = big_csv(dir.path());
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let script = r#"
        mount -t tmpfs -o size=256k tmpfs "$1" || exit 99
        printf 'previous output' > "$1/out.pbr"
        "$2" convert "$3" "$1/out.pbr" --force -q
        echo "status=$?"
        ls -A "$1"
        cat "$1/out.pbr"
    "#;
    let o = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(&mnt)
        .arg(BIN)
        .arg(&input)
        .output()
        .expect("run unshare");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert_eq!(out, "status=1\nout.pbr\nprevious output", "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("out.pbr"), "{err}");
}

#[test]
fn a_device_that_is_full_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_csv(dir.path());
    let o = sm_data(
        dir.path(),
        &[
            "convert",
            input.to_str().unwrap(),
            "/dev/full",
            "--to",
            "recordio-protobuf",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("/dev/full"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("No space left on device"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_file_size_limit_fails_cleanly_instead_of_killing_the_process() {
    // `ulimit -f` makes the kernel send SIGXFSZ, which would kill the
    // process and leave its temporary file; sm-data ignores the signal and
    // gets EFBIG from write instead.
    let dir = tempfile::tempdir().unwrap();
    let input = big_csv(dir.path());
    let o = Command::new("sh")
        .args(["-c", r#"ulimit -f 200 && exec "$0" convert "$1" out.pbr"#])
        .arg(BIN)
        .arg(&input)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("File too large"), "{}", stderr(&o));
    assert!(stderr(&o).contains("out.pbr"), "{}", stderr(&o));
    assert_eq!(names(dir.path()), ["in.csv"]);
}

#[test]
fn killing_a_conversion_keeps_the_previous_output_intact() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("out.csv"), "previous output\n").unwrap();
    // Big enough that half of it makes more than one 8 MiB output buffer.
    let data = dense_csv(&mut Rng(11), 150_000, 30);
    let half = data.len() / 2;
    let mut child = Command::new(BIN)
        .args(["convert", "-", "out.csv", "--from", "csv", "--force", "-q"])
        .args(["--chunk-size", "65536"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Feed half the input and wait until output is being written.
    stdin.write_all(&data.as_bytes()[..half]).unwrap();
    stdin.flush().unwrap();
    let started = Instant::now();
    let temp = loop {
        let written = std::fs::read_dir(dir.path()).unwrap().find_map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name.ends_with(".tmp") && e.metadata().unwrap().len() > 0).then_some(name)
        });
        if let Some(name) = written {
            break name;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no output written"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(temp.starts_with(".out.csv.sm-data-"), "{temp}");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).unwrap(),
        "previous output\n"
    );
    // What is left of the killed run is only its hidden temporary file.
    let left: Vec<String> = names(dir.path())
        .into_iter()
        .filter(|n| n != "out.csv")
        .collect();
    assert_eq!(left, [temp]);
}
