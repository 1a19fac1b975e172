//! `accessc lsp`: a language server with the checker's full knowledge.
//!
//! The server speaks the Language Server Protocol over stdio with the
//! `lsp-server` crate's message types and its own bounded framing
//! (`transport.rs`). It is one program of the pipeline, nothing more: diagnostics
//! are the checker's, formatting is `fmt`, and the symbol index and model
//! that `check` returns answer hover, navigation and completion.
//!
//! | file | what it does |
//! |---|---|
//! | `server.rs` | the main loop: documents, programs, scheduling, dispatch |
//! | `analysis.rs` | the worker thread: incremental load (parse cache) and check |
//! | `workspace.rs` | URIs and paths, program scopes, open buffers over the disk, std files |
//! | `transport.rs` | the stdio framing, with bounds on every message |
//! | `documents.rs` | open documents and their incremental edits (UTF-16) |
//! | `convert.rs` | spans to ranges, checker diagnostics to LSP diagnostics |
//! | `query.rs` | what is at a position; where a name is defined and used |
//! | `hover.rs`, `navigation.rs`, `completion.rs`, `symbols.rs`, `edits.rs` | the requests |
//!
//! How to use it from editors: `docs/editors.md`.

#![deny(clippy::unwrap_used)]
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
mod transport;
mod workspace;

pub use server::serve;
pub use workspace::ProgramMode;

use lsp_server::{Connection, Message};
use std::io::{self, BufReader};
use transport::{Frame, FrameReader};

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

/// How many messages may wait for the client to read them before the server
/// waits for it (and so stops reading its input).
const OUTGOING: usize = 256;

/// Like `lsp_server::Connection::stdio`, with the bounded framing of
/// [`transport`]: a malformed frame is answered with the protocol's error
/// (`ParseError` or `InvalidRequest`, id `null` when it has none) and
/// skipped, and the server keeps reading. Messages are handed to the main
/// loop one at a time, so a client that writes faster than the server reads
/// waits instead of filling memory.
fn stdio() -> (Connection, IoThreads) {
    let (to_client, outgoing) = crossbeam_channel::bounded::<Message>(OUTGOING);
    let (errors, error_replies) = crossbeam_channel::bounded::<serde_json::Value>(OUTGOING);
    let (incoming, from_client) = crossbeam_channel::bounded::<Message>(0);
    let writer = std::thread::spawn(move || {
        let stdout = io::stdout();
        let mut out = stdout.lock();
        let mut error_replies = error_replies;
        // When the client stops reading (its end of the pipe closed), the
        // messages are still taken, and dropped: a send never fails while the
        // server runs.
        let mut open = true;
        loop {
            let written = crossbeam_channel::select! {
                recv(outgoing) -> msg => match msg {
                    Ok(msg) if open => msg.write(&mut out),
                    Ok(_) => Ok(()),
                    Err(_) => break,
                },
                recv(error_replies) -> reply => match reply {
                    Ok(reply) if open => transport::write_value(&mut out, &reply),
                    Ok(_) => Ok(()),
                    Err(_) => {
                        error_replies = crossbeam_channel::never();
                        Ok(())
                    }
                },
            };
            if let Err(e) = written {
                eprintln!("accessc lsp: cannot write to the client any more: {e}");
                open = false;
            }
        }
    });
    let reader = std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut input = FrameReader::new(BufReader::with_capacity(64 * 1024, stdin.lock()));
        loop {
            match input.next_frame() {
                Ok(Some(Frame::Message(msg))) => {
                    let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                    if incoming.send(msg).is_err() || exit {
                        break;
                    }
                }
                Ok(Some(Frame::Invalid { id, code, message })) => {
                    eprintln!("accessc lsp: answered a malformed message: {message}");
                    let reply = Frame::error_response(&id, code, &message);
                    if errors.send(reply).is_err() {
                        break;
                    }
                }
                Ok(Some(Frame::Ignored(why))) => {
                    eprintln!("accessc lsp: ignored {why}");
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("accessc lsp: cannot read the input: {e}");
                    break;
                }
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
