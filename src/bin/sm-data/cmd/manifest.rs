//! `sm-data manifest build|expand|check`: SageMaker ManifestFile tools.

use std::io::Write;

use clap::{Args, Subcommand};
use sm_data::manifest::{self, Manifest};

/// `manifest`.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ManifestCommand,
}

/// The `manifest` subcommands.
#[derive(Debug, Subcommand)]
pub enum ManifestCommand {
    /// Build a manifest of every object under PREFIX (a folder or s3://bucket/prefix/).
    Build {
        /// The folder or S3 prefix to list.
        prefix: String,
        /// Write the manifest here instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<String>,
        /// Replace FILE if it exists.
        #[arg(long, short = 'f')]
        force: bool,
    },
    /// Print the full URI of every key, one per line.
    Expand {
        /// The manifest file.
        file: String,
    },
    /// Check a manifest: its shape, one bucket, no key escaping the prefix, every key exists.
    Check {
        /// The manifest file.
        file: String,
    },
}

/// Runs a manifest subcommand.
pub fn run(args: ManifestArgs) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match args.command {
        ManifestCommand::Build { prefix, out, force } => {
            let m = manifest::build(&prefix)?;
            match out {
                Some(path) => {
                    let mut o = sm_data::store::Output::create(&path, force)?;
                    o.write_all(m.to_json().as_bytes())?;
                    o.commit()?;
                    eprintln!("sm-data: {path}: {} keys under {}", m.keys.len(), m.prefix);
                }
                None => writeln!(stdout, "{}", m.to_json())?,
            }
        }
        ManifestCommand::Expand { file } => {
            let m = Manifest::read(&file)?;
            for uri in m.uris() {
                writeln!(stdout, "{uri}")?;
            }
        }
        ManifestCommand::Check { file } => {
            let report = manifest::check(&file)?;
            for w in &report.warnings {
                eprintln!("sm-data: warning: {w}");
            }
            for e in &report.errors {
                eprintln!("sm-data: {e}");
            }
            if !report.ok() {
                anyhow::bail!(
                    "{file}: {} problem{} found",
                    report.errors.len(),
                    if report.errors.len() == 1 { "" } else { "s" }
                );
            }
            let n = report.manifest.as_ref().map_or(0, |m| m.keys.len());
            writeln!(stdout, "{file}: ok, {n} keys, all present")?;
        }
    }
    stdout.flush()?;
    Ok(())
}
