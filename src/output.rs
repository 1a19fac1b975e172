//! Writing generated files into an output directory, safely: everything is
//! produced in memory first, each file is written to a temporary name and
//! renamed, and a manifest (`.accessc-manifest`) records what `accessc` wrote,
//! so a later build replaces and removes only its own files.

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
    for f in files {
        check_relative(&f.path)?;
    }
    std::fs::create_dir_all(dir)?;
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
    for f in files {
        let p = dir.join(&f.path);
        if p.exists() && !previous.contains(&f.path) {
            return Err(io::Error::other(format!(
                "`{}` exists and was not written by accessc; move it or choose another output directory",
                p.display()
            )));
        }
    }
    let mut report = WriteReport::default();
    for f in files {
        let p = dir.join(&f.path);
        if std::fs::read(&p).is_ok_and(|old| old == f.contents.as_bytes()) {
            report.unchanged.push(f.path.clone());
            continue;
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
        std::fs::write(&tmp, &f.contents)?;
        std::fs::rename(&tmp, &p)?;
        report.written.push(f.path.clone());
    }
    let now: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    for old in previous.difference(&now) {
        let p = dir.join(old);
        match std::fs::remove_file(&p) {
            Ok(()) => report.removed.push(old.clone()),
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
    let mut manifest = MANIFEST_HEADER.to_string();
    for f in &now {
        manifest.push_str(f);
        manifest.push('\n');
    }
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    std::fs::write(&tmp, manifest)?;
    std::fs::rename(&tmp, &manifest_path)?;
    Ok(report)
}
