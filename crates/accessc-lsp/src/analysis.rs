//! The analysis worker: loads and checks programs on a thread of its own, so
//! the server keeps answering (completion, formatting) while a large program
//! is checked.
//!
//! Incrementality: the worker keeps every file's last parse
//! ([`ParsedFile`]); loading a program goes through [`accessc_core::load::load_with`]
//! with a cache that reparses only the item chunks an edit touched (and
//! nothing at all of an unchanged file). Checking then runs over the whole
//! program, as `accessc check` does, because every rule of the language may
//! look across files (duplicates, grants, rules, quotas). Jobs that pile up
//! while one runs are coalesced: only the latest input of each program is
//! checked.

use super::workspace::{path_to_uri, OverlayFs, ProgramKey, StdFiles};
use accessc_core::ast::Module;
use accessc_core::check::{check, CheckOptions, Checked, Today};
use accessc_core::diagnostic::Diagnostic;
use accessc_core::load::{load_texts, load_with, LoadOptions, ParseFile, Program};
use accessc_core::parse::incremental::{reparse_file, ParsedFile};
use accessc_core::span::FileId;
use crossbeam_channel::{Receiver, Sender};
use lsp_types::Uri;
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
    /// CPU time of the whole analysis (loading, checking, the URIs).
    pub cpu: Duration,
    pub cpu_load: Duration,
    pub cpu_check: Duration,
    /// Item chunks in the program, and how many were parsed again.
    pub chunks: usize,
    pub reparsed: usize,
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
        self.program.modules.iter().find(|m| m.file == file)
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
                    cache.files.remove(&n);
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
    let cpu_started = thread_cpu();
    cache.chunks = 0;
    cache.reparsed = 0;
    let fs = OverlayFs::new(&job.overlay);
    let mut failure = None;
    let program = match &job.key {
        ProgramKey::Dir(p) | ProgramKey::File(p) => {
            match load_with(&fs, p, &LoadOptions::default(), cache) {
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
    let cpu_loaded = thread_cpu();
    let today = job.today.unwrap_or_else(Today::now);
    let checked = check(&program, &CheckOptions { today });
    let check_time = started.elapsed() - load;
    let cpu_checked = thread_cpu();
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
            cpu: thread_cpu().saturating_sub(cpu_started),
            cpu_load: cpu_loaded.saturating_sub(cpu_started),
            cpu_check: cpu_checked.saturating_sub(cpu_loaded),
            chunks: cache.chunks,
            reparsed: cache.reparsed,
        },
    }
}

/// The CPU time the calling thread has used so far (user and system).
pub fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// The last parse of every file, by name.
#[derive(Default)]
pub struct ParseCache {
    files: HashMap<String, CachedFile>,
    chunks: usize,
    reparsed: usize,
}

struct CachedFile {
    state: ParsedFile,
    module: Module,
    diagnostics: Vec<Diagnostic>,
}

impl ParseFile for ParseCache {
    fn parse(&mut self, file: FileId, name: &str, text: &Arc<str>) -> (Module, Vec<Diagnostic>) {
        if let Some(c) = self.files.get(name) {
            if c.module.file == file && **c.state.text() == **text {
                self.chunks += c.module.items.len();
                return (c.module.clone(), c.diagnostics.clone());
            }
        }
        let previous = self.files.get(name).map(|c| &c.state);
        let (module, diagnostics, state, reuse) = reparse_file(file, text, previous);
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
}
