//! FIFO plumbing: create, open for writing without blocking forever, write
//! with an interruptible wait, and open for reading with a timeout.
//!
//! # Why non-blocking opens
//! Opening a FIFO blocks until the other end is opened too. The feeder
//! therefore opens with `O_WRONLY | O_NONBLOCK`, which fails with `ENXIO`
//! while no reader has the FIFO open, and retries with growing sleeps (1 ms
//! up to 50 ms) until a reader appears, the timeout passes or the feeder is
//! stopped. Linux counts a reader that is blocked in `open()` as present,
//! so readers that open normally (Python `open()`, PipeModeDataset) and
//! readers that open non-blocking (ml-io) both release the feeder.
//!
//! The write end stays non-blocking: [`FifoWriter`] writes as much as the
//! pipe takes and waits in `poll()` (200 ms slices) for room, so a stop
//! request is seen within 200 ms even while the reader is idle, and a
//! reader that goes away surfaces as `EPIPE` (`BrokenPipe`). The thread
//! that writes blocks `SIGPIPE` for itself (see [`block_sigpipe`]) so that
//! embedding programs that did not ignore `SIGPIPE` are not killed.
//!
//! The reader side ([`open_read`]) waits for the path to appear, opens it
//! `O_RDONLY | O_NONBLOCK` (which never blocks), waits in `poll()` for the
//! first bytes or the writer's hang-up, then switches to blocking reads.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Size the feeder asks the kernel to give each FIFO's buffer (Linux
/// `F_SETPIPE_SZ`; the default is 64 KiB). Failure is ignored.
pub const PIPE_BUFFER: usize = 1 << 20;

/// Creates a FIFO at `path` with mode 0660. `Ok(false)` if a FIFO already
/// exists there (it is reused); an error if anything else exists there.
pub fn create(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_fifo() => return Ok(false),
        Ok(meta) => {
            let what = if meta.is_file() {
                "a regular file"
            } else if meta.is_dir() {
                "a directory"
            } else {
                "not a FIFO"
            };
            return Err(Error::config(format!(
                "{} exists and is {what}; sm-data does not replace it with a FIFO",
                path.display()
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::from(e).in_file(path.display().to_string())),
    }
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::config(format!("{} contains a NUL byte", path.display())))?;
    // SAFETY: `c` is a valid NUL-terminated path that lives across the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o660) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return Err(Error::from(e).in_file(path.display().to_string()));
    }
    Ok(true)
}

/// Why waiting for the other end ended without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEnd {
    /// The timeout passed.
    TimedOut,
    /// The stop flag was raised.
    Stopped,
}

/// Opens the FIFO at `path` for writing once a reader has it open. Returns
/// `Ok(Err(..))` when the timeout (`None`: wait forever) passes or `stop`
/// is raised first.
pub fn open_write(
    path: &Path,
    timeout: Option<Duration>,
    stop: &AtomicBool,
) -> Result<std::result::Result<FifoWriter, WaitEnd>> {
    let start = Instant::now();
    let mut sleep = Duration::from_millis(1);
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(Err(WaitEnd::Stopped));
        }
        match OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            Ok(file) => {
                set_pipe_size(&file);
                return Ok(Ok(FifoWriter { file }));
            }
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from(e).in_file(path.display().to_string())),
        }
        if timeout.is_some_and(|t| start.elapsed() >= t) {
            return Ok(Err(WaitEnd::TimedOut));
        }
        std::thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_millis(50));
    }
}

#[cfg(target_os = "linux")]
fn set_pipe_size(file: &File) {
    // SAFETY: fcntl on a file descriptor we own; F_SETPIPE_SZ takes an int
    // and only changes the pipe's capacity. Failure (EPERM above the
    // system limit) is harmless and ignored.
    unsafe {
        libc::fcntl(
            file.as_raw_fd(),
            libc::F_SETPIPE_SZ,
            PIPE_BUFFER as libc::c_int,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn set_pipe_size(_file: &File) {}

/// Blocks `SIGPIPE` for the calling thread, so that writing to a FIFO whose
/// reader went away returns `EPIPE` instead of killing the process (Rust
/// binaries ignore `SIGPIPE` anyway; programs embedding the library might
/// not). The signal is thread-directed, so other threads are unaffected.
pub fn block_sigpipe() {
    // SAFETY: sigemptyset/sigaddset initialise a local sigset_t;
    // pthread_sigmask only changes the calling thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Waits until `fd` reports one of `events` or `ms` milliseconds pass.
/// Returns the reported events (0 on timeout).
fn poll_fd(fd: libc::c_int, events: libc::c_short, ms: libc::c_int) -> io::Result<libc::c_short> {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd on the stack, count 1.
    let rc = unsafe { libc::poll(&mut p, 1, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(e);
    }
    Ok(if rc == 0 { 0 } else { p.revents })
}

/// The write end of a FIFO, non-blocking underneath (see the module docs).
#[derive(Debug)]
pub struct FifoWriter {
    file: File,
}

impl FifoWriter {
    /// Writes all of `buf`, waiting for room as needed. Fails with
    /// `BrokenPipe` when the reader closed the FIFO and with `Interrupted`
    /// when `stop` is raised.
    pub fn write_all_or_stop(&mut self, mut buf: &[u8], stop: &AtomicBool) -> io::Result<()> {
        while !buf.is_empty() {
            match (&self.file).write(buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => loop {
                    if stop.load(Ordering::Relaxed) {
                        return Err(io::Error::new(io::ErrorKind::Interrupted, "feeder stopped"));
                    }
                    let ev = poll_fd(self.file.as_raw_fd(), libc::POLLOUT, 200)?;
                    if ev != 0 {
                        break;
                    }
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// Waits up to `timeout` for `path` to exist, then opens it for reading.
/// A FIFO is opened without blocking and the call waits (within the same
/// timeout) until a writer has written its first bytes or hung up; a
/// regular file is simply opened. The returned file does blocking reads.
pub fn open_read(path: &Path, timeout: Duration) -> Result<File> {
    let start = Instant::now();
    let name = path.display().to_string();
    let mut sleep = Duration::from_millis(1);
    let meta = loop {
        match std::fs::metadata(path) {
            Ok(m) => break m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::from(e).in_file(name)),
        }
        if start.elapsed() >= timeout {
            return Err(Error::new(crate::error::ErrorKind::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the FIFO did not appear within {:.1} s; is `sm-data pipe feed` (or SageMaker) feeding this channel, and into this directory?",
                    timeout.as_secs_f64()
                ),
            )))
            .in_file(name));
        }
        std::thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_millis(50));
    };
    if !meta.file_type().is_fifo() {
        if meta.is_dir() {
            return Err(Error::config(format!("{name} is a directory, not a FIFO")));
        }
        return File::open(path).map_err(|e| Error::from(e).in_file(name));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Error::from(e).in_file(name.clone()))?;
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(Error::new(crate::error::ErrorKind::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no writer sent data into the FIFO within {:.1} s",
                    timeout.as_secs_f64()
                ),
            )))
            .in_file(name));
        }
        let ms = left.as_millis().clamp(1, 200) as libc::c_int;
        let ev = poll_fd(file.as_raw_fd(), libc::POLLIN, ms)
            .map_err(|e| Error::from(e).in_file(name.clone()))?;
        if ev != 0 {
            break;
        }
    }
    // SAFETY: fcntl on a descriptor we own; clears O_NONBLOCK only.
    unsafe {
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok(file)
}
