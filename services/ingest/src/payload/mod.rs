//! Provider payloads, parsed: pure functions from a body to what it says,
//! with no I/O, so every provider's quirks are testable on their own. The
//! HTTP side (verifying, routing, storing) is [`crate::edge`].
//!
//! This module holds the shared reader: payloads are read field by field,
//! naming each problem by its path in the body (`subscriber.phone`,
//! `createdEvent.entity.startDate`). Form-encoded bodies are read as a flat
//! JSON object of strings.
//!
//! Every string is read through [`Reader::opt_str`], which makes it
//! storable by one documented rule instead of refusing the delivery: NUL
//! and other control characters (but tab and line breaks) are removed
//! ([`attend_kit::text::scrub`]). A name is made one line
//! ([`Reader::name`]). Every string is bounded ([`TEXT_MAX`], or less where
//! the field says), and an id that becomes a dedupe key to [`ID_MAX`]: a
//! value over its bound is refused naming the field, never passed on to
//! fail downstream.
//!
//! - [`wix`]: Wix booking deliveries (JWT claims and the seed's JSON form).
//! - [`leads`]: ManyChat External Requests and web form submissions.
//! - [`sms`]: ClickSend and Twilio inbound texts and delivery reports.
//! - [`email`]: SendGrid's Event Webhook batches.

pub(crate) mod email;
pub(crate) mod leads;
pub(crate) mod sms;
pub(crate) mod wix;

use attend_kit::FieldError;
use attend_kit::text;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// A body as a JSON object: JSON as sent, or form fields as strings.
pub fn object(body: &[u8], content_type: Option<&str>) -> Result<Value, Vec<FieldError>> {
    let form = content_type.is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if form {
        let fields: Map<String, Value> = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(Value::Object(fields));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(vec![FieldError::new("body", "must be a JSON object")]),
        Err(e) => Err(vec![FieldError::new(
            "body",
            format!("is not JSON ({e}); send application/json or application/x-www-form-urlencoded"),
        )]),
    }
}

/// Reads JSON text or an object already decoded (Wix nests JSON as strings).
pub fn nested(value: &Value, field: &str) -> Result<Value, FieldError> {
    match value {
        Value::String(text) => {
            serde_json::from_str(text).map_err(|e| FieldError::new(field, format!("is not JSON text: {e}")))
        }
        Value::Object(_) => Ok(value.clone()),
        Value::Null => Err(FieldError::new(field, "is required")),
        _ => Err(FieldError::new(field, "must be an object or JSON text")),
    }
}

/// Longest text any provider field may carry.
pub const TEXT_MAX: usize = 5_000;
/// Longest provider id (a delivery, message or booking id).
pub const ID_MAX: usize = 200;

/// Collects field problems while reading a JSON object.
pub struct Reader<'a> {
    prefix: String,
    value: &'a Value,
    pub problems: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    pub fn new(prefix: &str, value: &'a Value) -> Self {
        Self {
            prefix: prefix.to_owned(),
            value,
            problems: Vec::new(),
        }
    }

    pub fn path(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{}.{path}", self.prefix)
        }
    }

    pub fn at(&self, path: &str) -> Option<&'a Value> {
        let mut v = self.value;
        for part in path.split('.') {
            v = v.get(part)?;
        }
        (!v.is_null()).then_some(v)
    }

    /// A non-blank string, if present, scrubbed and at most [`TEXT_MAX`]
    /// characters; a non-string or a longer one is a problem.
    pub fn opt_str(&mut self, path: &str) -> Option<String> {
        match self.at(path) {
            None => None,
            Some(Value::String(s)) => {
                let s = text::scrub(s);
                let s = s.trim();
                if s.is_empty() {
                    None
                } else if s.chars().count() > TEXT_MAX {
                    self.problem(path, format!("must be at most {TEXT_MAX} characters"));
                    None
                } else {
                    Some(s.to_owned())
                }
            }
            Some(_) => {
                self.problem(path, "must be a string");
                None
            }
        }
    }

    pub fn req_str(&mut self, path: &str) -> Option<String> {
        let value = self.opt_str(path);
        if value.is_none() && !self.problems.iter().any(|p| p.field == self.path(path)) {
            self.problem(path, "is required");
        }
        value
    }

    /// A required provider id, at most [`ID_MAX`] characters.
    pub fn req_id(&mut self, path: &str) -> Option<String> {
        let value = self.req_str(path)?;
        self.within(path, value, ID_MAX)
    }

    /// A person's name (or part of one): one line, at most `max` characters.
    pub fn name(&mut self, path: &str, max: usize) -> Option<String> {
        let value = text::squash_line(&self.opt_str(path)?);
        self.within(path, value, max)
    }

    fn within(&mut self, path: &str, value: String, max: usize) -> Option<String> {
        if value.chars().count() > max {
            self.problem(path, format!("must be at most {max} characters"));
            return None;
        }
        Some(value)
    }

    pub fn opt_time(&mut self, path: &str) -> Option<DateTime<Utc>> {
        let raw = self.opt_str(path)?;
        match DateTime::parse_from_rfc3339(&raw) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                let p = self.path(path);
                self.problems.push(FieldError::new(
                    p,
                    format!(
                        "{} is not an RFC 3339 timestamp such as 2026-01-05T10:00:00Z",
                        text::shown(&raw)
                    ),
                ));
                None
            }
        }
    }

    pub fn problem(&mut self, path: &str, reason: impl Into<String>) {
        let p = self.path(path);
        self.problems.push(FieldError::new(p, reason));
    }

    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}

impl Reader<'_> {
    /// The first of several names that is present (forms name fields many ways).
    pub fn first_str(&mut self, paths: &[&str]) -> Option<String> {
        paths.iter().find_map(|p| self.opt_str(p))
    }

    /// A string of at most `max` characters.
    pub fn bounded(&mut self, path: &str, max: usize) -> Option<String> {
        let value = self.opt_str(path)?;
        self.within(path, value, max)
    }

    /// An integer sent as a number or as digits.
    pub fn opt_int(&mut self, path: &str) -> Option<i64> {
        match self.at(path)? {
            Value::Number(n) => n.as_i64().or_else(|| {
                self.problem(path, "must be a whole number");
                None
            }),
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => s.trim().parse().ok().or_else(|| {
                self.problem(path, format!("{} is not a whole number", text::shown(s)));
                None
            }),
            _ => {
                self.problem(path, "must be a number");
                None
            }
        }
    }

    /// A list of strings (or one string, its items separated by commas),
    /// each scrubbed and trimmed like every string, blanks dropped, each at
    /// most `max` characters.
    pub fn str_list(&mut self, path: &str, max: usize) -> Vec<String> {
        let raw: Vec<&str> = match self.at(path) {
            None => return Vec::new(),
            Some(Value::Array(items)) => {
                let strings: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                if strings.len() != items.len() {
                    self.problem(path, "must be a list of strings");
                }
                strings
            }
            Some(Value::String(s)) => s.split(',').collect(),
            Some(_) => {
                self.problem(path, "must be a list of strings");
                return Vec::new();
            }
        };
        let items: Vec<String> = raw
            .into_iter()
            .map(|item| text::scrub(item).trim().to_owned())
            .filter(|item| !item.is_empty())
            .collect();
        if items.iter().any(|item| item.chars().count() > max) {
            self.problem(path, format!("each must be at most {max} characters"));
        }
        items
    }

    /// Unix seconds (number or digits) or an RFC 3339 timestamp.
    pub fn opt_instant(&mut self, path: &str) -> Option<DateTime<Utc>> {
        match self.at(path)? {
            Value::String(s) if !s.trim().chars().all(|c| c.is_ascii_digit()) => self.opt_time(path),
            _ => {
                let seconds = self.opt_int(path)?;
                DateTime::from_timestamp(seconds, 0).or_else(|| {
                    self.problem(path, "is not a time");
                    None
                })
            }
        }
    }
}
