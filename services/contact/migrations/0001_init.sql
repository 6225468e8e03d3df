-- Contact: people and their timeline.

create table contact.contacts (
    id                   uuid primary key,
    org_id               uuid not null,
    name                 text not null check (length(btrim(name)) between 1 and 200),
    phone                text check (phone ~ '^\+[1-9][0-9]{6,14}$'),   -- E.164
    email                text check (email = lower(email)),
    -- First-touch attribution channel ("Meta Ads", "Wix", "Walk-in", ...).
    source               text not null,
    current_pipeline     text not null default 'lead_to_booking'
        check (current_pipeline in ('lead_to_booking', 'pre_appointment', 'post_appointment', 'partnership')),
    current_stage        text not null default 'new_lead',
    warmness_score       integer not null default 0 check (warmness_score between 0 and 100),
    is_existing_patient  boolean not null default false,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    constraint contacts_reachable check (phone is not null or email is not null)
);
-- One contact per phone per organisation: the match key.
create unique index contacts_org_phone_key on contact.contacts (org_id, phone) where phone is not null;
create index contacts_org_email_idx on contact.contacts (org_id, email) where email is not null;
create index contacts_org_created_idx on contact.contacts (org_id, created_at desc);

-- The timeline. Built from events other services publish; never from their tables.
create table contact.touchpoints (
    id                    uuid primary key,
    org_id                uuid not null,
    contact_id            uuid not null references contact.contacts (id),
    occurred_at           timestamptz not null,
    type                  text not null,     -- ad_click, booking_created, sms_received, ...
    source                text not null,     -- Meta, ManyChat, SMS, Wix, Manual, ...
    channel               text,              -- campaign, flow or service name
    details               jsonb not null default '{}'::jsonb,
    is_attribution_event  boolean not null default false,
    -- The event this touchpoint was made from: one touchpoint per event and type.
    source_event_id       uuid,
    created_at            timestamptz not null default now(),
    constraint touchpoints_source_event_key unique (source_event_id, type)
);
create index touchpoints_contact_time_idx on contact.touchpoints (org_id, contact_id, occurred_at desc, id desc);

alter table contact.contacts enable row level security;
alter table contact.contacts force row level security;
create policy tenant on contact.contacts
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

alter table contact.touchpoints enable row level security;
alter table contact.touchpoints force row level security;
create policy tenant on contact.touchpoints
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

grant select, insert, update on contact.contacts to attend_contact;
grant select, insert on contact.touchpoints to attend_contact;
