//! Gathering a program: the files of a directory (or one file), the standard
//! library modules it uses, and the JSON files it names. All file access goes
//! through [`FileSystem`], so the language server can serve unsaved buffers.

use crate::ast::{ItemKind, Module, OrgDecl, PolicyBody, Use};
use crate::diagnostic::{Code, Diagnostic};
use crate::jail::{Jail, Refusal};
use crate::parse::parse_file;
use crate::span::{FileId, SourceFile, SourceMap, Span};
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::jail::MAX_FILE_BYTES;

/// Where source text comes from.
pub trait FileSystem {
    /// The whole of a regular file: at most [`MAX_FILE_BYTES`], never
    /// blocking (a FIFO, a socket, a device or a directory is an error of
    /// kind `InvalidInput`, as is a larger file; see [`crate::jail`]).
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    fn is_dir(&self, path: &Path) -> bool;
    /// The `*.access` entries directly in `dir` that are not directories,
    /// sorted (symlinks among them are resolved, and judged, by the loader).
    fn access_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
    /// `path` with every symlink resolved.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
    /// [`FileSystem::read`], as text where the file system holds it as
    /// text already (an open buffer, or a file read before and unchanged).
    fn read_contents(&self, path: &Path) -> io::Result<Contents> {
        self.read(path).map(Contents::Bytes)
    }
}

/// A file's contents: bytes, or text known to be UTF-8 (shared with the
/// file system that holds it).
#[derive(Debug, Clone)]
pub enum Contents {
    Bytes(Vec<u8>),
    Text(Arc<str>),
}

/// The real file system.
pub struct RealFs;

impl FileSystem for RealFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        crate::jail::read_regular(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn access_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let p = entry?.path();
            if p.extension().is_some_and(|e| e == "access") && !p.is_dir() {
                out.push(p);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// How far a program may reach.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Let `use`, `org from` and `from json` name files outside the
    /// program's directory (absolute paths, `..`, symlinks out). Only
    /// regular files are read all the same, and at most [`MAX_FILE_BYTES`].
    pub allow_outside_root: bool,
}

/// A JSON file named by `org from` or `policy … from json`.
#[derive(Debug, Clone)]
pub enum External {
    Loaded(FileId),
    Failed(String),
}

/// Every source of one compilation, parsed.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub sources: SourceMap,
    /// User modules first (in path order), then used files, then std
    /// modules. Shared: the language server reuses the module of a file
    /// that did not change.
    pub modules: Vec<Arc<Module>>,
    /// Which std module each module is, if any (`guards` for `std::guards`).
    pub std_name: HashMap<FileId, String>,
    /// JSON files, keyed by the span of the string that names them.
    pub externals: HashMap<Span, External>,
    /// Parse and load diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// The files of the program itself (not std, not `use`d files).
    pub roots: Vec<FileId>,
    /// The path each root was read from, when it was read from disk: a
    /// name in `sources` is for display and may have lost bytes of the
    /// path that are not UTF-8.
    pub root_paths: HashMap<FileId, PathBuf>,
    /// The `*.access` entries of the program's directory that were not read
    /// (a symlink out of it, a FIFO, …): empty files whose A104 is in
    /// `diagnostics`.
    pub refused: Vec<FileId>,
}

/// The standard library: module name → source.
pub const STD_MODULES: &[(&str, &str)] = &[
    ("guards", include_str!("../../../stdlib/guards.access")),
    (
        "functions",
        include_str!("../../../stdlib/functions.access"),
    ),
];

/// Display name of a std module's file.
pub fn std_file_name(module: &str) -> String {
    format!("<std>/{module}.access")
}

impl Program {
    fn add_text(&mut self, name: String, contents: Contents, parser: &mut dyn ParseFile) -> FileId {
        let bytes = match contents {
            Contents::Text(text) => return self.sources.add_shared(parser.source(name, text)),
            Contents::Bytes(bytes) => bytes,
        };
        match String::from_utf8(bytes) {
            Ok(text) => self.sources.add_shared(parser.source(name, text.into())),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let bad = e.as_bytes().get(at).copied().unwrap_or(0);
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                // The lossy text has the same prefix, so `at` is still valid there.
                let id = self.sources.add(SourceFile::new(name, text));
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::NotUtf8,
                        Span::new(id, at, at + 1),
                        format!("file is not valid UTF-8 (byte 0x{bad:02x})"),
                    )
                    .with_help("save the file as UTF-8"),
                );
                id
            }
        }
    }

    fn parse_added(&mut self, id: FileId, parser: &mut dyn ParseFile) -> usize {
        let file = self.sources.get(id);
        let (name, text) = (file.name.clone(), file.text.clone());
        let (module, diags) = parser.parse(id, &name, &text);
        self.diagnostics.extend(diags);
        self.modules.push(module);
        self.modules.len() - 1
    }
}

/// How [`load_with`] parses each file: [`parse_file`] itself, or (in the
/// language server) a cache that returns the module of a file whose text has
/// not changed since the last load.
pub trait ParseFile {
    /// Parse `text`, the file `name`, as file `file` of the program; the
    /// result must be what [`parse_file`] returns for the same arguments.
    fn parse(
        &mut self,
        file: FileId,
        name: &str,
        text: &Arc<str>,
    ) -> (Arc<Module>, Vec<Diagnostic>);

    /// The source file `name` with text `text`: what [`SourceFile::new`]
    /// makes (the language server returns the one it made last time for
    /// the same name and text).
    fn source(&mut self, name: String, text: Arc<str>) -> Arc<SourceFile> {
        Arc::new(SourceFile::new(name, text))
    }
}

/// Every file parsed afresh.
pub struct FreshParse;

impl ParseFile for FreshParse {
    fn parse(
        &mut self,
        file: FileId,
        _name: &str,
        text: &Arc<str>,
    ) -> (Arc<Module>, Vec<Diagnostic>) {
        let (module, diags) = parse_file(file, text);
        (Arc::new(module), diags)
    }
}

/// Load a program from files in memory: `(name, text)` pairs, every one a root.
/// Paths named inside resolve against `base` through `fs`, and `base` is the
/// program's directory (its jail).
pub fn load_texts(fs: &dyn FileSystem, base: &Path, files: Vec<(String, String)>) -> Program {
    let mut prog = Program::default();
    for (name, text) in files {
        let id = prog.sources.add(SourceFile::new(name, text));
        prog.roots.push(id);
        prog.parse_added(id, &mut FreshParse);
    }
    let jail = Jail::new(base, false, |p| fs.canonicalize(p));
    resolve_references(fs, &mut prog, base, &jail, &mut FreshParse);
    prog
}

/// Load the program at `path` (a file or a directory). Errors only when the
/// path itself cannot be read; everything else becomes a diagnostic.
pub fn load(fs: &dyn FileSystem, path: &Path) -> io::Result<Program> {
    load_with(fs, path, &LoadOptions::default(), &mut FreshParse)
}

/// [`load`], with options.
pub fn load_with_options(
    fs: &dyn FileSystem,
    path: &Path,
    opts: &LoadOptions,
) -> io::Result<Program> {
    load_with(fs, path, opts, &mut FreshParse)
}

/// [`load`], with every file parsed through `parser`: the same program, but
/// the language server reuses the modules of unchanged files.
///
/// The program's directory is `path` (a directory) or the directory of
/// `path` (a file): see [`crate::jail`] for what the program may read.
pub fn load_with(
    fs: &dyn FileSystem,
    path: &Path,
    opts: &LoadOptions,
    parser: &mut dyn ParseFile,
) -> io::Result<Program> {
    let mut prog = Program::default();
    let canonicalize = |p: &Path| fs.canonicalize(p);
    if fs.is_dir(path) {
        let jail = Jail::new(path, opts.allow_outside_root, canonicalize);
        for f in fs.access_files(path)? {
            let name = f.display().to_string();
            let read = match jail.admit_entry(&f, canonicalize) {
                // A dangling symlink (an editor's lock file, `.#main.access`).
                Err(Refusal::Io(e)) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(why) => Err(why.to_string()),
                Ok(canonical) => match fs.read_contents(&canonical) {
                    Ok(bytes) => Ok(bytes),
                    Err(e) if e.kind() == io::ErrorKind::InvalidInput => Err(e.to_string()),
                    Err(e) => return Err(e),
                },
            };
            match read {
                Ok(contents) => {
                    let id = prog.add_text(name, contents, parser);
                    prog.roots.push(id);
                    prog.root_paths.insert(id, f.clone());
                    prog.parse_added(id, parser);
                }
                Err(why) => {
                    // Not part of the program: reported on an empty file of its name.
                    let id = prog.sources.add(SourceFile::new(name, ""));
                    prog.refused.push(id);
                    prog.diagnostics.push(
                        Diagnostic::new(Code::UnreadableFile, Span::new(id, 0, 0), format!("this file is not read: {why}"))
                            .with_help("every `*.access` file of a program's directory must be a regular file inside it"),
                    );
                }
            }
        }
        resolve_references(fs, &mut prog, path, &jail, parser);
    } else {
        // The file the command line names: read whatever its directory, but
        // only if it is a regular file, and bounded.
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let jail = Jail::new(&base, opts.allow_outside_root, canonicalize);
        let contents = fs.read_contents(path)?;
        let id = prog.add_text(path.display().to_string(), contents, parser);
        prog.roots.push(id);
        prog.root_paths.insert(id, path.to_path_buf());
        prog.parse_added(id, parser);
        resolve_references(fs, &mut prog, &base, &jail, parser);
    }
    Ok(prog)
}

/// The A104 for a path a program names and may not (or cannot) read.
fn unreadable(s: &crate::ast::Str, why: &dyn std::fmt::Display, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnreadableFile,
        s.span,
        format!("cannot read `{}`: {why}", s.value),
    )
    .with_help(help)
}

/// Load `use`d files and std modules (transitively) and the JSON files named
/// by `org from` / `from json`, each through `jail`.
fn resolve_references(
    fs: &dyn FileSystem,
    prog: &mut Program,
    base: &Path,
    jail: &Jail,
    parser: &mut dyn ParseFile,
) {
    const RELATIVE: &str = "the path is relative to the directory of this file";
    const INSIDE: &str = "a program reads only regular files inside its own directory";
    let canonicalize = |p: &Path| fs.canonicalize(p);
    let mut seen_files: HashMap<PathBuf, FileId> = HashMap::new();
    let mut seen_json: HashMap<PathBuf, External> = HashMap::new();
    let mut i = 0;
    // Modules are appended while they are read: walk by index, to the end.
    while let Some(module) = prog.modules.get(i) {
        let file = module.file;
        let mut uses = Vec::new();
        let mut jsons = Vec::new();
        for item in &module.items {
            match &item.kind {
                ItemKind::Use(u) => uses.push(u.clone()),
                ItemKind::Org(OrgDecl::From(s)) => jsons.push(s.clone()),
                ItemKind::Policy(p) => {
                    if let PolicyBody::FromJson(s) = &p.body {
                        jsons.push(s.clone())
                    }
                }
                _ => {}
            }
        }
        let dir = dir_of(prog, file, base);
        for u in uses {
            match u {
                Use::Std { module, .. } => {
                    let name = std_file_name(&module.name);
                    if prog.sources.find(&name).is_some() {
                        continue;
                    }
                    if let Some((_, text)) = STD_MODULES.iter().find(|(m, _)| *m == module.name) {
                        let id = prog.sources.add(SourceFile::new(name, *text));
                        prog.std_name.insert(id, module.name.clone());
                        prog.parse_added(id, parser);
                    }
                    // An unknown module is reported by the checker (A102).
                }
                Use::File(s) => {
                    let path = dir.join(&s.value);
                    let key = match jail.resolve(&s.value, &path, canonicalize) {
                        Ok(key) => key,
                        Err(why) => {
                            let help = if why.is_root_rule() { INSIDE } else { RELATIVE };
                            prog.diagnostics.push(unreadable(&s, &why, help));
                            continue;
                        }
                    };
                    if Path::new(&s.value)
                        .extension()
                        .is_none_or(|e| e != "access")
                    {
                        prog.diagnostics.push(
                            Diagnostic::new(
                                Code::UseOfNonAccessFile,
                                s.span,
                                format!("`use` loads `.access` files; `{}` is not one", s.value),
                            )
                            .with_help("JSON is read with `org from \"…\"` or `policy NAME from json \"…\"`"),
                        );
                        continue;
                    }
                    if seen_files.contains_key(&key) {
                        continue;
                    }
                    if prog.sources.files().any(|(_, f)| {
                        fs.canonicalize(Path::new(&f.name)).ok().as_ref() == Some(&key)
                    }) {
                        continue;
                    }
                    match fs.read_contents(&key) {
                        Ok(contents) => {
                            let id = prog.add_text(path.display().to_string(), contents, parser);
                            seen_files.insert(key, id);
                            prog.parse_added(id, parser);
                        }
                        Err(e) => prog.diagnostics.push(unreadable(&s, &e, INSIDE)),
                    }
                }
            }
        }
        for s in jsons {
            let path = dir.join(&s.value);
            let ext = match jail.resolve(&s.value, &path, canonicalize) {
                Err(why) => External::Failed(why.to_string()),
                // Read once, however many names (or symlinks) lead to it.
                Ok(key) => match seen_json.get(&key) {
                    Some(ext) => ext.clone(),
                    None => {
                        let text = match fs.read_contents(&key) {
                            Ok(Contents::Text(text)) => Ok(text),
                            Ok(Contents::Bytes(bytes)) => String::from_utf8(bytes)
                                .map(Arc::from)
                                .map_err(|_| "the file is not valid UTF-8".to_string()),
                            Err(e) => Err(e.to_string()),
                        };
                        let ext = match text {
                            Ok(text) => {
                                let name = path.display().to_string();
                                let id = match prog.sources.find(&name) {
                                    Some(id) => id,
                                    None => prog.sources.add_shared(parser.source(name, text)),
                                };
                                External::Loaded(id)
                            }
                            Err(why) => External::Failed(why),
                        };
                        seen_json.insert(key, ext.clone());
                        ext
                    }
                },
            };
            prog.externals.insert(s.span, ext);
        }
        i += 1;
    }
}

fn dir_of(prog: &Program, file: FileId, base: &Path) -> PathBuf {
    if prog.std_name.contains_key(&file) {
        return base.to_path_buf();
    }
    let name = &prog.sources.get(file).name;
    match Path::new(name).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        Some(_) => base.to_path_buf(),
        None => base.to_path_buf(),
    }
}
