//! The output directory is a jail: `accessc build -o DIR` never writes,
//! replaces or removes anything outside DIR, whatever DIR already holds
//! (links at temporary or output names, a tampered manifest, a link as DIR
//! or as a target's folder); two builds into one DIR never mix; a stopped
//! build is marked and cleaned up by the next. `fmt` and `org snapshot`
//! replace files without writing through links. Every test performs the
//! attack and compares everything outside the jail, byte for byte, before
//! and after.

#![cfg(unix)]

#[path = "support/peers.rs"]
mod peers;

#[path = "support/aws.rs"]
mod aws_support;

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn accessc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accessc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run accessc")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn build(src: &Path, target: &str, out: &Path) -> Output {
    accessc(&[
        "build",
        s(src),
        "--target",
        target,
        "-o",
        s(out),
        "--today",
        "2026-11-28",
    ])
}

/// A clean build: exit 0, no warning, no panic.
fn assert_ok(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
}

/// Exit `code` (1 or 2), never a panic, with `says` in the one-line error.
fn assert_refused(o: &Output, code: i32, says: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(says), "expected `{says}` in: {err}");
}

/// A small program; `name` names its function, so two names give two
/// different sets of output files.
fn program(name: &str) -> String {
    format!(
        "org {{\n  management \"999999999999\"\n  ou W \"ou-ab12-11111111\" {{ account a \"111111111111\" }}\n  account management \"999999999999\"\n}}\ngroup g\nfunction {name} {{\n  session 2h\n  boundary PowerUserAccess\n}}\ngrant {name} to g on W\n"
    )
}

/// One thing in a tree, as seen without following links.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Node {
    File(Vec<u8>, u32),
    Link(PathBuf),
    Dir(u32),
    Other,
}

/// Everything under `root` (links not followed), except what is under
/// `skip` when `skip` is a real directory (the jail: its contents may
/// change; a link at `skip` is recorded like any other).
fn snapshot(root: &Path, skip: Option<&Path>) -> BTreeMap<PathBuf, Node> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            let meta = std::fs::symlink_metadata(&p).expect("lstat");
            let rel = p.strip_prefix(root).expect("under root").to_path_buf();
            let mode = meta.permissions().mode();
            let node = if meta.file_type().is_symlink() {
                Node::Link(std::fs::read_link(&p).expect("readlink"))
            } else if meta.is_dir() {
                if Some(p.as_path()) != skip {
                    stack.push(p.clone());
                } else {
                    continue;
                }
                Node::Dir(mode)
            } else if meta.is_file() {
                Node::File(std::fs::read(&p).expect("read"), mode)
            } else {
                Node::Other
            };
            out.insert(rel, node);
        }
    }
    out
}

/// Every regular file under `dir`, relative path → bytes (links and
/// directories listed by kind).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Node> {
    snapshot(dir, None)
        .into_iter()
        .filter(|(_, n)| !matches!(n, Node::Dir(_)))
        .map(|(p, n)| match n {
            Node::File(b, _) => (p, Node::File(b, 0)),
            n => (p, n),
        })
        .collect()
}

/// A temporary world: `src/` holds a program, `outside/` the files an
/// attacker wants written or removed, `out` is the jail.
struct Scene {
    tmp: tempfile::TempDir,
}

impl Scene {
    fn new(name: &str) -> Scene {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path();
        std::fs::create_dir(root.join("src")).expect("mkdir");
        std::fs::write(root.join("src/main.access"), program(name)).expect("write");
        std::fs::create_dir_all(root.join("outside/d")).expect("mkdir");
        std::fs::write(root.join("outside/secret.txt"), "secret\n").expect("write");
        std::fs::write(root.join("outside/c"), "c\n").expect("write");
        for f in [
            "accessc.ir.json",
            "main.tf",
            "DEPLOY.md",
            ".accessc-manifest",
        ] {
            std::fs::write(root.join("outside/d").join(f), format!("theirs: {f}\n"))
                .expect("write");
        }
        std::fs::write(root.join("x"), "x\n").expect("write");
        Scene { tmp }
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn src(&self) -> PathBuf {
        self.root().join("src")
    }

    fn out(&self) -> PathBuf {
        self.root().join("out")
    }

    fn outside(&self) -> PathBuf {
        self.root().join("outside")
    }

    /// Everything but the jail's contents.
    fn world(&self) -> BTreeMap<PathBuf, Node> {
        snapshot(self.root(), Some(&self.out()))
    }

    fn build(&self, target: &str) -> Output {
        build(&self.src(), target, &self.out())
    }
}

/// The files a build of `program(name)` for `target` writes into a fresh
/// directory.
fn fresh(name: &str, target: &str) -> BTreeMap<PathBuf, Node> {
    let scene = Scene::new(name);
    assert_ok(&scene.build(target));
    tree(&scene.out())
}

fn manifest_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(accessc_core::output::MANIFEST)).expect("manifest")
}

fn write_manifest(dir: &Path, lines: &[&str]) {
    let mut text =
        "# files written by accessc build; it replaces and removes only these\n".to_string();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(dir.join(accessc_core::output::MANIFEST), text).expect("write manifest");
}

#[test]
fn links_at_temporary_names_are_never_written_through() {
    let scene = Scene::new("F");
    assert_ok(&scene.build("ir,cfn,terraform"));
    // The program changes, so every file is written again; every name a
    // temporary ever had (and the manifest's) is a link out of the jail.
    std::fs::write(
        scene.src().join("main.access"),
        program("F").replace("2h", "3h"),
    )
    .expect("write");
    let secret = scene.outside().join("secret.txt");
    for (folder, names) in [
        ("ir", &["accessc.ir.json"][..]),
        ("cfn", &["DEPLOY.md", "permission-sets.template.yaml"][..]),
        ("cfn/templates", &["permission-sets.template.yaml"][..]),
        ("terraform", &["main.tf", "versions.tf"][..]),
    ] {
        let dir = scene.out().join(folder);
        for n in names {
            symlink(&secret, dir.join(format!(".{n}.accessc-tmp"))).expect("link");
        }
        symlink(&secret, dir.join(".accessc-manifest.tmp")).expect("link");
        symlink(&secret, dir.join(".accessc-lock")).expect("link");
        for i in 0..8 {
            symlink(&secret, dir.join(format!(".accessc-{i:06}.tmp"))).expect("link");
        }
    }
    let before = scene.world();
    let o = scene.build("ir,cfn,terraform");
    assert_ok(&o);
    assert_eq!(scene.world(), before, "nothing outside the jail changed");
    assert_eq!(std::fs::read(&secret).expect("secret"), b"secret\n");
    // The planted temporaries are gone (the links, not their targets); the
    // output is exactly a fresh build's.
    let want = {
        let other = Scene::new("F");
        std::fs::write(
            other.src().join("main.access"),
            program("F").replace("2h", "3h"),
        )
        .expect("write");
        assert_ok(&other.build("ir,cfn,terraform"));
        tree(&other.out())
    };
    let mut got = tree(&scene.out());
    for folder in ["ir", "cfn", "cfn/templates", "terraform"] {
        got.remove(&PathBuf::from(folder).join(".accessc-lock"));
    }
    assert_eq!(got, want);
}

#[test]
fn a_link_at_an_output_name_is_replaced_or_refused_never_followed() {
    // Not in the manifest: a foreign entry, refused.
    let scene = Scene::new("F");
    std::fs::create_dir(scene.out()).expect("mkdir");
    symlink(
        scene.outside().join("secret.txt"),
        scene.out().join("accessc.ir.json"),
    )
    .expect("link");
    let before = scene.world();
    let o = scene.build("ir");
    assert_refused(&o, 2, "was not written by accessc");
    assert_eq!(scene.world(), before);
    assert!(
        std::fs::symlink_metadata(scene.out().join("accessc.ir.json"))
            .expect("lstat")
            .file_type()
            .is_symlink()
    );

    // Listed in a (tampered) manifest, and a dangling link too: the links
    // themselves are replaced by the build's files.
    let scene = Scene::new("F");
    std::fs::create_dir(scene.out()).expect("mkdir");
    symlink(
        scene.outside().join("secret.txt"),
        scene.out().join("main.tf"),
    )
    .expect("link");
    symlink(
        scene.outside().join("new.tf"),
        scene.out().join("versions.tf"),
    )
    .expect("link");
    write_manifest(&scene.out(), &["main.tf", "versions.tf"]);
    let before = scene.world();
    assert_ok(&scene.build("terraform"));
    assert_eq!(scene.world(), before);
    assert!(!scene.outside().join("new.tf").exists());
    assert_eq!(tree(&scene.out()), fresh("F", "terraform"));
}

#[test]
fn a_link_as_the_output_directory_is_refused() {
    // To a directory of foreign files, and to an empty one.
    for to in ["d", "empty"] {
        let scene = Scene::new("F");
        std::fs::create_dir_all(scene.outside().join(to)).expect("mkdir");
        symlink(scene.outside().join(to), scene.out()).expect("link");
        for target in ["ir", "cfn", "terraform", "ir,cfn,terraform"] {
            let before = scene.world();
            let o = scene.build(target);
            assert_refused(&o, 2, "is a symbolic link");
            assert_eq!(scene.world(), before, "{target}");
            // `out/` and `out/.` name the link's target: still refused.
            for spelled in ["out/", "out/.", "out//"] {
                let o = build(&scene.src(), target, &scene.root().join(spelled));
                assert_refused(&o, 2, "is a symbolic link");
                assert_eq!(scene.world(), before, "{target} -o {spelled}");
            }
        }
    }
    // A dangling link: nothing is created where it points.
    let scene = Scene::new("F");
    symlink(scene.outside().join("new"), scene.out()).expect("link");
    let before = scene.world();
    assert_refused(&scene.build("cfn"), 2, "is a symbolic link");
    assert_refused(&scene.build("ir,terraform"), 2, "is a symbolic link");
    assert_eq!(scene.world(), before);
    assert!(!scene.outside().join("new").exists());
}

#[test]
fn a_link_as_a_target_folder_is_refused() {
    for folder in ["cfn", "ir", "terraform"] {
        let scene = Scene::new("F");
        std::fs::create_dir(scene.out()).expect("mkdir");
        symlink(scene.outside().join("d"), scene.out().join(folder)).expect("link");
        let before = scene.world();
        let o = scene.build("ir,cfn,terraform");
        assert_refused(&o, 2, "is a symbolic link");
        assert!(
            stderr(&o).contains(&format!("out/{folder}")),
            "{}",
            stderr(&o)
        );
        assert_eq!(scene.world(), before, "{folder}");
        // Nothing was written into the other folders either.
        assert!(tree(&scene.out())
            .iter()
            .all(|(_, n)| matches!(n, Node::Link(_))));
    }
}

#[test]
fn a_link_as_the_templates_folder_is_refused() {
    for (target, cfn) in [("cfn", ""), ("ir,cfn,terraform", "cfn")] {
        for to in ["d", "new"] {
            let scene = Scene::new("F");
            let dir = scene.out().join(cfn);
            std::fs::create_dir_all(&dir).expect("mkdir");
            symlink(scene.outside().join(to), dir.join("templates")).expect("link");
            let before = scene.world();
            let o = scene.build(target);
            assert_refused(&o, 2, "is a symbolic link");
            assert!(stderr(&o).contains("templates"), "{}", stderr(&o));
            assert_eq!(scene.world(), before, "{target} -> {to}");
            assert!(!scene.outside().join("new").exists());
            // Nothing was written anywhere in the jail.
            assert!(
                tree(&scene.out())
                    .iter()
                    .all(|(_, n)| matches!(n, Node::Link(_))),
                "{target}"
            );
        }
    }
    // A file where the folder goes: refused, left alone.
    let scene = Scene::new("F");
    std::fs::create_dir(scene.out()).expect("mkdir");
    std::fs::write(scene.out().join("templates"), "mine\n").expect("write");
    assert_refused(&scene.build("cfn"), 2, "not a directory");
    assert_eq!(
        std::fs::read(scene.out().join("templates")).expect("read"),
        b"mine\n"
    );
}

/// An output folder of a build that wrote the templates beside the deploy
/// order (its manifest lists them there) becomes exactly a fresh build's:
/// the old templates are removed through the manifest, and a foreign
/// template there is left alone.
#[test]
fn an_old_cfn_output_folder_converges() {
    for format in ["yaml", "json"] {
        let scene = Scene::new("F");
        let out = scene.out();
        let args = |out: &Path| {
            accessc(&[
                "build",
                s(&scene.src()),
                "--target",
                "cfn",
                "--format",
                format,
                "-o",
                s(out),
                "--today",
                "2026-11-28",
            ])
        };
        assert_ok(&args(&out));
        let want = tree(&out);
        // The old layout: every template at the root, in the root's manifest.
        let templates = out.join("templates");
        let mut lines = vec!["DEPLOY.md".to_string(), "deploy-order.json".to_string()];
        for e in std::fs::read_dir(&templates).expect("templates") {
            let name = e.expect("entry").file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            std::fs::rename(templates.join(&name), out.join(&name)).expect("move");
            lines.push(name);
        }
        assert!(lines.len() > 2);
        std::fs::remove_dir_all(&templates).expect("rm");
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        write_manifest(&out, &lines);
        let foreign = format!("mine.template.{format}");
        std::fs::write(out.join(&foreign), "mine\n").expect("write");
        let before = scene.world();
        let o = args(&out);
        assert_ok(&o);
        assert!(stderr(&o).contains("removed"), "{}", stderr(&o));
        assert_eq!(scene.world(), before);
        let mut got = tree(&out);
        assert_eq!(
            got.remove(&PathBuf::from(&foreign)),
            Some(Node::File(b"mine\n".to_vec(), 0))
        );
        assert_eq!(got, want, "{format}");
        // The next build changes nothing.
        let o = args(&out);
        assert_ok(&o);
        assert_eq!(
            stderr(&o).matches("wrote 0 file(s)").count(),
            2,
            "{}",
            stderr(&o)
        );
        let mut again = tree(&out);
        again.remove(&PathBuf::from(&foreign));
        assert_eq!(again, want, "{format}");
    }
}

#[test]
fn manifest_entries_out_of_the_jail_are_ignored() {
    let scene = Scene::new("F");
    std::fs::create_dir(scene.out()).expect("mkdir");
    // `evil` leads out of the jail, so `evil/c` is `outside/c`.
    symlink(scene.outside(), scene.out().join("evil")).expect("link");
    let abs = scene.outside().join("secret.txt");
    write_manifest(
        &scene.out(),
        &[
            "../x",
            s(&abs),
            "evil/c",
            "evil",
            "..",
            ".",
            "",
            "main.tf/../../x",
            "a\u{1b}[2J.tf",
            ".accessc-manifest",
        ],
    );
    let before = scene.world();
    let o = scene.build("terraform");
    assert_ok(&o);
    let err = stderr(&o);
    assert!(err.contains("warning:"), "{err}");
    assert!(err.contains("`../x`") && err.contains("`evil/c`"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "control characters are escaped: {err}"
    );
    assert_eq!(scene.world(), before);
    assert_eq!(std::fs::read(scene.root().join("x")).expect("x"), b"x\n");
    assert_eq!(std::fs::read(scene.outside().join("c")).expect("c"), b"c\n");
    assert_eq!(std::fs::read(&abs).expect("secret"), b"secret\n");
    // The link `evil` is not a file of this target: left alone too.
    assert!(std::fs::symlink_metadata(scene.out().join("evil"))
        .expect("evil")
        .file_type()
        .is_symlink());
    // The refused entries are not carried into the new manifest.
    let m = manifest_of(&scene.out());
    assert!(!m.contains("evil") && !m.contains(".."), "{m}");
    assert_ok(&scene.build("terraform"));
}

#[test]
fn a_directory_entry_in_the_manifest_never_fails_a_build() {
    let scene = Scene::new("F");
    std::fs::create_dir_all(scene.out().join("old.tf")).expect("mkdir");
    std::fs::write(scene.out().join("old.tf/keep"), "keep\n").expect("write");
    write_manifest(&scene.out(), &["old.tf"]);
    let before = scene.world();
    for _ in 0..2 {
        let o = scene.build("terraform");
        assert_ok(&o);
        assert_eq!(scene.world(), before);
    }
    assert_eq!(
        std::fs::read(scene.out().join("old.tf/keep")).expect("keep"),
        b"keep\n"
    );
    // A directory where the build writes a file: one clear error, every time.
    let scene = Scene::new("F");
    std::fs::create_dir_all(scene.out().join("main.tf")).expect("mkdir");
    write_manifest(&scene.out(), &["main.tf"]);
    let o = scene.build("terraform");
    assert_refused(&o, 2, "is a directory");
    // And a directory as the manifest itself.
    let scene = Scene::new("F");
    std::fs::create_dir_all(scene.out().join(accessc_core::output::MANIFEST)).expect("mkdir");
    let o = scene.build("ir");
    assert_refused(&o, 2, "not a regular file");
}

#[test]
fn a_manifest_that_is_a_link_or_huge_is_not_read() {
    let scene = Scene::new("F");
    std::fs::create_dir(scene.out()).expect("mkdir");
    // A link to a "manifest" naming the outside's files: ignored, replaced.
    std::fs::write(scene.outside().join("list"), "secret.txt\nc\n").expect("write");
    symlink(
        scene.outside().join("list"),
        scene.out().join(accessc_core::output::MANIFEST),
    )
    .expect("link");
    let before = scene.world();
    let o = scene.build("ir");
    assert_ok(&o);
    assert!(stderr(&o).contains("is a symbolic link"), "{}", stderr(&o));
    assert_eq!(scene.world(), before);
    assert_eq!(tree(&scene.out()), fresh("F", "ir"));
    // A link to an endless file: not read.
    let scene = Scene::new("F");
    std::fs::create_dir(scene.out()).expect("mkdir");
    symlink(
        "/dev/zero",
        scene.out().join(accessc_core::output::MANIFEST),
    )
    .expect("link");
    assert_ok(&scene.build("ir"));
}

#[test]
fn concurrent_builds_into_one_directory_never_mix() {
    let a = fresh("Alpha", "ir,cfn,terraform");
    let b = fresh("Beta", "ir,cfn,terraform");
    assert_ne!(a, b);
    let scene = Scene::new("Alpha");
    let other = scene.root().join("src-b");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("main.access"), program("Beta")).expect("write");
    for round in 0..4 {
        let before = scene.world();
        let spawn = |src: &Path| {
            Command::new(env!("CARGO_BIN_EXE_accessc"))
                .args([
                    "build",
                    s(src),
                    "--target",
                    "ir,cfn,terraform",
                    "-o",
                    s(&scene.out()),
                    "--today",
                    "2026-11-28",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        };
        let (first, second) = if round % 2 == 0 {
            (scene.src(), other.clone())
        } else {
            (other.clone(), scene.src())
        };
        let p1 = spawn(&first);
        let p2 = spawn(&second);
        let o1 = p1.wait_with_output().expect("wait");
        let o2 = p2.wait_with_output().expect("wait");
        assert_ok(&o1);
        assert_ok(&o2);
        assert_eq!(scene.world(), before);
        let got = tree(&scene.out());
        assert!(
            got == a || got == b,
            "round {round}: the output is a mix of two builds: {:?}",
            got.keys().collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_second_build_waits_for_the_first() {
    let scene = Scene::new("F");
    std::fs::create_dir(scene.out()).expect("mkdir");
    // This test holds the directory as a running build would.
    let lock = accessc_core::output::lock_dir(&scene.out(), &mut |_| {}).expect("lock");
    let mut child = Command::new(env!("CARGO_BIN_EXE_accessc"))
        .args([
            "build",
            s(&scene.src()),
            "--target",
            "ir",
            "-o",
            s(&scene.out()),
            "--today",
            "2026-11-28",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the build did not wait"
    );
    assert!(tree(&scene.out()).is_empty(), "it wrote while locked out");
    drop(lock);
    let o = child.wait_with_output().expect("wait");
    assert_ok(&o);
    assert!(
        stderr(&o).contains("waiting for another accessc build"),
        "{}",
        stderr(&o)
    );
    assert_eq!(tree(&scene.out()), fresh("F", "ir"));
}

#[test]
fn a_stopped_build_is_marked_and_the_next_one_cleans_up() {
    let scene = Scene::new("Alpha");
    assert_ok(&scene.build("terraform"));
    assert!(manifest_of(&scene.out())
        .lines()
        .any(|l| l == accessc_core::output::STATE_COMPLETE));
    // A build of another program, stopped mid-way: its manifest claims both
    // programs' names and says `incomplete`, one file is new, and its
    // temporaries are left (one of them a link out of the jail).
    let dir = scene.out();
    let mut claimed: Vec<String> = tree(&dir)
        .keys()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    claimed.push("extra.tf".to_string());
    let mut lines = vec![accessc_core::output::STATE_INCOMPLETE];
    lines.extend(claimed.iter().map(String::as_str));
    write_manifest(&dir, &lines);
    std::fs::write(dir.join("extra.tf"), "# half a build\n").expect("write");
    std::fs::write(dir.join(".accessc-a1b2c3.tmp"), "# partial").expect("write");
    std::fs::write(dir.join(".main.tf.accessc-tmp"), "# partial").expect("write");
    symlink(
        scene.outside().join("secret.txt"),
        dir.join(".accessc-manifest.tmp"),
    )
    .expect("link");
    // A reader sees the marker.
    assert!(manifest_of(&dir).contains("# state: incomplete"));
    std::fs::write(scene.src().join("main.access"), program("Beta")).expect("write");
    let before = scene.world();
    let o = scene.build("terraform");
    assert_ok(&o);
    assert!(
        stderr(&o).contains("stopped before it finished"),
        "{}",
        stderr(&o)
    );
    assert_eq!(scene.world(), before);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.ends_with(".tmp") && !n.ends_with("-tmp")),
        "stray temporaries: {names:?}"
    );
    assert_eq!(tree(&dir), fresh("Beta", "terraform"));
    assert!(manifest_of(&dir)
        .lines()
        .any(|l| l == accessc_core::output::STATE_COMPLETE));
}

#[test]
fn fmt_never_writes_through_a_link_out_of_the_program() {
    let scene = Scene::new("F");
    let unformatted = "group   g\n";
    let victim = scene.outside().join("victim.access");
    std::fs::write(&victim, unformatted).expect("write");
    symlink(&victim, scene.src().join("linked.access")).expect("link");
    let before = snapshot(&scene.outside(), None);
    for path in [scene.src(), scene.src().join("linked.access")] {
        let o = accessc(&["fmt", s(&path)]);
        let err = stderr(&o);
        assert!(matches!(o.status.code(), Some(1 | 2)), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(snapshot(&scene.outside(), None), before);
        assert_eq!(
            std::fs::read_to_string(&victim).expect("victim"),
            unformatted
        );
    }
}

#[test]
fn fmt_replaces_files_and_follows_links_only_inside_the_program() {
    let scene = Scene::new("F");
    let unformatted = "group   g\n";
    // A hard link: the program's name for an outside file.
    let hard = scene.outside().join("hard.access");
    std::fs::write(&hard, unformatted).expect("write");
    std::fs::hard_link(&hard, scene.src().join("hard.access")).expect("hard link");
    // A link to a file inside the program is followed: its target is rewritten.
    std::fs::create_dir(scene.src().join("sub")).expect("mkdir");
    std::fs::write(scene.src().join("sub/inner.access"), unformatted).expect("write");
    symlink("sub/inner.access", scene.src().join("inner.access")).expect("link");
    let before = snapshot(&scene.outside(), None);
    let o = accessc(&["fmt", s(&scene.src())]);
    assert_ok(&o);
    assert_eq!(snapshot(&scene.outside(), None), before);
    assert_eq!(std::fs::read_to_string(&hard).expect("hard"), unformatted);
    assert_eq!(
        std::fs::read_to_string(scene.src().join("hard.access")).expect("hard"),
        "group g\n"
    );
    assert_eq!(
        std::fs::read_to_string(scene.src().join("sub/inner.access")).expect("inner"),
        "group g\n"
    );
    assert!(std::fs::symlink_metadata(scene.src().join("inner.access"))
        .expect("lstat")
        .file_type()
        .is_symlink());
}

#[test]
fn fmt_keeps_permissions_and_rewrites_a_non_utf8_name_in_place() {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let name = std::ffi::OsStr::from_bytes(b"b\xff.access");
    let file = tmp.path().join(name);
    std::fs::write(&file, "group   g\n").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let o = accessc(&["fmt", s(tmp.path())]);
    assert_ok(&o);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "group g\n");
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, [name.to_os_string()], "no other file was created");
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn replace_file_replaces_a_link_instead_of_writing_through_it() {
    // `org snapshot -o FILE` writes with `replace_file`.
    let scene = Scene::new("F");
    let secret = scene.outside().join("secret.txt");
    let file = scene.src().join("org.json");
    symlink(&secret, &file).expect("link");
    let before = snapshot(&scene.outside(), None);
    accessc_core::output::replace_file(&file, b"{}\n").expect("write");
    assert_eq!(snapshot(&scene.outside(), None), before);
    let meta = std::fs::symlink_metadata(&file).expect("lstat");
    assert!(meta.is_file());
    assert_eq!(std::fs::read(&file).expect("read"), b"{}\n");
    // Nothing else was left beside it.
    let names: Vec<_> = std::fs::read_dir(scene.src())
        .expect("read")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // A directory there: an error, not a panic.
    assert!(accessc_core::output::replace_file(&scene.outside().join("d"), b"x").is_err());
}

#[test]
fn org_snapshot_replaces_a_link_at_its_file_instead_of_writing_through_it() {
    let scene = Scene::new("F");
    let program = scene.root().join("org-matrix");
    aws_support::copy_dir(&peers::root().join("examples/org-matrix"), &program);
    let ir = aws_support::ir_of(&program, "2026-06-01");
    let account = ir
        .org
        .management_account_id
        .clone()
        .unwrap_or_else(|| "123456789012".to_string());
    let moto = aws_support::Moto::start(&account);
    moto.seed_from_ir(&ir, &[]);
    let file = scene.root().join("snap.json");
    symlink(scene.outside().join("secret.txt"), &file).expect("link");
    let before = snapshot(&scene.outside(), None);
    let (_, err) = aws_support::expect(
        &mut aws_support::accessc(
            &moto.url(),
            &["org", "snapshot", s(&program), "-o", s(&file)],
        ),
        0,
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(snapshot(&scene.outside(), None), before);
    let meta = std::fs::symlink_metadata(&file).expect("lstat");
    assert!(meta.is_file(), "the link was replaced by the snapshot");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    assert_eq!(v["format"], "accessc-org/1");
}

/// Every file name each target writes is one its manifest may list.
#[test]
fn every_output_name_is_of_its_target_kinds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for ex in dirs {
        let out = tempfile::tempdir().expect("tmp");
        let o = build(&ex, "ir,cfn,terraform", out.path());
        assert_ok(&o);
        for (folder, kinds) in [
            ("ir", accessc_core::output::Kinds::IR),
            ("cfn", accessc_core::output::Kinds::CFN),
            ("cfn/templates", accessc_core::output::Kinds::CFN_TEMPLATES),
            ("terraform", accessc_core::output::Kinds::TERRAFORM),
        ] {
            let mut files = 0;
            for e in std::fs::read_dir(out.path().join(folder)).expect("folder") {
                let e = e.expect("entry");
                let name = e.file_name().to_string_lossy().into_owned();
                if folder == "cfn" && name == "templates" {
                    assert!(e.file_type().expect("type").is_dir());
                    continue;
                }
                if name.starts_with('.') {
                    continue;
                }
                assert!(kinds.owns(&name), "{}: {folder}/{name}", ex.display());
                // The deploy order never lies among the templates, nor a
                // template beside it.
                assert_eq!(
                    folder == "cfn/templates",
                    accessc_core::emit::cfn::is_template(&name),
                    "{}: {folder}/{name}",
                    ex.display()
                );
                files += 1;
            }
            assert!(files > 0, "{}: {folder} is empty", ex.display());
        }
    }
}

mod property {
    //! For random programs and random pre-existing output directories
    //! (links out of the jail, foreign files, tampered manifests), `build`
    //! changes nothing outside DIR and never panics.

    use super::*;
    use proptest::prelude::*;

    /// Programs that check clean (and one that does not).
    fn programs() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        vec![
            root.join("examples/app-developer"),
            root.join("examples/break-glass"),
            root.join("examples/external-auditor"),
            root.join("examples/secops-responder"),
            root.join("crates/accessc-core/tests/corpus/A202-too-long.access"),
        ]
    }

    const TARGETS: &[&str] = &[
        "ir",
        "cfn",
        "terraform",
        "ir,cfn,terraform",
        "cfn,terraform",
    ];

    /// Names an attacker plants things at.
    const NAMES: &[&str] = &[
        "accessc.ir.json",
        "main.tf",
        "versions.tf",
        "principals.tf",
        "assignments.tf",
        "permission_sets.tf",
        "DEPLOY.md",
        "deploy-order.json",
        "permission-sets.template.yaml",
        ".accessc-manifest",
        ".accessc-manifest.tmp",
        ".main.tf.accessc-tmp",
        ".accessc-lock",
        "ir",
        "cfn",
        "terraform",
        "templates",
        "evil",
        "notes.txt",
    ];

    /// Manifest lines an attacker writes.
    const LINES: &[&str] = &[
        "../x",
        "../outside/secret.txt",
        "evil/c",
        "evil/secret.txt",
        "evil",
        "main.tf",
        "versions.tf",
        "accessc.ir.json",
        "DEPLOY.md",
        "notes.txt",
        "cfn",
        "ir",
        "..",
        "/",
        "# state: incomplete",
    ];

    /// A folder of the jail: itself, or one target's folder.
    type Folder = Option<usize>;

    #[derive(Debug, Clone)]
    enum Plant {
        /// A link to the outside directory, a file in it, or nowhere.
        Link(Folder, usize, u8),
        File(Folder, usize),
        Dir(Folder, usize),
        /// A manifest: the chosen lines, or (`true`) every name and line.
        Manifest(Folder, Vec<usize>, bool),
    }

    fn folder() -> impl Strategy<Value = Folder> {
        prop_oneof![Just(None), (0usize..3).prop_map(Some)]
    }

    /// Mostly the names of output files (the first nine of `NAMES`).
    fn name() -> impl Strategy<Value = usize> {
        prop_oneof![3 => 0usize..9, 1 => 0..NAMES.len()]
    }

    fn plant() -> impl Strategy<Value = Plant> {
        prop_oneof![
            2 => (folder(), name(), 0u8..3).prop_map(|(f, n, t)| Plant::Link(f, n, t)),
            1 => (folder(), name()).prop_map(|(f, n)| Plant::File(f, n)),
            1 => (folder(), name()).prop_map(|(f, n)| Plant::Dir(f, n)),
            1 => (
                folder(),
                prop::collection::vec(0..LINES.len(), 0..6),
                any::<bool>()
            )
                .prop_map(|(f, l, all)| Plant::Manifest(f, l, all)),
        ]
    }

    /// Plants `plants`; then, when `tampered`, a manifest claiming every
    /// name and line in the jail and each target's folder that has none.
    fn apply(scene: &Scene, jail_is_link: bool, plants: &[Plant], tampered: bool) {
        let out = scene.out();
        if jail_is_link {
            symlink(scene.outside().join("d"), &out).expect("link");
            return;
        }
        std::fs::create_dir(&out).expect("mkdir");
        let target = |t: u8| match t {
            0 => scene.outside(),
            1 => scene.outside().join("secret.txt"),
            _ => scene.outside().join("nowhere"),
        };
        // The folder, made a real directory if nothing is there yet; `None`
        // when something else (a link, a file) already is.
        let folder = |f: Folder| -> Option<PathBuf> {
            let dir = match f {
                None => return Some(out.clone()),
                Some(i) => out.join(["ir", "cfn", "terraform"][i]),
            };
            match std::fs::symlink_metadata(&dir) {
                Ok(m) if m.is_dir() => Some(dir),
                Ok(_) => None,
                Err(_) => {
                    std::fs::create_dir(&dir).expect("mkdir");
                    Some(dir)
                }
            }
        };
        // A plant at a name already taken is skipped.
        let free = |p: &Path| std::fs::symlink_metadata(p).is_err();
        for p in plants {
            match p {
                Plant::Link(f, n, t) => {
                    if let Some(dir) = folder(*f) {
                        let _ = symlink(target(*t), dir.join(NAMES[*n]));
                    }
                }
                Plant::File(f, n) => {
                    if let Some(p) = folder(*f).map(|d| d.join(NAMES[*n])).filter(|p| free(p)) {
                        std::fs::write(&p, "foreign\n").expect("write");
                    }
                }
                Plant::Dir(f, n) => {
                    if let Some(p) = folder(*f).map(|d| d.join(NAMES[*n])).filter(|p| free(p)) {
                        std::fs::create_dir(&p).expect("mkdir");
                        std::fs::write(p.join("main.tf"), "foreign\n").expect("write");
                    }
                }
                Plant::Manifest(f, lines, all) => {
                    let Some(dir) = folder(*f) else { continue };
                    if !free(&dir.join(accessc_core::output::MANIFEST)) {
                        continue;
                    }
                    let lines: Vec<&str> = if *all {
                        NAMES.iter().chain(LINES).copied().collect()
                    } else {
                        lines.iter().map(|i| LINES[*i]).collect()
                    };
                    write_manifest(&dir, &lines);
                }
            }
        }
        if tampered {
            for f in [None, Some(0), Some(1), Some(2)] {
                if let Some(dir) = folder(f) {
                    if free(&dir.join(accessc_core::output::MANIFEST)) {
                        let lines: Vec<&str> = NAMES.iter().chain(LINES).copied().collect();
                        write_manifest(&dir, &lines);
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn build_changes_nothing_outside_the_jail(
            program in 0..5usize,
            target in 0..TARGETS.len(),
            jail_is_link in prop::bool::weighted(0.1),
            plants in prop::collection::vec(plant(), 0..10),
            tampered in any::<bool>(),
            twice in any::<bool>(),
        ) {
            let scene = Scene::new("F");
            apply(&scene, jail_is_link, &plants, tampered);
            let before = scene.world();
            let src = &programs()[program];
            let runs = if twice { 2 } else { 1 };
            for _ in 0..runs {
                let o = build(src, TARGETS[target], &scene.out());
                let code = o.status.code();
                prop_assert!(matches!(code, Some(0..=2)), "exit {:?}: {}", code, stderr(&o));
                prop_assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
                prop_assert_eq!(&scene.world(), &before);
            }
        }
    }
}
