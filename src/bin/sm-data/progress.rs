//! A progress bar on stderr, shown only when stderr is a terminal and the
//! job has run for more than a second.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{BinaryBytes, HumanDuration, ProgressBar, ProgressStyle};

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

    /// Reports `done` of `total` bytes. The rate and the time left are
    /// averaged over the whole job (the bar itself appears only after the
    /// first second, so its own clock would see a jump).
    pub fn update(&mut self, done: u64, total: Option<u64>) {
        let elapsed = self.start.elapsed();
        if !self.enabled || elapsed < Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let (bar, template) = match total {
                Some(t) => (
                    ProgressBar::new(t),
                    "{bar:40} {binary_bytes}/{binary_total_bytes} {msg}",
                ),
                // A stream of unknown length: no bar, no time left.
                None => (ProgressBar::no_length(), "{spinner} {binary_bytes} {msg}"),
            };
            bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
            bar
        });
        let rate = done as f64 / elapsed.as_secs_f64();
        let mut msg = format!("{}/s", BinaryBytes(rate as u64));
        if let Some(t) = total
            && rate > 0.0
        {
            let left = Duration::from_secs_f64(t.saturating_sub(done) as f64 / rate);
            msg.push_str(&format!(" eta {}", HumanDuration(left)));
        }
        bar.set_position(done);
        bar.set_message(msg);
    }

    /// Removes the bar.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
