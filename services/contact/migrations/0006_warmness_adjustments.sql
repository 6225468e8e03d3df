-- Warmness adjustments: a delta with its reason, by a rule ("+10
-- Confirmed appointment") or by staff. A contact's score is the formula's
-- (warmness.rs) plus every adjustment of theirs, within 0..100, and its
-- breakdown lists each one. Adjustments move with contact merges, as
-- touchpoints do, and back on undo.

create table contact.warmness_adjustments (
    id          uuid primary key,
    org_id      uuid not null,
    contact_id  uuid not null references contact.contacts (id),
    delta       integer not null check (delta between -100 and 100 and delta <> 0),
    reason      text not null check (length(btrim(reason)) between 1 and 200),
    -- Who: a user id (user_...) or system (kit::actor).
    actor       text not null,
    at          timestamptz not null default now()
);
create index warmness_adjustments_contact_idx on contact.warmness_adjustments (org_id, contact_id, at);
select contact.tenant_table('contact.warmness_adjustments');

grant select, insert on contact.warmness_adjustments to attend_contact;
-- Merging moves adjustments between contacts; nothing else about one changes.
grant update (contact_id) on contact.warmness_adjustments to attend_contact;

-- What each merge moved, so its undo moves exactly that back.
alter table contact.merges add column moved_adjustments uuid[] not null default '{}';
