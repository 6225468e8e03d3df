-- Contact search that the service's own role can run on its indexes.
--
-- Under Row-Level Security Postgres evaluates the tenant policy before any
-- condition whose operator is not leakproof, so such a condition can't be
-- an index condition: LIKE, reverse() and pg_trgm's operators all made the
-- service role walk the newest-first index (200 ms to over 1 s at a
-- million contacts). Search is now written with leakproof operators only:
-- equality and the text_pattern_ops range operators ~>=~ and ~<~, which
-- are how a btree index answers a prefix (store::list).

-- A phone by its last digits: a prefix of the reversed number.
alter table contact.contacts
    add column phone_reversed text generated always as (reverse(phone)) stored;
drop index contact.contacts_phone_end_idx;
drop statistics contact.contacts_phone_end_stats;
create index contacts_phone_end_idx on contact.contacts (org_id, phone_reversed text_pattern_ops)
    where merged_into is null;

-- The words of a contact's name and of its email's local part, lowercase,
-- each searchable by its start: "harl" finds Ava Harley and
-- ava.harley7@example.com. Kept by a trigger, so every path that writes a
-- contact keeps them. The contact's created_at is copied here so that a
-- search can take its newest matches from this index alone and look up
-- only the contacts it shows, however many match.
create table contact.contact_words (
    org_id      uuid not null,
    contact_id  uuid not null references contact.contacts (id) on delete cascade,
    word        text not null check (word <> ''),
    created_at  timestamptz not null,
    primary key (contact_id, word)
);
create index contact_words_word_idx on contact.contact_words (org_id, word text_pattern_ops)
    include (contact_id, created_at);

alter table contact.contact_words enable row level security;
alter table contact.contact_words force row level security;
create policy tenant on contact.contact_words
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
grant select, insert, delete on contact.contact_words to attend_contact;

-- The searchable words of a name and an email. Rust splits a search the
-- same way (api::search_needle): on white space and ASCII punctuation.
-- Not on [^[:alnum:]], which in a C-locale database would split "zoë".
create function contact.search_words(name text, email text) returns setof text
    language sql immutable parallel safe as $$
    select distinct w
    from regexp_split_to_table(lower(coalesce(name, '') || ' ' || coalesce(split_part(email, '@', 1), '')),
                               '[\s\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+') as w
    where w <> ''
$$;

-- Runs as the writer, under its tenant policy: it only ever touches the
-- words of the contact being written.
create function contact.contact_words_sync() returns trigger
    language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        delete from contact.contact_words where contact_id = old.id;
    end if;
    insert into contact.contact_words (org_id, contact_id, word, created_at)
    select new.org_id, new.id, w, new.created_at from contact.search_words(new.name, new.email) as w;
    return null;
end
$$;

create trigger contact_words_on_insert after insert on contact.contacts
    for each row execute function contact.contact_words_sync();
create trigger contact_words_on_update after update of name, email, created_at on contact.contacts
    for each row when (old.name is distinct from new.name or old.email is distinct from new.email
                       or old.created_at is distinct from new.created_at)
    execute function contact.contact_words_sync();

-- The contacts already kept.
insert into contact.contact_words (org_id, contact_id, word, created_at)
select c.org_id, c.id, w, c.created_at from contact.contacts c, contact.search_words(c.name, c.email) as w;

-- Substring search by trigram is gone: it could not be used under RLS.
drop index contact.contacts_search_idx;
alter table contact.contacts drop column search_text;

-- A search by a prefix is planned from the statistics of its column: an
-- index for a rare prefix, the newest-first walk for a common one ("0412"
-- is nearly every mobile). The default 100-bucket histogram can't tell a
-- prefix held by 100 of a million contacts from one held by 10,000, near
-- its ends; at a million contacts it walked the newest-first index for 350
-- ms to find a phone ending in 0000. With 1,000 buckets it plans each
-- right (under 1 ms).
alter table contact.contacts
    alter column phone set statistics 1000,
    alter column phone_reversed set statistics 1000,
    alter column email set statistics 1000;
alter table contact.contact_words alter column word set statistics 1000;

analyze contact.contacts;
analyze contact.contact_words;
