//! Progress of `apply`: a bar on a terminal, one plain line per finished
//! operation elsewhere (CI logs), nothing with `--progress none`. Failures are
//! always printed. Everything goes to standard error; the plan and the final
//! summary go to standard output.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Lines,
    Quiet,
}

impl ProgressMode {
    /// A bar when standard error is a terminal and `CI` is not set.
    pub fn detect() -> ProgressMode {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

pub struct Progress {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    phase: String,
    total: usize,
    done: usize,
}

impl Progress {
    pub fn new(mode: ProgressMode) -> Progress {
        Progress {
            mode,
            bar: None,
            phase: String::new(),
            total: 0,
            done: 0,
        }
    }

    fn plain(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    /// Start a phase of `total` steps.
    pub fn phase(&mut self, name: &str, total: usize) {
        self.finish();
        self.phase = name.to_string();
        self.total = total;
        self.done = 0;
        match self.mode {
            ProgressMode::Bar => {
                let bar =
                    ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
                let style =
                    ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> ");
                bar.set_style(style);
                bar.set_prefix(name.to_string());
                self.bar = Some(bar);
            }
            ProgressMode::Lines => self.plain(&format!("{name}: {total}")),
            ProgressMode::Quiet => {}
        }
    }

    /// One step finished.
    pub fn step(&mut self, what: &str) {
        self.done += 1;
        match (&self.bar, self.mode) {
            (Some(bar), _) => {
                bar.inc(1);
                bar.set_message(what.to_string());
            }
            (None, ProgressMode::Lines) => {
                self.plain(&format!("[{}/{}] {what}", self.done, self.total));
            }
            _ => {}
        }
    }

    /// A failure: printed in every mode.
    pub fn fail(&mut self, what: &str) {
        self.done += 1;
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.println(format!("FAILED {what}"));
            }
            None => self.plain(&format!("FAILED {what}")),
        }
    }

    /// A note in the middle of a phase (waiting, backing off).
    pub fn note(&mut self, what: &str) {
        match &self.bar {
            Some(bar) => bar.println(what),
            None if self.mode != ProgressMode::Quiet => self.plain(what),
            None => {}
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
