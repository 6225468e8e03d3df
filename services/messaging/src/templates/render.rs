//! Template placeholders: which exist, how they are written, how a template
//! is checked and rendered, and how dates and times read to a patient.
//!
//! A placeholder is a known name in braces, `{name}`. These are known:
//!
//! | placeholder | what it holds |
//! | --- | --- |
//! | `name` | the contact's **first** name ("Ann") |
//! | `full_name` | the contact's full name ("Ann Lee") |
//! | `clinic` | the organisation's name as patients know it |
//! | `clinic_phone` | the clinic's phone number, as patients dial it |
//! | `address` | the clinic's street address |
//! | `intent` | what the enquiry was about, in words ("a skin check") |
//! | `date` | the appointment's date, from [`patient_date`] ("Tue 5 Jan") |
//! | `time` | the appointment's time, from [`patient_time`] ("2:30 pm") |
//! | `suggested_day` | a day offered for booking ("Thursday") |
//! | `suggested_time` | a time offered for booking ("10:00 am") |
//! | `booking_link` | a link to book online |
//! | `review_link` | a link to leave a review |
//! | `referral_link` | the patient's own referral link |
//! | `incentive` | what a referral earns ("$20 off your next visit") |
//! | `months` | time since the last visit, in words ("6 months") |
//! | `doctor_name` | the doctor's name without the title, which templates write ("Dr. {doctor_name}") |
//! | `client_name` | the care recipient a family message is about ("Margaret Lee") |
//!
//! Every placeholder spec 000's templates use is here. Its automation rules
//! repeat some texts with other names (`{day}`, `{link}`, `{doctor}`); the
//! templates' names are the ones kept, so each value has one name.
//!
//! Rules of the syntax, each refused with a [`TemplateError`] that says
//! what and where:
//! - A name that is not in the table is refused, naming it
//!   ("unknown placeholder {nmae}"); names are exact (`{Name}` is unknown).
//! - `{{` is a literal `{` and `}}` a literal `}`, as in Rust's `format!`.
//!   Any other `}` is stray, a `{` without its `}` is unclosed, and `{}` is
//!   empty. Positions count characters from 1.
//! - Rendering needs a value for every placeholder the content uses; a
//!   missing or blank one fails, naming every one missing, so a patient
//!   never receives "Hi {name}" or "Hi ,". Values are inserted as they are:
//!   braces in a value are text, never placeholders.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A sample value for a placeholder (an unknown one gets its own name).
pub(crate) fn sample(name: &str) -> String {
    Placeholder::parse(name).map_or_else(|| name.to_owned(), |p| p.sample().to_owned())
}

/// A value a template can ask for (the table in the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Placeholder {
    /// The contact's first name.
    Name,
    /// The contact's full name.
    FullName,
    Clinic,
    ClinicPhone,
    Address,
    Intent,
    Date,
    Time,
    SuggestedDay,
    SuggestedTime,
    BookingLink,
    ReviewLink,
    ReferralLink,
    Incentive,
    Months,
    DoctorName,
    /// The care recipient a message to their family is about.
    ClientName,
}

impl Placeholder {
    pub(crate) const ALL: [Placeholder; 17] = [
        Placeholder::Name,
        Placeholder::FullName,
        Placeholder::Clinic,
        Placeholder::ClinicPhone,
        Placeholder::Address,
        Placeholder::Intent,
        Placeholder::Date,
        Placeholder::Time,
        Placeholder::SuggestedDay,
        Placeholder::SuggestedTime,
        Placeholder::BookingLink,
        Placeholder::ReviewLink,
        Placeholder::ReferralLink,
        Placeholder::Incentive,
        Placeholder::Months,
        Placeholder::DoctorName,
        Placeholder::ClientName,
    ];

    /// The name written between the braces.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Placeholder::Name => "name",
            Placeholder::FullName => "full_name",
            Placeholder::Clinic => "clinic",
            Placeholder::ClinicPhone => "clinic_phone",
            Placeholder::Address => "address",
            Placeholder::Intent => "intent",
            Placeholder::Date => "date",
            Placeholder::Time => "time",
            Placeholder::SuggestedDay => "suggested_day",
            Placeholder::SuggestedTime => "suggested_time",
            Placeholder::BookingLink => "booking_link",
            Placeholder::ReviewLink => "review_link",
            Placeholder::ReferralLink => "referral_link",
            Placeholder::Incentive => "incentive",
            Placeholder::Months => "months",
            Placeholder::DoctorName => "doctor_name",
            Placeholder::ClientName => "client_name",
        }
    }

    /// Exactly one of the names.
    pub(crate) fn parse(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// A plausible value, for previews without a contact.
    pub(crate) fn sample(self) -> &'static str {
        match self {
            Placeholder::Name => "Sarah",
            Placeholder::FullName => "Sarah Johnson",
            Placeholder::Clinic => "the clinic",
            Placeholder::ClinicPhone => "02 9000 0000",
            Placeholder::Address => "1 Main Street",
            Placeholder::Intent => "a skin check",
            Placeholder::Date => "Tue 5 Jan",
            Placeholder::Time => "10:00 am",
            Placeholder::SuggestedDay => "Thursday",
            Placeholder::SuggestedTime => "10:00 am",
            Placeholder::BookingLink => "https://book.example.com",
            Placeholder::ReviewLink => "https://review.example.com",
            Placeholder::ReferralLink => "https://refer.example.com",
            Placeholder::Incentive => "$20 off your next visit",
            Placeholder::Months => "12 months",
            Placeholder::DoctorName => "Patel",
            Placeholder::ClientName => "Margaret Lee",
        }
    }

    /// What it holds, for people writing templates.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Placeholder::Name => "the contact's first name",
            Placeholder::FullName => "the contact's full name",
            Placeholder::Clinic => "the clinic's name as patients know it",
            Placeholder::ClinicPhone => "the clinic's phone number",
            Placeholder::Address => "the clinic's street address",
            Placeholder::Intent => "what the enquiry was about, in words",
            Placeholder::Date => "the appointment's date, like \"Tue 5 Jan\"",
            Placeholder::Time => "the appointment's time, like \"2:30 pm\"",
            Placeholder::SuggestedDay => "a day offered for booking, like \"Thursday\"",
            Placeholder::SuggestedTime => "a time offered for booking, like \"10:00 am\"",
            Placeholder::BookingLink => "a link to book online",
            Placeholder::ReviewLink => "a link to leave a review",
            Placeholder::ReferralLink => "the patient's own referral link",
            Placeholder::Incentive => "what a referral earns, like \"$20 off your next visit\"",
            Placeholder::Months => "time since the last visit, like \"6 months\"",
            Placeholder::DoctorName => "the doctor's name, without \"Dr.\"",
            Placeholder::ClientName => "the care recipient a family message is about",
        }
    }
}

/// Why a template's content was refused or could not be rendered. The
/// message reads after the field's name: "content: unknown placeholder {nmae}".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TemplateError {
    /// Names in braces that are not placeholders, in order of first use,
    /// each cut to 40 characters.
    #[error("unknown placeholder{} {}", plural(.names), braced(.names))]
    Unknown { names: Vec<String> },
    /// A `{` with no `}` before the end or the next `{`.
    #[error("unclosed {{ at character {at} (write {{{{ for a literal {{)")]
    Unclosed { at: usize },
    /// A `}` that closes nothing.
    #[error("stray }} at character {at} (write }}}} for a literal }})")]
    Stray { at: usize },
    /// `{}`.
    #[error("empty {{}} at character {at}")]
    Empty { at: usize },
    /// Placeholders the content uses with no value, or a blank one.
    #[error("no value for {}", braced(.names))]
    Missing { names: Vec<String> },
}

fn plural(names: &[String]) -> &'static str {
    if names.len() == 1 { "" } else { "s" }
}

fn braced(names: &[String]) -> String {
    names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")
}

/// The placeholders `content` uses, in order of first use, each once.
pub(crate) fn placeholders(content: &str) -> Result<Vec<String>, TemplateError> {
    Ok(used(&parse(content)?)
        .into_iter()
        .map(|p| p.as_str().to_owned())
        .collect())
}

/// `content` with every placeholder replaced by its value from `values`
/// (keyed by placeholder name; others are ignored).
pub(crate) fn render(content: &str, values: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let pieces = parse(content)?;
    let value = |p: Placeholder| values.get(p.as_str()).filter(|v| !v.trim().is_empty());
    let missing: Vec<String> = used(&pieces)
        .into_iter()
        .filter(|p| value(*p).is_none())
        .map(|p| p.as_str().to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(TemplateError::Missing { names: missing });
    }
    let mut out = String::with_capacity(content.len());
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Brace(c) => out.push(c),
            Piece::Value(p) => out.push_str(value(p).map_or("", String::as_str)),
        }
    }
    Ok(out)
}

/// An appointment's date as a patient reads it, in their zone: "Tue 5 Jan".
pub(crate) fn patient_date(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%a %-d %b").to_string()
}

/// An appointment's time as a patient reads it, in their zone: "10:00 am",
/// "2:30 pm" (12-hour, no leading zero, lower-case am/pm).
pub(crate) fn patient_time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%-I:%M %P").to_string()
}

/// Content split into what is copied and what is filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    /// A brace written doubled.
    Brace(char),
    Value(Placeholder),
}

fn parse(content: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    let mut chars = content.char_indices().enumerate().peekable();
    let mut text_start = 0;
    while let Some((position, (offset, c))) = chars.next() {
        if c != '{' && c != '}' {
            continue;
        }
        let at = position + 1;
        if text_start < offset {
            pieces.push(Piece::Text(&content[text_start..offset]));
        }
        if chars.next_if(|(_, (_, next))| *next == c).is_some() {
            pieces.push(Piece::Brace(c));
            text_start = offset + 2 * c.len_utf8();
            continue;
        }
        if c == '}' {
            return Err(TemplateError::Stray { at });
        }
        let name_start = offset + 1;
        let name_end = loop {
            match chars.next() {
                Some((_, (end, '}'))) => break end,
                Some((_, (_, '{'))) | None => return Err(TemplateError::Unclosed { at }),
                Some(_) => {}
            }
        };
        let name = &content[name_start..name_end];
        match Placeholder::parse(name) {
            Some(p) => pieces.push(Piece::Value(p)),
            None if name.is_empty() => return Err(TemplateError::Empty { at }),
            None => {
                let shown = shown(name);
                if !unknown.contains(&shown) {
                    unknown.push(shown);
                }
            }
        }
        text_start = name_end + 1;
    }
    if text_start < content.len() {
        pieces.push(Piece::Text(&content[text_start..]));
    }
    if unknown.is_empty() {
        Ok(pieces)
    } else {
        Err(TemplateError::Unknown { names: unknown })
    }
}

/// Placeholders in order of first use, each once.
fn used(pieces: &[Piece<'_>]) -> Vec<Placeholder> {
    let mut used = Vec::new();
    for piece in pieces {
        if let Piece::Value(p) = piece
            && !used.contains(p)
        {
            used.push(*p);
        }
    }
    used
}

/// An unknown name as an error quotes it: at most 40 characters, control
/// characters escaped, so a stray brace before a paragraph doesn't echo it.
fn shown(name: &str) -> String {
    const SHOWN: usize = 40;
    let mut shown = String::new();
    for c in name.chars().take(SHOWN) {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    if name.chars().count() > SHOWN {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Australia::Sydney;
    use proptest::prelude::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn local(at: DateTime<Utc>, tz: Tz) -> String {
        format!("{}, {}", patient_date(at, tz), patient_time(at, tz))
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn every_placeholder_has_a_unique_name_that_parses_back_and_a_description() {
        for p in Placeholder::ALL {
            assert_eq!(Placeholder::parse(p.as_str()), Some(p));
            assert!(!p.description().is_empty());
            assert!(p.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        let mut names: Vec<_> = Placeholder::ALL.iter().map(|p| p.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Placeholder::ALL.len());
    }

    #[test]
    fn placeholders_are_listed_in_order_of_first_use_each_once() {
        let content = "{name}, {date} at {time}. See you, {name}! {clinic}";
        assert_eq!(placeholders(content).unwrap(), ["name", "date", "time", "clinic"]);
        assert_eq!(placeholders("No placeholders here.").unwrap(), Vec::<String>::new());
        assert_eq!(placeholders("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn an_unknown_placeholder_is_refused_by_name() {
        let err = placeholders("Hi {nmae}, see you").unwrap_err();
        assert_eq!(
            err,
            TemplateError::Unknown {
                names: vec!["nmae".into()]
            }
        );
        assert_eq!(err.to_string(), "unknown placeholder {nmae}");
    }

    #[test]
    fn every_unknown_placeholder_is_named_at_once() {
        let err = placeholders("{nmae} at {clnic}, {name} {nmae} {Name}").unwrap_err();
        assert_eq!(err.to_string(), "unknown placeholders {nmae}, {clnic}, {Name}");
    }

    #[test]
    fn the_rules_other_names_for_values_are_unknown() {
        let err = placeholders("Would {day} at {time} work? Book here: {link}").unwrap_err();
        assert_eq!(err.to_string(), "unknown placeholders {day}, {link}");
    }

    #[test]
    fn a_long_unknown_name_is_cut_when_quoted() {
        let content = format!("{{{}}}", "x".repeat(100));
        let err = placeholders(&content).unwrap_err();
        assert_eq!(err.to_string(), format!("unknown placeholder {{{}…}}", "x".repeat(40)));
        let err = placeholders("{a\nb}").unwrap_err();
        assert_eq!(err.to_string(), "unknown placeholder {a\\nb}");
    }

    #[test]
    fn broken_braces_are_refused_with_where_they_are() {
        let cases = [
            ("Hi {name", TemplateError::Unclosed { at: 4 }),
            ("Hi {name, see {clinic}", TemplateError::Unclosed { at: 4 }),
            ("{", TemplateError::Unclosed { at: 1 }),
            ("Hi name}", TemplateError::Stray { at: 8 }),
            ("{name}}", TemplateError::Stray { at: 7 }),
            ("é}", TemplateError::Stray { at: 2 }),
            ("Hi {}", TemplateError::Empty { at: 4 }),
        ];
        for (content, expected) in cases {
            assert_eq!(placeholders(content), Err(expected.clone()), "{content:?}");
            assert_eq!(render(content, &BTreeMap::new()), Err(expected), "{content:?}");
        }
    }

    #[test]
    fn errors_read_after_the_fields_name() {
        assert_eq!(
            TemplateError::Unclosed { at: 4 }.to_string(),
            "unclosed { at character 4 (write {{ for a literal {)"
        );
        assert_eq!(
            TemplateError::Stray { at: 8 }.to_string(),
            "stray } at character 8 (write }} for a literal })"
        );
        assert_eq!(TemplateError::Empty { at: 4 }.to_string(), "empty {} at character 4");
    }

    #[test]
    fn doubled_braces_are_literal_braces() {
        let content = "{{name}} is {name}; {{}} and }}{{";
        assert_eq!(placeholders(content).unwrap(), ["name"]);
        assert_eq!(
            render(content, &values(&[("name", "Ann")])).unwrap(),
            "{name} is Ann; {} and }{"
        );
        // A tripled brace is a literal one and then a placeholder.
        assert_eq!(render("{{{name}}}", &values(&[("name", "Ann")])).unwrap(), "{Ann}");
    }

    #[test]
    fn rendering_replaces_every_placeholder() {
        let content = "Hi {name}, reminder: You have an appointment at {clinic} on {date} at {time}.";
        let v = values(&[
            ("name", "Ann"),
            ("clinic", "Skin Co"),
            ("date", "Tue 5 Jan"),
            ("time", "10:00 am"),
            ("review_link", "https://example.test/r"),
        ]);
        assert_eq!(
            render(content, &v).unwrap(),
            "Hi Ann, reminder: You have an appointment at Skin Co on Tue 5 Jan at 10:00 am."
        );
    }

    #[test]
    fn every_missing_or_blank_value_is_named_and_nothing_is_rendered() {
        let content = "Hi {name}, on {date} at {time} with Dr. {doctor_name}";
        let v = values(&[("time", "10:00 am"), ("date", "  "), ("doctor_name", "")]);
        let err = render(content, &v).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Missing {
                names: vec!["name".into(), "date".into(), "doctor_name".into()]
            }
        );
        assert_eq!(err.to_string(), "no value for {name}, {date}, {doctor_name}");
    }

    #[test]
    fn braces_in_a_value_are_text_not_placeholders() {
        let v = values(&[("name", "{clinic}"), ("clinic", "Skin Co}{")]);
        assert_eq!(render("Hi {name} at {clinic}", &v).unwrap(), "Hi {clinic} at Skin Co}{");
    }

    #[test]
    fn values_are_inserted_as_they_are() {
        let v = values(&[("name", " Ann  ")]);
        assert_eq!(render("Hi {name}!", &v).unwrap(), "Hi  Ann  !");
    }

    #[test]
    fn a_patient_reads_a_short_date_and_a_twelve_hour_time() {
        // Tue 5 Jan 2027, 10:00 in Sydney (AEDT, UTC+11).
        let at = utc(2027, 1, 4, 23, 0);
        assert_eq!(patient_date(at, Sydney), "Tue 5 Jan");
        assert_eq!(patient_time(at, Sydney), "10:00 am");
        let cases = [
            ((3, 30), "2:30 pm"),
            ((1, 0), "12:00 pm"),
            ((13, 5), "12:05 am"),
            ((12, 59), "11:59 pm"),
            ((20, 0), "7:00 am"),
        ];
        for ((hour, minute), expected) in cases {
            let at = utc(2027, 1, 5, hour, minute);
            assert_eq!(patient_time(at, Sydney), expected, "{at}");
        }
        assert_eq!(
            patient_date(utc(2027, 1, 5, 13, 5), Sydney),
            "Wed 6 Jan",
            "past midnight local"
        );
    }

    #[test]
    fn the_date_and_time_are_local_to_the_zone_given() {
        let at = utc(2026, 7, 1, 23, 30);
        assert_eq!(local(at, chrono_tz::UTC), "Wed 1 Jul, 11:30 pm");
        assert_eq!(local(at, Sydney), "Thu 2 Jul, 9:30 am");
        assert_eq!(local(at, chrono_tz::America::Los_Angeles), "Wed 1 Jul, 4:30 pm");
    }

    #[test]
    fn ten_in_the_morning_reads_as_ten_on_the_days_sydney_changes_its_clocks() {
        // DST ends Sun 5 Apr 2026: 10:00 is AEST (UTC+10), 00:00 UTC.
        assert_eq!(local(utc(2026, 4, 5, 0, 0), Sydney), "Sun 5 Apr, 10:00 am");
        // DST starts Sun 4 Oct 2026: 10:00 is AEDT (UTC+11), the day before in UTC.
        assert_eq!(local(utc(2026, 10, 3, 23, 0), Sydney), "Sun 4 Oct, 10:00 am");
    }

    #[test]
    fn both_half_past_two_on_the_night_dst_ends_read_as_half_past_two() {
        // 02:30 happens twice on 5 Apr 2026: first in AEDT, then an hour later in AEST.
        for at in [utc(2026, 4, 4, 15, 30), utc(2026, 4, 4, 16, 30)] {
            assert_eq!(local(at, Sydney), "Sun 5 Apr, 2:30 am");
        }
    }

    #[test]
    fn half_past_two_never_shows_on_the_night_dst_starts() {
        // On 4 Oct 2026 the clocks go from 02:00 AEST straight to 03:00 AEDT.
        let times: Vec<String> = [(15, 30), (15, 59), (16, 0), (16, 30)]
            .into_iter()
            .map(|(h, m)| patient_time(utc(2026, 10, 3, h, m), Sydney))
            .collect();
        assert_eq!(times, ["1:30 am", "1:59 am", "3:00 am", "3:30 am"]);
        assert_eq!(patient_date(utc(2026, 10, 3, 16, 0), Sydney), "Sun 4 Oct");
    }

    /// Text written so that it renders to `text` itself.
    fn escape(text: &str) -> String {
        text.replace('{', "{{").replace('}', "}}")
    }

    proptest! {
        #[test]
        fn any_text_with_its_braces_doubled_renders_to_itself(text in "[a-z {}é👍\n]{0,60}") {
            let content = escape(&text);
            prop_assert_eq!(placeholders(&content).unwrap(), Vec::<String>::new());
            prop_assert_eq!(render(&content, &BTreeMap::new()).unwrap(), text);
        }

        #[test]
        fn values_are_inserted_verbatim_whatever_they_hold(
            name in "[a-z {}]{0,20}[a-z{}][a-z {}]{0,20}",
            clinic in "[a-z {}]{0,20}[a-z{}][a-z {}]{0,20}",
            text in "[a-z ]{0,20}",
        ) {
            let content = format!("{}{{name}}{}{{clinic}}{{name}}", escape(&text), escape(&text));
            let v = values(&[("name", &name), ("clinic", &clinic)]);
            prop_assert_eq!(render(&content, &v).unwrap(), format!("{text}{name}{text}{clinic}{name}"));
        }

        #[test]
        fn checking_and_rendering_agree_on_any_content(content in "[a-z_{} ]{0,40}") {
            let all: BTreeMap<String, String> =
                Placeholder::ALL.iter().map(|p| (p.as_str().to_owned(), "x".to_owned())).collect();
            match placeholders(&content) {
                Ok(_) => prop_assert!(render(&content, &all).is_ok()),
                Err(e) => prop_assert_eq!(render(&content, &all), Err(e)),
            }
        }
    }
}
