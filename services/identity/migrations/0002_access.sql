-- Identity and access: business hours, refresh tokens, password resets,
-- invitations, login throttling and the audit trail.

-- Seven weekdays, Monday first: [[opens, closes], ...] in local wall-clock time.
alter table identity.organisations
    add column business_hours jsonb not null
    default '[[["09:00","17:00"]],[["09:00","17:00"]],[["09:00","17:00"]],[["09:00","17:00"]],[["09:00","17:00"]],[],[]]'::jsonb;

alter table identity.users
    add column last_login_at timestamptz,
    add column deactivated_at timestamptz;

-- Refresh tokens, stored as SHA-256 of the token (the token itself is 256
-- random bits and leaves this service only once). Each use spends the token
-- and issues the next in the same family; presenting a spent token means
-- it was stolen or replayed, and revokes the whole family.
create table identity.refresh_tokens (
    id          uuid primary key,
    family_id   uuid not null,
    user_id     uuid not null references identity.users (id),
    org_id      uuid not null,
    token_hash  bytea not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    revoked_at  timestamptz,
    constraint refresh_tokens_hash_key unique (token_hash)
);
create index refresh_tokens_family_idx on identity.refresh_tokens (family_id);
create index refresh_tokens_user_idx on identity.refresh_tokens (user_id) where revoked_at is null;

-- Single-use, expiring password-reset tokens (hashed, like refresh tokens).
create table identity.password_resets (
    id          uuid primary key,
    user_id     uuid not null references identity.users (id),
    org_id      uuid not null,
    token_hash  bytea not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    constraint password_resets_hash_key unique (token_hash)
);

-- An admin's invitation; accepting it creates the user.
create table identity.invitations (
    id           uuid primary key,
    org_id       uuid not null references identity.organisations (id),
    email        text not null check (email = lower(email)),
    name         text not null,
    role         text not null check (role in ('admin', 'staff', 'readonly', 'care_team', 'family', 'client')),
    invited_by   uuid,
    token_hash   bytea not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    accepted_at  timestamptz,
    constraint invitations_hash_key unique (token_hash)
);
create index invitations_org_idx on identity.invitations (org_id, created_at desc);

-- Failed sign-ins per account ('account:<email>') and per client address
-- ('address:<ip>'): backoff, then a temporary lock. Keyed by what was typed,
-- whether or not such an account exists, so a lock reveals nothing.
create table identity.login_throttle (
    key              text primary key,
    failures         integer not null,
    last_failure_at  timestamptz not null,
    locked_until     timestamptz
);

-- Who read or changed what, for every organisation. Append-only.
create table identity.audit_log (
    id               uuid primary key,
    org_id           uuid not null,
    actor_user_id    uuid,
    actor_role       text not null,
    action           text not null,
    target_type      text not null,
    target_id        text not null default '',
    occurred_at      timestamptz not null,
    details          jsonb not null default '{}'::jsonb,
    -- The service that recorded it, and the audit event it came from.
    source           text not null,
    source_event_id  uuid,
    recorded_at      timestamptz not null default now(),
    constraint audit_log_source_event_key unique (source_event_id)
);
create index audit_log_org_time_idx on identity.audit_log (org_id, occurred_at desc, id desc);
create index audit_log_org_actor_idx on identity.audit_log (org_id, actor_user_id, occurred_at desc);
create index audit_log_org_target_idx on identity.audit_log (org_id, target_type, target_id, occurred_at desc);

-- identity.refuse_change() comes from the kit's migrations (every schema has it).
create trigger audit_log_append_only before update or delete on identity.audit_log
    for each row execute function identity.refuse_change();
create trigger audit_log_no_truncate before truncate on identity.audit_log
    for each statement execute function identity.refuse_change();

alter table identity.refresh_tokens enable row level security;
alter table identity.refresh_tokens force row level security;
create policy tenant on identity.refresh_tokens
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
create policy platform on identity.refresh_tokens to attend_identity_platform using (true);

alter table identity.password_resets enable row level security;
alter table identity.password_resets force row level security;
create policy tenant on identity.password_resets
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
create policy platform on identity.password_resets to attend_identity_platform using (true);

alter table identity.invitations enable row level security;
alter table identity.invitations force row level security;
create policy tenant on identity.invitations
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
create policy platform on identity.invitations to attend_identity_platform using (true);

alter table identity.audit_log enable row level security;
alter table identity.audit_log force row level security;
create policy tenant on identity.audit_log
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
create policy platform on identity.audit_log to attend_identity_platform using (true);

-- Signed-in work (tenant transactions).
grant select, update on identity.refresh_tokens to attend_identity;
grant select, insert on identity.invitations to attend_identity;
grant select, insert on identity.audit_log to attend_identity;
-- Deactivating a user voids their outstanding reset links.
grant select, update on identity.password_resets to attend_identity;
-- Work before anyone is signed in (login, refresh, reset, accepting an
-- invitation): the platform role, by token or email.
grant select, insert, update on identity.refresh_tokens to attend_identity_platform;
grant select, insert, update on identity.password_resets to attend_identity_platform;
grant select, update on identity.invitations to attend_identity_platform;
grant insert, update on identity.users to attend_identity_platform;
grant select, insert, update, delete on identity.login_throttle to attend_identity_platform;
grant insert on identity.audit_log to attend_identity_platform;
