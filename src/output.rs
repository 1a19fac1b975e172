//! Writing generated files into an output directory, safely: every check is
//! made before the first file is written, each file is written to a
//! temporary name and renamed, and a manifest (`.accessc-manifest`) records
//! what `accessc` wrote, so a later build replaces and removes only its own
//! files.

use crate::emit::OutFile;
use std::collections::BTreeSet;
use std::io;
use std::path::{Component, Path};

pub const MANIFEST: &str = ".accessc-manifest";
const MANIFEST_HEADER: &str =
    "# files written by accessc build; it replaces and removes only these\n";

/// What a write did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
}

fn check_relative(p: &str) -> io::Result<()> {
    let path = Path::new(p);
    let ok = !p.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    if ok && p != MANIFEST {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "refusing to write `{p}`: not a plain relative path"
        )))
    }
}

/// Write `files` into `dir` (created if missing). Files in `dir` that an earlier
/// build wrote and this one does not are removed; files accessc did not write
/// are never touched, and a file of the same name that accessc did not write
/// is an error rather than overwritten.
pub fn write_files(dir: &Path, files: &[OutFile]) -> io::Result<WriteReport> {
    let mut w = OutputWriter::begin(dir, files.iter().map(|f| f.path.clone()))?;
    for f in files {
        w.write(&f.path, &f.contents)?;
    }
    w.finish()
}

/// [`write_files`] one file at a time, for output too large to hold at once:
/// [`OutputWriter::begin`] is given every path first and refuses, changing
/// nothing, if one is not accessc's to write; then each file is written as
/// it is produced;
/// [`OutputWriter::finish`] removes what earlier builds wrote and this one
/// did not, and records the manifest.
///
/// Interrupted at any point, the directory holds whole files only (each is
/// written to a temporary name and renamed), and the manifest already lists
/// every file this build may have written, so the next build replaces them.
pub struct OutputWriter {
    dir: std::path::PathBuf,
    previous: BTreeSet<String>,
    now: BTreeSet<String>,
    done: BTreeSet<String>,
    claimed: bool,
    report: WriteReport,
}

impl OutputWriter {
    pub fn begin(dir: &Path, paths: impl IntoIterator<Item = String>) -> io::Result<OutputWriter> {
        let now: BTreeSet<String> = paths.into_iter().collect();
        for p in &now {
            check_relative(p)?;
        }
        let manifest_path = dir.join(MANIFEST);
        let previous: BTreeSet<String> = match std::fs::read_to_string(&manifest_path) {
            Ok(text) => text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .map(str::to_string)
                .filter(|l| check_relative(l).is_ok())
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeSet::new(),
            Err(e) => return Err(e),
        };
        // Refuse before writing anything if a foreign file would be overwritten.
        for f in &now {
            let p = dir.join(f);
            if p.exists() && !previous.contains(f) {
                return Err(io::Error::other(format!(
                    "`{}` exists and was not written by accessc; move it or choose another output directory",
                    p.display()
                )));
            }
        }
        Ok(OutputWriter {
            dir: dir.to_path_buf(),
            previous,
            now,
            done: BTreeSet::new(),
            claimed: false,
            report: WriteReport::default(),
        })
    }

    /// Creates the directory and, before the first new name is written,
    /// records every name in the manifest.
    fn claim(&mut self) -> io::Result<()> {
        if !self.claimed {
            std::fs::create_dir_all(&self.dir)?;
            if !self.now.is_subset(&self.previous) {
                write_manifest(&self.dir, self.previous.union(&self.now))?;
            }
            self.claimed = true;
        }
        Ok(())
    }

    /// Writes one file (one of the paths given to `begin`), unless it
    /// already holds exactly `contents`.
    pub fn write(&mut self, path: &str, contents: &str) -> io::Result<()> {
        if !self.now.contains(path) || !self.done.insert(path.to_string()) {
            return Err(io::Error::other(format!(
                "`{path}` was not announced or is written twice"
            )));
        }
        self.claim()?;
        let p = self.dir.join(path);
        if std::fs::read(&p).is_ok_and(|old| old == contents.as_bytes()) {
            self.report.unchanged.push(path.to_string());
            return Ok(());
        }
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = p.with_file_name(format!(
            ".{}.accessc-tmp",
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        std::fs::write(&tmp, contents)?;
        std::fs::rename(&tmp, &p)?;
        self.report.written.push(path.to_string());
        Ok(())
    }

    /// Removes the files of earlier builds this one did not write, records
    /// the manifest, and reports what was done (paths sorted).
    pub fn finish(mut self) -> io::Result<WriteReport> {
        if let Some(missing) = self.now.difference(&self.done).next() {
            return Err(io::Error::other(format!(
                "`{missing}` was announced but not written"
            )));
        }
        self.claim()?;
        let dir = self.dir.as_path();
        for old in self.previous.difference(&self.now) {
            let p = dir.join(old);
            match std::fs::remove_file(&p) {
                Ok(()) => self.report.removed.push(old.clone()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            // Remove directories the build emptied.
            let mut parent = p.parent();
            while let Some(d) = parent {
                if d == dir || std::fs::remove_dir(d).is_err() {
                    break;
                }
                parent = d.parent();
            }
        }
        write_manifest(dir, self.now.iter())?;
        self.report.written.sort();
        self.report.unchanged.sort();
        Ok(self.report)
    }
}

fn write_manifest<'a>(dir: &Path, paths: impl Iterator<Item = &'a String>) -> io::Result<()> {
    let mut manifest = MANIFEST_HEADER.to_string();
    for f in paths {
        manifest.push_str(f);
        manifest.push('\n');
    }
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    std::fs::write(&tmp, manifest)?;
    std::fs::rename(&tmp, dir.join(MANIFEST))
}
