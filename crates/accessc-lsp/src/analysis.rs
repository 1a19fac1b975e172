//! The analysis worker: loads and checks programs on a thread of its own, so
//! the server keeps answering (completion, formatting) while a large program
//! is checked.
//!
//! Incrementality: the worker keeps every file's last parse
//! ([`ParsedFile`]) and source file (its line index); loading a program goes
//! through [`accessc_core::load::load_with`] with a cache that lexes and
//! reparses only the item chunks an edit touched, shares every other item
//! (and the whole module of an unchanged file) with the last program, and
//! keeps the text of the files read from disk until their stamp changes
//! ([`DiskCache`]). Checking then runs over the whole
//! program, as `accessc check` does, because every rule of the language may
//! look across files (duplicates, grants, rules, quotas); but the expansion
//! of grants and the passes over it reuse the previous check's results
//! where their inputs did not change ([`CheckCache`]). Jobs that pile up
//! while one runs are coalesced: only the latest input of each program is
//! checked.

use super::workspace::{path_to_uri, DiskCache, OverlayFs, ProgramKey, StdFiles};
use accessc_core::ast::Module;
use accessc_core::check::{check_reusing, CheckCache, CheckOptions, Checked, Reuse, Today};
use accessc_core::diagnostic::Diagnostic;
use accessc_core::load::{load_texts, load_with, LoadOptions, ParseFile, Program};
use accessc_core::parse::incremental::{reparse_file, ParsedFile};
use accessc_core::span::{FileId, SourceFile};
use crossbeam_channel::{Receiver, Sender};
use lsp_types::Uri;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to check: one program, with the open buffers it may read.
#[derive(Debug, Clone)]
pub struct Job {
    pub key: ProgramKey,
    pub generation: u64,
    /// Open buffers by path (they shadow the files on disk).
    pub overlay: Arc<HashMap<PathBuf, Arc<str>>>,
    /// The client's URI of each open buffer (kept exactly as it sent it).
    pub uris: Arc<HashMap<PathBuf, Uri>>,
    /// For [`ProgramKey::Buffer`]: the buffer's text.
    pub buffer: Option<Arc<str>>,
    pub today: Option<Today>,
    pub std: StdFiles,
}

/// A checked program, immutable once built; shared with the request handlers.
#[derive(Debug)]
pub struct Analysis {
    pub key: ProgramKey,
    pub generation: u64,
    pub program: Program,
    pub checked: Checked,
    /// The URI of each source file (by `FileId`), where it has one.
    pub uris: Vec<Option<Uri>>,
    /// Why the program could not be loaded at all (its directory vanished).
    pub failure: Option<String>,
    pub timings: Timings,
}

/// Where the time of one analysis went: wall time of its two stages, and the
/// CPU time the worker thread spent on each (so a figure is not inflated by
/// other processes on the machine).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub load: Duration,
    pub check: Duration,
    /// CPU time and minor faults of the whole analysis (loading, checking,
    /// the URIs).
    pub usage: ThreadUsage,
    pub cpu_load: Duration,
    pub cpu_check: Duration,
    /// Item chunks in the program, and how many were parsed again.
    pub chunks: usize,
    pub reparsed: usize,
    /// What the check reused of the previous one.
    pub reuse: Reuse,
}

impl Analysis {
    /// The source file a URI names in this program.
    pub fn file_of(&self, uri: &Uri) -> Option<FileId> {
        self.uris
            .iter()
            .position(|u| u.as_ref() == Some(uri))
            .map(|i| FileId(i as u32))
    }

    pub fn uri_of(&self, file: FileId) -> Option<&Uri> {
        self.uris.get(file.0 as usize).and_then(Option::as_ref)
    }

    /// The parsed module of a file, if it is a `.access` file of the program.
    pub fn module(&self, file: FileId) -> Option<&Module> {
        self.program
            .modules
            .iter()
            .find(|m| m.file == file)
            .map(|m| &**m)
    }

    /// Whether `file` is a std module.
    pub fn is_std(&self, file: FileId) -> bool {
        self.program.std_name.contains_key(&file)
    }
}

enum WorkerMsg {
    Check(Box<Job>),
    /// Drop the cached parses of these file names.
    Forget(Vec<String>),
}

/// The handle of the worker thread.
pub struct Worker {
    jobs: Sender<WorkerMsg>,
    pub results: Receiver<Arc<Analysis>>,
}

impl Worker {
    pub fn spawn() -> std::io::Result<Worker> {
        keep_freed_memory();
        let (jobs, job_rx) = crossbeam_channel::unbounded::<WorkerMsg>();
        let (result_tx, results) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("accessc-analysis".into())
            .spawn(move || worker_loop(job_rx, result_tx))?;
        Ok(Worker { jobs, results })
    }

    pub fn submit(&self, job: Job) {
        let _ = self.jobs.send(WorkerMsg::Check(Box::new(job)));
    }

    pub fn forget(&self, names: Vec<String>) {
        let _ = self.jobs.send(WorkerMsg::Forget(names));
    }
}

/// Each analysis of a large program allocates and frees hundreds of
/// megabytes in a few large blocks (the expanded assignments, the maps over
/// them). By default the C allocator gives such blocks back to the system
/// when they are freed and the next analysis faults every page in again;
/// here they stay in the process: blocks up to 32 MiB come from the heap
/// (not their own mappings), and up to 512 MiB of free heap is kept.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: `mallopt` only sets the allocator's tunables; both values are
    // in their documented ranges. A refusal (0) leaves the defaults.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
    }
}

fn worker_loop(jobs: Receiver<WorkerMsg>, results: Sender<Arc<Analysis>>) {
    let mut cache = ParseCache::default();
    while let Ok(first) = jobs.recv() {
        // Coalesce: of several jobs for one program, only the newest matters.
        let mut pending: Vec<Box<Job>> = Vec::new();
        let handle = |msg: WorkerMsg, pending: &mut Vec<Box<Job>>, cache: &mut ParseCache| match msg
        {
            WorkerMsg::Check(job) => {
                pending.retain(|j| j.key != job.key);
                pending.push(job);
            }
            WorkerMsg::Forget(names) => {
                for n in names {
                    cache.parses.files.remove(&n);
                    cache.parses.sources.remove(&n);
                }
            }
        };
        handle(first, &mut pending, &mut cache);
        while let Ok(more) = jobs.try_recv() {
            handle(more, &mut pending, &mut cache);
        }
        for job in pending {
            let key = job.key.clone();
            let generation = job.generation;
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                analyze(&job, &mut cache)
            }));
            let analysis = match run {
                Ok(a) => a,
                Err(_) => {
                    // A bug in the checker: report it, start the cache afresh.
                    cache = ParseCache::default();
                    Analysis {
                        key,
                        generation,
                        program: Program::default(),
                        checked: Checked::default(),
                        uris: Vec::new(),
                        failure: Some("the checker failed on this program (a bug in accessc: please report it)".into()),
                        timings: Timings::default(),
                    }
                }
            };
            if results.send(Arc::new(analysis)).is_err() {
                return;
            }
        }
    }
}

/// Load and check one program.
pub fn analyze(job: &Job, cache: &mut ParseCache) -> Analysis {
    let started = Instant::now();
    let cpu_started = ThreadUsage::now();
    cache.parses.chunks = 0;
    cache.parses.reparsed = 0;
    let fs = OverlayFs::with_disk_cache(&job.overlay, &cache.disk);
    let mut failure = None;
    let program = match &job.key {
        ProgramKey::Dir(p) | ProgramKey::File(p) => {
            match load_with(&fs, p, &LoadOptions::default(), &mut cache.parses) {
                Ok(p) => p,
                Err(e) => {
                    failure = Some(format!("cannot read `{}`: {e}", p.display()));
                    Program::default()
                }
            }
        }
        ProgramKey::Buffer(name) => {
            let text = job.buffer.as_deref().unwrap_or("").to_string();
            let base = std::env::current_dir().unwrap_or_default();
            load_texts(&fs, &base, vec![(name.clone(), text)])
        }
    };
    let load = started.elapsed();
    let cpu_loaded = ThreadUsage::now();
    let today = job.today.unwrap_or_else(Today::now);
    let checked = check_reusing(&program, &CheckOptions { today }, &mut cache.check);
    let check_time = started.elapsed() - load;
    let cpu_checked = ThreadUsage::now();
    let uris = program
        .sources
        .files()
        .map(|(id, f)| {
            if let Some(m) = program.std_name.get(&id) {
                return job.std.uri(m);
            }
            if let ProgramKey::Buffer(name) = &job.key {
                if &f.name == name {
                    return name.parse().ok();
                }
            }
            let path = Path::new(&f.name);
            job.uris
                .get(path)
                .cloned()
                .or_else(|| path.is_absolute().then(|| path_to_uri(path)).flatten())
        })
        .collect();
    Analysis {
        key: job.key.clone(),
        generation: job.generation,
        program,
        checked,
        uris,
        failure,
        timings: Timings {
            load,
            check: check_time,
            usage: ThreadUsage::now().since(cpu_started),
            cpu_load: cpu_loaded.since(cpu_started).cpu,
            cpu_check: cpu_checked.since(cpu_loaded).cpu,
            chunks: cache.parses.chunks,
            reparsed: cache.parses.reparsed,
            reuse: cache.check.last_use(),
        },
    }
}

/// What the calling thread has used so far: CPU time (user and system) and
/// minor page faults (memory touched for the first time, or again after it
/// was given back to the system).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadUsage {
    pub cpu: Duration,
    pub minor_faults: u64,
}

impl ThreadUsage {
    pub fn now() -> ThreadUsage {
        // SAFETY: `getrusage` writes one `rusage`, which is plain data and
        // zeroed first; RUSAGE_THREAD is Linux's, and the call cannot fail
        // with a valid pointer and `who`.
        #[cfg(target_os = "linux")]
        #[allow(unsafe_code)]
        let usage = unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            (libc::getrusage(libc::RUSAGE_THREAD, &mut u) == 0).then_some(u)
        };
        #[cfg(not(target_os = "linux"))]
        let usage: Option<libc::rusage> = None;
        let Some(u) = usage else {
            return ThreadUsage::default();
        };
        let time = |t: libc::timeval| {
            Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
                + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
        };
        ThreadUsage {
            cpu: time(u.ru_utime) + time(u.ru_stime),
            minor_faults: u64::try_from(u.ru_minflt).unwrap_or(0),
        }
    }

    /// What was used since `earlier`.
    pub fn since(self, earlier: ThreadUsage) -> ThreadUsage {
        ThreadUsage {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
        }
    }
}

/// What the worker keeps from one load to the next: the last parse and
/// source file of every file, by name, the text of the files read from
/// disk, and what the last check keeps for the next.
#[derive(Default)]
pub struct ParseCache {
    parses: Parses,
    disk: RefCell<DiskCache>,
    check: CheckCache,
}

#[derive(Default)]
struct Parses {
    files: HashMap<String, CachedFile>,
    sources: HashMap<String, Arc<SourceFile>>,
    chunks: usize,
    reparsed: usize,
}

struct CachedFile {
    state: ParsedFile,
    module: Arc<Module>,
    diagnostics: Vec<Diagnostic>,
}

impl ParseFile for Parses {
    fn parse(
        &mut self,
        file: FileId,
        name: &str,
        text: &Arc<str>,
    ) -> (Arc<Module>, Vec<Diagnostic>) {
        if let Some(c) = self.files.get(name) {
            let same = Arc::ptr_eq(c.state.text(), text) || **c.state.text() == **text;
            if c.module.file == file && same {
                self.chunks += c.module.items.len();
                return (c.module.clone(), c.diagnostics.clone());
            }
        }
        let previous = self.files.get(name).map(|c| &c.state);
        let (module, diagnostics, state, reuse) = reparse_file(file, text, previous);
        let module = Arc::new(module);
        self.chunks += reuse.chunks;
        self.reparsed += reuse.reparsed;
        self.files.insert(
            name.to_string(),
            CachedFile {
                state,
                module: module.clone(),
                diagnostics: diagnostics.clone(),
            },
        );
        (module, diagnostics)
    }

    fn source(&mut self, name: String, text: Arc<str>) -> Arc<SourceFile> {
        let file = match self.sources.get(&name) {
            Some(f) if Arc::ptr_eq(&f.text, &text) || *f.text == *text => return f.clone(),
            // Its line index made again from the edit on.
            Some(f) => Arc::new(f.edited(text)),
            None => Arc::new(SourceFile::new(name.clone(), text)),
        };
        self.sources.insert(name, file.clone());
        file
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessc_core::check::check;
    use accessc_core::load::FreshParse;

    /// splitmix64: the edit sequences are a function of the seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Text an edit may insert: the pieces of the language a typist adds
    /// or breaks, and lines of the program itself (duplicates, moves).
    const SNIPPETS: &[&str] = &[
        "z",
        "s",
        " ",
        "\n",
        "}",
        "{",
        "\"",
        "//",
        ",",
        ":",
        "0",
        "1h",
        "13h",
        "grant ",
        " on ",
        " to ",
        "root",
        "Workloads/",
        "allow s3:GetObject on *\n",
        "deny * on *\n",
        "function F {\n",
        "group g\n",
        "forbid ",
        " with ",
        "limit ",
        "until 2026-01-01",
        "customer ",
        "managed ReadOnlyAccess",
        "use std::functions\n",
        "\u{e9}",
    ];

    /// One random edit of `text`: delete, insert, replace or copy a line.
    fn edit(rng: &mut Rng, text: &str) -> String {
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        let at = boundaries[rng.below(boundaries.len())];
        let end = boundaries
            .iter()
            .copied()
            .filter(|&b| b >= at)
            .nth(rng.below(4))
            .unwrap_or(at);
        let lines: Vec<&str> = text.lines().collect();
        let insert = match rng.below(4) {
            0 => String::new(),
            1 if !lines.is_empty() => format!("{}\n", lines[rng.below(lines.len())]),
            _ => SNIPPETS[rng.below(SNIPPETS.len())].to_string(),
        };
        format!("{}{insert}{}", &text[..at], &text[end..])
    }

    /// The job the server would submit for `dir` with `open` buffers.
    fn job(dir: &Path, open: &HashMap<PathBuf, Arc<str>>, generation: u64) -> Job {
        Job {
            key: ProgramKey::Dir(dir.to_path_buf()),
            generation,
            overlay: Arc::new(open.clone()),
            uris: Arc::new(HashMap::new()),
            buffer: None,
            today: Some(Today::parse("2026-11-28").expect("date")),
            std: StdFiles::default(),
        }
    }

    /// What `accessc check` reports on the same texts: the program loaded
    /// afresh, every file parsed from nothing.
    fn from_scratch(job: &Job) -> Checked {
        let ProgramKey::Dir(dir) = &job.key else {
            unreachable!("directory programs only")
        };
        let fs = OverlayFs::new(&job.overlay);
        let program = load_with(&fs, dir, &LoadOptions::default(), &mut FreshParse).expect("load");
        let today = job.today.expect("today");
        check(&program, &CheckOptions { today })
    }

    /// The files of a program that are not open are kept from one load to
    /// the next, and read again when they change on disk; a file replaced
    /// by a link out of the program is refused, as `accessc check` refuses
    /// it.
    #[cfg(unix)]
    #[test]
    fn unopened_files_changed_on_disk_are_read_again() {
        let t = tempfile::tempdir().expect("tmp");
        let dir = t.path().join("p");
        std::fs::create_dir(&dir).expect("mkdir");
        let (a, b) = (dir.join("a.access"), dir.join("b.access"));
        let a_text = "group g\n\ngrant F to g on root\n";
        std::fs::write(&a, a_text).expect("write");
        std::fs::write(&b, "function F { session 2h }\n").expect("write");
        let old = std::time::SystemTime::now() - Duration::from_secs(60);
        let age = |p: &Path| {
            std::fs::File::options()
                .write(true)
                .open(p)
                .and_then(|f| f.set_modified(old))
                .expect("set the time");
        };
        age(&b);
        let mut open: HashMap<PathBuf, Arc<str>> = HashMap::new();
        open.insert(a.clone(), Arc::from(a_text));
        let mut cache = ParseCache::default();
        let mut step = 0;
        let mut analyze_and_compare = |cache: &mut ParseCache| {
            step += 1;
            let j = job(&dir, &open, step);
            let got = analyze(&j, cache);
            assert!(got.failure.is_none(), "{:?}", got.failure);
            let want = from_scratch(&j).diagnostics;
            assert_eq!(
                format!("{:#?}", got.checked.diagnostics),
                format!("{want:#?}"),
                "step {step}"
            );
            got.checked
                .diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
        };
        // Unknown names (A102): `root` without an org, and `F` once renamed.
        let unknown = |codes: Vec<&str>| codes.iter().filter(|c| **c == "A102").count();
        assert_eq!(unknown(analyze_and_compare(&mut cache)), 1);
        assert_eq!(cache.disk.borrow().holds(&b), Some(true));
        assert_eq!(unknown(analyze_and_compare(&mut cache)), 1);
        // The same length, a new time: read again.
        std::fs::write(&b, "function G { session 2h }\n").expect("write");
        assert_eq!(unknown(analyze_and_compare(&mut cache)), 2);
        // Just modified: read again every time until it has settled.
        assert_eq!(cache.disk.borrow().holds(&b), Some(false));
        std::fs::write(&b, "function F { session 2h }\n").expect("write");
        assert_eq!(unknown(analyze_and_compare(&mut cache)), 1);
        // A link out of the program: not read, with or without a cache.
        let outside = t.path().join("outside.access");
        std::fs::write(&outside, "function G { session 2h }\n").expect("write");
        std::fs::remove_file(&b).expect("rm");
        std::os::unix::fs::symlink(&outside, &b).expect("link");
        let codes = analyze_and_compare(&mut cache);
        assert!(codes.contains(&"A104"), "{codes:?}");
        assert!(!cache
            .parses
            .sources
            .values()
            .any(|f| f.text.contains("function G")));
        // Gone: forgotten.
        std::fs::remove_file(&b).expect("rm");
        analyze_and_compare(&mut cache);
    }

    /// Random edit sequences on every example program with some of its
    /// files not open: an edit of one of those is written to disk (with a
    /// new modification time, old enough to be trusted), and the worker's
    /// diagnostics after each edit are exactly those of a load from scratch.
    #[test]
    fn edits_on_disk_of_unopened_files_equal_a_load_from_scratch() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&examples)
            .expect("examples")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        let mut compared = 0;
        for example in &dirs {
            let t = tempfile::tempdir().expect("tmp");
            let dir = t.path().to_path_buf();
            let mut files = Vec::new();
            for e in std::fs::read_dir(example).expect("example") {
                let p = e.expect("entry").path();
                if p.is_file() {
                    let to = dir.join(p.file_name().expect("name"));
                    std::fs::copy(&p, &to).expect("copy");
                    if to.extension().is_some_and(|e| e == "access") {
                        files.push(to);
                    }
                }
            }
            files.sort();
            for seed in 0..3u64 {
                let mut rng = Rng(seed ^ 0x5eed ^ example.as_os_str().len() as u64);
                let mut cache = ParseCache::default();
                // Every other file is open.
                let mut open: HashMap<PathBuf, Arc<str>> = HashMap::new();
                for f in files.iter().step_by(2) {
                    let text = std::fs::read_to_string(f).expect("read");
                    open.insert(f.clone(), Arc::from(text));
                }
                for step in 0..10u64 {
                    let f = &files[rng.below(files.len())];
                    match open.get(f) {
                        Some(text) => {
                            let new = edit(&mut rng, text);
                            open.insert(f.clone(), Arc::from(new.as_str()));
                        }
                        None => {
                            let old = std::fs::read_to_string(f).expect("read");
                            std::fs::write(f, edit(&mut rng, &old)).expect("write");
                            let when = long_ago + Duration::from_secs(seed * 100 + step);
                            std::fs::File::options()
                                .write(true)
                                .open(f)
                                .and_then(|file| file.set_modified(when))
                                .expect("set the time");
                        }
                    }
                    let j = job(&dir, &open, step);
                    let got = analyze(&j, &mut cache);
                    assert!(got.failure.is_none(), "{:?}", got.failure);
                    let want = from_scratch(&j);
                    assert_eq!(
                        format!("{:#?}", got.checked.diagnostics),
                        format!("{:#?}", want.diagnostics),
                        "{} (seed {seed}, edit {step}) of {}",
                        example.display(),
                        f.display(),
                    );
                    assert_eq!(expansion_of(&got.checked), expansion_of(&want));
                    compared += 1;
                }
            }
        }
        assert!(compared > 0);
    }

    /// Random edit sequences on every example program: after each edit, the
    /// worker's diagnostics (incremental parse, reused modules) are exactly
    /// those of a load and check from scratch.
    #[test]
    fn incremental_diagnostics_equal_those_from_scratch() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&examples)
            .expect("examples")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        assert!(dirs.len() >= 5, "{dirs:?}");
        let sequences: u64 = std::env::var("ACCESSC_DIFF_SEQUENCES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4);
        let mut compared = 0;
        for dir in &dirs {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .expect("example")
                .map(|e| e.expect("entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "access"))
                .collect();
            files.sort();
            for seed in 0..sequences {
                let mut rng = Rng(seed.wrapping_mul(7919) ^ dir.as_os_str().len() as u64);
                let mut cache = ParseCache::default();
                let mut open: HashMap<PathBuf, Arc<str>> = HashMap::new();
                for f in &files {
                    let text = std::fs::read_to_string(f).expect("read");
                    open.insert(f.clone(), Arc::from(text));
                }
                for step in 0..12u64 {
                    let f = &files[rng.below(files.len())];
                    let old = open[f].to_string();
                    let new = edit(&mut rng, &old);
                    open.insert(f.clone(), Arc::from(new.as_str()));
                    let j = job(dir, &open, step);
                    let got = analyze(&j, &mut cache);
                    assert!(got.failure.is_none(), "{:?}", got.failure);
                    let want = from_scratch(&j);
                    assert_eq!(
                        format!("{:#?}", got.checked.diagnostics),
                        format!("{:#?}", want.diagnostics),
                        "{} (seed {seed}, edit {step}): {} is now:\n{new}",
                        dir.display(),
                        f.display(),
                    );
                    assert_eq!(
                        expansion_of(&got.checked),
                        expansion_of(&want),
                        "{} (seed {seed}, edit {step})",
                        dir.display(),
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 0);
    }
    /// What a check computes besides the diagnostics, for comparisons: the
    /// expanded model and the symbol index.
    fn expansion_of(c: &Checked) -> String {
        format!(
            "{:#?}\n{:#?}\n{:#?}",
            c.model.grants, c.model.assignments, c.index.references
        )
    }

    /// An organization whose grants overlap (A404), reach the management
    /// account (A508) and accounts a boundary is not deployed to (A402),
    /// crowd accounts over their quota (A208) and break rules (A403).
    fn generated_program(rng: &mut Rng) -> (String, Vec<String>) {
        let mut t = String::from("org {\n  root \"r-ab12\"\n  management \"999999999999\"\n");
        let ous = ["Workloads/NonProd", "Workloads/Prod", "Security", "Sandbox"];
        t.push_str("  ou Workloads \"ou-ab12-00000001\" {\n");
        for (i, ou) in ["NonProd", "Prod"].iter().enumerate() {
            t.push_str(&format!("    ou {ou} \"ou-ab12-0000001{i}\" {{\n"));
            for a in 0..4 {
                t.push_str(&format!(
                    "      account {}-{a} \"1{i}{a:010}\"\n",
                    ou.to_lowercase()
                ));
            }
            t.push_str("    }\n");
        }
        t.push_str("  }\n");
        for (i, ou) in ["Security", "Sandbox"].iter().enumerate() {
            t.push_str(&format!("  ou {ou} \"ou-ab12-0000002{i}\" {{\n"));
            for a in 0..3 {
                t.push_str(&format!(
                    "    account {}-{a} \"2{i}{a:010}\"\n",
                    ou.to_lowercase()
                ));
            }
            t.push_str("  }\n");
        }
        t.push_str("  account management \"999999999999\"\n}\n\n");
        t.push_str("quotas { provisioned_per_account 4 }\n\n");
        for g in 0..8 {
            t.push_str(&format!("group g{g}\n"));
        }
        t.push_str("user u0 \"u0@example.com\"\n\n");
        t.push_str("managed_policy Bound {\n  path \"/b/\"\n  in Workloads {\n    A: allow s3:Get* on *\n  }\n}\n\n");
        let functions = 7;
        for f in 0..functions {
            let boundary = if f % 3 == 0 { "  boundary Bound\n" } else { "" };
            t.push_str(&format!(
                "function F{f} {{\n  session {}h\n{boundary}  allow s3:GetObject on *\n}}\n\n",
                f % 4 + 1
            ));
        }
        t.push_str("forbid F1 with F2 on Workloads\nlimit F4 to Workloads, Sandbox\n\n");
        let targets = [
            "root",
            "Workloads",
            "Workloads/NonProd",
            "Workloads/Prod",
            "Security",
            "Sandbox",
            "account management",
            "Workloads except Workloads/Prod",
            "root except account management",
            "account sandbox-1, Security",
        ];
        let mut grants = Vec::new();
        for _ in 0..40 {
            let f = rng.below(functions);
            let f2 = if rng.below(3) == 0 {
                format!(", F{}", rng.below(functions))
            } else {
                String::new()
            };
            let p = match rng.below(10) {
                0 => "u0".to_string(),
                n => format!("g{}", n % 8),
            };
            let until = if p == "u0" {
                " owner \"a@example.com\" until 2027-01-01"
            } else {
                ""
            };
            grants.push(format!(
                "grant F{f}{f2} to {p} on {}{until}",
                targets[rng.below(targets.len())]
            ));
        }
        let _ = ous;
        (t, grants)
    }

    /// Edits that keep the expansion's context (a grant changed in place, a
    /// function's `session`, an `allow` line) and edits that change it (a
    /// group, the org, a rule, a grant added), each followed by a check
    /// with the worker's cache and a check from scratch: the diagnostics,
    /// the expanded model and the symbol index are the same, and every way
    /// of reusing the previous expansion is taken.
    #[test]
    fn reused_expansions_equal_those_from_scratch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main.access");
        let mut counts = [0usize; 3];
        let mut codes = std::collections::BTreeSet::new();
        let sequences: u64 = std::env::var("ACCESSC_DIFF_SEQUENCES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4)
            * 2;
        for seed in 0..sequences {
            let mut rng = Rng(seed ^ 0x5eed);
            let (head, mut grants) = generated_program(&mut rng);
            let text = |head: &str, grants: &[String]| format!("{head}{}\n", grants.join("\n"));
            std::fs::write(&path, text(&head, &grants)).expect("write");
            let mut head = head;
            let mut cache = ParseCache::default();
            let mut open: HashMap<PathBuf, Arc<str>> = HashMap::new();
            for step in 0..30u64 {
                let what = rng.below(10);
                match what {
                    // A grant replaced in place: by another grant's line,
                    // or a target broken (an unknown OU) or mended.
                    0..=3 => {
                        let i = rng.below(grants.len());
                        grants[i] = if rng.below(2) == 0 {
                            grants[rng.below(grants.len())].clone()
                        } else if grants[i].contains("Workloads") {
                            grants[i].replacen("Workloads", "Workloadz", 1)
                        } else {
                            grants[i].replacen("Workloadz", "Workloads", 1)
                        };
                    }
                    // A function's body.
                    4 | 5 => {
                        let f = rng.below(7);
                        let from = format!("function F{f} {{\n  session ");
                        if let Some(at) = head.find(&from) {
                            let at = at + from.len();
                            let h = if &head[at..at + 1] == "1" { "5" } else { "1" };
                            head.replace_range(at..at + 1, h);
                        }
                        match rng.below(4) {
                            0 => head = head.replacen("s3:GetObject", "s3:PutObject", 1),
                            // A comment above a definition that A402 names.
                            3 => {
                                head = head.replacen(
                                    "managed_policy Bound",
                                    "// a note\nmanaged_policy Bound",
                                    1,
                                )
                            }
                            // A line typed into a body: every definition
                            // and grant after it moves.
                            1 => head = head.replacen("  allow s3:", "  // a note\n  allow s3:", 1),
                            _ => {}
                        }
                    }
                    // A group added, the org changed, a rule changed.
                    6 => head.push_str(&format!("group extra{step}\n")),
                    7 => head = head.replacen("account sandbox-2", "account sandbox-9", 1),
                    8 => {
                        head = head.replacen(
                            "limit F4 to Workloads, Sandbox",
                            "limit F4 to Sandbox",
                            1,
                        )
                    }
                    // A grant added or removed.
                    _ => {
                        if rng.below(2) == 0 {
                            grants.push(grants[rng.below(grants.len())].clone());
                        } else if grants.len() > 10 {
                            grants.remove(rng.below(grants.len()));
                        }
                    }
                }
                open.insert(path.clone(), Arc::from(text(&head, &grants)));
                let j = job(dir.path(), &open, step);
                let got = analyze(&j, &mut cache);
                assert!(got.failure.is_none(), "{:?}", got.failure);
                counts[match got.timings.reuse {
                    Reuse::None => 0,
                    Reuse::All => 1,
                    Reuse::Grants(_) => 2,
                }] += 1;
                let ProgramKey::Dir(d) = &j.key else {
                    unreachable!()
                };
                let fs = OverlayFs::new(&j.overlay);
                let program =
                    load_with(&fs, d, &LoadOptions::default(), &mut FreshParse).expect("load");
                let want = check(
                    &program,
                    &CheckOptions {
                        today: j.today.expect("today"),
                    },
                );
                codes.extend(want.diagnostics.iter().map(|d| d.code.as_str()));
                assert_eq!(
                    format!("{:#?}", got.checked.diagnostics),
                    format!("{:#?}", want.diagnostics),
                    "seed {seed}, edit {step} ({what}):\n{}",
                    open[&path]
                );
                assert_eq!(
                    expansion_of(&got.checked),
                    expansion_of(&want),
                    "seed {seed}, edit {step} ({what})"
                );
            }
        }
        eprintln!("from scratch, all reused, grants lowered again: {counts:?}");
        for code in ["A208", "A402", "A403", "A404", "A508"] {
            assert!(codes.contains(code), "{code} never reported: {codes:?}");
        }
        let [scratch, all, grants] = counts;
        assert!(scratch > 0 && all > 0 && grants > 0, "{counts:?}");
    }
}
