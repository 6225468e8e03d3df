//! Phone numbers and email addresses, checked once at the edge.
//!
//! A [`Phone`] is always E.164 (`+61400000000`), parsed with libphonenumber's
//! rules (the `phonenumber` crate) and the organisation's default region for
//! numbers written locally (`0400 000 000` in Australia). An [`Email`] is
//! trimmed and lower-cased. Both are bounded before they are read, and a
//! refusal quotes at most the start of what was sent ([`text::shown`]).

use std::fmt;
use std::str::FromStr;

use crate::text;

/// An ISO 3166-1 alpha-2 region used to read local phone numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(phonenumber::country::Id);

impl Region {
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The country calling code (61 for AU, 1 for US).
    pub fn calling_code(&self) -> u16 {
        phonenumber::metadata::DATABASE
            .by_id(self.as_str())
            .map_or(0, |m| m.country_code())
    }
}

impl FromStr for Region {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        phonenumber::country::Id::from_str(&s.trim().to_ascii_uppercase())
            .map(Region)
            .map_err(|_| format!("{s:?} is not a two-letter region code such as AU"))
    }
}

impl Default for Region {
    fn default() -> Self {
        Region(phonenumber::country::Id::AU)
    }
}

/// A valid phone number in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Longest text read as a phone: E.164 has at most 15 digits, and
    /// people add spaces, brackets and dashes.
    pub const MAX_TEXT: usize = 40;

    /// Reads a phone number written in international form or locally for `region`.
    pub fn parse(raw: &str, region: Region) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("is empty".to_owned());
        }
        if trimmed.chars().count() > Self::MAX_TEXT {
            return Err(format!("must be at most {} characters", Self::MAX_TEXT));
        }
        let number = phonenumber::parse(Some(region.0), trimmed)
            .map_err(|_| format!("{} is not a phone number", text::shown(trimmed)))?;
        if !phonenumber::is_valid(&number) {
            return Err(format!(
                "{} is not a valid phone number (read with default region {})",
                text::shown(trimmed),
                region.as_str()
            ));
        }
        Ok(Self(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region the number belongs to, from its country code (none for
    /// a code several regions share and the number doesn't settle).
    pub fn region(&self) -> Option<Region> {
        phonenumber::parse(None, &self.0).ok()?.country().id().map(Region)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Longest address (RFC 5321's path limit).
    pub const MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > Self::MAX {
            return Err(format!("must be at most {} characters", Self::MAX));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        let email = trimmed.to_lowercase();
        let Some((local, domain)) = email.split_once('@') else {
            return Err(format!("{} has no @", text::shown(trimmed)));
        };
        let ok = !local.is_empty()
            && local.len() <= 64
            && email.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !email.contains(char::is_whitespace)
            && !domain.contains('@');
        if ok {
            Ok(Self(email))
        } else {
            Err(format!("{} is not an email address", text::shown(trimmed)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn au() -> Region {
        "AU".parse().unwrap()
    }

    #[test]
    fn local_australian_mobiles_become_e164() {
        assert_eq!(Phone::parse("0400 000 000", au()).unwrap().as_str(), "+61400000000");
        assert_eq!(Phone::parse("+61 411 222 333", au()).unwrap().as_str(), "+61411222333");
        assert_eq!(Phone::parse("(02) 9876 5432", au()).unwrap().as_str(), "+61298765432");
    }

    #[test]
    fn international_numbers_keep_their_country() {
        assert_eq!(Phone::parse("+1 415 555 2671", au()).unwrap().as_str(), "+14155552671");
    }

    #[test]
    fn the_region_decides_how_local_numbers_are_read() {
        let us: Region = "us".parse().unwrap();
        assert_eq!(Phone::parse("(415) 555-2671", us).unwrap().as_str(), "+14155552671");
    }

    #[test]
    fn junk_is_not_a_phone() {
        for raw in ["", "   ", "hello", "123", "+61 4"] {
            assert!(Phone::parse(raw, au()).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn a_number_knows_its_region() {
        let nz = Phone::parse("+64 21 123 4567", au()).unwrap();
        assert_eq!(nz.region().map(|r| r.as_str().to_owned()).as_deref(), Some("NZ"));
        let mobile = Phone::parse("0412 345 678", au()).unwrap();
        assert_eq!(mobile.region(), Some(au()));
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Jane@Example.COM ").unwrap().as_str(),
            "jane@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "a@b@c.com",
            "jane@.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn a_refusal_never_echoes_a_long_value() {
        let long = "4".repeat(5_000);
        assert_eq!(Phone::parse(&long, au()).unwrap_err(), "must be at most 40 characters");
        assert_eq!(
            Email::parse(&format!("{long}@x.com")).unwrap_err(),
            "must be at most 254 characters"
        );
        let reason = Phone::parse(&"x".repeat(39), au()).unwrap_err();
        assert!(reason.len() < 100, "{reason}");
    }

    #[test]
    fn a_nul_or_control_character_is_not_an_email() {
        for raw in ["a\u{0}b@x.com", "a\u{1b}@x.com", "a\nb@x.com"] {
            assert_eq!(
                Email::parse(raw).unwrap_err(),
                "must not contain control characters",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn unknown_regions_are_refused() {
        assert!("ZZ".parse::<Region>().is_err());
        assert!("Australia".parse::<Region>().is_err());
    }
}
