//! Every configured secret (vendor keys and passwords, tokens a login
//! issued, the HTTP token, the state key) is replaced by [`MARK`] in every
//! string that leaves the process: tool results and errors, confirmation
//! messages, MCP log messages and tracing output. A vendor that echoes a
//! key back in an error message must not put it in the conversation.
//!
//! The set is process-wide because the tracing writer, installed before
//! the configuration is read, needs it too.

use std::borrow::Cow;
use std::io::Write;
use std::sync::RwLock;

use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResponse, CallToolResult};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// What a secret is replaced with.
pub const MARK: &str = "[redacted]";

/// Shorter values are not redacted: replacing every "test" or "1234" in
/// vendor data would corrupt results, and such values are no secret anyway.
pub const MIN_LEN: usize = 6;

static SECRETS: RwLock<Vec<SecretString>> = RwLock::new(Vec::new());

/// Adds `secret` to the set; blank, short or known values are ignored.
pub fn register(secret: &SecretString) {
    let value = secret.expose_secret().trim();
    if value.len() < MIN_LEN {
        return;
    }
    let Ok(mut secrets) = SECRETS.write() else {
        return;
    };
    if !secrets.iter().any(|s| s.expose_secret() == value) {
        secrets.push(SecretString::from(value.to_string()));
        // Longest first, so a token that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose_secret().len()));
    }
}

/// Whether a configuration variable holds a secret (by its name).
pub fn is_secret_name(name: &str) -> bool {
    ["KEY", "TOKEN", "PASSWORD", "SECRET"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// `text` with every registered secret replaced by [`MARK`].
pub fn scrub(text: &str) -> Cow<'_, str> {
    let Ok(secrets) = SECRETS.read() else {
        // A poisoned lock can't be trusted to have the secrets: say nothing.
        return Cow::Owned(MARK.to_string());
    };
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        let value = secret.expose_secret();
        if out.contains(value) {
            out = Cow::Owned(out.replace(value, MARK));
        }
    }
    out
}

fn scrub_string(text: &mut String) {
    if let Cow::Owned(clean) = scrub(text) {
        *text = clean;
    }
}

/// Every string of `value`, keys included.
pub fn scrub_value(value: &mut Value) {
    match value {
        Value::String(s) => scrub_string(s),
        Value::Array(items) => items.iter_mut().for_each(scrub_value),
        Value::Object(map) => {
            let dirty: Vec<String> = map
                .keys()
                .filter(|k| matches!(scrub(k), Cow::Owned(_)))
                .cloned()
                .collect();
            for key in dirty {
                if let Some(v) = map.remove(&key) {
                    map.insert(scrub(&key).into_owned(), v);
                }
            }
            map.values_mut().for_each(scrub_value);
        }
        _ => {}
    }
}

pub fn scrub_result(result: &mut CallToolResult) {
    // Blocks are scrubbed through their JSON form, so every kind (text,
    // embedded resources, ...) is covered without naming each.
    for block in &mut result.content {
        scrub_serialized(block);
    }
    if let Some(structured) = &mut result.structured_content {
        scrub_value(structured);
    }
}

/// A whole `tools/call` answer, whatever its kind.
pub fn scrub_response(response: &mut Result<CallToolResponse, McpError>) {
    match response {
        Ok(CallToolResponse::Complete(result)) => scrub_result(result),
        // Its form message was scrubbed when it was written (see confirm).
        Ok(CallToolResponse::InputRequired(input)) => scrub_serialized(input),
        Ok(CallToolResponse::Task(task)) => scrub_serialized(task),
        // `CallToolResponse` is non-exhaustive: no other kind carries our text yet.
        Ok(_) => {}
        Err(error) => scrub_error(error),
    }
}

/// A protocol error's message and data.
pub fn scrub_error(error: &mut McpError) {
    if let Cow::Owned(clean) = scrub(&error.message) {
        error.message = clean.into();
    }
    if let Some(data) = &mut error.data {
        scrub_value(data);
    }
}

/// Any serializable answer, through its JSON form.
fn scrub_serialized<T: serde::Serialize + serde::de::DeserializeOwned>(item: &mut T) {
    let Ok(mut value) = serde_json::to_value(&*item) else {
        return;
    };
    let before = value.clone();
    scrub_value(&mut value);
    if value != before
        && let Ok(clean) = serde_json::from_value(value)
    {
        *item = clean;
    }
}

/// A `tracing` writer to stderr that scrubs each event before it is written.
#[derive(Clone, Copy, Default)]
pub struct ScrubbedStderr;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ScrubbedStderr {
    type Writer = ScrubbedEvent;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedEvent(Vec::new())
    }
}

/// One event's bytes, written to stderr scrubbed when it is dropped.
pub struct ScrubbedEvent(Vec<u8>);

impl Write for ScrubbedEvent {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ScrubbedEvent {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let _ = std::io::stderr().write_all(scrub(&text).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registered_secrets_are_replaced_everywhere() {
        register(&SecretString::from("sk_unit_sentinel_4242".to_string()));
        register(&SecretString::from("abc".to_string()));
        assert_eq!(
            scrub("bad key sk_unit_sentinel_4242!"),
            "bad key [redacted]!"
        );
        assert_eq!(scrub("abc stays"), "abc stays");
        let mut v = json!({"error": {"message": "key sk_unit_sentinel_4242", "list": ["sk_unit_sentinel_4242"]}, "sk_unit_sentinel_4242": 1});
        scrub_value(&mut v);
        let text = v.to_string();
        assert!(!text.contains("sk_unit_sentinel_4242"), "{text}");
        assert_eq!(v["error"]["list"][0], MARK);
    }

    #[test]
    fn secret_names() {
        for name in [
            "LEADPANTHER_API_KEY",
            "LEADGENIUS_PASSWORD",
            "LEADMETRICS_ACCESS_TOKEN",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "LEADPANTHER_BASE_URL",
            "LEADGENIUS_USER_ID",
            "LEADGENIUS_EMAIL",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
