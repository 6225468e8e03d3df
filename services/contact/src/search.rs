//! Lists of contacts: filtered by pipeline, stage, source and warmness,
//! searched by text (a phone's digits, an email's start, the starts of
//! words), newest or warmest first, a keyset page at a time; and a
//! contact's likely duplicates.

use attend_kit::audit::{self, Entry};
use attend_kit::authz::Permission;
use attend_kit::contact_point::Region;
use attend_kit::cursor;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ContactId, TypedId};
use attend_kit::text;
use attend_kit::{Error, FieldError};
use attend_proto::contact::v1 as pb;
use uuid::Uuid;

use crate::api::Api;
use crate::channel;
use crate::pipeline;
use crate::store::{self, ContactRow, ListKey, ListQuery, Prefix, Search};

impl Api {
    pub(crate) async fn list_contacts(
        &self,
        caller: Caller,
        req: pb::ListContactsRequest,
    ) -> Result<pb::ListContactsResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let region = self.region(org).await?;
        let (query, tag) = list_query(&req, region)?;
        let limit = query.limit;
        let mut tx = self.db.tenant(org).await?;
        let mut rows = store::list(
            &mut tx,
            org,
            &ListQuery {
                limit: limit + 1,
                ..query
            },
        )
        .await?;
        let next_cursor = cursor::next_page(&mut rows, limit, |c| {
            let key = if tag == "warmest" {
                c.warmness_score.to_string()
            } else {
                cursor::time_key(c.created_at)
            };
            cursor::encode(tag, &key, c.id)
        });
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::untargeted("contact.search", "contact").with_details(
                serde_json::json!({ "by": "list", "text": !req.q.trim().is_empty(), "results": rows.len() }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ListContactsResponse {
            contacts: rows.into_iter().map(ContactRow::into_proto).collect(),
            next_cursor,
        })
    }

    pub(crate) async fn find_duplicates(
        &self,
        caller: Caller,
        req: pb::FindDuplicatesRequest,
    ) -> Result<pb::FindDuplicatesResponse, Error> {
        caller.require_permission(Permission::ContactsRead)?;
        let org = caller.org()?;
        let id = ContactId::parse_uuid_at("contact_id", &req.contact_id)?;
        let mut tx = self.db.tenant(org).await?;
        let of = store::get(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("contact".to_owned()))?;
        let rows = store::duplicates(&mut tx, org, &of).await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("contact.find_duplicates", "contact", id)
                .with_details(serde_json::json!({ "results": rows.len() })),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::FindDuplicatesResponse {
            duplicates: rows
                .into_iter()
                .map(|d| {
                    let reasons = [
                        (d.same_email, "same_email"),
                        (d.same_name, "same_name"),
                        (d.similar_phone, "similar_phone"),
                    ]
                    .into_iter()
                    .filter(|(hit, _)| *hit)
                    .map(|(_, why)| why.to_owned())
                    .collect();
                    pb::Duplicate {
                        contact: Some(d.contact.into_proto()),
                        reasons,
                    }
                })
                .collect(),
        })
    }
}

/// Most words a search may have; each is one more index probe.
const SEARCH_WORDS_MAX: usize = 6;

/// What `q` asks for, as prefixes ready for [`store::Search`]:
/// - digits (with spaces, `+`, `-`, brackets): a phone by its first
///   digits, written locally ("0412 345", the trunk 0 dropped) or with
///   the country code ("+61 412"), or by its last digits ("5678");
/// - text with an `@`: the start of an email address;
/// - other text: contacts with a word starting with each word of `q`
///   ("ava harl" finds Ava Harley), in the name or in the email before its
///   `@`. Words are split on white space and ASCII punctuation, as contact
///   migration 0004's `search_words` splits them.
///
/// Everything is matched from a start, by btree indexes: a substring
/// search can't use an index under Row-Level Security (migration 0004),
/// and would be slow anyway, as every number shares its first digits and
/// every address its domain.
pub fn search_needle(q: &str, region: Region) -> Result<Option<Search>, Error> {
    // Bounded before it is read: the limit on the needle below counts
    // what is left after punctuation and spaces are dropped.
    let q = text::line(q, 200).map_err(text::at("q"))?;
    let q = q.as_str();
    if q.is_empty() {
        return Ok(None);
    }
    let phone_like = q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let needle = if phone_like {
        q.chars().filter(char::is_ascii_digit).collect()
    } else {
        q.to_lowercase()
    };
    if needle.chars().count() < 3 {
        return Err(Error::invalid(
            "q",
            "must have at least 3 characters (or 3 digits of a phone)",
        ));
    }
    if needle.chars().count() > 100 {
        return Err(Error::invalid("q", "must be at most 100 characters"));
    }
    if phone_like {
        // Written locally, the number's first 0 is the trunk prefix.
        let national = needle.strip_prefix('0').unwrap_or(&needle);
        let reversed: String = needle.chars().rev().collect();
        return Ok(Some(Search::Phone {
            local: Prefix::new(&format!("+{}{national}", region.calling_code())),
            international: Prefix::new(&format!("+{needle}")),
            ending_reversed: Prefix::new(&reversed),
        }));
    }
    if needle.contains('@') {
        return Ok(Some(Search::EmailStart(Prefix::new(&needle))));
    }
    let mut words: Vec<&str> = needle
        .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .filter(|w| !w.is_empty())
        .collect();
    words.sort_unstable();
    words.dedup();
    // A word that starts another asks nothing more ("ann anna").
    let words: Vec<&str> = words
        .iter()
        .filter(|w| !words.iter().any(|o| o != *w && o.starts_with(**w)))
        .copied()
        .collect();
    if words.is_empty() {
        return Err(Error::invalid("q", "must have a letter or a digit"));
    }
    if words.len() > SEARCH_WORDS_MAX {
        return Err(Error::invalid(
            "q",
            format!("must have at most {SEARCH_WORDS_MAX} words"),
        ));
    }
    Ok(Some(Search::Words(words.into_iter().map(Prefix::new).collect())))
}

/// A checked list request, and its cursor tag.
pub(crate) fn list_query(req: &pb::ListContactsRequest, region: Region) -> Result<(ListQuery, &'static str), Error> {
    let mut problems = Vec::new();
    let pipeline = Some(req.pipeline.trim().to_owned()).filter(|p| !p.is_empty());
    if let Some(p) = &pipeline
        && pipeline::find(p).is_none()
    {
        problems.push(FieldError::new(
            "pipeline",
            format!("must be one of {}", pipeline::pipeline_names()),
        ));
    }
    let stage = Some(req.stage.trim().to_owned()).filter(|s| !s.is_empty());
    if let Some(s) = &stage {
        let fits = match pipeline.as_deref().and_then(pipeline::find) {
            Some(p) => p.stage(s).is_some(),
            None => pipeline::is_stage(s),
        };
        if !fits {
            problems.push(FieldError::new("stage", "is not a stage of that pipeline"));
        }
    }
    let source = text::collect(&mut problems, "source", text::line(&req.source, 100))
        .filter(|s| !s.is_empty())
        .map(|s| channel::from_label(&s).name);
    for (field, value) in [("min_warmness", req.min_warmness), ("max_warmness", req.max_warmness)] {
        if value.is_some_and(|v| !(0..=100).contains(&v)) {
            problems.push(FieldError::new(field, "must be between 0 and 100"));
        }
    }
    if let (Some(min), Some(max)) = (req.min_warmness, req.max_warmness)
        && min > max
    {
        problems.push(FieldError::new("min_warmness", "must not be above max_warmness"));
    }
    let needle = match search_needle(&req.q, region) {
        Ok(needle) => needle,
        Err(Error::Invalid(mut p)) => {
            problems.append(&mut p);
            None
        }
        Err(e) => return Err(e),
    };
    let tag = match req.sort.trim() {
        "" | "newest" => "newest",
        "warmest" => "warmest",
        _ => {
            problems.push(FieldError::new("sort", "must be newest or warmest"));
            "newest"
        }
    };
    let limit = match req.limit {
        0 => 50,
        n @ 1..=200 => i64::from(n),
        _ => {
            problems.push(FieldError::new("limit", "must be between 1 and 200"));
            50
        }
    };
    if req.ids.len() > 200 {
        problems.push(FieldError::new("ids", "lists more than 200 contacts"));
    }
    let ids: Vec<Uuid> = req
        .ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| match ContactId::parse_uuid(id) {
            Ok(id) => Some(id.uuid()),
            Err(_) => {
                problems.push(FieldError::new("ids", format!("item {} is not a contact id", i + 1)));
                None
            }
        })
        .collect();
    let after = match req.cursor.trim() {
        "" => None,
        text => match cursor::decode("cursor", tag, text) {
            Ok((key, id)) => {
                let key = if tag == "warmest" {
                    key.parse().map(ListKey::Warmness).map_err(|_| ())
                } else {
                    cursor::parse_time_key("cursor", &key)
                        .map(ListKey::Created)
                        .map_err(|_| ())
                };
                match key {
                    Ok(key) => Some((key, id)),
                    Err(()) => {
                        problems.push(FieldError::new("cursor", "is not a cursor from this listing"));
                        None
                    }
                }
            }
            Err(Error::Invalid(mut p)) => {
                problems.append(&mut p);
                None
            }
            Err(e) => return Err(e),
        },
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok((
        ListQuery {
            pipeline,
            stage,
            source,
            min_warmness: req.min_warmness,
            max_warmness: req.max_warmness,
            needle,
            ids,
            warmest: tag == "warmest",
            after,
            limit,
        },
        tag,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_read_as_a_phone_an_email_start_or_words() {
        let au = Region::default();
        let phone = |local: &str, international: &str, ending_reversed: &str| Search::Phone {
            local: Prefix::new(local),
            international: Prefix::new(international),
            ending_reversed: Prefix::new(ending_reversed),
        };
        let words = |words: &[&str]| Search::Words(words.iter().map(|w| Prefix::new(w)).collect());
        assert_eq!(
            search_needle("0412 345", au).unwrap(),
            Some(phone("+61412345", "+0412345", "5432140"))
        );
        assert_eq!(
            search_needle("+61 412", au).unwrap(),
            Some(phone("+6161412", "+61412", "21416"))
        );
        let us: Region = "US".parse().unwrap();
        assert_eq!(
            search_needle("(212) 555", us).unwrap(),
            Some(phone("+1212555", "+212555", "555212"))
        );
        assert_eq!(search_needle("  Jane DOE ", au).unwrap(), Some(words(&["doe", "jane"])));
        assert_eq!(
            search_needle("O'Brien-Smith, 50%_off", au).unwrap(),
            Some(words(&["50", "brien", "off", "smith"])),
            "\"o\" adds nothing: a contact with a word starting \"off\" has one starting \"o\""
        );
        assert_eq!(
            search_needle("ann Anna ann", au).unwrap(),
            Some(words(&["anna"])),
            "a word that starts another adds nothing"
        );
        assert_eq!(search_needle("Zoë", au).unwrap(), Some(words(&["zoë"])));
        assert_eq!(
            search_needle("Mia.Wong@", au).unwrap(),
            Some(Search::EmailStart(Prefix::new("mia.wong@")))
        );
        assert_eq!(search_needle("", au).unwrap(), None);
        assert_eq!(
            search_needle("0000", au).unwrap(),
            Some(phone("+61000", "+0000", "0000")),
            "an ending may be all zeros"
        );
        for (bad, reason) in [
            ("ab", "at least 3"),
            ("04 ", "at least 3"),
            ("-*- ", "a letter or a digit"),
            ("a b c d e f g", "at most 6 words"),
            ("a\u{0}b", "NUL"),
            ("ann\nlee", "one line"),
        ] {
            let Err(Error::Invalid(problems)) = search_needle(bad, au) else {
                panic!("{bad:?} is refused");
            };
            assert_eq!(problems[0].field, "q");
            assert!(problems[0].reason.contains(reason), "{bad:?}: {}", problems[0].reason);
        }
    }

    #[test]
    fn a_prefix_is_the_range_of_texts_that_start_with_it() {
        let p = Prefix::new("harl");
        assert_eq!((p.from.as_str(), p.until.as_deref()), ("harl", Some("harm")));
        assert_eq!(Prefix::new("zoë").until.as_deref(), Some("zoì"));
        assert_eq!(Prefix::new("+6141").until.as_deref(), Some("+6142"));
        // The next character past one before the surrogates is after them.
        assert_eq!(Prefix::new("a\u{d7ff}").until.as_deref(), Some("a\u{e000}"));
        assert_eq!(Prefix::new("a\u{10ffff}").until.as_deref(), Some("b"));
        assert_eq!(Prefix::new("\u{10ffff}").until, None);
        // In byte order, which is the order of text_pattern_ops.
        let (from, until) = (p.from.as_bytes(), p.until.as_deref().unwrap().as_bytes());
        for inside in ["harl", "harley", "harl\u{10ffff}"] {
            assert!(from <= inside.as_bytes() && inside.as_bytes() < until, "{inside}");
        }
        for outside in ["har", "harm", "hark\u{10ffff}", "hb"] {
            assert!(!(from <= outside.as_bytes() && outside.as_bytes() < until), "{outside}");
        }
    }

    #[test]
    fn list_requests_name_every_bad_field() {
        let req = pb::ListContactsRequest {
            pipeline: "sales".to_owned(),
            stage: "won".to_owned(),
            min_warmness: Some(101),
            max_warmness: Some(-5),
            q: "ab".to_owned(),
            sort: "oldest".to_owned(),
            limit: 1_000,
            cursor: "nonsense".to_owned(),
            ids: vec![uuid::Uuid::nil().to_string(), "contact_x".to_owned()],
            ..Default::default()
        };
        let Err(Error::Invalid(problems)) = list_query(&req, Region::default()) else {
            panic!("the request is refused");
        };
        let mut fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        fields.sort_unstable();
        fields.dedup();
        assert_eq!(
            fields,
            [
                "cursor",
                "ids",
                "limit",
                "max_warmness",
                "min_warmness",
                "pipeline",
                "q",
                "sort",
                "stage"
            ]
        );
    }
}
