//! A Server-Sent Events parser (the WHATWG `text/event-stream` format),
//! incremental and bounded: bytes go in as they arrive, whole events come out.
//!
//! Written here rather than taken from a crate because it is small, and the
//! bound on one event's size (an upstream that never sends a blank line must
//! not grow memory without end) is part of the contract.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field; `message` when the stream gave none.
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The last event id seen so far on the stream (it carries over), if any.
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an event or line of the stream is larger than {0} bytes")]
    TooLarge(usize),
}

/// Feeds on chunks of bytes; keeps the unfinished line and event between them.
#[derive(Debug)]
pub struct Parser {
    max_event_bytes: usize,
    /// Bytes of the line being read (UTF-8 is decoded per complete line, so a
    /// character split across chunks is not damaged).
    line: Vec<u8>,
    /// A `\r` ended the last line: a `\n` right after it belongs to it.
    after_cr: bool,
    /// The stream's very first bytes may carry a BOM to skip.
    started: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
}

impl Parser {
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event_bytes,
            line: Vec::new(),
            after_cr: false,
            started: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            last_id: None,
        }
    }

    /// Parses `chunk` and returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Event>, SseError> {
        let mut chunk = chunk;
        if !self.started && !chunk.is_empty() {
            self.started = true;
            chunk = chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk);
        }
        let mut out = Vec::new();
        for &byte in chunk {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line_done(&line)? {
                        out.push(event);
                    }
                }
                _ => {
                    self.after_cr = false;
                    if self.line.len() + self.data.len() >= self.max_event_bytes {
                        return Err(SseError::TooLarge(self.max_event_bytes));
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(out)
    }

    fn line_done(&mut self, raw: &[u8]) -> Result<Option<Event>, SseError> {
        if raw.is_empty() {
            return Ok(self.dispatch());
        }
        let line = String::from_utf8_lossy(raw);
        if line.starts_with(':') {
            return Ok(None); // a comment, e.g. a keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
                if self.data.len() > self.max_event_bytes {
                    return Err(SseError::TooLarge(self.max_event_bytes));
                }
            }
            // An id with a NUL is ignored, as the standard says.
            "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
            // `retry` is for reconnecting clients; this reader does not reconnect.
            _ => {}
        }
        Ok(None)
    }

    /// A blank line: the event so far is complete (unless it had no data).
    fn dispatch(&mut self) -> Option<Event> {
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        let had_data = std::mem::replace(&mut self.has_data, false);
        had_data.then(|| Event {
            event: if event.is_empty() {
                "message".into()
            } else {
                event
            },
            data,
            id: self.last_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<Event> {
        let mut p = Parser::new(1024);
        chunks.iter().flat_map(|c| p.feed(c).unwrap()).collect()
    }

    fn ev(event: &str, data: &str, id: Option<&str>) -> Event {
        Event {
            event: event.into(),
            data: data.into(),
            id: id.map(str::to_string),
        }
    }

    #[test]
    fn events_fields_comments_and_defaults() {
        let got = parse_all(&[
            b": keep-alive\n\nevent: token\nid: 1\ndata: {\"text\":\"Hel\"}\n\ndata: plain\n\n",
        ]);
        assert_eq!(
            got,
            [
                ev("token", "{\"text\":\"Hel\"}", Some("1")),
                ev("message", "plain", Some("1"))
            ]
        );
    }

    #[test]
    fn multi_line_data_and_one_space_stripped() {
        let got = parse_all(&[b"data:a\ndata:  b\ndata\n\n"]);
        assert_eq!(got, [ev("message", "a\n b\n", None)]);
    }

    #[test]
    fn any_line_ending_and_chunk_boundaries() {
        let whole = b"event: x\r\ndata: 1\r\n\r\nevent: y\rdata: 2\r\rdata: 3\n\n";
        let expected = [
            ev("x", "1", None),
            ev("y", "2", None),
            ev("message", "3", None),
        ];
        assert_eq!(parse_all(&[whole]), expected);
        // Byte by byte, a \r\n split across chunks counts as one line end.
        let bytes: Vec<&[u8]> = whole.chunks(1).collect();
        assert_eq!(parse_all(&bytes), expected);
    }

    #[test]
    fn utf8_split_across_chunks_and_bom() {
        let text = "\u{FEFF}data: héllo\n\n".as_bytes();
        let (a, b) = text.split_at(9); // inside the é
        assert_eq!(parse_all(&[a, b]), [ev("message", "héllo", None)]);
    }

    #[test]
    fn events_without_data_are_not_dispatched_and_unknown_fields_ignored() {
        let got = parse_all(&[b"event: ping\n\nretry: 10\nfoo: bar\n\nid: 7\n\ndata: x\n\n"]);
        assert_eq!(got, [ev("message", "x", Some("7"))]);
    }

    #[test]
    fn an_unfinished_event_waits_for_its_blank_line() {
        let mut p = Parser::new(1024);
        assert!(p.feed(b"data: part").unwrap().is_empty());
        assert!(p.feed(b"ial\n").unwrap().is_empty());
        assert_eq!(p.feed(b"\n").unwrap(), [ev("message", "partial", None)]);
    }

    #[test]
    fn oversized_lines_and_events_are_refused() {
        let mut p = Parser::new(16);
        assert_eq!(
            p.feed(&[b'a'; 40]).unwrap_err(),
            SseError::TooLarge(16),
            "a line without end"
        );
        let mut p = Parser::new(16);
        let r = p.feed(b"data: 0123456789\ndata: 0123456789\n");
        assert!(r.is_err(), "data lines adding up past the bound");
    }
}
