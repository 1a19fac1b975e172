//! Where things are: URIs and paths, the program each file belongs to, the
//! open buffers laid over the file system, and the standard library written
//! to disk so that an editor can open it.

use accessc_core::jail::Stamp;
use accessc_core::load::{Contents, FileSystem, RealFs, STD_MODULES};
use lsp_types::Uri;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// What one program is, for a file opened in the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramMode {
    /// Every `*.access` file directly in the file's directory (LANGUAGE.md §1):
    /// the default.
    Directory,
    /// Each file on its own, as `accessc check FILE` sees it (for folders of
    /// unrelated samples, such as a test corpus).
    File,
}

/// The identity of one program.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProgramKey {
    /// A directory program.
    Dir(PathBuf),
    /// A single file on disk.
    File(PathBuf),
    /// A buffer with no file behind it (`untitled:` URIs): checked alone.
    Buffer(String),
}

impl ProgramKey {
    /// The program a document belongs to, or `None` for the standard library
    /// (never checked as a program of its own).
    pub fn of(uri: &Uri, mode: ProgramMode, std: &StdFiles) -> Option<ProgramKey> {
        match uri_to_path(uri) {
            Some(path) => {
                if std.module_of(&path).is_some() {
                    return None;
                }
                Some(match (mode, path.parent()) {
                    (ProgramMode::Directory, Some(dir)) if !dir.as_os_str().is_empty() => {
                        ProgramKey::Dir(dir.to_path_buf())
                    }
                    _ => ProgramKey::File(path),
                })
            }
            None => Some(ProgramKey::Buffer(uri.as_str().to_string())),
        }
    }

    /// Whether a change to the file at `path` may change this program.
    pub fn may_read(&self, path: &Path) -> bool {
        match self {
            ProgramKey::Dir(d) => path.parent() == Some(d.as_path()),
            ProgramKey::File(f) => f == path,
            ProgramKey::Buffer(_) => false,
        }
    }
}

/// The path of a `file:` URI.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let url = url::Url::parse(uri.as_str()).ok()?;
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let url = url::Url::from_file_path(path).ok()?;
    Uri::from_str(url.as_str()).ok()
}

/// The file system as the program sees it: open buffers first, then disk.
/// A program's files are judged as `accessc check` judges them (see
/// [`accessc_core::jail`]): only regular files inside its directory, bounded; an
/// open buffer stands for its path.
pub struct OverlayFs<'a> {
    pub open: &'a HashMap<PathBuf, Arc<str>>,
    /// The text of files read from disk before, if kept between loads.
    disk: Option<&'a RefCell<DiskCache>>,
    /// The open buffers by their paths with symlinks resolved (made once,
    /// when a path is not found as written).
    resolved: std::cell::OnceCell<HashMap<PathBuf, Arc<str>>>,
}

impl<'a> OverlayFs<'a> {
    pub fn new(open: &'a HashMap<PathBuf, Arc<str>>) -> OverlayFs<'a> {
        OverlayFs {
            open,
            disk: None,
            resolved: std::cell::OnceCell::new(),
        }
    }

    /// [`OverlayFs::new`], keeping the text of the files it reads from disk
    /// in `disk` (and reading a file again only when it changed).
    pub fn with_disk_cache(
        open: &'a HashMap<PathBuf, Arc<str>>,
        disk: &'a RefCell<DiskCache>,
    ) -> OverlayFs<'a> {
        OverlayFs {
            disk: Some(disk),
            ..OverlayFs::new(open)
        }
    }

    /// The open buffer at `path`, which may be written with symlinks
    /// resolved.
    fn buffer(&self, path: &Path) -> Option<&Arc<str>> {
        self.open.get(path).or_else(|| {
            self.resolved
                .get_or_init(|| {
                    self.open
                        .iter()
                        .filter_map(|(p, text)| Some((canonical_or_new(p)?, text.clone())))
                        .collect()
                })
                .get(path)
        })
    }
}

/// `path` with symlinks resolved; for a file not (yet) on disk, its nearest
/// existing folder's resolved path joined with the rest.
fn canonical_or_new(path: &Path) -> Option<PathBuf> {
    if let Ok(c) = std::fs::canonicalize(path) {
        return Some(c);
    }
    let path = accessc_core::jail::lexical(path);
    let mut base = path.as_path();
    let mut rest = Vec::new();
    loop {
        rest.push(base.file_name()?);
        base = base.parent()?;
        if let Ok(mut out) = std::fs::canonicalize(base) {
            out.extend(rest.iter().rev());
            return Some(out);
        }
    }
}

impl FileSystem for OverlayFs<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.buffer(path) {
            Some(text) => Ok(text.as_bytes().to_vec()),
            None => RealFs.read(path),
        }
    }

    fn read_contents(&self, path: &Path) -> io::Result<Contents> {
        if let Some(text) = self.buffer(path) {
            return Ok(Contents::Text(text.clone()));
        }
        match self.disk {
            Some(disk) => disk.borrow_mut().read(path),
            None => RealFs.read(path).map(Contents::Bytes),
        }
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        match std::fs::canonicalize(path) {
            Err(e) if self.open.contains_key(path) => canonical_or_new(path).ok_or(e),
            r => r,
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        RealFs.is_dir(path) || self.open.keys().any(|p| p.parent() == Some(path))
    }

    fn access_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let on_disk = RealFs.access_files(dir);
        let mut files = match on_disk {
            Ok(files) => files,
            Err(e) if !self.open.keys().any(|p| p.parent() == Some(dir)) => return Err(e),
            Err(_) => Vec::new(),
        };
        for p in self.open.keys() {
            if p.parent() == Some(dir) && p.extension().is_some_and(|e| e == "access") {
                files.push(p.clone());
            }
        }
        files.sort();
        files.dedup();
        Ok(files)
    }
}

/// The text of the files a program read from disk, kept between loads: a
/// file is read again only when its [`Stamp`] (file, length, modification
/// and change times) changed. Every read is judged as
/// [`accessc_core::jail::read_regular`] judges it, whether or not the file
/// is read again; files that are not UTF-8 are not kept, and at most
/// [`DiskCache::MAX_BYTES`] of text is.
#[derive(Debug, Default)]
pub struct DiskCache {
    /// The text of each file, and its stamp if it may be trusted (see
    /// [`DiskCache::RECENT`]).
    files: HashMap<PathBuf, (Option<Stamp>, Arc<str>)>,
    bytes: usize,
}

impl DiskCache {
    /// Text kept at most: beyond it, the cache starts afresh.
    pub const MAX_BYTES: usize = 256 << 20;

    /// A file modified this recently when it was read may change again
    /// within the resolution of its times and keep its length: it is read
    /// again next time.
    pub const RECENT: std::time::Duration = std::time::Duration::from_secs(2);

    fn read(&mut self, path: &Path) -> io::Result<Contents> {
        let known = self.files.get(path).and_then(|(stamp, _)| *stamp);
        let read = accessc_core::jail::read_regular_unless(path, known);
        let (bytes, stamp) = match read {
            Ok(Some(read)) => read,
            Ok(None) => {
                if let Some((_, text)) = self.files.get(path) {
                    return Ok(Contents::Text(text.clone()));
                }
                return accessc_core::jail::read_regular(path).map(Contents::Bytes);
            }
            Err(e) => {
                self.forget(path);
                return Err(e);
            }
        };
        self.forget(path);
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(text) => text.into(),
            // Not kept: the loader reports it.
            Err(e) => return Ok(Contents::Bytes(e.into_bytes())),
        };
        if self.bytes + text.len() > Self::MAX_BYTES {
            self.files.clear();
            self.bytes = 0;
        }
        let settled = stamp.modified().is_some_and(|m| {
            std::time::SystemTime::now()
                .duration_since(m)
                .is_ok_and(|age| age >= Self::RECENT)
        });
        self.bytes += text.len();
        self.files
            .insert(path.to_path_buf(), (settled.then_some(stamp), text.clone()));
        Ok(Contents::Text(text))
    }

    /// Whether the text of `path` is kept, and trusted while its stamp
    /// stays the same.
    #[cfg(test)]
    pub fn holds(&self, path: &Path) -> Option<bool> {
        self.files.get(path).map(|(stamp, _)| stamp.is_some())
    }

    fn forget(&mut self, path: &Path) {
        if let Some((_, text)) = self.files.remove(path) {
            self.bytes -= text.len();
        }
    }
}

/// The standard library's sources, written once to a cache directory so that
/// go-to-definition can open them: `$XDG_CACHE_HOME/accessc/std-VERSION-HASH/`
/// (or `~/.cache/…`, or the temporary directory). The files are read-only.
#[derive(Debug, Clone, Default)]
pub struct StdFiles {
    dir: Option<PathBuf>,
}

impl StdFiles {
    /// Write the std modules (if they are not there already).
    pub fn install() -> StdFiles {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        Self::install_in(&base)
    }

    /// [`StdFiles::install`] under the cache directory `base`.
    fn install_in(base: &Path) -> StdFiles {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for (name, text) in STD_MODULES {
            for b in name.bytes().chain(text.bytes()) {
                hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        let dir = base.join("accessc").join(format!(
            "std-{}-{:08x}",
            env!("CARGO_PKG_VERSION"),
            hash as u32
        ));
        let ok = std::fs::create_dir_all(&dir).is_ok()
            && STD_MODULES.iter().all(|(name, text)| {
                let p = dir.join(format!("{name}.access"));
                // Only a regular file of the right size is read (a link at
                // that name is replaced below, never read).
                let same_size = std::fs::symlink_metadata(&p)
                    .is_ok_and(|m| m.is_file() && m.len() == text.len() as u64);
                if same_size && std::fs::read_to_string(&p).is_ok_and(|t| t == *text) {
                    return true;
                }
                // A new file renamed over the old one (read-only, from an
                // earlier run with other contents): never written through a
                // link planted at that name.
                let written = accessc_core::output::replace_file(&p, text.as_bytes()).is_ok();
                if let Ok(meta) = std::fs::metadata(&p) {
                    let mut perm = meta.permissions();
                    perm.set_readonly(true);
                    let _ = std::fs::set_permissions(&p, perm);
                }
                written
            });
        StdFiles {
            dir: ok.then_some(dir),
        }
    }

    /// Where std module `name` is on disk.
    pub fn path(&self, module: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{module}.access")))
    }

    /// The URI of std module `name`.
    pub fn uri(&self, module: &str) -> Option<Uri> {
        self.path(module).and_then(|p| path_to_uri(&p))
    }

    /// The std module a path is the copy of, if it is one.
    pub fn module_of(&self, path: &Path) -> Option<&'static str> {
        let dir = self.dir.as_ref()?;
        if path.parent() != Some(dir.as_path()) {
            return None;
        }
        let stem = path.file_stem()?.to_str()?;
        STD_MODULES
            .iter()
            .map(|(n, _)| *n)
            .find(|n| *n == stem && path.extension().is_some_and(|e| e == "access"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use accessc_core::load::{load_with, FreshParse, LoadOptions};

    #[cfg(unix)]
    #[test]
    fn unsaved_buffers_are_judged_by_the_jail_like_files() {
        // A workspace reached through a symlink, with buffers not on disk.
        let t = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(t.path().join("real")).expect("mkdir");
        std::os::unix::fs::symlink(t.path().join("real"), t.path().join("ws")).expect("link");
        let dir = t.path().join("ws");
        let mut open = HashMap::new();
        open.insert(
            dir.join("a.access"),
            Arc::from("use \"lib/b.access\"\norg from \"/dev/stdin\"\n"),
        );
        open.insert(dir.join("lib/b.access"), Arc::from("group g\n"));
        let fs = OverlayFs::new(&open);
        let prog = load_with(&fs, &dir, &LoadOptions::default(), &mut FreshParse).expect("load");
        let names: Vec<&str> = prog.sources.files().map(|(_, f)| f.name.as_str()).collect();
        assert!(
            names.iter().any(|n| n.ends_with("lib/b.access")),
            "{names:?}"
        );
        assert!(prog.diagnostics.is_empty(), "{:?}", prog.diagnostics);
        let org = prog.externals.values().next().expect("org from");
        assert!(
            matches!(org, accessc_core::load::External::Failed(why) if why.contains("absolute path")),
            "{org:?}"
        );
    }

    /// Links planted at the cache's file names are replaced, never written
    /// through or read (one of them leads to an endless file).
    #[cfg(unix)]
    #[test]
    fn std_files_replace_planted_links() {
        let tmp = tempfile::tempdir().expect("tmp");
        let cache = tmp.path().join("cache");
        let first = StdFiles::install_in(&cache);
        let victim = tmp.path().join("victim.txt");
        std::fs::write(&victim, "mine\n").expect("write");
        let mut targets = vec![victim.clone(), PathBuf::from("/dev/zero")]
            .into_iter()
            .cycle();
        for (name, _) in STD_MODULES {
            let p = first.path(name).expect("installed");
            std::fs::remove_file(&p).expect("remove");
            std::os::unix::fs::symlink(targets.next().expect("target"), &p).expect("link");
        }
        let second = StdFiles::install_in(&cache);
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "mine\n");
        for (name, text) in STD_MODULES {
            let p = second.path(name).expect("installed");
            assert!(std::fs::symlink_metadata(&p).expect("lstat").is_file());
            assert_eq!(std::fs::read_to_string(&p).expect("read"), *text);
        }
    }
}
