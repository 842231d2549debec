#!/usr/bin/env python3
"""Check that the SageMaker SDK 2.x readers read what `sm-data pipe feed` streams.

Usage (from anywhere):

    .venv/bin/python tests/interop/check_pipe.py path/to/sm-data

Starts the real feeder on real FIFOs in a fresh temporary directory and reads three
epochs of each channel as training code would: `open()` on `<channel>_<epoch>` and
`sagemaker.amazon.common.read_recordio` / `read_records` on the file object.
Checks: objects wrapped with RecordWrapperType=RecordIO come back one record each,
byte for byte (empty, unaligned and multi-MiB objects); a RecordIO-protobuf object
streamed without a wrapper decodes to the same Records as the file; an augmented
manifest yields its attributes in AttributeNames order. Exits 1 listing every
mismatch, 2 on a usage error, and prints "pipe interop OK" when all pass.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

from sagemaker.amazon.common import read_recordio, read_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"
EPOCHS = 3

failures = []


def fail(check, msg):
    failures.append("[%s] %s" % (check, msg))
    print("FAIL [%s] %s" % (check, msg), file=sys.stderr)


def wait_fifo(path, timeout=30.0):
    """Waits for the FIFO to appear, as PipeModeDataset does."""
    start = time.time()
    while not path.exists():
        if time.time() - start > timeout:
            raise TimeoutError("%s did not appear" % path)
        time.sleep(0.01)


def feed(sm_data, tmp, name, args):
    data = tmp / ("data-" + name)
    cmd = [sm_data, "pipe", "feed", "--data-dir", str(data), "--config-dir",
           str(tmp / "cfg"), "--epochs", str(EPOCHS), "--quiet"] + args
    return data, subprocess.Popen(cmd, stderr=subprocess.PIPE)


def finish(check, proc):
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        fail(check, "the feeder did not exit")
        return
    if proc.returncode != 0:
        fail(check, "feeder exit %d: %s" % (proc.returncode, err.decode(errors="replace")))


def check_wrapped_objects(sm_data, tmp):
    check = "RecordIO wrapper + read_recordio"
    src = tmp / "objects"
    src.mkdir()
    objects = [b"", b"a", b"abcde", bytes(range(256)) * 4099, b"x" * (3 << 20) + b"yz"]
    for i, body in enumerate(objects):
        (src / ("part-%02d" % i)).write_bytes(body)
    data, proc = feed(sm_data, tmp, "wrapped",
                      ["--channel", "train=%s" % src, "--record-wrapper", "RecordIO"])
    for epoch in range(EPOCHS):
        fifo = data / ("train_%d" % epoch)
        wait_fifo(fifo)
        with open(fifo, "rb") as f:
            got = list(read_recordio(f))
        if got != objects:
            fail(check, "epoch %d: %d records, lengths %s; expected lengths %s" % (
                epoch, len(got), [len(g) for g in got], [len(o) for o in objects]))
    finish(check, proc)


def check_protobuf(sm_data, tmp):
    check = "RecordIO-protobuf object + read_records"
    pbr = TESTDATA / "recordio-protobuf" / "dense_f32_label.pbr"
    with open(pbr, "rb") as f:
        expected = [r.SerializeToString() for r in read_records(f)]
    data, proc = feed(sm_data, tmp, "protobuf", ["--channel", "train=%s" % pbr])
    for epoch in range(EPOCHS):
        fifo = data / ("train_%d" % epoch)
        wait_fifo(fifo)
        with open(fifo, "rb") as f:
            got = [r.SerializeToString() for r in read_records(f)]
        if got != expected or not got:
            fail(check, "epoch %d: %d records, expected %d" % (epoch, len(got), len(expected)))
    finish(check, proc)


def check_augmented(sm_data, tmp):
    check = "augmented manifest + read_recordio"
    (tmp / "img").mkdir()
    (tmp / "img" / "1.jpg").write_bytes(b"\xff\xd8\xff first image")
    (tmp / "img" / "2.jpg").write_bytes(b"\xff\xd8\xff second")
    manifest = tmp / "train.manifest"
    manifest.write_text(
        '{"source-ref": "img/1.jpg", "is-a-cat": 1, "source-ref-metadata": {"x": 1}}\n'
        '{"is-a-cat": "0", "source-ref": "img/2.jpg"}\n')
    expected = [b"\xff\xd8\xff first image", b"1", b"\xff\xd8\xff second", b"0"]
    data, proc = feed(sm_data, tmp, "augmented",
                      ["--channel", "train=augmented:%s#source-ref,is-a-cat" % manifest,
                       "--record-wrapper", "RecordIO"])
    for epoch in range(EPOCHS):
        fifo = data / ("train_%d" % epoch)
        wait_fifo(fifo)
        with open(fifo, "rb") as f:
            got = list(read_recordio(f))
        if got != expected:
            fail(check, "epoch %d: got %r" % (epoch, got))
    finish(check, proc)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    sm_data = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        check_wrapped_objects(sm_data, tmp)
        check_protobuf(sm_data, tmp)
        check_augmented(sm_data, tmp)
    if failures:
        print("%d pipe interop check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("pipe interop OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
