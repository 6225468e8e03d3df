-- The care portal's records (spec 001 sections 2-5): clients, their care
-- team, linked family, care updates and health logs.
--
-- Clinical text is sealed by the service (AES-256-GCM, src/seal.rs)
-- before it reaches the database: each `*_sealed` column holds
-- nonce || ciphertext || tag, and the `*_key` beside it names the data key
-- (ATTEND_DATA_KEYS) that sealed it, so keys rotate row by row
-- (`attend keys rotate-data`). The database never holds a key.

create table care.clients (
    id                        uuid primary key,
    org_id                    uuid not null,
    -- The person in contacts (contact service's id).
    contact_id                uuid not null,
    -- The client's own portal user, if they sign in.
    user_id                   uuid,
    name                      text not null check (length(name) between 1 and 200),
    date_of_birth             date not null,
    gender                    text check (length(gender) <= 50),
    status                    text not null default 'active' check (status in ('active', 'inactive', 'archived')),
    care_level                text not null check (care_level in ('basic', 'intermediate', 'intensive')),
    time_zone                 text not null,
    emergency_contact_name    text check (length(emergency_contact_name) <= 200),
    emergency_contact_phone   text check (length(emergency_contact_phone) <= 20),
    -- Sealed JSON: conditions, allergies, insurance provider and policy number.
    medical_sealed            bytea not null,
    medical_key               text not null,
    intake_form_completed_at  timestamptz,
    created_at                timestamptz not null default now(),
    updated_at                timestamptz not null default now(),
    unique (org_id, contact_id)
);
create index clients_user_idx on care.clients (org_id, user_id) where user_id is not null;
select care.tenant_table('care.clients');
grant select, insert, update on care.clients to attend_care;

-- The assigned care team (spec 001's clients.assigned_care_team).
create table care.care_team (
    org_id     uuid not null,
    client_id  uuid not null references care.clients (id),
    user_id    uuid not null,
    role       text not null check (role in ('coordinator', 'carer')),
    primary key (client_id, user_id)
);
create index care_team_user_idx on care.care_team (org_id, user_id);
select care.tenant_table('care.care_team');
grant select, insert, delete on care.care_team to attend_care;

create table care.family_members (
    id                  uuid primary key,
    org_id              uuid not null,
    client_id           uuid not null references care.clients (id),
    user_id             uuid not null,
    contact_id          uuid,
    relationship        text not null check (length(relationship) between 1 and 100),
    is_primary_contact  boolean not null default false,
    access_level        text not null default 'view_only'
                        check (access_level in ('view_only', 'messaging', 'full_access')),
    notify_sms          boolean not null default false,
    notify_email        boolean not null default false,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    -- Unlinked members are kept (who could see what, when) but see nothing.
    unlinked_at         timestamptz
);
create unique index family_members_one_link on care.family_members (client_id, user_id) where unlinked_at is null;
create index family_members_user_idx on care.family_members (org_id, user_id) where unlinked_at is null;
select care.tenant_table('care.family_members');
grant select, insert, update on care.family_members to attend_care;

create table care.progress_notes (
    id            uuid primary key,
    org_id        uuid not null,
    client_id     uuid not null references care.clients (id),
    author_id     uuid not null,
    -- Sealed JSON: title and content.
    body_sealed   bytea not null,
    body_key      text not null,
    note_type     text not null
                  check (note_type in ('daily_update', 'health_assessment', 'medication_log', 'incident_report')),
    visibility    text not null default 'family_and_team'
                  check (visibility in ('family_only', 'family_and_team', 'internal_only')),
    urgent        boolean not null default false,
    version       integer not null default 1,
    -- When it was written: now, or earlier for a late entry (the feed's time).
    created_at    timestamptz not null,
    -- When it reached the database.
    recorded_at   timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
-- The feed: newest first, keyset on (created_at, id).
create index progress_notes_feed_idx on care.progress_notes (org_id, client_id, created_at desc, id desc);
select care.tenant_table('care.progress_notes');
grant select, insert, update on care.progress_notes to attend_care;

-- Every earlier version of an edited note, as it was.
create table care.progress_note_versions (
    org_id       uuid not null,
    note_id      uuid not null references care.progress_notes (id),
    version      integer not null,
    body_sealed  bytea not null,
    body_key     text not null,
    note_type    text not null,
    visibility   text not null,
    edited_by    uuid not null,
    written_at   timestamptz not null,
    replaced_at  timestamptz not null default now(),
    primary key (note_id, version)
);
select care.tenant_table('care.progress_note_versions');
grant select, insert, update on care.progress_note_versions to attend_care;

create table care.health_logs (
    id                  uuid primary key,
    org_id              uuid not null,
    client_id           uuid not null references care.clients (id),
    -- The client's local date.
    log_date            date not null,
    -- Checked by the service: each reading with its unit.
    vitals              jsonb not null default '{}',
    medications_taken   text[] not null default '{}',
    medications_missed  text[] not null default '{}',
    meals               jsonb not null default '[]',
    mood                text check (length(mood) <= 100),
    activities          text[] not null default '{}',
    sleep_hours         numeric(4, 2) check (sleep_hours between 0 and 24),
    -- Sealed notes, or null when there are none.
    notes_sealed        bytea,
    notes_key           text,
    created_by_id       uuid not null,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (client_id, log_date),
    constraint health_logs_notes_key check ((notes_sealed is null) = (notes_key is null))
);
create index health_logs_client_date_idx on care.health_logs (org_id, client_id, log_date);
select care.tenant_table('care.health_logs');
grant select, insert, update on care.health_logs to attend_care;

-- `attend keys rotate-data` re-seals rows of every organisation: the
-- platform role reaches the sealed tables, and only those.
do $$
declare
    t text;
begin
    foreach t in array array['clients', 'progress_notes', 'progress_note_versions', 'health_logs'] loop
        execute format('create policy rotate on care.%I to attend_care_platform using (true)', t);
        execute format('grant select, update on care.%I to attend_care_platform', t);
    end loop;
end
$$;
