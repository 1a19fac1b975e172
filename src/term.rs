//! What every command writes to the terminal: standard output that tolerates
//! a closed pipe, colour detection, and the `ACCESSC_TIMINGS` stage timer.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// Write to standard output; a closed pipe (`| head`) is not an error.
pub fn out(s: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(s.as_bytes()).and_then(|_| stdout.flush());
}

/// Whether standard output takes colour (a terminal, and `NO_COLOR` unset).
pub fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Whether standard error takes colour (a terminal, and `NO_COLOR` unset).
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `error: cannot read PATH: E`, exit 2.
pub fn cannot_read(path: &Path, e: std::io::Error) -> ExitCode {
    eprintln!("error: cannot read `{}`: {e}", path.display());
    ExitCode::from(2)
}

/// `ACCESSC_TIMINGS=1` prints how long each stage took, on standard error.
pub struct StageTimer {
    on: bool,
    last: std::cell::Cell<std::time::Instant>,
}

impl StageTimer {
    pub fn new() -> StageTimer {
        StageTimer {
            on: std::env::var_os("ACCESSC_TIMINGS").is_some(),
            last: std::cell::Cell::new(std::time::Instant::now()),
        }
    }

    pub fn lap(&self, stage: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {stage:<16} {:>8.1} ms{}",
                (now - self.last.get()).as_secs_f64() * 1000.0,
                memory_note()
            );
            self.last.set(now);
        }
    }
}

/// `  (resident 120 MiB, peak 300 MiB)` from `/proc/self/status`, where the
/// system has one; empty elsewhere.
fn memory_note() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(hwm)) => {
            format!("  (resident {} MiB, peak {} MiB)", rss / 1024, hwm / 1024)
        }
        _ => String::new(),
    }
}

/// Sets up the allocator for a short run that allocates in bursts: glibc
/// grows a heap by what a request needs plus a pad of 128 KiB, so the guard
/// rules' threads, which allocate and free many small values, grew and
/// shrank their heaps some 600 times a build (a system call and fresh
/// pages each). A pad of 16 MiB reserves more at once; what is not touched
/// is not resident, and [`release_free_memory`] still gives back what is
/// freed.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: `mallopt` sets an allocator parameter; it takes no pointer.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}

/// Gives the memory the process freed back to the system, so that what is
/// allocated next (often in blocks of their own) does not come on top of it:
/// glibc keeps freed heap memory resident, and a block of a freed program
/// only serves allocations that fit it.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: `malloc_trim` only returns free memory of the allocator's own
    // heaps to the system; it takes no pointer and touches no live block.
    unsafe {
        libc::malloc_trim(0);
    }
}
