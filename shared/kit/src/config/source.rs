//! Where settings come from: explicit overrides (tests), environment
//! variables, and an optional TOML file (`ATTEND_CONFIG_FILE`), read into
//! typed values with errors that name the variable. Values that look
//! secret are redacted from error messages.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

/// One setting that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The environment variable (or TOML key) at fault.
    pub var: String,
    /// What is wrong with it, in words an operator can act on.
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            var: var.into(),
            problem: problem.into(),
        }
    }
}

/// Where settings are looked up.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// Highest precedence; tests use these instead of mutating the process env.
    overrides: HashMap<String, String>,
    /// Whether to consult the process environment.
    use_env: bool,
    /// Values from `ATTEND_CONFIG_FILE`, lowest precedence.
    file: HashMap<String, String>,
}

impl Source {
    /// The same source with a TOML file's values as its lowest layer.
    pub fn with_file(mut self, path: &str) -> Result<Self, ConfigError> {
        self.file = read_toml_file(path)?;
        Ok(self)
    }

    /// The process environment plus the optional `ATTEND_CONFIG_FILE`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut source = Self {
            overrides: HashMap::new(),
            use_env: true,
            file: HashMap::new(),
        };
        if let Some(path) = source.raw("ATTEND_CONFIG_FILE") {
            source.file = read_toml_file(&path)?;
        }
        Ok(source)
    }

    /// No environment: only what the caller sets (unit tests).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Sets a value that wins over the environment and the file.
    pub fn with(mut self, var: &str, value: impl Into<String>) -> Self {
        self.overrides.insert(var.to_owned(), value.into());
        self
    }

    /// The raw value, if set and not blank.
    pub fn raw(&self, var: &str) -> Option<String> {
        let value = self
            .overrides
            .get(var)
            .cloned()
            .or_else(|| if self.use_env { std::env::var(var).ok() } else { None })
            .or_else(|| self.file.get(var).cloned())?;
        if value.trim().is_empty() { None } else { Some(value) }
    }

    /// A parsed value, or `default` when unset.
    pub fn get_or<T>(&self, var: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        Ok(self.optional(var)?.unwrap_or(default))
    }

    /// A parsed value, or `None` when unset.
    pub fn optional<T>(&self, var: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.raw(var) {
            None => Ok(None),
            Some(raw) => raw
                .trim()
                .parse::<T>()
                .map(Some)
                .map_err(|e| ConfigError::new(var, format!("{e} (got {:?})", redact(var, &raw)))),
        }
    }

    /// A value read by `parse` (a key, a secret: what `FromStr` doesn't
    /// cover), or `None` when unset; `parse`'s reason names the variable.
    pub fn parsed<T>(
        &self,
        var: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match self.raw(var) {
            None => Ok(None),
            Some(raw) => parse(&raw).map(Some).map_err(|why| ConfigError::new(var, why)),
        }
    }

    /// A parsed value that must be set.
    pub fn required<T>(&self, var: &str, what: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.optional(var)?
            .ok_or_else(|| ConfigError::new(var, format!("is not set; it must hold {what}")))
    }

    /// A rate limit: how many a minute, at least 1.
    pub fn per_minute(&self, var: &str, default: u32) -> Result<NonZeroU32, ConfigError> {
        NonZeroU32::new(self.get_or(var, default)?).ok_or_else(|| ConfigError::new(var, "must be at least 1 a minute"))
    }

    /// `true`/`false`/`1`/`0`/`yes`/`no`.
    pub fn flag(&self, var: &str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(var) {
            None => Ok(default),
            Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::new(var, format!("expected true or false (got {raw:?})"))),
            },
        }
    }

    /// A duration such as `30s`, `500ms`, `5m`, `2h`.
    pub fn duration(&self, var: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.raw(var) {
            None => Ok(default),
            Some(raw) => parse_duration(raw.trim()).ok_or_else(|| {
                ConfigError::new(
                    var,
                    format!("expected a duration like 500ms, 30s, 5m or 2h (got {raw:?})"),
                )
            }),
        }
    }
}

/// Never echo secrets back in an error message.
fn redact(var: &str, raw: &str) -> String {
    let secret = ["SECRET", "PASSWORD", "KEY", "TOKEN"]
        .iter()
        .any(|word| var.contains(word));
    if secret {
        "<redacted>".to_owned()
    } else if var.ends_with("DATABASE_URL") || var == "NATS_URL" {
        // URLs may embed a password.
        match Url::parse(raw) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => raw.to_owned(),
        }
    } else {
        raw.to_owned()
    }
}

fn read_toml_file(path: &str) -> Result<HashMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new("ATTEND_CONFIG_FILE", format!("cannot read {path}: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| ConfigError::new("ATTEND_CONFIG_FILE", format!("{path} is not TOML: {e}")))?;
    let mut values = HashMap::new();
    for (key, value) in table {
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError::new(
                    key,
                    format!(
                        "in {path}: expected a string, number or boolean, found a {}",
                        other.type_str()
                    ),
                ));
            }
        };
        values.insert(key, text);
    }
    Ok(values)
}

pub fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(n.checked_mul(3600)?)),
        _ => None,
    }
}
