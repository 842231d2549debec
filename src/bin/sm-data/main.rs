//! The `sm-data` command: a thin shell over the `sm_data` library.
//!
//! Exit status: 0 on success (also when stdout is closed early, as by
//! `| head`), 1 when the data or the system failed (bad input, I/O), 2 for
//! usage and configuration errors.

mod args;
mod cmd;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    keep_freed_memory();
    ignore_file_size_signal();
    quiet_expected_panics();
    let cli = args::Cli::parse();
    // The S3 flags are global: configure the store before any command runs.
    if let Err(err) = cli.s3.config().map(sm_data::store::configure) {
        return failure(err);
    }
    let result = match cli.command {
        args::Command::Convert(a) => cmd::convert::run(a),
        args::Command::Count(a) => cmd::count::run(a),
        args::Command::Inspect(a) => cmd::inspect::run(a),
        args::Command::Shard(a) => cmd::shard::run(*a),
        args::Command::Manifest(a) => cmd::manifest::run(a),
        args::Command::Pipe(a) => cmd::pipe::run(a),
        // Exit 0 clean, 1 problems found, 2 could not run.
        args::Command::Validate(a) => return cmd::validate::main(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => failure(err),
    }
}

/// Keeps the default panic message (a bug) except for the panics the
/// library catches and reports as errors itself (a third-party decoder
/// failing on corrupt input): those would print a backtrace before the
/// error that explains them.
fn quiet_expected_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !sm_data::error::panic_is_expected() {
            default(info);
        }
    }));
}

/// glibc hands freed blocks above its mmap threshold back to the kernel
/// at once, and trims the top of a heap past its trim threshold (both
/// start at 128 KiB and rise with the blocks freed): a chunk's column
/// buffers then come back as fresh pages every chunk, one page fault per
/// 4 KiB. Blocks up to 32 MiB (glibc's maximum) now come from the heaps
/// and freed memory stays there for the next chunk, up to 256 MiB: system
/// time of a typed CSV → Parquet run halves, wall time −14%, peak RSS
/// +10–20 MiB (README, Performance). The library does not change the
/// allocator; this is the command's choice.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// Reports `err` and gives its exit status: 0 for a closed stdout, 2 for
/// configuration and usage errors, 1 for the rest.
fn failure(err: anyhow::Error) -> ExitCode {
    if is_broken_pipe(&err) {
        return ExitCode::SUCCESS;
    }
    eprintln!("sm-data: error: {err:#}");
    let config = err.chain().any(|e| {
        e.downcast_ref::<sm_data::Error>()
            .is_some_and(|e| e.is_config())
    });
    if config {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<sm_data::Error>()
            .is_some_and(|e| e.is_broken_pipe())
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Past a file-size limit (`ulimit -f`) the kernel sends SIGXFSZ, whose
/// default action kills the process and leaves its temporary output behind.
/// Ignored, the write fails with EFBIG instead, which is reported like any
/// other I/O error and the temporary file is removed.
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN at startup, before
    // any other thread exists, has no memory-safety requirements.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
