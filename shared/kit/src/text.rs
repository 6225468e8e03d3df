//! Text from outside, checked once where it enters.
//!
//! Every string a person or a provider sends passes one of these before it
//! is trusted: [`line`] for one-line values (names, sources, subjects),
//! [`PersonName`] for a person's name, [`multiline`] for free text that may
//! have line breaks (notes, messages), [`json_object`] for JSON details sent
//! as text. Each trims, bounds the length in
//! characters, and refuses what Postgres can't store (U+0000, NUL) and
//! what a one-line value must not hold (control characters), with a reason
//! that reads after the field's name ("name: must be at most 200
//! characters").

use crate::error::{Error, FieldError};

/// Why a text was refused: words that follow the field's name.
pub type Reason = String;

/// The one character Postgres `text` and `jsonb` can't hold.
const NUL: char = '\0';

/// A one-line value, trimmed: at most `max` characters, no control
/// characters (a line break in a name is a paste gone wrong). May be empty.
pub fn line(raw: &str, max: usize) -> Result<String, Reason> {
    let text = raw.trim();
    if text.contains(NUL) {
        return Err("must not contain a NUL character".to_owned());
    }
    if text.chars().any(char::is_control) {
        return Err("must be one line, without control characters".to_owned());
    }
    bounded(text, max)
}

/// Free text, trimmed: at most `max` characters; line breaks and tabs are
/// kept, other control characters refused.
pub fn multiline(raw: &str, max: usize) -> Result<String, Reason> {
    let text = raw.trim();
    if text.contains(NUL) {
        return Err("must not contain a NUL character".to_owned());
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("must not contain control characters other than line breaks and tabs".to_owned());
    }
    bounded(text, max)
}

fn bounded(text: &str, max: usize) -> Result<String, Reason> {
    if text.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(text.to_owned())
}

/// Text a provider sent, made storable by a documented rule rather than
/// refused (a provider can't fix a patient's name, and a refused booking
/// would be lost): NUL and the other control characters are removed, except
/// tab, line feed and carriage return.
pub fn scrub(raw: &str) -> std::borrow::Cow<'_, str> {
    let unwanted = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if raw.contains(unwanted) {
        std::borrow::Cow::Owned(raw.chars().filter(|c| !unwanted(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// A provider's one-line value (a name): every run of white space and
/// control characters becomes one space, and the ends are trimmed, so what
/// [`line`] would refuse is mended instead.
pub fn squash_line(raw: &str) -> String {
    raw.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A one-line value that must not be blank.
pub fn required_line(raw: &str, max: usize) -> Result<String, Reason> {
    let text = line(raw, max)?;
    if text.is_empty() {
        return Err("is required".to_owned());
    }
    Ok(text)
}

/// A JSON object sent as text (a touchpoint's details): blank is `{}`; at
/// most `max` characters; an object, and no NUL in it, neither raw nor as
/// a `\u0000` escape in any key or string (Postgres `jsonb` can't hold one).
pub fn json_object(raw: &str, max: usize) -> Result<serde_json::Map<String, serde_json::Value>, Reason> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(serde_json::Map::new());
    }
    if text.contains(NUL) {
        return Err("must not contain a NUL character".to_owned());
    }
    bounded(text, max)?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("must be JSON: {e}"))?;
    fn holds_nul(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains(NUL),
            serde_json::Value::Array(items) => items.iter().any(holds_nul),
            serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains(NUL) || holds_nul(v)),
            _ => false,
        }
    }
    if holds_nul(&value) {
        return Err("must not contain a NUL character (\\u0000)".to_owned());
    }
    let serde_json::Value::Object(object) = value else {
        return Err("must be a JSON object ({...})".to_owned());
    };
    Ok(object)
}

/// A person's name as people and providers send it: one line, 1-200
/// characters once trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Longest name kept.
    pub const MAX: usize = 200;

    /// A name that must be given.
    pub fn parse(raw: &str) -> Result<Self, Reason> {
        required_line(raw, Self::MAX).map(Self)
    }

    /// A name that may be left blank (`None`).
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, Reason> {
        let text = line(raw, Self::MAX)?;
        Ok((!text.is_empty()).then_some(Self(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for PersonName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// How a refused value is quoted back in a message: at most 40
/// characters, control characters escaped, and its length when cut, so an
/// error never echoes unbounded input (a 5,000-character phone once
/// overflowed the gRPC headers that carry the message).
pub fn shown(raw: &str) -> String {
    const SHOWN: usize = 40;
    let count = raw.chars().count();
    let head: String = raw.chars().take(SHOWN).collect();
    if count > SHOWN {
        format!("{:?}… ({count} characters)", head)
    } else {
        format!("{head:?}")
    }
}

/// Turns a reason into the error that names `field`:
/// `PersonName::parse(raw).map_err(at("name"))`.
pub fn at(field: &str) -> impl FnOnce(Reason) -> Error + '_ {
    move |reason| Error::invalid(field, reason)
}

/// Collects a reason against `field` into `problems`, for requests that
/// report every bad field at once; `None` when refused.
pub fn collect<T>(problems: &mut Vec<FieldError>, field: &str, result: Result<T, Reason>) -> Option<T> {
    result
        .map_err(|reason| problems.push(FieldError::new(field, reason)))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Jane Doe ").unwrap().as_str(), "Jane Doe");
        assert_eq!(
            PersonName::parse(&"é".repeat(200)).unwrap().as_str().chars().count(),
            200
        );
        assert_eq!(
            PersonName::parse(&"é".repeat(201)).unwrap_err(),
            "must be at most 200 characters"
        );
        assert_eq!(PersonName::parse("   ").unwrap_err(), "is required");
        assert_eq!(PersonName::parse_optional("  ").unwrap(), None);
    }

    #[test]
    fn a_nul_or_a_control_character_is_refused_by_name() {
        assert_eq!(
            PersonName::parse("Nul\u{0}Booker").unwrap_err(),
            "must not contain a NUL character"
        );
        assert!(PersonName::parse("Jane\nDoe").unwrap_err().contains("one line"));
        assert!(PersonName::parse("Jane\u{7f}").is_err(), "DEL is a control character");
    }

    #[test]
    fn free_text_keeps_line_breaks_but_not_other_controls() {
        assert_eq!(multiline(" a\nb\tc ", 10).unwrap(), "a\nb\tc");
        assert!(multiline("a\u{0}b", 10).is_err());
        assert!(multiline("a\u{1b}[31m", 10).is_err(), "terminal escapes are refused");
    }

    #[test]
    fn json_details_are_an_object_without_nul() {
        assert!(json_object("  ", 100).unwrap().is_empty(), "blank is an empty object");
        assert_eq!(json_object(r#"{"rule": "r1", "n": [1]}"#, 100).unwrap()["rule"], "r1");
        assert!(json_object("[1, 2]", 100).unwrap_err().contains("object"));
        assert!(json_object("{", 100).unwrap_err().starts_with("must be JSON"));
        assert!(json_object("{\"a\": \"\u{0}\"}", 100).unwrap_err().contains("NUL"));
        for escaped in [
            r#"{"a": "x\u0000"}"#,
            r#"{"a\u0000": 1}"#,
            r#"{"a": [{"b": "\u0000"}]}"#,
        ] {
            assert!(json_object(escaped, 100).unwrap_err().contains("NUL"), "{escaped}");
        }
        assert!(
            json_object(r#"{"a": "0123456789"}"#, 10)
                .unwrap_err()
                .contains("at most")
        );
    }

    #[test]
    fn the_reason_is_given_against_the_field() {
        let Err(Error::Invalid(problems)) = PersonName::parse("").map_err(at("customer.name")) else {
            panic!("a blank name is refused");
        };
        assert_eq!(problems[0].field, "customer.name");
    }

    #[test]
    fn a_refused_value_is_shown_short() {
        assert_eq!(shown("0412"), "\"0412\"");
        assert_eq!(shown("a\u{0}b"), "\"a\\0b\"");
        let long = shown(&"4".repeat(5_000));
        assert!(long.len() < 70, "{long}");
        assert!(long.ends_with("(5000 characters)"), "{long}");
    }

    #[test]
    fn provider_text_is_mended_not_refused() {
        assert_eq!(scrub("Nul\u{0}Booker"), "NulBooker");
        assert_eq!(scrub("line\nbreak\ttab"), "line\nbreak\ttab");
        assert_eq!(squash_line("  Jane\n\u{0}  Doe\t"), "Jane Doe");
        assert!(PersonName::parse(&squash_line(&scrub("a\u{0}\u{7}b\r\nc"))).is_ok());
    }

    proptest! {
        #[test]
        fn a_squashed_line_is_a_name_when_short_enough(raw in "\\PC{0,150}|[\\x00-\\x1f a-z]{0,150}") {
            let line = squash_line(&scrub(&raw));
            if !line.is_empty() {
                prop_assert!(PersonName::parse(&line).is_ok(), "{line:?}");
            }
        }

        #[test]
        fn whatever_is_accepted_can_be_stored(raw in "\\PC*|.*\u{0}.*") {
            if let Ok(text) = multiline(&raw, 1_000) {
                prop_assert!(!text.contains('\0'));
                prop_assert!(text.chars().count() <= 1_000);
            }
        }
    }
}
