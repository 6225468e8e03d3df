-- Contact records: intent, the scored kind of first touch, warmness with
-- its breakdown, pipeline stages checked, merges (undoable) and search.

-- Trigram indexes for substring search on name, email and phone. pg_trgm
-- is a trusted extension: the admin connection that runs migrations may
-- create it. It lives in this schema, which is on contact's search_path.
create extension if not exists pg_trgm with schema contact;

alter table contact.contacts
    add column intent text
        check (intent in ('procedure', 'high_risk', 'follow_up', 'routine_check', 'general_inquiry')),
    -- The first touch as seed 000's warmness formula scores it; null when
    -- the channel scores nothing.
    add column source_kind text
        check (source_kind in ('referral', 'manychat_completed', 'meta_form', 'existing_patient',
                               'organic_search', 'word_of_mouth')),
    -- Which term gave which points (warmness.rs), as of warmness_at.
    add column warmness_breakdown jsonb not null default '{}'::jsonb,
    add column warmness_at timestamptz,
    -- A merged contact stays, pointing at the one it was merged into, so
    -- its phone still finds the person and the merge can be undone.
    add column merged_into uuid references contact.contacts (id),
    add column merged_at timestamptz,
    add column search_text text generated always as
        (lower(name) || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')) stored,
    add constraint contacts_not_merged_into_self check (merged_into <> id),
    add constraint contacts_stage_in_pipeline check (
        (current_pipeline = 'lead_to_booking'
            and current_stage in ('new_lead', 'contacted', 'engaged', 'booking_attempted', 'booked', 'dead_lost'))
        or (current_pipeline = 'pre_appointment'
            and current_stage in ('booking_confirmed', 'reminded', 'confirmed', 'needs_attention', 'ready'))
        or (current_pipeline = 'post_appointment'
            and current_stage in ('attended', 'review_requested', 'referral_invited', 'recall_due',
                                  'cancelled_rescue', 'did_not_attend', 'dormant'))
        or (current_pipeline = 'partnership'
            and current_stage in ('identified', 'qualified', 'contacted', 'in_discussion', 'active', 'completed')));

-- A merged contact may have given its phone to the survivor.
alter table contact.contacts drop constraint contacts_reachable;
alter table contact.contacts add constraint contacts_reachable
    check (merged_into is not null or phone is not null or email is not null);

-- Lists page by (sort key, id), newest or warmest first, active contacts only.
drop index contact.contacts_org_created_idx;
create index contacts_newest_idx on contact.contacts (org_id, created_at desc, id desc) where merged_into is null;
create index contacts_warmest_idx on contact.contacts (org_id, warmness_score desc, id desc) where merged_into is null;
create index contacts_stage_idx on contact.contacts (org_id, current_pipeline, current_stage, created_at desc, id desc)
    where merged_into is null;
create index contacts_search_idx on contact.contacts using gin (search_text contact.gin_trgm_ops);
create index contacts_merged_into_idx on contact.contacts (merged_into) where merged_into is not null;
create index contacts_org_name_idx on contact.contacts (org_id, lower(name)) where merged_into is null;

-- Merges, with what each changed so it can be undone.
create table contact.merges (
    id                  uuid primary key,
    org_id              uuid not null,
    survivor_id         uuid not null references contact.contacts (id),
    merged_id           uuid not null references contact.contacts (id),
    -- The two rows' fields before the merge.
    survivor_before     jsonb not null,
    merged_before       jsonb not null,
    -- Touchpoints moved to the survivor, and contacts merged earlier into
    -- the merged one that now point at the survivor.
    moved_touchpoints   uuid[] not null,
    repointed_contacts  uuid[] not null,
    merged_by           text not null,
    merged_at           timestamptz not null default now(),
    undone_by           text,
    undone_at           timestamptz
);
create index merges_survivor_idx on contact.merges (org_id, survivor_id, merged_at desc);

alter table contact.merges enable row level security;
alter table contact.merges force row level security;
create policy tenant on contact.merges
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

grant select, insert, update on contact.merges to attend_contact;
-- Merging moves touchpoints between contacts; nothing else about one changes.
grant update (contact_id) on contact.touchpoints to attend_contact;
-- Likely duplicates: the same number written with another country code.
create index contacts_phone_tail_idx on contact.contacts (org_id, right(phone, 8)) where merged_into is null;
