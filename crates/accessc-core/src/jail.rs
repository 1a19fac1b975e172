//! The program is a jail: the files a program may read, and how they are read.
//!
//! A program is its root directory (the directory given on the command line,
//! or the directory of the file given). `use "…"`, `org from "…"` and
//! `policy … from json "…"` reach only **regular files inside the root**,
//! after symlinks are resolved. `--allow-outside-root` lifts the directory
//! rule (absolute paths and `..` are then allowed), never the rest:
//!
//! - only regular files are read: a directory, a FIFO, a socket or a device is
//!   refused from its type, checked before the file is opened, and the file
//!   is opened non-blocking and checked again once open (a FIFO swapped in
//!   between cannot hang the read);
//! - the kernel's pseudo-files (`/proc`, `/sys`) are refused: they claim to be
//!   regular files but are views of the running system;
//! - every read stops after [`MAX_FILE_BYTES`], counting the bytes actually
//!   read (a file's reported size is not trusted).
//!
//! Every file the command line names is read the same way
//! ([`read_regular`]), without the directory rule.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// No input file is read past this many bytes.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// What kind of file `meta` describes, when it is not a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a regular file")
}

fn refused(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, why)
}

/// Whether `path` (canonical) is in a kernel pseudo-file system.
fn is_pseudo(path: &Path) -> bool {
    cfg!(target_os = "linux") && (path.starts_with("/proc") || path.starts_with("/sys"))
}

/// Read the regular file at `path` whole: at most [`MAX_FILE_BYTES`], never
/// blocking on a FIFO or a device, never from `/proc` or `/sys`. Every other
/// kind of file is an error that names the kind (and shows none of its bytes).
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    match read_regular_unless(path, None)? {
        Some((bytes, _)) => Ok(bytes),
        None => Err(io::Error::other("no stamp was given")),
    }
}

/// What tells a file's contents apart without reading them: the file
/// (device and inode), its length, and its modification and change times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
    changed: (i64, i64),
}

impl Stamp {
    /// The file's modification time, where the system gives one.
    pub fn modified(&self) -> Option<std::time::SystemTime> {
        self.modified
    }

    fn of(meta: &Metadata) -> Stamp {
        #[cfg(unix)]
        let (dev, ino, changed) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino(), (meta.ctime(), meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (dev, ino, changed) = (0, 0, (0, 0));
        Stamp {
            dev,
            ino,
            len: meta.len(),
            modified: meta.modified().ok(),
            changed,
        }
    }
}

/// [`read_regular`], with the file's [`Stamp`] (taken before reading); but
/// when the file's stamp is `known` (the caller holds its contents from an
/// earlier read), `Ok(None)` and nothing is read. Every check of
/// [`read_regular`] is made either way.
pub fn read_regular_unless(
    path: &Path,
    known: Option<Stamp>,
) -> io::Result<Option<(Vec<u8>, Stamp)>> {
    // The type first, from the path: opening a FIFO may block, and reading a
    // device may never end.
    let meta = std::fs::metadata(path)?;
    if let Some(kind) = not_regular(&meta) {
        return Err(refused(format!("not a regular file ({kind})")));
    }
    if std::fs::canonicalize(path).is_ok_and(|c| is_pseudo(&c)) {
        return Err(refused(
            "a view of the running system (`/proc`, `/sys`), not a file".into(),
        ));
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(too_large());
    }
    if known.is_some_and(|k| k == Stamp::of(&meta)) {
        return Ok(None);
    }
    let file = open_nonblocking(path)?;
    // The file opened may not be the one looked at (it was replaced in
    // between): check again, on the open file.
    let opened = file.metadata()?;
    if let Some(kind) = not_regular(&opened) {
        return Err(refused(format!("not a regular file ({kind})")));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (opened.dev(), opened.ino()) != (meta.dev(), meta.ino()) {
            return Err(refused("the file changed while it was being opened".into()));
        }
    }
    let stamp = Stamp::of(&opened);
    Ok(Some((read_bounded(file, opened.len())?, stamp)))
}

/// At most [`MAX_FILE_BYTES`] of `r`, counting the bytes read: more is an
/// error. `hint` (a reported size) only sizes the first allocation.
pub fn read_bounded(r: impl Read, hint: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(hint.min(MAX_FILE_BYTES as u64) as usize + 1);
    r.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut buf)?;
    if buf.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(buf)
}

fn too_large() -> io::Error {
    refused(format!(
        "larger than {} MiB, the most accessc reads of one file",
        MAX_FILE_BYTES / 1024 / 1024
    ))
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// `path` made absolute (against the current directory) with `.` and `..`
/// folded away, without looking at the file system.
pub fn lexical(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// Why a path named by a program is not read.
#[derive(Debug)]
pub enum Refusal {
    /// An absolute path, without `--allow-outside-root`.
    Absolute,
    /// A path that leaves the root directory (`..`).
    Outside,
    /// A path inside the root that a symlink leads out of it.
    SymlinkOut,
    /// The path cannot be resolved (it does not exist, …).
    Io(io::Error),
}

impl Refusal {
    /// Whether this is the directory rule (which `--allow-outside-root` lifts).
    pub fn is_root_rule(&self) -> bool {
        !matches!(self, Refusal::Io(_))
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const LIFT: &str = "(`--allow-outside-root` lifts this rule)";
        match self {
            Refusal::Absolute => write!(
                f,
                "an absolute path, and a program reads only files inside its own directory {LIFT}"
            ),
            Refusal::Outside => write!(f, "the path leads out of the program's directory {LIFT}"),
            Refusal::SymlinkOut => write!(
                f,
                "a symbolic link leads out of the program's directory {LIFT}"
            ),
            Refusal::Io(e) => write!(f, "{e}"),
        }
    }
}

/// The root directory of one program, and whether the directory rule holds.
#[derive(Debug, Clone)]
pub struct Jail {
    /// The root, absolute and with `..` folded (as named).
    lexical_root: PathBuf,
    /// The root with every symlink resolved (where it can be).
    canonical_root: PathBuf,
    allow_outside: bool,
}

impl Jail {
    /// The jail of the program rooted at `root`; `canonicalize` resolves
    /// symlinks (the file system's own, or a view with unsaved buffers).
    pub fn new(
        root: &Path,
        allow_outside: bool,
        canonicalize: impl Fn(&Path) -> io::Result<PathBuf>,
    ) -> Jail {
        let root = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        };
        let lexical_root = lexical(root);
        let canonical_root = canonicalize(root).unwrap_or_else(|_| lexical_root.clone());
        Jail {
            lexical_root,
            canonical_root,
            allow_outside,
        }
    }

    /// Whether the directory rule is lifted.
    pub fn allows_outside(&self) -> bool {
        self.allow_outside
    }

    /// Check `path`: the path a program names, joined to the directory of the
    /// file that names it (`reference` is the string as written). Returns the
    /// path with every symlink resolved, the one to read.
    pub fn resolve(
        &self,
        reference: &str,
        path: &Path,
        canonicalize: impl Fn(&Path) -> io::Result<PathBuf>,
    ) -> Result<PathBuf, Refusal> {
        if !self.allow_outside {
            let named = Path::new(reference);
            if named.has_root() || named.is_absolute() {
                return Err(Refusal::Absolute);
            }
            // Before the file system is asked anything about it.
            if !lexical(path).starts_with(&self.lexical_root) {
                return Err(Refusal::Outside);
            }
        }
        let canonical = canonicalize(path).map_err(Refusal::Io)?;
        if !self.allow_outside && !canonical.starts_with(&self.canonical_root) {
            return Err(Refusal::SymlinkOut);
        }
        Ok(canonical)
    }

    /// Check a file found in the root directory itself (a `*.access` entry,
    /// which may be a symlink).
    pub fn admit_entry(
        &self,
        path: &Path,
        canonicalize: impl Fn(&Path) -> io::Result<PathBuf>,
    ) -> Result<PathBuf, Refusal> {
        let canonical = canonicalize(path).map_err(Refusal::Io)?;
        if !self.allow_outside && !canonical.starts_with(&self.canonical_root) {
            return Err(Refusal::SymlinkOut);
        }
        Ok(canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_folds_dots() {
        assert_eq!(lexical(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
        assert_eq!(lexical(Path::new("/a/../../..")), PathBuf::from("/"));
    }

    fn jail(root: &Path, allow: bool) -> Jail {
        Jail::new(root, allow, |p| std::fs::canonicalize(p))
    }

    fn resolve(j: &Jail, dir: &Path, r: &str) -> Result<PathBuf, Refusal> {
        j.resolve(r, &dir.join(r), |p| std::fs::canonicalize(p))
    }

    #[test]
    fn the_root_rule_and_its_lifting() {
        let t = tempfile::tempdir().expect("tmp");
        let root = t.path().join("prog");
        std::fs::create_dir_all(root.join("sub")).expect("mkdir");
        std::fs::write(root.join("a.access"), "").expect("write");
        std::fs::write(t.path().join("out.access"), "").expect("write");
        let j = jail(&root, false);
        assert!(resolve(&j, &root, "a.access").is_ok());
        assert!(resolve(&j, &root.join("sub"), "../a.access").is_ok());
        assert!(matches!(
            resolve(&j, &root, "../out.access"),
            Err(Refusal::Outside)
        ));
        let abs = t.path().join("out.access").display().to_string();
        assert!(matches!(resolve(&j, &root, &abs), Err(Refusal::Absolute)));
        assert!(matches!(
            resolve(&j, &root, "missing.access"),
            Err(Refusal::Io(_))
        ));
        let lifted = jail(&root, true);
        assert!(resolve(&lifted, &root, "../out.access").is_ok());
        assert!(resolve(&lifted, &root, &abs).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_root_is_refused() {
        let t = tempfile::tempdir().expect("tmp");
        let root = t.path().join("prog");
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::write(t.path().join("secret.json"), "{}").expect("write");
        std::os::unix::fs::symlink(t.path().join("secret.json"), root.join("org.json"))
            .expect("symlink");
        std::os::unix::fs::symlink(root.join("real.json"), root.join("inner.json"))
            .expect("symlink");
        std::fs::write(root.join("real.json"), "{}").expect("write");
        let j = jail(&root, false);
        assert!(matches!(
            resolve(&j, &root, "org.json"),
            Err(Refusal::SymlinkOut)
        ));
        assert_eq!(
            resolve(&j, &root, "inner.json").expect("inside"),
            std::fs::canonicalize(root.join("real.json")).expect("canonical")
        );
        assert!(resolve(&jail(&root, true), &root, "org.json").is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read() {
        let t = tempfile::tempdir().expect("tmp");
        let err = |p: &Path| read_regular(p).expect_err("refused").to_string();
        assert!(err(t.path()).contains("a directory"), "{}", err(t.path()));
        assert!(err(Path::new("/dev/zero")).contains("a character device"));
        let fifo = t.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.expect("mkfifo").success());
        assert!(err(&fifo).contains("a FIFO"));
        let sock = t.path().join("sock");
        let _l = std::os::unix::net::UnixListener::bind(&sock).expect("bind");
        assert!(err(&sock).contains("a socket"));
        if cfg!(target_os = "linux") {
            assert!(err(Path::new("/proc/self/environ")).contains("running system"));
        }
        let f = t.path().join("f");
        std::fs::write(&f, "text").expect("write");
        assert_eq!(read_regular(&f).expect("read"), b"text");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_swapped_in_after_the_type_check_cannot_block_the_open() {
        // The open itself is what a FIFO put in place between the type
        // check and the open would block: it must return at once, and the
        // open file's type is checked again.
        let t = tempfile::tempdir().expect("tmp");
        let fifo = t.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.expect("mkfifo").success());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let kind = open_nonblocking(&fifo)
                .and_then(|f| f.metadata())
                .map(|m| not_regular(&m));
            let _ = tx.send(kind.map_err(|e| e.to_string()));
        });
        let kind = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the open blocked");
        assert_eq!(kind, Ok(Some("a FIFO")));
    }

    #[test]
    fn reads_are_bounded_by_the_bytes_read() {
        let endless = std::io::repeat(b'x');
        let e = read_bounded(endless, 0).expect_err("too large");
        assert!(e.to_string().contains("64 MiB"), "{e}");
        let exact = std::io::repeat(b'x').take(MAX_FILE_BYTES as u64);
        assert_eq!(
            read_bounded(exact, 0).expect("at the bound").len(),
            MAX_FILE_BYTES
        );
    }
}
