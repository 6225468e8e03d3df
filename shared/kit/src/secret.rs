//! Secrets that can't be printed by accident.
//!
//! A [`Secret`] hides its value from `Debug` (and has no `Display`), so a
//! `{:?}` of a settings struct or an error never writes a key to a log.
//! Reading the value is explicit: [`Secret::expose`].

use std::fmt;

/// A value that must never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself, for the one place that uses it (a MAC, a header).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_value() {
        #[derive(Debug)]
        #[allow(dead_code, reason = "only printed")]
        struct Settings {
            token: Secret<String>,
        }
        let shown = format!(
            "{:?}",
            Settings {
                token: Secret::new("hunter2".to_owned())
            }
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
