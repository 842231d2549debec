//! `sm-data convert INPUT OUTPUT`.

use crate::args::ConvertArgs;
use crate::progress::Progress;

/// Runs the conversion and prints a one-line summary on stderr.
pub fn run(args: ConvertArgs) -> anyhow::Result<()> {
    let opts = args.options()?;
    let mut progress = Progress::new(args.quiet);
    let start = std::time::Instant::now();
    let summary = sm_data::convert::convert_path(
        &args.input,
        &args.output,
        args.force,
        &opts,
        &mut |d, t| progress.update(d, t),
    );
    progress.finish();
    let summary = summary?;
    if !args.quiet {
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "sm-data: {} {} records {} -> {} ({} -> {} bytes, {:.1} MB/s{})",
            args.output,
            summary.records,
            summary.from,
            summary.to,
            summary.bytes_in,
            summary.bytes_out,
            summary.bytes_in as f64 / 1e6 / secs.max(1e-9),
            if summary.frame_copy {
                ", frames copied"
            } else {
                ""
            }
        );
    }
    Ok(())
}
