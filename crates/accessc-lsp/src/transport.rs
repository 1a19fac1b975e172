//! The stdio transport: the protocol's base layer (a header part, then a
//! JSON-RPC message of `Content-Length` bytes), read and written with bounds,
//! so that no input makes the server allocate without limit, wait for a frame
//! that never ends, or lose its place in the stream.
//!
//! - A header line is at most [`MAX_HEADER_LINE`] bytes, a header part at most
//!   [`MAX_HEADERS`] lines; `Content-Length` is required and decimal.
//! - A message is at most [`MAX_MESSAGE`] bytes. A longer one is answered
//!   with `InvalidRequest` and its announced bytes are read and discarded in
//!   small chunks, never held, so the stream stays in step.
//! - A malformed header part is answered with `ParseError` (id `null`); the
//!   reader then looks for the next `Content-Length:` in the stream and
//!   carries on from there.
//! - A body that is not UTF-8 or not JSON is answered with `ParseError`; JSON
//!   that is not a JSON-RPC request or notification with `InvalidRequest`
//!   (with the message's id when it has a usable one, else `null`); a
//!   malformed response from the client is only logged (a response is never
//!   answered). A body with more than [`MAX_JSON_VALUES`] JSON values is
//!   refused before it is parsed, so a small message cannot become a large
//!   tree in memory.

use lsp_server::{ErrorCode, Message};
use serde_json::{json, Map, Value};
use std::io::{self, BufRead, Write};

/// The largest message the server reads: 64 MiB, the bound of every file
/// `accessc` reads.
pub const MAX_MESSAGE: u64 = 64 * 1024 * 1024;
/// The longest header line, its `\r\n` included.
pub const MAX_HEADER_LINE: usize = 1024;
/// The most header lines of one message.
pub const MAX_HEADERS: usize = 16;
/// The most JSON values (objects, arrays, strings, numbers...) in one message.
pub const MAX_JSON_VALUES: usize = 2_000_000;

/// One frame read from the client.
#[derive(Debug)]
pub enum Frame {
    /// A well-formed message.
    Message(Message),
    /// A frame the server answers with an error and otherwise skips. `id` is
    /// the request's id when it could be read, else `null`.
    Invalid {
        id: Value,
        code: ErrorCode,
        message: String,
    },
    /// A malformed response from the client: logged, never answered.
    Ignored(String),
}

impl Frame {
    fn invalid(id: Value, code: ErrorCode, message: impl Into<String>) -> Frame {
        Frame::Invalid {
            id,
            code,
            message: message.into(),
        }
    }

    /// The error response for an [`Frame::Invalid`] frame.
    pub fn error_response(id: &Value, code: ErrorCode, message: &str) -> Value {
        json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": { "code": code as i32, "message": message },
        })
    }
}

/// What a header part gave.
enum Header {
    /// The stream ended before or inside it.
    End,
    Length(u64),
    Malformed(String),
}

/// One header line.
enum Line {
    End,
    TooLong,
    Text(Vec<u8>),
}

/// Reads frames from the client, with the bounds of this module.
pub struct FrameReader<R> {
    inner: R,
    /// Bytes to read again before `inner`: a malformed header part, from its
    /// second byte, searched for the next `Content-Length:`.
    replay: Vec<u8>,
    replay_at: usize,
    /// The bytes of the header part being read.
    header_bytes: Vec<u8>,
    /// Bytes of an oversize message still to discard.
    skip: u64,
    /// After a malformed header: look for the next `Content-Length:`.
    resync: bool,
}

const CONTENT_LENGTH: &[u8] = b"content-length:";

impl<R: BufRead> FrameReader<R> {
    pub fn new(inner: R) -> FrameReader<R> {
        FrameReader {
            inner,
            replay: Vec::new(),
            replay_at: 0,
            header_bytes: Vec::new(),
            skip: 0,
            resync: false,
        }
    }

    /// The next frame; `None` when the stream has ended (cleanly or inside a
    /// frame).
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        if self.skip > 0 && !self.discard()? {
            return Ok(None);
        }
        self.header_bytes.clear();
        if self.resync {
            if !self.find_content_length()? {
                return Ok(None);
            }
            self.resync = false;
            self.header_bytes.extend_from_slice(b"Content-Length:");
        }
        let len = match self.header()? {
            Header::End => return Ok(None),
            Header::Malformed(why) => {
                // Search the header part again from its second byte: a
                // `Content-Length:` glued to garbage starts the next frame.
                let mut replay = self.header_bytes.split_off(1.min(self.header_bytes.len()));
                replay.extend_from_slice(&self.replay[self.replay_at..]);
                self.replay = replay;
                self.replay_at = 0;
                self.resync = true;
                return Ok(Some(Frame::invalid(
                    Value::Null,
                    ErrorCode::ParseError,
                    why,
                )));
            }
            Header::Length(n) => n,
        };
        if len > MAX_MESSAGE {
            self.skip = len;
            return Ok(Some(Frame::invalid(
                Value::Null,
                ErrorCode::InvalidRequest,
                format!(
                    "a message of {len} bytes is over the limit of {MAX_MESSAGE} bytes (64 MiB); its bytes are skipped"
                ),
            )));
        }
        let mut body = Vec::with_capacity(len as usize);
        while body.len() < len as usize {
            let want = len as usize - body.len();
            let buf = self.fill()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let n = buf.len().min(want);
            body.extend_from_slice(&buf[..n]);
            self.consume(n);
        }
        Ok(Some(parse_body(&body)))
    }

    /// The buffered bytes: the replay, else the input's.
    fn fill(&mut self) -> io::Result<&[u8]> {
        if self.replay_at < self.replay.len() {
            return Ok(&self.replay[self.replay_at..]);
        }
        loop {
            match self.inner.fill_buf() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // The borrow checker cannot see that the loop ends here.
                Ok(_) => return self.inner.fill_buf(),
                Err(e) => return Err(e),
            }
        }
    }

    fn consume(&mut self, n: usize) {
        if self.replay_at < self.replay.len() {
            self.replay_at += n;
            if self.replay_at >= self.replay.len() {
                self.replay.clear();
                self.replay_at = 0;
            }
        } else {
            self.inner.consume(n);
        }
    }

    /// Read and drop the rest of an oversize message, a chunk at a time.
    /// `false` if the stream ended first.
    fn discard(&mut self) -> io::Result<bool> {
        while self.skip > 0 {
            let buf = self.fill()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let n = buf.len().min(self.skip.min(usize::MAX as u64) as usize);
            self.consume(n);
            self.skip -= n as u64;
        }
        Ok(true)
    }

    /// Consume the stream up to and including the next `Content-Length:`
    /// (any case). `false` if the stream ended first.
    fn find_content_length(&mut self) -> io::Result<bool> {
        // `c` occurs only first in the pattern, so a mismatch restarts the
        // match at this byte or at none.
        let mut matched = 0;
        loop {
            let buf = self.fill()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let mut found = None;
            for (i, b) in buf.iter().enumerate() {
                let b = b.to_ascii_lowercase();
                if b == CONTENT_LENGTH[matched] {
                    matched += 1;
                } else {
                    matched = usize::from(b == CONTENT_LENGTH[0]);
                }
                if matched == CONTENT_LENGTH.len() {
                    found = Some(i + 1);
                    break;
                }
            }
            let used = found.unwrap_or(buf.len());
            self.consume(used);
            if found.is_some() {
                return Ok(true);
            }
        }
    }

    /// A header part: lines up to an empty one. `header_bytes` holds the
    /// start of its first line when it was found by a search.
    fn header(&mut self) -> io::Result<Header> {
        let mut length: Option<u64> = None;
        let mut first = self.header_bytes.clone();
        for count in 0.. {
            if count == MAX_HEADERS {
                return Ok(Header::Malformed(format!(
                    "a header of more than {MAX_HEADERS} lines"
                )));
            }
            let started = !first.is_empty();
            let line = match self.line(std::mem::take(&mut first))? {
                Line::End => {
                    if count > 0 || started {
                        eprintln!("accessc lsp: the input ended inside a message header");
                    }
                    return Ok(Header::End);
                }
                Line::TooLong => {
                    return Ok(Header::Malformed(format!(
                        "a header line longer than {MAX_HEADER_LINE} bytes"
                    )))
                }
                Line::Text(t) => t,
            };
            let Some(line) = line.strip_suffix(b"\r\n") else {
                return Ok(Header::Malformed(format!(
                    "a header line not ended by CRLF: {}",
                    shown(&line)
                )));
            };
            if line.is_empty() {
                break;
            }
            let parsed = std::str::from_utf8(line)
                .ok()
                .and_then(|l| l.split_once(':'))
                .filter(|(name, _)| is_token(name.trim()));
            let Some((name, value)) = parsed else {
                return Ok(Header::Malformed(format!(
                    "a malformed header line: {}",
                    shown(line)
                )));
            };
            if !name.trim().eq_ignore_ascii_case("content-length") {
                continue; // `Content-Type`: the content is UTF-8 JSON whatever it says
            }
            let value = value.trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Header::Malformed(format!(
                    "`Content-Length: {}` is not a number of bytes",
                    shown(value.as_bytes())
                )));
            }
            let Ok(n) = value.parse::<u64>() else {
                return Ok(Header::Malformed(format!(
                    "`Content-Length: {value}` is out of range"
                )));
            };
            if length.is_some_and(|l| l != n) {
                return Ok(Header::Malformed(
                    "two different `Content-Length` headers".into(),
                ));
            }
            length = Some(n);
        }
        Ok(match length {
            Some(n) => Header::Length(n),
            None => Header::Malformed("a message without `Content-Length`".into()),
        })
    }

    /// One line, `\n` included, of at most [`MAX_HEADER_LINE`] bytes, after
    /// `out` (the start of the line, already read). Every byte read is also
    /// recorded in `header_bytes`.
    fn line(&mut self, mut out: Vec<u8>) -> io::Result<Line> {
        loop {
            let room = MAX_HEADER_LINE.saturating_sub(out.len());
            if room == 0 {
                return Ok(Line::TooLong);
            }
            let buf = self.fill()?;
            if buf.is_empty() {
                return Ok(Line::End);
            }
            let (n, done) = match buf.iter().take(room).position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len().min(room), false),
            };
            out.extend_from_slice(&buf[..n]);
            let read = &out[out.len() - n..];
            self.header_bytes.extend_from_slice(read);
            self.consume(n);
            if done {
                return Ok(Line::Text(out));
            }
        }
    }
}

/// Whether `s` is an HTTP token (a header name).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// At most 60 characters of a header line, escaped, for an error message.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]);
    let mut s = format!("{:?}", text);
    if bytes.len() > 60 {
        s.push('…');
    }
    s
}

/// At most 200 characters of an error (which may quote the message).
fn clip(e: impl std::fmt::Display) -> String {
    let s = e.to_string();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// An upper bound of the number of JSON values in `body`: one, plus one per
/// `[`, `{`, `,` and `:` outside strings. Whether it stays within `limit`.
fn json_values_within(body: &[u8], limit: usize) -> bool {
    let mut n = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' | b',' | b':' => {
                n += 1;
                if n > limit {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// The message of one frame's content.
fn parse_body(body: &[u8]) -> Frame {
    let Ok(text) = std::str::from_utf8(body) else {
        return Frame::invalid(
            Value::Null,
            ErrorCode::ParseError,
            "the message is not UTF-8",
        );
    };
    if !json_values_within(body, MAX_JSON_VALUES) {
        return Frame::invalid(
            Value::Null,
            ErrorCode::InvalidRequest,
            format!("the message has more than {MAX_JSON_VALUES} JSON values"),
        );
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => classify(v),
        Err(e) => Frame::invalid(
            Value::Null,
            ErrorCode::ParseError,
            format!("the message is not JSON: {e}"),
        ),
    }
}

/// A JSON value as a JSON-RPC message: a request, a notification or a
/// response.
fn classify(v: Value) -> Frame {
    let Value::Object(map) = v else {
        return Frame::invalid(
            Value::Null,
            ErrorCode::InvalidRequest,
            "the message is not a JSON-RPC object",
        );
    };
    // JSON-RPC: the id of the error response is the request's, or null when
    // it cannot be read.
    let id = map.get("id");
    let echoed = match id {
        Some(v @ (Value::Number(_) | Value::String(_))) => v.clone(),
        _ => Value::Null,
    };
    let invalid = |why: &str| Frame::invalid(echoed.clone(), ErrorCode::InvalidRequest, why);
    if map
        .get("jsonrpc")
        .is_some_and(|v| v.as_str() != Some("2.0"))
    {
        return invalid("`jsonrpc` is not \"2.0\"");
    }
    let usable_id = match id {
        None => true,
        Some(Value::String(_)) => true,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        Some(_) => false,
    };
    match map.get("method") {
        Some(Value::String(_)) => {
            if !usable_id {
                return invalid("`id` is not a 32-bit integer or a string");
            }
            match map.get("params") {
                None | Some(Value::Null | Value::Object(_) | Value::Array(_)) => {}
                Some(_) => return invalid("`params` is not an object or an array"),
            }
            into_message(map)
                .unwrap_or_else(|e| invalid(&format!("not a JSON-RPC message: {}", clip(e))))
        }
        Some(_) => invalid("`method` is not a string"),
        None if id.is_some() && (map.contains_key("result") || map.contains_key("error")) => {
            match into_message(map) {
                Ok(f) => f,
                Err(e) => Frame::Ignored(format!("a malformed response: {}", clip(e))),
            }
        }
        None => invalid("the message has no `method`"),
    }
}

fn into_message(map: Map<String, Value>) -> Result<Frame, serde_json::Error> {
    serde_json::from_value::<Message>(Value::Object(map)).map(Frame::Message)
}

/// Write one message, framed, and flush.
pub fn write_value(out: &mut impl Write, v: &Value) -> io::Result<()> {
    let text = serde_json::to_string(v).map_err(io::Error::other)?;
    write!(out, "Content-Length: {}\r\n\r\n", text.len())?;
    out.write_all(text.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<String> {
        let mut r = FrameReader::new(io::BufReader::with_capacity(7, input));
        let mut out = Vec::new();
        while let Some(f) = r.next_frame().expect("read") {
            out.push(match f {
                Frame::Message(Message::Request(r)) => format!("request {} {}", r.id, r.method),
                Frame::Message(Message::Notification(n)) => format!("notification {}", n.method),
                Frame::Message(Message::Response(r)) => format!("response {}", r.id),
                Frame::Invalid { id, code, .. } => format!("error {} {id}", code as i32),
                Frame::Ignored(_) => "ignored".into(),
            });
        }
        out
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    const PING: &str = r#"{"jsonrpc":"2.0","method":"ping"}"#;

    #[test]
    fn well_formed_frames() {
        let input = frame(r#"{"jsonrpc":"2.0","id":1,"method":"a","params":{}}"#)
            + "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
            + &frame(r#"{"jsonrpc":"2.0","method":"b"}"#)
            + &frame(r#"{"jsonrpc":"2.0","id":"x","result":null}"#);
        assert_eq!(
            frames(input.as_bytes()),
            ["request 1 a", "notification b", r#"response "x""#]
        );
    }

    #[test]
    fn malformed_headers_are_answered_and_the_stream_resumes() {
        for bad in [
            "Content-Type: x\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"lost\"}".to_string(),
            "Content-Length: ten\r\n\r\n{}".to_string(),
            "Content-Length: -5\r\n\r\n".to_string(),
            "Content-Length: 99999999999999999999999\r\n\r\n".to_string(),
            "Content-Length 12\r\n\r\n{}".to_string(),
            "Content-Length: 2\n\n{}".to_string(),
            format!("X-Long: {}\r\n\r\n", "a".repeat(5000)),
            "X: y\r\n".repeat(40) + "\r\n",
            "\u{feff}garbage \u{0}\u{1}\r\n\r\n".to_string(),
            // Which length is right cannot be known: at worst the frame
            // after it is lost too.
            "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}".to_string() + &frame(PING),
        ] {
            // Answered (more than once when the garbage holds what looks
            // like a header), then the next frame is read.
            let input = bad.clone() + &frame(PING);
            let got = frames(input.as_bytes());
            assert_eq!(got.first().map(|s| s.as_str()), Some("error -32700 null"));
            assert_eq!(
                got.last().map(|s| s.as_str()),
                Some("notification ping"),
                "{bad:?}: {got:?}"
            );
            assert!(
                got[..got.len() - 1].iter().all(|f| f.starts_with("error")),
                "{bad:?}: {got:?}"
            );
        }
    }

    #[test]
    fn a_frame_glued_to_garbage_is_found() {
        for junk in ["junk", "{\"x\": 1}", "\r\n\r\n", "Content-Length: x"] {
            let input = format!("{junk}{}", frame(PING));
            assert_eq!(
                frames(input.as_bytes()),
                ["error -32700 null", "notification ping"],
                "{junk:?}"
            );
        }
    }

    #[test]
    fn oversize_messages_are_skipped_without_holding_them() {
        let big = MAX_MESSAGE + 1;
        let mut input = format!("Content-Length: {big}\r\n\r\n").into_bytes();
        input.resize(input.len() + big as usize, b'x');
        input.extend_from_slice(frame(PING).as_bytes());
        assert_eq!(frames(&input), ["error -32600 null", "notification ping"]);
        // Announced but never sent: the reader waits for the bytes, and the
        // stream ends cleanly.
        let input = "Content-Length: 1000000000000\r\n\r\n{}".to_string() + &frame(PING);
        assert_eq!(frames(input.as_bytes()), ["error -32600 null"]);
    }

    #[test]
    fn bodies_that_are_not_messages() {
        for (body, want) in [
            ("{not json", "error -32700 null"),
            ("\u{0}", "error -32700 null"),
            ("[]", "error -32600 null"),
            ("42", "error -32600 null"),
            (r#"{"jsonrpc":"2.0"}"#, "error -32600 null"),
            (r#"{"jsonrpc":"2.0","id":7}"#, "error -32600 7"),
            (r#"{"jsonrpc":"2.0","id":7,"method":5}"#, "error -32600 7"),
            (r#"{"jsonrpc":"1.0","id":7,"method":"a"}"#, "error -32600 7"),
            (
                r#"{"jsonrpc":"2.0","id":1.5,"method":"a"}"#,
                "error -32600 1.5",
            ),
            (
                r#"{"jsonrpc":"2.0","id":99999999999,"method":"a"}"#,
                "error -32600 99999999999",
            ),
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"a"}"#,
                "error -32600 null",
            ),
            (
                r#"{"jsonrpc":"2.0","id":[1],"method":"a"}"#,
                "error -32600 null",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"a","params":3}"#,
                "error -32600 1",
            ),
            (r#"{"jsonrpc":"2.0","id":null,"result":1}"#, "ignored"),
        ] {
            let input = frame(body) + &frame(PING);
            assert_eq!(
                frames(input.as_bytes()),
                [want, "notification ping"],
                "{body}"
            );
        }
        let mut input = b"Content-Length: 2\r\n\r\n\xff\xfe".to_vec();
        input.extend_from_slice(frame(PING).as_bytes());
        assert_eq!(frames(&input), ["error -32700 null", "notification ping"]);
    }

    #[test]
    fn many_small_values_are_refused_before_parsing() {
        let body = format!("[{}0]", "0,".repeat(MAX_JSON_VALUES));
        let input = frame(&body) + &frame(PING);
        assert_eq!(
            frames(input.as_bytes()),
            ["error -32600 null", "notification ping"]
        );
        // Commas inside strings do not count.
        let body = format!(
            r#"{{"jsonrpc":"2.0","method":"m","params":["{}"]}}"#,
            ",".repeat(MAX_JSON_VALUES + 10)
        );
        assert_eq!(frames(frame(&body).as_bytes()), ["notification m"]);
    }

    #[test]
    fn the_input_may_end_anywhere() {
        let full = frame(r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#);
        for cut in 0..full.len() {
            assert!(frames(&full.as_bytes()[..cut]).is_empty(), "{cut}");
        }
    }
}
