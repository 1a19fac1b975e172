//! Writing generated files into an output directory, which is a jail:
//! nothing outside it is ever written, replaced or removed, whatever it
//! already holds. Every check is made before the first file is written; each
//! file is written to a fresh temporary (created exclusively, never through
//! a link) and renamed into place; a manifest (`.accessc-manifest`) records
//! what `accessc` wrote, so a later build replaces and removes only its own
//! files, and says `# state: incomplete` while a build is under way. The
//! directory is locked for the whole build (`flock` on the directory
//! itself), so two builds into it never mix. `docs/ir.md` describes the
//! directory for its readers.

use crate::emit::OutFile;
use std::collections::BTreeSet;
use std::fs::{self, File, Permissions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

pub const MANIFEST: &str = ".accessc-manifest";
const MANIFEST_HEADER: &str =
    "# files written by accessc build; it replaces and removes only these\n";
/// The manifest line of a directory a build is writing (or was writing when
/// it stopped): its files may be a mix of two builds.
pub const STATE_INCOMPLETE: &str = "# state: incomplete";
/// The manifest line of a directory that holds exactly one whole build.
pub const STATE_COMPLETE: &str = "# state: complete";
/// A manifest larger than this was not written by accessc.
const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;
/// Temporaries are `.accessc-XXXXXX.tmp`.
const TMP_PREFIX: &str = ".accessc-";
const TMP_SUFFIX: &str = ".tmp";
/// The temporaries of earlier versions: `.NAME.accessc-tmp`.
const OLD_TMP_SUFFIX: &str = ".accessc-tmp";

/// The file names one target writes: the only names its manifest may list.
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    names: &'static [&'static str],
    suffixes: &'static [&'static str],
}

impl Kinds {
    /// Exactly `names`, and any name ending in one of `suffixes`.
    pub const fn new(names: &'static [&'static str], suffixes: &'static [&'static str]) -> Kinds {
        Kinds { names, suffixes }
    }

    /// `--target ir`.
    pub const IR: Kinds = Kinds::new(&[crate::emit::IR_FILE], &[]);
    /// `--target cfn`, its folder: the deploy order. The templates are in
    /// its `templates/` folder ([`Kinds::CFN_TEMPLATES`]); a manifest of a
    /// build that wrote them beside the deploy order may still list them
    /// here, so the next build removes them as files it no longer writes.
    pub const CFN: Kinds = Kinds::new(
        &["DEPLOY.md", "deploy-order.json"],
        &[".template.yaml", ".template.json"],
    );
    /// `--target cfn`, its `templates/` folder: the templates only.
    pub const CFN_TEMPLATES: Kinds = Kinds::new(&[], &[".template.yaml", ".template.json"]);
    /// `--target terraform`.
    pub const TERRAFORM: Kinds = Kinds::new(&[], &[".tf"]);
    /// `--target aws-config`, its `groups/` and `users/` folders.
    pub const AWS_CONFIG: Kinds = Kinds::new(&[], &[crate::emit::aws_config::SUFFIX]);

    /// Whether `name` is a plain file name (no folder, not hidden, no
    /// control character) of one of these kinds.
    pub fn owns(&self, name: &str) -> bool {
        plain_file_name(name)
            && (self.names.contains(&name)
                || self
                    .suffixes
                    .iter()
                    .any(|s| name.len() > s.len() && name.ends_with(s)))
    }
}

fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| matches!(c, '/' | '\\' | ':') || c.is_control())
}

/// `name` as it may be shown in a message: control characters escaped, at
/// most 80 characters.
fn shown(name: &str) -> String {
    let s: String = name.escape_debug().collect();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// What a write did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
    /// Temporaries of an interrupted build, removed.
    pub temporaries_removed: usize,
    /// What the build left alone and why (one line each).
    pub warnings: Vec<String>,
}

/// Write `files` into `dir` (created if missing). Files in `dir` that an earlier
/// build wrote and this one does not are removed; files accessc did not write
/// are never touched, and a file of the same name that accessc did not write
/// is an error rather than overwritten.
pub fn write_files(dir: &Path, kinds: Kinds, files: &[OutFile]) -> io::Result<WriteReport> {
    let mut w = OutputWriter::begin(dir, kinds, files.iter().map(|f| f.path.clone()))?;
    for f in files {
        w.write(&f.path, &f.contents)?;
    }
    w.finish()
}

/// An output directory opened without following a link and locked: while
/// this value lives, no other `accessc build` writes into the directory.
pub struct DirLock {
    path: PathBuf,
    #[cfg(unix)]
    _fd: rustix::fd::OwnedFd,
}

impl DirLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn symlink_error() -> io::Error {
    io::Error::other(
        "it is a symbolic link; accessc writes only into a real directory, never through a link \
         (remove the link or choose another output directory)",
    )
}

fn not_dir_error() -> io::Error {
    io::Error::other("it exists and is not a directory")
}

/// Creates `path` if it is missing (its parents too) and locks it; a
/// symbolic link or anything but a directory there is refused. When another
/// build holds the lock, `on_wait` is called once and the lock is awaited.
pub fn lock_dir(path: &Path, on_wait: &mut dyn FnMut(&Path)) -> io::Result<DirLock> {
    // `out/` and `out/.` name what the link `out` points at: without the
    // trailing parts, `out` itself is checked. Every path inside the
    // directory is made from this one.
    let path: PathBuf = path.components().collect();
    let path = path.as_path();
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(symlink_error()),
        Ok(m) if !m.is_dir() => return Err(not_dir_error()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)?;
            }
            match fs::create_dir(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(e) => return Err(e),
    }
    #[cfg(unix)]
    {
        use rustix::fs::{flock, open, FlockOperation, Mode, OFlags};
        use rustix::io::Errno;
        let fd = open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            Errno::LOOP => symlink_error(),
            Errno::NOTDIR => not_dir_error(),
            e => io::Error::from(e),
        })?;
        match flock(&fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(Errno::WOULDBLOCK) => {
                on_wait(path);
                flock(&fd, FlockOperation::LockExclusive)?;
            }
            Err(e) => return Err(e.into()),
        }
        Ok(DirLock {
            path: path.to_path_buf(),
            _fd: fd,
        })
    }
    #[cfg(not(unix))]
    {
        let _ = on_wait;
        Ok(DirLock {
            path: path.to_path_buf(),
        })
    }
}

/// [`write_files`] one file at a time, for output too large to hold at once:
/// [`OutputWriter::begin`] is given every path first and refuses, changing
/// nothing but creating and locking the directory, if one is not accessc's
/// to write; then each file is written as it is produced;
/// [`OutputWriter::finish`] removes what earlier builds wrote and this one
/// did not, and records the manifest.
///
/// Interrupted at any point, the directory holds whole files only (each is
/// written to a temporary name and renamed), and the manifest says
/// `# state: incomplete` and already lists every file this build may have
/// written, so the next build replaces them and removes the temporaries.
pub struct OutputWriter {
    dir: DirLock,
    previous: BTreeSet<String>,
    now: BTreeSet<String>,
    done: BTreeSet<String>,
    claimed: bool,
    warnings: Vec<String>,
    report: WriteReport,
}

/// A manifest as read: the entries that are this target's, and what was
/// refused.
struct Manifest {
    entries: BTreeSet<String>,
    interrupted: bool,
    warnings: Vec<String>,
}

fn read_manifest(dir: &Path, kinds: Kinds) -> io::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let mut m = Manifest {
        entries: BTreeSet::new(),
        interrupted: false,
        warnings: Vec::new(),
    };
    let meta = match fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(m),
        Err(e) => return Err(e),
    };
    if meta.file_type().is_symlink() {
        m.warnings.push(format!(
            "`{}` is a symbolic link, not a manifest accessc wrote: it is ignored and replaced",
            path.display()
        ));
        return Ok(m);
    }
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "`{}` is not a regular file, so not a manifest accessc wrote: remove it",
            path.display()
        )));
    }
    let Some(mut file) = open_regular(&path)? else {
        return Err(io::Error::other(format!(
            "`{}` changed while it was read",
            path.display()
        )));
    };
    let mut bytes = Vec::new();
    (&mut file)
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(io::Error::other(format!(
            "`{}` is larger than {} MiB, so not a manifest accessc wrote: remove it",
            path.display(),
            MAX_MANIFEST_BYTES / 1024 / 1024
        )));
    }
    let mut refused = Vec::new();
    for line in bytes.split(|b| *b == b'\n') {
        if line.is_empty() {
            continue;
        }
        if line.starts_with(b"#") {
            m.interrupted |= line == STATE_INCOMPLETE.as_bytes();
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(name) if kinds.owns(name) => {
                m.entries.insert(name.to_string());
            }
            _ => refused.push(String::from_utf8_lossy(line).into_owned()),
        }
    }
    if !refused.is_empty() {
        let mut list: Vec<String> = refused
            .iter()
            .take(5)
            .map(|r| format!("`{}`", shown(r)))
            .collect();
        if refused.len() > 5 {
            list.push(format!("and {} more", refused.len() - 5));
        }
        m.warnings.push(format!(
            "`{}` lists {} name(s) that are not files this target writes ({}); they are ignored and the files are left alone",
            path.display(),
            refused.len(),
            list.join(", ")
        ));
    }
    if m.interrupted {
        m.warnings.push(format!(
            "the previous build into `{}` stopped before it finished (its manifest says `incomplete`); this build replaces its files",
            dir.display()
        ));
    }
    Ok(m)
}

impl OutputWriter {
    /// Locks `dir` (created if missing) and checks that every path is a
    /// file name of `kinds` and that none would overwrite a file accessc did
    /// not write; nothing else is changed. Another build into `dir` is
    /// awaited.
    pub fn begin(
        dir: &Path,
        kinds: Kinds,
        paths: impl IntoIterator<Item = String>,
    ) -> io::Result<OutputWriter> {
        Self::begin_with(dir, kinds, paths, &mut |_| {})
    }

    /// [`OutputWriter::begin`], calling `on_wait` once if another build
    /// holds the directory.
    pub fn begin_with(
        dir: &Path,
        kinds: Kinds,
        paths: impl IntoIterator<Item = String>,
        on_wait: &mut dyn FnMut(&Path),
    ) -> io::Result<OutputWriter> {
        let now: BTreeSet<String> = paths.into_iter().collect();
        for p in &now {
            if !kinds.owns(p) {
                return Err(io::Error::other(format!(
                    "refusing to write `{}`: not a plain file name of this target",
                    shown(p)
                )));
            }
        }
        let lock = lock_dir(dir, on_wait)?;
        let dir = lock.path();
        let manifest = read_manifest(dir, kinds)?;
        // Refuse before writing anything if a foreign file would be overwritten.
        for f in &now {
            let p = dir.join(f);
            match fs::symlink_metadata(&p) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
                Ok(_) if !manifest.entries.contains(f) => {
                    return Err(io::Error::other(format!(
                        "`{}` exists and was not written by accessc; move it or choose another output directory",
                        p.display()
                    )))
                }
                Ok(meta) if meta.is_dir() => {
                    return Err(io::Error::other(format!(
                        "`{}` is a directory, where accessc writes a file: remove it",
                        p.display()
                    )))
                }
                Ok(_) => {}
            }
        }
        Ok(OutputWriter {
            dir: lock,
            previous: manifest.entries,
            now,
            done: BTreeSet::new(),
            claimed: false,
            warnings: manifest.warnings,
            report: WriteReport::default(),
        })
    }

    /// What `begin` found and will leave alone (a tampered manifest, an
    /// interrupted build), one line each; empty the second time.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Before the first file is written: removes the temporaries an
    /// interrupted build left and records every name in the manifest,
    /// marked incomplete.
    fn claim(&mut self) -> io::Result<()> {
        if !self.claimed {
            let dir = self.dir.path().to_path_buf();
            self.report.temporaries_removed = remove_temporaries(&dir)?;
            write_manifest(&dir, STATE_INCOMPLETE, self.previous.union(&self.now))?;
            self.claimed = true;
        }
        Ok(())
    }

    /// Refuses a path not given to `begin`, or given to a write already;
    /// then claims the directory for this build.
    fn start_file(&mut self, path: &str) -> io::Result<()> {
        if !self.now.contains(path) || !self.done.insert(path.to_string()) {
            return Err(io::Error::other(format!(
                "`{}` was not announced or is written twice",
                shown(path)
            )));
        }
        self.claim()
    }

    /// Writes one file (one of the paths given to `begin`), unless it
    /// already holds exactly `contents`.
    pub fn write(&mut self, path: &str, contents: &str) -> io::Result<()> {
        self.start_file(path)?;
        let dir = self.dir.path();
        let p = dir.join(path);
        if holds_exactly(&p, contents.as_bytes()) {
            self.report.unchanged.push(path.to_string());
            return Ok(());
        }
        replace_in(dir, &p, contents.as_bytes(), None)?;
        self.report.written.push(path.to_string());
        Ok(())
    }

    /// [`OutputWriter::write`] of a file too large to hold whole: `produce`
    /// writes its contents as they are made. They go to a fresh temporary
    /// (created exclusively, never through a link) and are compared, as they
    /// come, with the file already there; only when they differ is the
    /// temporary renamed into place, otherwise it is removed and the file
    /// left as it was (unchanged). When `produce` fails, nothing replaces
    /// the file.
    pub fn write_with(
        &mut self,
        path: &str,
        produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        self.start_file(path)?;
        let dir = self.dir.path();
        let p = dir.join(path);
        let tmp = new_temporary(dir, None)?;
        let mut sink = io::BufWriter::with_capacity(
            STREAM_BUFFER,
            Compared {
                file: tmp,
                old: open_old(&p),
                same: true,
                scratch: Vec::new(),
            },
        );
        produce(&mut sink)?;
        let mut sink = sink.into_inner().map_err(io::IntoInnerError::into_error)?;
        if sink.same_to_the_end() {
            // Dropping the temporary removes it.
            self.report.unchanged.push(path.to_string());
            return Ok(());
        }
        sink.file.persist(&p).map_err(|e| e.error)?;
        self.report.written.push(path.to_string());
        Ok(())
    }

    /// Removes the files of earlier builds this one did not write, records
    /// the manifest (complete), and reports what was done (paths sorted).
    pub fn finish(mut self) -> io::Result<WriteReport> {
        if let Some(missing) = self.now.difference(&self.done).next() {
            return Err(io::Error::other(format!(
                "`{missing}` was announced but not written"
            )));
        }
        self.claim()?;
        let dir = self.dir.path().to_path_buf();
        for old in self.previous.difference(&self.now) {
            let p = dir.join(old);
            match fs::symlink_metadata(&p) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
                Ok(meta) if meta.is_dir() => self.report.warnings.push(format!(
                    "`{}` is listed in the manifest but is a directory; it is left alone",
                    p.display()
                )),
                // A file or a link: the entry itself goes, never what a link points at.
                Ok(_) => match fs::remove_file(&p) {
                    Ok(()) => self.report.removed.push(old.clone()),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                },
            }
        }
        write_manifest(&dir, STATE_COMPLETE, self.now.iter())?;
        let mut report = std::mem::take(&mut self.report);
        report.warnings.splice(0..0, self.warnings.drain(..));
        report.written.sort();
        report.unchanged.sort();
        Ok(report)
    }
}

/// Removes every temporary of an earlier build in `dir` (not a directory
/// of that name); returns how many.
fn remove_temporaries(dir: &Path) -> io::Result<usize> {
    let mut n = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = (name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX))
            || (name.starts_with('.') && name.ends_with(OLD_TMP_SUFFIX));
        if !ours || entry.file_type()?.is_dir() {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => n += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn write_manifest<'a>(
    dir: &Path,
    state: &str,
    paths: impl Iterator<Item = &'a String>,
) -> io::Result<()> {
    let mut manifest = format!("{MANIFEST_HEADER}{state}\n");
    for f in paths {
        manifest.push_str(f);
        manifest.push('\n');
    }
    replace_in(dir, &dir.join(MANIFEST), manifest.as_bytes(), None)
}

/// Opens `path` for reading if it is a regular file, never following a
/// link and never blocking on a FIFO; `None` for anything else.
fn open_regular(path: &Path) -> io::Result<Option<File>> {
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32);
    }
    match opts.open(path) {
        Ok(f) if f.metadata()?.is_file() => Ok(Some(f)),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        #[cfg(unix)]
        Err(e) if rustix::io::Errno::from_io_error(&e) == Some(rustix::io::Errno::LOOP) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `path` is a regular file (not a link) holding exactly `want`.
fn holds_exactly(path: &Path, want: &[u8]) -> bool {
    if !fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == want.len() as u64) {
        return false;
    }
    let Ok(Some(f)) = open_regular(path) else {
        return false;
    };
    let mut have = Vec::with_capacity(want.len());
    f.take(want.len() as u64 + 1)
        .read_to_end(&mut have)
        .is_ok_and(|_| have == want)
}

/// Writes `contents` to a new temporary in `dir` (created exclusively:
/// never through a link) and renames it to `dest`, which must be in `dir`.
/// A link at `dest` is replaced, never followed. `permissions`, when given,
/// are set exactly; otherwise a new file gets the usual ones (0666 less the
/// umask).
fn replace_in(
    dir: &Path,
    dest: &Path,
    contents: &[u8],
    permissions: Option<Permissions>,
) -> io::Result<()> {
    let mut tmp = new_temporary(dir, permissions)?;
    tmp.write_all(contents)?;
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}

/// A new temporary in `dir`, created exclusively (never through a link),
/// removed when dropped unless persisted; with `permissions`, or else the
/// usual ones of a new file (0666 less the umask).
fn new_temporary(dir: &Path, permissions: Option<Permissions>) -> io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TMP_PREFIX).suffix(TMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir)?;
    if let Some(p) = permissions {
        tmp.as_file().set_permissions(p)?;
    }
    Ok(tmp)
}

/// How much of a streamed file is gathered before it is written.
const STREAM_BUFFER: usize = 256 * 1024;

/// The file at `path` to compare a streamed file with: a regular file (not
/// a link), else none.
fn open_old(path: &Path) -> Option<File> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => open_regular(path).ok().flatten(),
        _ => None,
    }
}

/// A streamed file's temporary, compared as it is written with the file it
/// may replace.
struct Compared {
    file: NamedTempFile,
    /// The file already there, read as far as the temporary is written.
    old: Option<File>,
    /// Whether everything written so far is what `old` holds.
    same: bool,
    scratch: Vec<u8>,
}

impl Compared {
    /// Whether `old` holds exactly what was written: nothing more either.
    fn same_to_the_end(&mut self) -> bool {
        let Some(old) = self.old.as_mut().filter(|_| self.same) else {
            return false;
        };
        let mut byte = [0u8; 1];
        matches!(old.read(&mut byte), Ok(0))
    }
}

impl Write for Compared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        let written = buf.get(..n).unwrap_or_default();
        if self.same {
            self.same = match self.old.as_mut() {
                Some(old) => {
                    self.scratch.resize(written.len(), 0);
                    old.read_exact(&mut self.scratch).is_ok() && self.scratch == written
                }
                None => false,
            };
            if !self.same {
                self.old = None;
                self.scratch = Vec::new();
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `contents` to `path` as a new file renamed into place, so a
/// reader sees the old file or the new one, never a part: a symbolic link
/// at `path` is replaced by the file, never written through.
pub fn replace_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace_in(parent_dir(path), path, contents, None)
}

/// Writes `contents` to `path`, one generated file named by the user (not
/// a directory: `accessc matrix -o access.html`), the way the output
/// directories are written: a symbolic link at `path` is refused (never
/// followed, never replaced), so is anything but a regular file, and so is
/// a regular file whose first 4 KiB `is_ours` does not recognize as written
/// by accessc; the file is written to an exclusive temporary beside it and
/// renamed into place. Missing parent directories are created.
pub fn write_own_file(
    path: &Path,
    contents: &[u8],
    is_ours: &dyn Fn(&[u8]) -> bool,
) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(io::Error::other(
                "it is a symbolic link; accessc writes only a real file, never through a link (remove the link or choose another path)",
            ))
        }
        Ok(m) if m.is_dir() => {
            return Err(io::Error::other(
                "it is a directory; give the path of the file to write",
            ))
        }
        Ok(m) if !m.is_file() => return Err(io::Error::other("it exists and is not a regular file")),
        Ok(_) => {
            let Some(f) = open_regular(path)? else {
                return Err(io::Error::other("it exists and is not a regular file"));
            };
            let mut head = Vec::with_capacity(4096);
            f.take(4096).read_to_end(&mut head)?;
            if !is_ours(&head) {
                return Err(io::Error::other(
                    "it exists and was not written by accessc; move it or choose another path",
                ));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = parent_dir(path);
            if !parent.exists() {
                fs::create_dir_all(parent)?;
            }
        }
        Err(e) => return Err(e),
    }
    replace_in(parent_dir(path), path, contents, None)
}

/// Rewrites `path`, a file of the program whose root directory is `root`,
/// the same way as [`replace_file`], keeping its permissions. A symbolic
/// link is followed only to a regular file inside `root` (that file is
/// replaced); a link out of `root`, or anything but a regular file, is
/// refused.
pub fn rewrite_in_root(root: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    let target = if meta.file_type().is_symlink() {
        let target = fs::canonicalize(path)?;
        if !target.starts_with(fs::canonicalize(root)?) {
            return Err(io::Error::other(
                "it is a symbolic link to a file outside the program's directory; not rewritten",
            ));
        }
        target
    } else {
        path.to_path_buf()
    };
    let meta = fs::symlink_metadata(&target)?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file; not rewritten"));
    }
    replace_in(
        parent_dir(&target),
        &target,
        contents,
        Some(meta.permissions()),
    )
}

/// Whether `dir` may receive a new program ([`write_new_dir`]): absent, or
/// an empty real directory. A symbolic link, a file, or a directory that
/// holds anything (a planted link included) is refused, with why.
pub fn check_new_dir(dir: &Path) -> io::Result<()> {
    let dir: PathBuf = dir.components().collect();
    match fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.file_type().is_symlink() => Err(symlink_error()),
        Ok(m) if !m.is_dir() => Err(not_dir_error()),
        Ok(_) => {
            if fs::read_dir(&dir)?.next().is_some() {
                Err(io::Error::other(
                    "it is not empty; name an empty or new directory (nothing in it is ever replaced)",
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// A path of a new program: a plain file name, or a folder and a plain
/// file name (`policies/x.json`).
fn program_path(path: &str) -> Option<(Option<&str>, &str)> {
    match path.split_once('/') {
        None => plain_file_name(path).then_some((None, path)),
        Some((folder, name)) => {
            (plain_file_name(folder) && plain_file_name(name)).then_some((Some(folder), name))
        }
    }
}

/// Writes `files` (`(path, contents)`, a path being a plain file name or
/// one folder and a plain file name) as a new program in `dir`, which is
/// created if absent and must otherwise be empty ([`check_new_dir`]). The
/// directory is locked, checked again once locked, and never written
/// through a link: each folder is created here (an existing one is
/// refused), each file created as a fresh temporary and renamed into
/// place. No manifest: the files are the user's from now on. Returns the
/// paths written.
pub fn write_new_dir(dir: &Path, files: &[(String, String)]) -> io::Result<Vec<String>> {
    for (p, _) in files {
        if program_path(p).is_none() {
            return Err(io::Error::other(format!(
                "refusing to write `{}`: not a plain file name, or a folder and a plain file name",
                shown(p)
            )));
        }
    }
    check_new_dir(dir)?;
    let lock = lock_dir(dir, &mut |_| {})?;
    let root = lock.path();
    // Checked again under the lock: whatever appeared meanwhile is refused.
    if fs::read_dir(root)?.next().is_some() {
        return Err(io::Error::other(
            "it is not empty; name an empty or new directory (nothing in it is ever replaced)",
        ));
    }
    let mut folders: BTreeSet<&str> = BTreeSet::new();
    let mut written = Vec::with_capacity(files.len());
    for (p, contents) in files {
        let Some((folder, name)) = program_path(p) else {
            continue;
        };
        let parent = match folder {
            None => root.to_path_buf(),
            Some(f) => {
                let d = root.join(f);
                if folders.insert(f) {
                    // Created here, so never a link someone planted.
                    fs::create_dir(&d)?;
                }
                match fs::symlink_metadata(&d) {
                    Ok(m) if m.is_dir() && !m.file_type().is_symlink() => {}
                    Ok(_) => return Err(symlink_error()),
                    Err(e) => return Err(e),
                }
                d
            }
        };
        let dest = parent.join(name);
        if fs::symlink_metadata(&dest).is_ok() {
            return Err(io::Error::other(format!(
                "`{}` appeared while the program was written; nothing there is replaced",
                dest.display()
            )));
        }
        replace_in(&parent, &dest, contents.as_bytes(), None)?;
        written.push(p.clone());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_of_the_kinds_are_owned() {
        for name in ["main.tf", "a-b.tf", "x.template.yaml", "DEPLOY.md"] {
            assert!(
                Kinds::TERRAFORM.owns(name) || Kinds::CFN.owns(name),
                "{name}"
            );
        }
        for name in [
            "",
            ".tf",
            "..",
            "../x.tf",
            "/etc/x.tf",
            "evil/c.tf",
            "a\\b.tf",
            "c:x.tf",
            ".hidden.tf",
            "a\n.tf",
            "main.tf\r",
            MANIFEST,
            "main.tfx",
            "notes.md",
        ] {
            assert!(!Kinds::TERRAFORM.owns(name), "{name:?}");
        }
        assert!(Kinds::IR.owns(crate::emit::IR_FILE));
        assert!(!Kinds::IR.owns("other.json"));
        assert!(!Kinds::CFN.owns(".template.yaml"));
        assert!(Kinds::CFN_TEMPLATES.owns("permission-sets.template.json"));
        for name in ["DEPLOY.md", "deploy-order.json", "templates", "x.json"] {
            assert!(!Kinds::CFN_TEMPLATES.owns(name), "{name}");
        }
        assert!(!Kinds::TERRAFORM.owns(&format!("{}.tf", "a".repeat(300))));
    }

    /// The names in `dir` other than the manifest.
    fn listed(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n != MANIFEST)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_streamed_file_is_written_compared_and_never_half_there() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        let big = "x = 1\n".repeat(100_000);
        let stream = |w: &mut OutputWriter, text: &str| {
            w.write_with("big.tf", |out| {
                for piece in text.as_bytes().chunks(1000) {
                    out.write_all(piece)?;
                }
                Ok(())
            })
        };
        let paths = || ["big.tf".to_string(), "small.tf".to_string()];
        let mut w = OutputWriter::begin(dir, Kinds::TERRAFORM, paths()).expect("begin");
        stream(&mut w, &big).expect("streamed");
        w.write("small.tf", "y = 2\n").expect("written");
        let report = w.finish().expect("finish");
        assert_eq!(report.written, vec!["big.tf", "small.tf"]);
        assert_eq!(fs::read_to_string(dir.join("big.tf")).expect("read"), big);

        // The same contents: unchanged, and no temporary is left.
        let mut w = OutputWriter::begin(dir, Kinds::TERRAFORM, paths()).expect("begin");
        stream(&mut w, &big).expect("streamed");
        w.write("small.tf", "y = 2\n").expect("written");
        let report = w.finish().expect("finish");
        assert_eq!(report.unchanged, vec!["big.tf", "small.tf"]);
        assert_eq!(listed(dir), vec!["big.tf", "small.tf"]);

        // The same start and one byte more, or one byte less: replaced.
        for text in [format!("{big}#"), big[..big.len() - 1].to_string()] {
            let mut w = OutputWriter::begin(dir, Kinds::TERRAFORM, paths()).expect("begin");
            stream(&mut w, &text).expect("streamed");
            w.write("small.tf", "y = 2\n").expect("written");
            assert_eq!(w.finish().expect("finish").written, vec!["big.tf"]);
            assert_eq!(fs::read_to_string(dir.join("big.tf")).expect("read"), text);
        }

        // A producer that fails leaves the file as it was, and no temporary.
        let before = fs::read_to_string(dir.join("big.tf")).expect("read");
        let mut w = OutputWriter::begin(dir, Kinds::TERRAFORM, paths()).expect("begin");
        let e = w
            .write_with("big.tf", |out| {
                out.write_all(b"half")?;
                Err(io::Error::other("stopped"))
            })
            .expect_err("failed");
        assert_eq!(e.to_string(), "stopped");
        drop(w);
        assert_eq!(
            fs::read_to_string(dir.join("big.tf")).expect("read"),
            before
        );
        assert_eq!(listed(dir), vec!["big.tf", "small.tf"]);

        // Only an announced file, and only once.
        let mut w = OutputWriter::begin(dir, Kinds::TERRAFORM, paths()).expect("begin");
        assert!(w.write_with("other.tf", |_| Ok(())).is_err());
        w.write_with("big.tf", |_| Ok(())).expect("empty");
        assert!(w.write_with("big.tf", |_| Ok(())).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_streamed_file_replaces_a_link_and_never_writes_through_it() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("out");
        fs::create_dir(&dir).expect("dir");
        let outside = tmp.path().join("outside.txt");
        fs::write(&outside, "secret\n").expect("outside");
        // A link where the file goes, listed in the manifest as accessc's.
        std::os::unix::fs::symlink(&outside, dir.join("big.tf")).expect("link");
        fs::write(
            dir.join(MANIFEST),
            format!("{MANIFEST_HEADER}{STATE_COMPLETE}\nbig.tf\n"),
        )
        .expect("manifest");
        let mut w =
            OutputWriter::begin(&dir, Kinds::TERRAFORM, ["big.tf".to_string()]).expect("begin");
        // The same text as the link's target: still written, as a file.
        w.write_with("big.tf", |out| out.write_all(b"secret\n"))
            .expect("streamed");
        assert_eq!(w.finish().expect("finish").written, vec!["big.tf"]);
        assert_eq!(fs::read_to_string(&outside).expect("read"), "secret\n");
        let meta = fs::symlink_metadata(dir.join("big.tf")).expect("meta");
        assert!(meta.is_file());
    }

    #[test]
    fn names_are_shown_escaped_and_short() {
        assert_eq!(shown("a\u{1b}[2J"), "a\\u{1b}[2J");
        assert!(shown(&"x".repeat(500)).chars().count() <= 81);
    }

    #[test]
    fn a_fifo_at_an_output_name_is_not_read() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("main.tf");
        let made = std::process::Command::new("mkfifo").arg(&p).status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        // Neither blocks: a FIFO is never opened for its contents.
        assert!(!holds_exactly(&p, b""));
        assert!(open_regular(&p).expect("open").is_none());
    }

    #[test]
    fn a_new_program_goes_only_into_an_empty_or_new_real_directory() {
        let tmp = tempfile::tempdir().expect("tmp");
        let files = vec![
            (
                "org.access".to_string(),
                "org from \"org.json\"\n".to_string(),
            ),
            ("policies/a.json".to_string(), "{}\n".to_string()),
        ];
        let fresh = tmp.path().join("new/prog");
        assert_eq!(
            write_new_dir(&fresh, &files).expect("written"),
            vec!["org.access", "policies/a.json"]
        );
        assert_eq!(
            fs::read_to_string(fresh.join("policies/a.json")).expect("read"),
            "{}\n"
        );
        assert!(!fresh.join(MANIFEST).exists());
        // Not empty now: refused.
        let e = write_new_dir(&fresh, &files).expect_err("not empty");
        assert!(e.to_string().contains("not empty"), "{e}");
        // A link to an empty directory: refused, nothing written there.
        let target = tmp.path().join("target");
        fs::create_dir(&target).expect("mkdir");
        #[cfg(unix)]
        {
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&target, &link).expect("symlink");
            let e = write_new_dir(&link, &files).expect_err("a link");
            assert!(e.to_string().contains("symbolic link"), "{e}");
            assert_eq!(fs::read_dir(&target).expect("ls").count(), 0);
        }
        for bad in ["../x.access", "a/b/c.json", ".hidden", "/abs"] {
            let e = write_new_dir(&target, &[(bad.to_string(), String::new())])
                .expect_err("a bad path");
            assert!(e.to_string().contains("refusing"), "{bad}: {e}");
        }
        assert_eq!(fs::read_dir(&target).expect("ls").count(), 0);
    }
}
