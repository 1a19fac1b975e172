//! `accessc lsp`: a language server with the checker's full knowledge.
//!
//! The server speaks the Language Server Protocol over stdio through the
//! `lsp-server` crate (its framing and message types; this module only
//! dispatches). It is one program of the pipeline, nothing more: diagnostics
//! are the checker's, formatting is `fmt`, and the symbol index and model
//! that `check` returns answer hover, navigation and completion.
//!
//! | file | what it does |
//! |---|---|
//! | `server.rs` | the main loop: documents, programs, scheduling, dispatch |
//! | `analysis.rs` | the worker thread: incremental load (parse cache) and check |
//! | `workspace.rs` | URIs and paths, program scopes, open buffers over the disk, std files |
//! | `documents.rs` | open documents and their incremental edits (UTF-16) |
//! | `convert.rs` | spans to ranges, checker diagnostics to LSP diagnostics |
//! | `query.rs` | what is at a position; where a name is defined and used |
//! | `hover.rs`, `navigation.rs`, `completion.rs`, `symbols.rs`, `edits.rs` | the requests |
//!
//! How to use it from editors: `docs/editors.md`.

// `lsp_types::Uri` caches parsed parts in a `Cell`, but hashes and compares
// its text only: it is a sound map key.
#![allow(clippy::mutable_key_type)]

mod analysis;
mod completion;
mod convert;
mod documents;
mod edits;
mod hover;
mod navigation;
mod query;
mod server;
mod symbols;
mod workspace;

pub use server::serve;
pub use workspace::ProgramMode;

use lsp_server::{Connection, Message};
use std::io::{self, BufReader};

/// Run the server on standard input and output until the client exits.
/// Returns whether the client asked for shutdown before exit (the process
/// then exits 0, otherwise 1, as the protocol asks).
pub fn run_stdio() -> Result<bool, String> {
    let (connection, threads) = stdio();
    let clean = serve(connection)?;
    // The reader ends with stdin; do not wait for it, the writer has flushed.
    drop(threads);
    Ok(clean)
}

/// The threads of the stdio transport.
struct IoThreads {
    _reader: std::thread::JoinHandle<()>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for IoThreads {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// Like `lsp_server::Connection::stdio`, with one difference: a message whose
/// JSON is malformed is reported on stderr and skipped, instead of closing
/// the connection. The framing (`Content-Length` headers) is the crate's.
fn stdio() -> (Connection, IoThreads) {
    let (to_client, outgoing) = crossbeam_channel::unbounded::<Message>();
    let (incoming, from_client) = crossbeam_channel::unbounded::<Message>();
    let writer = std::thread::spawn(move || {
        let stdout = io::stdout();
        let mut out = stdout.lock();
        for msg in outgoing {
            if msg.write(&mut out).is_err() {
                break;
            }
        }
    });
    let reader = std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut input = BufReader::new(stdin.lock());
        loop {
            match Message::read(&mut input) {
                Ok(Some(msg)) => {
                    let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                    if incoming.send(msg).is_err() || exit {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    eprintln!("accessc lsp: skipped a malformed message: {e}");
                }
                Err(_) => break,
            }
        }
    });
    (
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        IoThreads {
            _reader: reader,
            writer: Some(writer),
        },
    )
}
