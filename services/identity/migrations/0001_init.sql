-- Identity: organisations (tenants), their provider ids, users, signing keys.

create table identity.organisations (
    id            uuid primary key,
    name          text not null check (length(btrim(name)) between 1 and 200),
    slug          text not null,
    time_zone     text not null,           -- IANA, checked by the service
    phone_region  text not null,           -- ISO 3166-1 alpha-2, e.g. AU
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint organisations_slug_key unique (slug),
    constraint organisations_slug_check check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$')
);

-- A provider's own id for an organisation (Wix app instance id, SMS number),
-- so a webhook can be routed to its tenant.
create table identity.organisation_external_ids (
    provider     text not null,
    external_id  text not null,
    org_id       uuid not null references identity.organisations (id) on delete cascade,
    created_at   timestamptz not null default now(),
    constraint organisation_external_ids_pkey primary key (provider, external_id)
);
create index organisation_external_ids_org_idx on identity.organisation_external_ids (org_id);

create table identity.users (
    id             uuid primary key,
    org_id         uuid not null references identity.organisations (id),
    email          text not null check (email = lower(email)),
    name           text not null check (length(btrim(name)) between 1 and 200),
    role           text not null check (role in ('admin', 'staff', 'readonly', 'care_team', 'family', 'client')),
    password_hash  text not null,          -- argon2id PHC string
    is_active      boolean not null default true,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    -- One account per email across the platform: login needs no organisation.
    constraint users_email_key unique (email)
);
create index users_org_idx on identity.users (org_id);

-- Ed25519 keys that sign access tokens. The newest unretired key signs;
-- every unretired key verifies (published as a JWK set).
create table identity.signing_keys (
    kid          text primary key,
    private_key  bytea not null,           -- PKCS#8
    public_key   bytea not null,           -- raw 32-byte Ed25519 public key
    created_at   timestamptz not null default now(),
    retired_at   timestamptz
);

-- Row-Level Security: tenant rows are visible only inside a transaction for
-- their organisation; the platform role (cross-tenant operations such as
-- login by email and routing a webhook) is named explicitly.
alter table identity.organisations enable row level security;
alter table identity.organisations force row level security;
create policy tenant on identity.organisations
    using (id = nullif(current_setting('app.org_id', true), '')::uuid);
create policy platform on identity.organisations to attend_identity_platform using (true);

alter table identity.organisation_external_ids enable row level security;
alter table identity.organisation_external_ids force row level security;
create policy tenant on identity.organisation_external_ids
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
create policy platform on identity.organisation_external_ids to attend_identity_platform using (true);

alter table identity.users enable row level security;
alter table identity.users force row level security;
create policy tenant on identity.users
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
create policy platform on identity.users to attend_identity_platform using (true);

grant select on identity.organisations to attend_identity;
grant select on identity.organisation_external_ids to attend_identity;
grant select, insert, update on identity.users to attend_identity;

grant select, insert on identity.organisations to attend_identity_platform;
grant select, insert on identity.organisation_external_ids to attend_identity_platform;
grant select on identity.users to attend_identity_platform;
-- Signing keys belong to no tenant: only the platform role touches them.
grant select, insert, update on identity.signing_keys to attend_identity_platform;
