//! Lists of contacts, text search and likely duplicates. Every condition
//! is a leakproof comparison, so each has its index under Row-Level
//! Security (contact migrations 0004 and 0005).

use attend_kit::db::Tx;
use attend_kit::ids::{OrgId, TypedId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ContactRow, c_columns, contact_columns};

/// Filters and order of a contact list.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub pipeline: Option<String>,
    pub stage: Option<String>,
    pub source: Option<String>,
    pub min_warmness: Option<i32>,
    pub max_warmness: Option<i32>,
    pub needle: Option<Search>,
    /// Only these contacts (empty: any).
    pub ids: Vec<Uuid>,
    pub warmest: bool,
    /// The last row of the previous page: its sort key and id.
    pub after: Option<(ListKey, Uuid)>,
    pub limit: i64,
}

/// A text search (see `api::search_needle`). Every condition it becomes
/// is a prefix range with leakproof operators: under Row-Level Security
/// Postgres uses only those as index conditions (contact migration 0004).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Contacts with a word (of the name, or of the email before its `@`)
    /// starting with each of these.
    Words(Vec<Prefix>),
    /// The start of an email address.
    EmailStart(Prefix),
    /// A phone by its first digits, written locally or with the country
    /// code, or by its last digits (a prefix of the reversed number).
    Phone {
        local: Prefix,
        international: Prefix,
        ending_reversed: Prefix,
    },
}

/// The texts that start with `from`: `from ~>=~ text ~<~ until` in the byte
/// order of `text_pattern_ops`, which is UTF-8's code point order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    pub from: String,
    /// None when nothing sorts after every text with this start.
    pub until: Option<String>,
}

impl Prefix {
    pub fn new(start: &str) -> Self {
        let mut until: Vec<char> = start.chars().collect();
        // The first text past the prefix: its last character, one up.
        let until = loop {
            let Some(last) = until.pop() else { break None };
            let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
            if let Some(next) = next {
                until.push(next);
                break Some(until.into_iter().collect());
            }
        };
        Self {
            from: start.to_owned(),
            until,
        }
    }

    /// ` <column> ~>=~ $n and <column> ~<~ $m`.
    fn push(&self, q: &mut sqlx::QueryBuilder<sqlx::Postgres>, column: &'static str) {
        q.push(column).push(" ~>=~ ").push_bind(self.from.clone());
        if let Some(until) = &self.until {
            q.push(" and ").push(column).push(" ~<~ ").push_bind(until.clone());
        }
    }
}

/// The sort key of a listed contact.
#[derive(Debug, Clone, Copy)]
pub enum ListKey {
    Created(DateTime<Utc>),
    Warmness(i32),
}

/// A page of active (not merged) contacts.
pub async fn list(tx: &mut Tx, org: OrgId, l: &ListQuery) -> sqlx::Result<Vec<ContactRow>> {
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new(concat!("select ", c_columns!(), " from "));
    // The newest first sorts on (created_at, id); a search by words sorts on
    // its matches' copy of them, so Postgres takes the newest matches from
    // the words index and looks up only the contacts on the page.
    let mut newest = ("c.created_at", "c.id");
    if let Some(Search::Words(words)) = &l.needle {
        // The longest word is likely the rarest: its matches are read from
        // the index, and each is checked for the other words.
        let driver = words.iter().max_by_key(|w| w.from.len());
        q.push("(select distinct contact_id, created_at from contact.contact_words m where org_id = ")
            .push_bind(org.uuid());
        for word in words {
            if Some(word) == driver {
                q.push(" and ");
                word.push(&mut q, "m.word");
            } else {
                q.push(
                    " and exists (select 1 from contact.contact_words w where w.contact_id = m.contact_id and w.org_id = ",
                )
                .push_bind(org.uuid())
                .push(" and ");
                word.push(&mut q, "w.word");
                q.push(")");
            }
        }
        q.push(" order by created_at desc, contact_id desc) m join contact.contacts c on c.id = m.contact_id and ");
        newest = ("m.created_at", "m.contact_id");
    } else {
        q.push("contact.contacts c where ");
    }
    q.push("c.merged_into is null and c.org_id = ").push_bind(org.uuid());
    if let Some(pipeline) = &l.pipeline {
        q.push(" and c.current_pipeline = ").push_bind(pipeline.clone());
    }
    if let Some(stage) = &l.stage {
        q.push(" and c.current_stage = ").push_bind(stage.clone());
    }
    if let Some(source) = &l.source {
        q.push(" and c.source = ").push_bind(source.clone());
    }
    if !l.ids.is_empty() {
        q.push(" and c.id = any(").push_bind(l.ids.clone()).push(")");
    }
    if let Some(min) = l.min_warmness {
        q.push(" and c.warmness_score >= ").push_bind(min);
    }
    if let Some(max) = l.max_warmness {
        q.push(" and c.warmness_score <= ").push_bind(max);
    }
    match &l.needle {
        Some(Search::EmailStart(start)) => {
            q.push(" and ");
            start.push(&mut q, "c.email");
        }
        Some(Search::Phone {
            local,
            international,
            ending_reversed,
        }) => {
            q.push(" and ((");
            local.push(&mut q, "c.phone");
            q.push(") or (");
            international.push(&mut q, "c.phone");
            q.push(") or (");
            ending_reversed.push(&mut q, "c.phone_reversed");
            q.push("))");
        }
        Some(Search::Words(_)) | None => {}
    }
    let (key, id) = if l.warmest {
        ("c.warmness_score", "c.id")
    } else {
        newest
    };
    match l.after {
        Some((ListKey::Created(at), after)) => {
            q.push(format_args!(" and ({key}, {id}) < ("))
                .push_bind(at)
                .push(", ")
                .push_bind(after)
                .push(")");
        }
        Some((ListKey::Warmness(score), after)) => {
            q.push(format_args!(" and ({key}, {id}) < ("))
                .push_bind(score)
                .push(", ")
                .push_bind(after)
                .push(")");
        }
        None => {}
    }
    q.push(format_args!(" order by {key} desc, {id} desc limit "));
    q.push_bind(l.limit);
    // Unprepared, so Postgres plans each list with its own values. A cached
    // generic plan can't tell a rare search term from a common one: it
    // walked the newest-first index past a million rows to find one email,
    // where the email index finds it at once.
    q.build_query_as().persistent(false).fetch_all(&mut **tx).await
}

/// A likely duplicate and why.
#[derive(Debug, sqlx::FromRow)]
pub struct DuplicateRow {
    #[sqlx(flatten)]
    pub contact: ContactRow,
    pub same_email: bool,
    pub same_name: bool,
    pub similar_phone: bool,
}

/// Active contacts sharing the email, the name, or the last eight digits
/// of the phone with `of`. Each condition is leakproof, so each has its
/// index under Row-Level Security (contact migration 0005).
pub async fn duplicates(tx: &mut Tx, org: OrgId, of: &ContactRow) -> sqlx::Result<Vec<DuplicateRow>> {
    // A name that is only the phone or email (filled in for a nameless
    // booking) says nothing about who it is.
    let lower = of.name.to_lowercase();
    let name = Some(&of.name)
        .filter(|_| Some(lower.as_str()) != of.phone.as_deref() && Some(lower.as_str()) != of.email.as_deref());
    // The last eight digits are the first eight of the reversed number.
    let ending = of
        .phone
        .as_deref()
        .map(|phone| Prefix::new(&phone.chars().rev().take(8).collect::<String>()));
    sqlx::query_as(concat!(
        "select ",
        contact_columns!(),
        ", coalesce(email = $3, false) as same_email,
           coalesce(name_lower = lower($4), false) as same_name,
           coalesce(phone_reversed ~>=~ $5 and phone_reversed ~<~ $6, false) as similar_phone
         from contact.contacts
         where org_id = $1 and id <> $2 and merged_into is null
           and (email = $3 or name_lower = lower($4) or (phone_reversed ~>=~ $5 and phone_reversed ~<~ $6))
         order by created_at, id limit 20"
    ))
    .bind(org.uuid())
    .bind(of.id)
    .bind(&of.email)
    .bind(name)
    .bind(ending.as_ref().map(|e| &e.from))
    .bind(ending.as_ref().and_then(|e| e.until.as_ref()))
    .fetch_all(&mut **tx)
    .await
}
