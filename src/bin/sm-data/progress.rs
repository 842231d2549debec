//! A progress bar on stderr, shown only when stderr is a terminal and the
//! job has run for more than a second.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Lazily shown progress.
pub struct Progress {
    start: Instant,
    bar: Option<ProgressBar>,
    enabled: bool,
}

impl Progress {
    /// A progress reporter; `quiet` disables it.
    pub fn new(quiet: bool) -> Progress {
        Progress {
            start: Instant::now(),
            bar: None,
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Reports `done` of `total` bytes.
    pub fn update(&mut self, done: u64, total: Option<u64>) {
        if !self.enabled || self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = match total {
                Some(t) => ProgressBar::new(t),
                None => ProgressBar::no_length(),
            };
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
                )
                .expect("valid template"),
            );
            bar
        });
        bar.set_position(done);
    }

    /// Removes the bar.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
