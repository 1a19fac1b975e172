//! The main loop: the open documents, the programs they belong to, the
//! scheduling of analyses, and the dispatch of every request.
//!
//! Requests that read a program (hover, definition, references, symbols,
//! code actions) wait until the analysis of the latest edit has arrived, so
//! their answers always match the text the client has; completion and
//! formatting read the document's current text and answer at once.

use super::analysis::{Analysis, Job, Worker};
use super::documents::{
    ChangeError, Changed, Document, Documents, OpenError, MAX_DOCUMENT, MAX_OPEN_TEXT,
};
use super::workspace::{uri_to_path, ProgramKey, ProgramMode, StdFiles};
use super::{completion, convert, edits, hover, navigation, query, symbols};
use accessc_core::check::{Reuse, Today};
use accessc_core::span::SourceFile;
use crossbeam_channel::{select, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    LogMessage, Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    References, RegisterCapability, Request as _, Shutdown,
};
use lsp_types::*;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Settings from `initializationOptions`.
#[derive(Debug, Clone)]
struct Options {
    mode: ProgramMode,
    /// Fixed "today" for A401/A506 (tests); default: the clock, at each check.
    today: Option<Today>,
    /// Log every analysis's timings to stderr (also `ACCESSC_LSP_LOG=1`).
    log: bool,
}

impl Options {
    fn from(init: &Value) -> Options {
        let o = &init["initializationOptions"];
        Options {
            mode: match o["program"].as_str() {
                Some("file") => ProgramMode::File,
                _ => ProgramMode::Directory,
            },
            today: o["today"].as_str().and_then(Today::parse),
            log: o["log"].as_bool().unwrap_or(false)
                || std::env::var_os("ACCESSC_LSP_LOG").is_some_and(|v| v != "0"),
        }
    }
}

#[derive(Default)]
struct ProgramState {
    /// Bumped by every change to the program's input.
    generation: u64,
    analysis: Option<Arc<Analysis>>,
    /// What was last published for each file: version and diagnostics.
    published: HashMap<Uri, (Option<i32>, Vec<lsp_types::Diagnostic>)>,
    /// When the input last changed (for the timing log).
    changed_at: Option<Instant>,
}

struct Server {
    sender: Sender<Message>,
    docs: Documents,
    programs: BTreeMap<ProgramKey, ProgramState>,
    worker: Worker,
    std: StdFiles,
    opts: Options,
    /// Requests waiting for the analysis of their program's latest input.
    deferred: Vec<(ProgramKey, Request)>,
    /// Documents opened or edited since their diagnostics were last
    /// published: published again even when nothing changed.
    fresh: std::collections::HashSet<Uri>,
    shutdown: bool,
    next_id: i32,
    watch_files: bool,
}

/// The capabilities the server announces.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), ".".into(), "/".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

/// Serve one client on `connection` until it exits. Returns whether it asked
/// for shutdown first.
pub fn serve(connection: Connection) -> Result<bool, String> {
    let Some((id, params)) = initialize(&connection) else {
        return Ok(false);
    };
    let opts = Options::from(&params);
    let watch_files = params["capabilities"]["workspace"]["didChangeWatchedFiles"]
        ["dynamicRegistration"]
        .as_bool()
        .unwrap_or(false);
    let result = json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "accessc", "version": env!("CARGO_PKG_VERSION") },
    });
    // `initialized` is handled in the main loop; a client that sends
    // something else first is served all the same.
    let _ = connection.sender.send(Response::new_ok(id, result).into());
    let worker = Worker::spawn().map_err(|e| format!("cannot start the analysis thread: {e}"))?;
    let mut server = Server {
        sender: connection.sender.clone(),
        docs: Documents::default(),
        programs: BTreeMap::new(),
        worker,
        std: StdFiles::install(),
        opts,
        deferred: Vec::new(),
        fresh: Default::default(),
        shutdown: false,
        next_id: 0,
        watch_files,
    };
    loop {
        select! {
            recv(connection.receiver) -> msg => match msg {
                Ok(Message::Notification(n)) if n.method == "exit" => return Ok(server.shutdown),
                Ok(msg) => server.on_message(msg),
                Err(_) => return Ok(server.shutdown),
            },
            recv(server.worker.results) -> a => {
                if let Ok(a) = a {
                    server.on_analysis(a);
                }
            }
        }
    }
}

/// Wait for `initialize`: other requests are refused with
/// `ServerNotInitialized`, notifications and responses dropped, as the
/// protocol says. `None` when the client exits or closes the connection
/// first.
fn initialize(connection: &Connection) -> Option<(RequestId, Value)> {
    loop {
        match connection.receiver.recv().ok()? {
            Message::Request(req) if req.method == "initialize" => {
                return Some((req.id, req.params))
            }
            Message::Request(req) => {
                let _ = connection.sender.send(
                    Response::new_err(
                        req.id,
                        ErrorCode::ServerNotInitialized as i32,
                        format!("`{}` before `initialize`", shown(&req.method)),
                    )
                    .into(),
                );
            }
            Message::Notification(n) if n.method == "exit" => return None,
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

/// At most 200 characters of a text the client sent (a method name, an
/// error quoting its parameters), for a message.
fn shown(name: &str) -> String {
    match name.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &name[..i]),
        None => name.to_string(),
    }
}

/// What the user is told when a document's text may differ from the editor's.
fn out_of_sync(uri: &Uri, why: &str) -> String {
    format!(
        "the text of {} may now differ from the editor's: {why}. Diagnostics and answers may be wrong until the file is opened again or its whole text is sent",
        uri.as_str()
    )
}

/// The `textDocument.uri` of a request's parameters.
fn document_uri(params: &Value) -> Option<Uri> {
    params["textDocument"]["uri"].as_str()?.parse().ok()
}

impl Server {
    fn send(&self, msg: impl Into<Message>) {
        let _ = self.sender.send(msg.into());
    }

    fn respond<R: serde::Serialize>(&self, id: RequestId, result: R) {
        self.send(Response::new_ok(id, result));
    }

    fn fail(&self, id: RequestId, code: ErrorCode, message: impl Into<String>) {
        self.send(Response::new_err(id, code as i32, message.into()));
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params));
    }

    fn log(&self, typ: MessageType, message: String) {
        if self.opts.log {
            eprintln!("accessc lsp: {message}");
        }
        self.notify::<LogMessage>(LogMessageParams { typ, message });
    }

    fn on_message(&mut self, msg: Message) {
        match msg {
            Message::Request(req) => self.on_request(req),
            Message::Notification(n) => self.on_notification(n),
            Message::Response(_) => {}
        }
    }

    // ------------------------------------------------------------------
    // Notifications

    fn on_notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "initialized" => self.register_watchers(),
            DidOpenTextDocument::METHOD => {
                let Some(p) = self.notification_params::<DidOpenTextDocumentParams>(n) else {
                    return;
                };
                let uri = p.text_document.uri;
                let path = uri_to_path(&uri);
                let opened = self.docs.open(Document {
                    uri: uri.clone(),
                    path: path.clone(),
                    version: p.text_document.version,
                    text: p.text_document.text.into(),
                    out_of_sync: None,
                });
                match opened {
                    Ok(was_out) => {
                        if was_out.is_some() {
                            self.log(
                                MessageType::INFO,
                                format!("{}: in sync again (opened again)", uri.as_str()),
                            );
                        }
                        self.fresh.insert(uri.clone());
                        self.changed(&uri, path);
                    }
                    Err(e) => {
                        let why = match e {
                            OpenError::TooLarge { bytes } => format!(
                                "its text of {bytes} bytes is over the limit of {MAX_DOCUMENT} bytes (64 MiB)"
                            ),
                            OpenError::TooMuchOpen { bytes } => format!(
                                "the open documents would hold {bytes} bytes, over the limit of {MAX_OPEN_TEXT} bytes (256 MiB); close some"
                            ),
                        };
                        self.warn_user(format!("did not open {}: {why}", uri.as_str()));
                        // Opened before: the editor's text is now the refused one.
                        self.lose_sync(&uri, "a new open of it was refused".into());
                    }
                }
            }
            DidChangeTextDocument::METHOD => {
                let uri = document_uri(&n.params);
                let Some(p) = self.notification_params::<DidChangeTextDocumentParams>(n) else {
                    // Whatever it changed, the text may now differ.
                    if let Some(uri) = uri {
                        self.lose_sync(&uri, "a change with invalid parameters was ignored".into());
                    }
                    return;
                };
                let uri = p.text_document.uri;
                let version = p.text_document.version;
                match self.docs.change(&uri, version, p.content_changes) {
                    Ok(changed) => self.on_changed(&uri, version, changed),
                    Err(ChangeError::Stale { have, got }) => {
                        self.log(
                            MessageType::WARNING,
                            format!(
                                "ignored a change to {} with version {got}: the document is at version {have} (changes arrived out of order)",
                                uri.as_str()
                            ),
                        );
                        self.lose_sync(
                            &uri,
                            format!("a change with version {got} arrived after version {have} and was ignored"),
                        );
                    }
                    Err(ChangeError::TooLarge { bytes }) => {
                        self.log(
                            MessageType::WARNING,
                            format!(
                                "ignored a change to {}: the text would be {bytes} bytes, over the limit of {MAX_DOCUMENT} bytes (64 MiB)",
                                uri.as_str()
                            ),
                        );
                        self.lose_sync(
                            &uri,
                            format!("a change that would make it {bytes} bytes long was ignored"),
                        );
                    }
                    Err(ChangeError::NotOpen) => self.log(
                        MessageType::WARNING,
                        format!("ignored a change to {}, which is not open", uri.as_str()),
                    ),
                }
            }
            DidCloseTextDocument::METHOD => {
                let Some(p) = self.notification_params::<DidCloseTextDocumentParams>(n) else {
                    return;
                };
                let uri = p.text_document.uri;
                if let Some(doc) = self.docs.close(&uri) {
                    self.closed(&uri, doc.path);
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Ok(p) = serde_json::from_value::<DidChangeWatchedFilesParams>(n.params) {
                    for ev in p.changes {
                        if self.docs.get(&ev.uri).is_none() {
                            let path = uri_to_path(&ev.uri);
                            self.changed(&ev.uri, path);
                        }
                    }
                }
            }
            "$/cancelRequest" => {
                let id: Option<RequestId> = match &n.params["id"] {
                    Value::Number(x) => x.as_i64().map(|i| RequestId::from(i as i32)),
                    Value::String(s) => Some(RequestId::from(s.clone())),
                    _ => None,
                };
                if let Some(id) = id {
                    if let Some(i) = self.deferred.iter().position(|(_, r)| r.id == id) {
                        let (_, req) = self.deferred.remove(i);
                        self.fail(req.id, ErrorCode::RequestCanceled, "cancelled");
                    }
                }
            }
            _ => {}
        }
    }

    /// The parameters of a notification about documents; when they do not
    /// fit, the notification is logged and ignored.
    fn notification_params<P: DeserializeOwned>(&self, n: Notification) -> Option<P> {
        match serde_json::from_value(n.params) {
            Ok(p) => Some(p),
            Err(e) => {
                self.log(
                    MessageType::WARNING,
                    format!(
                        "ignored `{}` with invalid parameters: {}",
                        shown(&n.method),
                        shown(&e.to_string())
                    ),
                );
                None
            }
        }
    }

    /// Log a warning and show it to the user.
    fn warn_user(&self, message: String) {
        self.log(MessageType::WARNING, message.clone());
        self.notify::<ShowMessage>(ShowMessageParams {
            typ: MessageType::WARNING,
            message: format!("accessc: {message}"),
        });
    }

    /// The document's text may no longer be the editor's: say so, once, until
    /// it is in sync again.
    fn lose_sync(&mut self, uri: &Uri, why: String) {
        if self.docs.lose_sync(uri, why.clone()) {
            self.warn_user(out_of_sync(uri, &why));
        }
    }

    /// After a change was applied: report what was adjusted to apply it, and
    /// whether the document left or came back in sync; then check again.
    fn on_changed(&mut self, uri: &Uri, version: i32, changed: Changed) {
        const SHOWN: usize = 5;
        for note in changed.adjusted.iter().take(SHOWN) {
            self.log(
                MessageType::WARNING,
                format!(
                    "a change to {} (version {version}) was outside the text: {note}",
                    uri.as_str()
                ),
            );
        }
        if changed.adjusted.len() > SHOWN {
            self.log(
                MessageType::WARNING,
                format!(
                    "… and {} more positions of that change were outside the text",
                    changed.adjusted.len() - SHOWN
                ),
            );
        }
        if changed.lost_sync {
            let why = self
                .docs
                .get(uri)
                .and_then(|d| d.out_of_sync.clone())
                .unwrap_or_default();
            self.warn_user(out_of_sync(uri, &format!("in a change, {why}")));
        }
        if changed.resynced {
            self.log(
                MessageType::INFO,
                format!("{}: in sync again (its whole text was sent)", uri.as_str()),
            );
        }
        let path = self.docs.get(uri).and_then(|d| d.path.clone());
        self.fresh.insert(uri.clone());
        self.changed(uri, path);
    }

    /// Ask the client to tell us when `.access` and JSON files change on disk.
    fn register_watchers(&mut self) {
        if !self.watch_files {
            return;
        }
        let watchers: Vec<FileSystemWatcher> = ["**/*.access", "**/*.json"]
            .iter()
            .map(|g| FileSystemWatcher {
                glob_pattern: GlobPattern::String(g.to_string()),
                kind: None,
            })
            .collect();
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "accessc-watch".into(),
                method: DidChangeWatchedFiles::METHOD.into(),
                register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                    watchers,
                })
                .ok(),
            }],
        };
        self.next_id += 1;
        let id = RequestId::from(format!("accessc-{}", self.next_id));
        self.send(Request::new(
            id,
            RegisterCapability::METHOD.to_string(),
            params,
        ));
    }

    /// Every program a change to `uri` may change: its own, and any other
    /// that read the file (a `use`d file, an org snapshot).
    fn affected(&self, uri: &Uri, path: Option<&PathBuf>) -> Vec<ProgramKey> {
        let mut keys: Vec<ProgramKey> = Vec::new();
        if let Some(k) = ProgramKey::of(uri, self.opts.mode, &self.std) {
            if self.docs.get(uri).is_some() || self.programs.contains_key(&k) {
                keys.push(k);
            }
        }
        for (k, st) in &self.programs {
            if keys.contains(k) {
                continue;
            }
            let reads = path.is_some_and(|p| k.may_read(p))
                || st
                    .analysis
                    .as_ref()
                    .is_some_and(|a| a.file_of(uri).is_some());
            if reads {
                keys.push(k.clone());
            }
        }
        keys
    }

    fn changed(&mut self, uri: &Uri, path: Option<PathBuf>) {
        for key in self.affected(uri, path.as_ref()) {
            self.schedule(key);
        }
    }

    fn closed(&mut self, uri: &Uri, path: Option<PathBuf>) {
        for key in self.affected(uri, path.as_ref()) {
            let still_open = self
                .docs
                .iter()
                .any(|d| ProgramKey::of(&d.uri, self.opts.mode, &self.std).as_ref() == Some(&key));
            if still_open {
                self.schedule(key);
            } else {
                self.drop_program(&key);
            }
        }
    }

    /// Forget a program no open document belongs to, and clear its diagnostics.
    fn drop_program(&mut self, key: &ProgramKey) {
        let Some(st) = self.programs.remove(key) else {
            return;
        };
        for uri in st.published.keys() {
            self.notify::<PublishDiagnostics>(PublishDiagnosticsParams {
                uri: uri.clone(),
                diagnostics: Vec::new(),
                version: None,
            });
        }
        if let Some(a) = &st.analysis {
            let names = a
                .program
                .sources
                .files()
                .filter(|(id, _)| !a.is_std(*id))
                .map(|(_, f)| f.name.clone())
                .collect();
            self.worker.forget(names);
        }
        let (gone, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.deferred)
            .into_iter()
            .partition(|(k, _)| k == key);
        self.deferred = keep;
        for (_, req) in gone {
            self.answer(req, None);
        }
    }

    /// Send the program's current input to the worker.
    fn schedule(&mut self, key: ProgramKey) {
        let mut overlay = HashMap::new();
        let mut uris = HashMap::new();
        for d in self.docs.iter() {
            if let Some(p) = &d.path {
                overlay.insert(p.clone(), d.text.clone());
                uris.insert(p.clone(), d.uri.clone());
            }
        }
        let buffer = match &key {
            ProgramKey::Buffer(name) => name
                .parse::<Uri>()
                .ok()
                .and_then(|u| self.docs.get(&u))
                .map(|d| d.text.clone()),
            _ => None,
        };
        let st = self.programs.entry(key.clone()).or_default();
        st.generation += 1;
        st.changed_at = Some(Instant::now());
        self.worker.submit(Job {
            key,
            generation: st.generation,
            overlay: Arc::new(overlay),
            uris: Arc::new(uris),
            buffer,
            today: self.opts.today,
            std: self.std.clone(),
        });
    }

    fn on_analysis(&mut self, a: Arc<Analysis>) {
        let Some(st) = self.programs.get_mut(&a.key) else {
            return; // dropped meanwhile
        };
        if st
            .analysis
            .as_ref()
            .is_some_and(|old| old.generation > a.generation)
        {
            return;
        }
        st.analysis = Some(a.clone());
        let latest = a.generation == st.generation;
        let since = st.changed_at.map(|t| t.elapsed());
        if self.opts.log {
            let t = a.timings;
            eprintln!(
                "accessc lsp: {:?} #{}: load {:.1} ms ({} of {} items parsed again), check {:.1} ms, cpu {:.1} ms (load {:.1}, check {:.1}), {} minor faults, {} diagnostics, {}{}",
                a.key,
                a.generation,
                t.load.as_secs_f64() * 1e3,
                t.reparsed,
                t.chunks,
                t.check.as_secs_f64() * 1e3,
                t.usage.cpu.as_secs_f64() * 1e3,
                t.cpu_load.as_secs_f64() * 1e3,
                t.cpu_check.as_secs_f64() * 1e3,
                t.usage.minor_faults,
                a.checked.diagnostics.len(),
                match t.reuse {
                    Reuse::None => "grants expanded".to_string(),
                    Reuse::All => "expansion reused".to_string(),
                    Reuse::Grants(n) => format!("expansion reused but for {n} grants"),
                },
                since.map_or(String::new(), |d| format!(", {:.1} ms after the change", d.as_secs_f64() * 1e3)),
            );
        }
        if let Some(why) = &a.failure {
            self.log(MessageType::ERROR, why.clone());
        }
        if !latest {
            return;
        }
        self.publish(&a);
        let (ready, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.deferred)
            .into_iter()
            .partition(|(k, _)| *k == a.key);
        self.deferred = wait;
        for (_, req) in ready {
            self.answer(req, Some(a.clone()));
        }
    }

    /// Publish the diagnostics of every file of the program that changed.
    fn publish(&mut self, a: &Analysis) {
        let mut by_uri: BTreeMap<Uri, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
        for m in &a.program.modules {
            if a.is_std(m.file) {
                continue;
            }
            if let Some(u) = a.uri_of(m.file) {
                by_uri.entry(u.clone()).or_default();
            }
        }
        for d in &a.checked.diagnostics {
            if let Some(u) = a.uri_of(d.span.file) {
                by_uri
                    .entry(u.clone())
                    .or_default()
                    .push(convert::diagnostic(a, d));
            }
        }
        let Some(st) = self.programs.get_mut(&a.key) else {
            return;
        };
        let mut out = Vec::new();
        let mut published = HashMap::new();
        for (uri, diags) in by_uri {
            let version = self.docs.get(&uri).map(|d| d.version);
            let now = (version, diags);
            if st.published.get(&uri) != Some(&now) || self.fresh.remove(&uri) {
                out.push(PublishDiagnosticsParams {
                    uri: uri.clone(),
                    diagnostics: now.1.clone(),
                    version,
                });
            }
            published.insert(uri, now);
        }
        for uri in st.published.keys() {
            if !published.contains_key(uri) {
                out.push(PublishDiagnosticsParams {
                    uri: uri.clone(),
                    diagnostics: Vec::new(),
                    version: None,
                });
            }
        }
        st.published = published;
        for p in out {
            self.notify::<PublishDiagnostics>(p);
        }
    }

    // ------------------------------------------------------------------
    // Requests

    fn on_request(&mut self, req: Request) {
        if self.shutdown {
            return self.fail(
                req.id,
                ErrorCode::InvalidRequest,
                "the server is shutting down",
            );
        }
        match req.method.as_str() {
            Shutdown::METHOD => {
                self.shutdown = true;
                self.respond(req.id, Value::Null);
            }
            Completion::METHOD => self.completion(req),
            Formatting::METHOD => self.formatting(req),
            HoverRequest::METHOD
            | GotoDefinition::METHOD
            | References::METHOD
            | DocumentSymbolRequest::METHOD
            | CodeActionRequest::METHOD => {
                let Some(uri) = document_uri(&req.params) else {
                    return self.fail(req.id, ErrorCode::InvalidParams, "no textDocument.uri");
                };
                let key = ProgramKey::of(&uri, self.opts.mode, &self.std);
                match key
                    .as_ref()
                    .and_then(|k| self.programs.get(k).map(|st| (k, st)))
                {
                    Some((k, st))
                        if st
                            .analysis
                            .as_ref()
                            .is_none_or(|a| a.generation < st.generation) =>
                    {
                        let k = k.clone();
                        self.deferred.push((k, req));
                    }
                    Some((_, st)) => {
                        let a = st.analysis.clone();
                        self.answer(req, a);
                    }
                    None => {
                        let a = self.analysis_having(&uri);
                        self.answer(req, a);
                    }
                }
            }
            _ => self.fail(
                req.id,
                ErrorCode::MethodNotFound,
                format!("unsupported request `{}`", shown(&req.method)),
            ),
        }
    }

    /// An analysis that has the file, for a document outside any open program
    /// (a std module, a `use`d file).
    fn analysis_having(&self, uri: &Uri) -> Option<Arc<Analysis>> {
        self.programs
            .values()
            .filter_map(|st| st.analysis.as_ref())
            .find(|a| a.file_of(uri).is_some())
            .cloned()
    }

    fn params<P: DeserializeOwned>(&self, req: &Request) -> Option<P> {
        match serde_json::from_value(req.params.clone()) {
            Ok(p) => Some(p),
            Err(e) => {
                self.fail(
                    req.id.clone(),
                    ErrorCode::InvalidParams,
                    format!(
                        "invalid parameters of `{}`: {}",
                        shown(&req.method),
                        shown(&e.to_string())
                    ),
                );
                None
            }
        }
    }

    /// Answer a request that reads an analysis (the latest of its program).
    fn answer(&self, req: Request, a: Option<Arc<Analysis>>) {
        // A document of the program that this analysis does not hold (not
        // loaded, or the program failed): every answer is empty.
        let uri = document_uri(&req.params);
        let file = match (&a, &uri) {
            (Some(a), Some(u)) => a.file_of(u).map(|f| (a.clone(), f)),
            _ => None,
        };
        match req.method.as_str() {
            HoverRequest::METHOD => {
                let Some(p) = self.params::<HoverParams>(&req) else {
                    return;
                };
                let result = file.and_then(|(a, f)| {
                    let src = a.program.sources.get(f);
                    let off = convert::offset(src, p.text_document_position_params.position);
                    let found = query::at(&a, f, off)?;
                    let md = hover::hover(&a, &found)?;
                    Some(Hover {
                        contents: HoverContents::Markup(MarkupContent {
                            kind: MarkupKind::Markdown,
                            value: md,
                        }),
                        range: Some(convert::span_range(&a, found.span())),
                    })
                });
                self.respond(req.id, result);
            }
            GotoDefinition::METHOD => {
                let Some(p) = self.params::<GotoDefinitionParams>(&req) else {
                    return;
                };
                let result = file.and_then(|(a, f)| {
                    let src = a.program.sources.get(f);
                    let off = convert::offset(src, p.text_document_position_params.position);
                    let found = query::at(&a, f, off)?;
                    let locs = navigation::definition(&a, &self.std, &found);
                    (!locs.is_empty()).then_some(GotoDefinitionResponse::Array(locs))
                });
                self.respond(req.id, result);
            }
            References::METHOD => {
                let Some(p) = self.params::<ReferenceParams>(&req) else {
                    return;
                };
                let result = file.and_then(|(a, f)| {
                    let src = a.program.sources.get(f);
                    let off = convert::offset(src, p.text_document_position.position);
                    let found = query::at(&a, f, off)?;
                    Some(navigation::references(
                        &a,
                        &found,
                        p.context.include_declaration,
                    ))
                });
                self.respond(req.id, result);
            }
            DocumentSymbolRequest::METHOD => {
                if self.params::<DocumentSymbolParams>(&req).is_none() {
                    return;
                }
                let result = file.and_then(|(a, f)| {
                    let module = a.module(f)?;
                    Some(DocumentSymbolResponse::Nested(symbols::outline(
                        module,
                        a.program.sources.get(f),
                    )))
                });
                self.respond(req.id, result);
            }
            CodeActionRequest::METHOD => {
                let Some(p) = self.params::<CodeActionParams>(&req) else {
                    return;
                };
                let text = self
                    .docs
                    .get(&p.text_document.uri)
                    .map(|d| d.text.clone())
                    .or_else(|| {
                        file.as_ref()
                            .map(|(a, f)| a.program.sources.get(*f).text.clone())
                    })
                    .unwrap_or_else(|| "".into());
                let actions = edits::code_actions(
                    &p.text_document.uri,
                    p.range,
                    &p.context.diagnostics,
                    file.as_ref().map(|(a, _)| &**a),
                    &text,
                );
                self.respond(req.id, actions);
            }
            _ => self.fail(req.id, ErrorCode::MethodNotFound, "unsupported request"),
        }
    }

    fn completion(&self, req: Request) {
        let Some(p) = self.params::<CompletionParams>(&req) else {
            return;
        };
        let uri = &p.text_document_position.text_document.uri;
        let Some(doc) = self.docs.get(uri) else {
            return self.respond(req.id, CompletionResponse::Array(Vec::new()));
        };
        let file = SourceFile::new("", doc.text.clone());
        let cursor = convert::offset(&file, p.text_document_position.position) as usize;
        let ctx = completion::context(&doc.text, cursor);
        let analysis = ProgramKey::of(uri, self.opts.mode, &self.std)
            .and_then(|k| self.programs.get(&k))
            .and_then(|st| st.analysis.clone())
            .or_else(|| self.analysis_having(uri));
        let range_of = |offset: usize| {
            let (l, c) = file.line_utf16(offset as u32);
            let (el, ec) = file.line_utf16(cursor as u32);
            Range::new(Position::new(l, c), Position::new(el, ec))
        };
        let list = completion::complete(&ctx, analysis.as_deref(), &range_of);
        self.respond(req.id, CompletionResponse::List(list));
    }

    fn formatting(&self, req: Request) {
        let Some(p) = self.params::<DocumentFormattingParams>(&req) else {
            return;
        };
        let Some(doc) = self.docs.get(&p.text_document.uri) else {
            return self.fail(req.id, ErrorCode::InvalidParams, "the document is not open");
        };
        match edits::format(&doc.text) {
            Ok(Some(edit)) => self.respond(req.id, vec![edit]),
            Ok(None) => self.respond(req.id, Vec::<TextEdit>::new()),
            Err(why) => self.fail(req.id, ErrorCode::RequestFailed, why),
        }
    }
}
