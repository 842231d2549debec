//! The writer behind a local output file: a background thread and, for
//! large files on local disk filesystems, direct I/O.
//!
//! Writing a gigabyte through the page cache costs the writing thread a
//! kernel copy of every byte into freshly allocated cache pages, and the
//! sync before the rename then waits for the disk anyway. So
//! [`FileWriter`] fills large page-aligned buffers and hands each full one
//! to a writer thread, which writes it with `O_DIRECT` (Linux, on ext4,
//! XFS and btrfs): the disk reads the buffer itself, the caller never
//! waits for a `write` and never copies into the cache, and converting a
//! terabyte does not evict everything else from memory. Outputs smaller
//! than one buffer, the unaligned tail of larger ones, other filesystems
//! and other systems use ordinary buffered writes. A filesystem that
//! refuses a direct write (`EINVAL`) gets the same bytes again, buffered.
//! Setting `SM_DATA_DIRECT_IO=0` turns direct I/O off.
//!
//! Memory: at most [`BUFFERS`] buffers of [`BUFFER`] bytes per output.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Bytes per buffer (a multiple of [`ALIGN`]).
pub(super) const BUFFER: usize = 8 << 20;
/// Buffers per output: one filling, one queued, one being written.
const BUFFERS: usize = 3;
/// Alignment of direct I/O buffers, offsets and lengths (covers 512-byte
/// and 4 KiB logical blocks).
const ALIGN: usize = 4096;

/// Alignment of the buffers themselves: a huge page (2 MiB on x86-64), so
/// that they can be backed by transparent huge pages, which the kernel
/// pins for a direct write a folio at a time instead of 4 KiB at a time.
const HUGE: usize = 2 << 20;

/// A huge-page-aligned byte buffer of [`BUFFER`] bytes.
struct Aligned {
    raw: Box<[u8]>,
    start: usize,
    len: usize,
}

impl Aligned {
    fn new() -> Aligned {
        let raw = vec![0u8; BUFFER + HUGE].into_boxed_slice();
        let start = raw.as_ptr().align_offset(HUGE);
        #[cfg(target_os = "linux")]
        // SAFETY: advice on memory this buffer owns; it changes how the
        // pages are backed, not their contents.
        unsafe {
            libc::madvise(
                raw.as_ptr().add(start) as *mut libc::c_void,
                BUFFER,
                libc::MADV_HUGEPAGE,
            );
        }
        Aligned { raw, start, len: 0 }
    }

    fn filled(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    fn spare(&self) -> usize {
        BUFFER - self.len
    }

    fn push(&mut self, b: &[u8]) {
        let at = self.start + self.len;
        let dst = &mut self.raw[at..at + b.len()];
        #[cfg(target_arch = "x86_64")]
        if b.len() >= STREAM_MIN {
            stream_copy(dst, b);
            self.len += b.len();
            return;
        }
        dst.copy_from_slice(b);
        self.len += b.len();
    }
}

/// Copies of at least this many bytes bypass the cache (see
/// [`stream_copy`]).
#[cfg(target_arch = "x86_64")]
const STREAM_MIN: usize = 64 << 10;

/// `dst.copy_from_slice(src)` with non-temporal stores: the buffer is next
/// read by the disk (or the kernel), not by this thread, so the stores
/// need not read each destination line into the cache first, nor evict
/// the data the converting threads work on. The copy into these buffers
/// runs on the thread that orders the output, the one serial step of a
/// conversion, so it pays to make it cheap. Ends with a store fence, so
/// the bytes are visible to the writer thread (and the kernel) before the
/// buffer is handed over.
#[cfg(target_arch = "x86_64")]
fn stream_copy(dst: &mut [u8], src: &[u8]) {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_sfence, _mm_stream_si128};
    assert_eq!(dst.len(), src.len());
    // The head up to the first 16-byte aligned destination byte.
    let head = dst.as_ptr().align_offset(16).min(dst.len());
    dst[..head].copy_from_slice(&src[..head]);
    let (d, s) = (&mut dst[head..], &src[head..]);
    let blocks = d.len() / 64;
    // SAFETY: SSE2 is part of x86_64. Every load reads 16 bytes within
    // `s` and every store writes 16 bytes within `d` (64 per block, for
    // `blocks` = d.len() / 64 blocks); `d` starts 16-byte aligned, as
    // `_mm_stream_si128` requires.
    unsafe {
        let (dp, sp) = (d.as_mut_ptr(), s.as_ptr());
        for i in 0..blocks {
            for j in 0..4 {
                let off = i * 64 + j * 16;
                let v = _mm_loadu_si128(sp.add(off).cast::<__m128i>());
                _mm_stream_si128(dp.add(off).cast::<__m128i>(), v);
            }
        }
        _mm_sfence();
    }
    let done = blocks * 64;
    d[done..].copy_from_slice(&s[done..]);
}

/// Writes a local output file through a background thread (see the module
/// docs). Dropping it without [`FileWriter::finish`] stops the thread and
/// discards what was not written.
pub(super) struct FileWriter {
    /// The file until the writer thread starts, and after it stops.
    file: Option<File>,
    direct: bool,
    current: Aligned,
    worker: Option<Worker>,
}

struct Worker {
    full: SyncSender<Aligned>,
    empty: Receiver<Aligned>,
    spare: usize,
    thread: JoinHandle<(File, io::Result<()>)>,
}

impl FileWriter {
    /// A writer for a newly created, empty regular file.
    pub(super) fn new(file: File) -> FileWriter {
        let direct = enable_direct(&file);
        FileWriter {
            file: Some(file),
            direct,
            current: Aligned::new(),
            worker: None,
        }
    }

    /// Hands the full current buffer to the writer thread (starting it on
    /// the first call) and takes an empty one.
    fn flush_full(&mut self) -> io::Result<()> {
        if self.worker.is_none() {
            let file = self.file.take().expect("no worker: the file is here");
            let direct = self.direct;
            let (full_tx, full_rx) = sync_channel::<Aligned>(1);
            let (empty_tx, empty_rx) = sync_channel::<Aligned>(BUFFERS);
            let thread = std::thread::Builder::new()
                .name("sm-data-write".into())
                .spawn(move || {
                    let mut file = file;
                    let mut direct = direct;
                    for buf in full_rx {
                        if let Err(e) = write_buffer(&mut file, &mut direct, buf.filled()) {
                            return (file, Err(e));
                        }
                        let mut buf = buf;
                        buf.len = 0;
                        // The owner may be gone (dropped after an error).
                        let _ = empty_tx.try_send(buf);
                    }
                    (file, Ok(()))
                })?;
            self.worker = Some(Worker {
                full: full_tx,
                empty: empty_rx,
                spare: BUFFERS - 1,
                thread,
            });
        }
        let w = self.worker.as_mut().expect("started above");
        let next = if w.spare > 0 {
            w.spare -= 1;
            Some(Aligned::new())
        } else {
            w.empty.recv().ok()
        };
        let Some(next) = next else {
            return Err(self.failure());
        };
        let full = std::mem::replace(&mut self.current, next);
        let w = self.worker.as_ref().expect("started above");
        if w.full.send(full).is_err() {
            return Err(self.failure());
        }
        Ok(())
    }

    /// The error that stopped the writer thread.
    fn failure(&mut self) -> io::Error {
        self.stop().err().unwrap_or_else(stopped)
    }

    /// Stops the writer thread, returning its first error; the file comes
    /// back to `self.file`.
    fn stop(&mut self) -> io::Result<()> {
        let Some(w) = self.worker.take() else {
            return Ok(());
        };
        drop(w.full);
        let (file, result) = w
            .thread
            .join()
            .map_err(|_| io::Error::other("the output writer thread panicked"))?;
        self.file = Some(file);
        result
    }

    /// Writes everything still buffered and returns the file (not synced).
    pub(super) fn finish(mut self) -> io::Result<File> {
        self.stop()?;
        let mut file = self.file.take().expect("stopped: the file is back");
        if self.current.len > 0 {
            // The tail is not a whole number of blocks: write it buffered.
            if self.direct {
                set_direct(&file, false)?;
            }
            file.write_all(self.current.filled())?;
            self.current.len = 0;
        }
        Ok(file)
    }
}

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.current.spare().min(buf.len());
            self.current.push(&buf[..n]);
            buf = &buf[n..];
            if self.current.spare() == 0 {
                self.flush_full()?;
            }
        }
        Ok(())
    }

    /// Buffers are written when full or at [`FileWriter::finish`]; there
    /// is nothing to do before then (a partial buffer cannot be written
    /// directly).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn stopped() -> io::Error {
    io::Error::other("the output writer thread stopped")
}

/// Writes one full buffer, directly when `direct`; falls back to buffered
/// writes for good when the filesystem refuses a direct one.
fn write_buffer(file: &mut File, direct: &mut bool, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match file.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                if *direct && !n.is_multiple_of(ALIGN) {
                    // A short direct write: what remains is unaligned.
                    set_direct(file, false)?;
                    *direct = false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if *direct && e.raw_os_error() == Some(libc::EINVAL) => {
                set_direct(file, false)?;
                *direct = false;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Whether to write `file` directly, switching `O_DIRECT` on if so.
fn enable_direct(file: &File) -> bool {
    if std::env::var_os("SM_DATA_DIRECT_IO").is_some_and(|v| v == "0") {
        return false;
    }
    direct_filesystem(file) && set_direct(file, true).is_ok()
}

#[cfg(target_os = "linux")]
fn direct_filesystem(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    const EXT4: i64 = 0xEF53;
    const XFS: i64 = 0x5846_5342;
    const BTRFS: i64 = 0x9123_683E;
    // SAFETY: fstatfs writes into the zeroed struct it is given and reads
    // nothing else; the descriptor is open for the call.
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut s) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    let kind = s.f_type as i64;
    matches!(kind, EXT4 | XFS | BTRFS)
}

#[cfg(not(target_os = "linux"))]
fn direct_filesystem(_file: &File) -> bool {
    false
}

#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: F_GETFL/F_SETFL on a descriptor open for the call only read
    // and set its status flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let flags = if on {
        flags | libc::O_DIRECT
    } else {
        flags & !libc::O_DIRECT
    };
    // SAFETY: as above; the flags are the descriptor's own with O_DIRECT
    // set or cleared.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &File, _on: bool) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 4099) as u8).collect()
    }

    fn roundtrip(dir: &std::path::Path, sizes: &[usize]) {
        let path = dir.join("out.bin");
        let mut w = FileWriter::new(File::create(&path).unwrap());
        let mut expected = Vec::new();
        for &n in sizes {
            let b = pattern(n);
            w.write_all(&b).unwrap();
            expected.extend_from_slice(&b);
        }
        let file = w.finish().unwrap();
        file.sync_all().unwrap();
        drop(file);
        let mut got = Vec::new();
        File::open(&path).unwrap().read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), expected.len(), "sizes {sizes:?}");
        assert!(got == expected, "sizes {sizes:?}: contents differ");
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_streaming_copy_copies_every_byte_at_any_alignment() {
        let src = pattern(STREAM_MIN + 200);
        for (dst_off, src_off, n) in [
            (0, 0, STREAM_MIN),
            (1, 3, STREAM_MIN + 63),
            (15, 0, 100),
            (7, 9, 0),
        ] {
            let mut dst = vec![0xAAu8; n + 40];
            stream_copy(&mut dst[dst_off..dst_off + n], &src[src_off..src_off + n]);
            assert_eq!(&dst[dst_off..dst_off + n], &src[src_off..src_off + n]);
            assert!(dst[..dst_off].iter().all(|&b| b == 0xAA));
            assert!(dst[dst_off + n..].iter().all(|&b| b == 0xAA));
        }
    }

    #[test]
    fn every_byte_arrives_in_order_whatever_the_write_sizes() {
        // The target folder is on the disk filesystem (direct I/O where it
        // is ext4/XFS/btrfs); the system temp folder may be tmpfs (buffered).
        let here = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        for dir in [here.path(), tmp.path()] {
            roundtrip(dir, &[]);
            roundtrip(dir, &[1]);
            roundtrip(dir, &[BUFFER]);
            roundtrip(dir, &[BUFFER - 1, 1, 1]);
            roundtrip(dir, &[3, BUFFER * 2 + 5, 4096, 77]);
            roundtrip(dir, &[BUFFER * 5 + 4095]);
            let small: Vec<usize> = (0..3000).map(|i| 1 + (i * 97) % 20_000).collect();
            roundtrip(dir, &small);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_refused_direct_write_is_written_again_buffered() {
        // A direct write from a misaligned address is refused with EINVAL
        // on the disk filesystems: the same bytes must arrive, buffered.
        let here = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let path = here.path().join("out.bin");
        let mut file = File::create(&path).unwrap();
        if !direct_filesystem(&file) || set_direct(&file, true).is_err() {
            return; // no direct I/O here: nothing to fall back from
        }
        let mut buf = Aligned::new();
        buf.push(&pattern(3 * ALIGN + 1));
        let misaligned = &buf.filled()[1..];
        assert_eq!(misaligned.len(), 3 * ALIGN);
        // First, the kernel really refuses it.
        let refused = file.write(misaligned).unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(libc::EINVAL), "{refused}");
        let mut direct = true;
        write_buffer(&mut file, &mut direct, misaligned).unwrap();
        assert!(!direct, "still direct after a refusal");
        // Later buffers go buffered too, whatever their alignment.
        write_buffer(&mut file, &mut direct, &buf.filled()[..5]).unwrap();
        file.sync_all().unwrap();
        drop(file);
        let mut want = misaligned.to_vec();
        want.extend_from_slice(&buf.filled()[..5]);
        assert!(std::fs::read(&path).unwrap() == want, "contents differ");
    }

    #[test]
    fn a_failing_write_is_reported_not_lost() {
        // /dev/full accepts the open and fails every write with ENOSPC.
        let Ok(file) = File::options().write(true).open("/dev/full") else {
            return;
        };
        let mut w = FileWriter::new(file);
        let mut err = None;
        for _ in 0..(BUFFERS + 2) {
            if let Err(e) = w.write_all(&vec![1u8; BUFFER]) {
                err = Some(e);
                break;
            }
        }
        let e = match err {
            Some(e) => e,
            None => w.finish().unwrap_err(),
        };
        assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
    }
}
