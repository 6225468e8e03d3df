-- Ingest: the raw, append-only record of what providers sent us.

-- Every verified delivery, exactly as received. Append-only: no UPDATE or
-- DELETE grant, and a trigger that refuses both even to the owner.
create table ingest.event_log (
    id           uuid primary key,          -- also the id of the event published from it
    org_id       uuid not null,
    provider     text not null,             -- wix, manychat, clicksend, twilio, stripe, ...
    delivery_id  text not null,             -- the provider's event id: the dedupe key
    event_type   text not null,             -- the provider's event type
    endpoint     text not null,
    headers      jsonb not null,            -- as received, minus credentials
    raw_body     bytea not null,
    -- Ids we assigned (e.g. booking_id), so a duplicate gets the same answer.
    subject_ids  jsonb not null default '{}'::jsonb,
    -- Whether a normalised event was published (false: kept, not yet mapped).
    published    boolean not null,
    received_at  timestamptz not null default now(),
    constraint event_log_delivery_key unique (org_id, provider, delivery_id)
);
create index event_log_org_time_idx on ingest.event_log (org_id, received_at desc);

-- Our id for each provider entity (a Wix booking id -> our booking id),
-- assigned the first time ingest sees it (docs/adr/0003-ids.md).
create table ingest.external_refs (
    org_id       uuid not null,
    provider     text not null,
    kind         text not null,             -- booking, contact, ...
    external_id  text not null,
    id           uuid not null,
    created_at   timestamptz not null default now(),
    primary key (org_id, provider, kind, external_id)
);

-- Deliveries we refused, and why, so an operator can see why a provider's
-- webhooks fail. Append-only. Not a tenant table: a refused delivery's
-- organisation is often unknown.
create table ingest.rejected_deliveries (
    id              uuid primary key,
    provider        text not null,
    endpoint        text not null,
    reason_code     text not null,
    reason          text not null,
    http_status     integer not null,
    headers         jsonb not null,
    body            bytea not null,         -- the first 64 KiB
    body_truncated  boolean not null,
    received_at     timestamptz not null default now()
);
create index rejected_deliveries_time_idx on ingest.rejected_deliveries (received_at desc);

-- ingest.refuse_change() comes from the kit's migrations (every schema has it).
create trigger event_log_append_only before update or delete on ingest.event_log
    for each row execute function ingest.refuse_change();
create trigger event_log_no_truncate before truncate on ingest.event_log
    for each statement execute function ingest.refuse_change();
create trigger rejected_deliveries_append_only before update or delete on ingest.rejected_deliveries
    for each row execute function ingest.refuse_change();
create trigger rejected_deliveries_no_truncate before truncate on ingest.rejected_deliveries
    for each statement execute function ingest.refuse_change();

alter table ingest.event_log enable row level security;
alter table ingest.event_log force row level security;
create policy tenant on ingest.event_log
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

alter table ingest.external_refs enable row level security;
alter table ingest.external_refs force row level security;
create policy tenant on ingest.external_refs
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

grant select, insert on ingest.event_log to attend_ingest;
grant select, insert on ingest.external_refs to attend_ingest;
grant insert on ingest.rejected_deliveries to attend_ingest;
-- Reading every refusal is an operator's (platform) view.
grant select on ingest.rejected_deliveries to attend_ingest_platform;
