-- Tables the kit keeps in every service's schema. This runs with
-- search_path set to the service's schema, so names here are unqualified;
-- role names are derived from the schema: attend_<schema> (run time) and
-- attend_<schema>_platform (deliberate cross-tenant work).

-- Facts waiting to be published. A row is written in the same transaction
-- as the state change it describes and deleted only after JetStream has
-- acknowledged the publish (the relay in kit::bus::outbox).
create table outbox (
    id          uuid primary key,          -- event id, also Nats-Msg-Id
    org_id      uuid not null,
    subject     text not null,
    headers     jsonb not null default '{}'::jsonb,  -- traceparent, event type
    payload     bytea not null,            -- encoded attend.events.v1.Envelope
    created_at  timestamptz not null default now()
);

-- Events a consumer has applied: recorded in the same transaction as the
-- effect, so a redelivered event is recognised and has no second effect.
create table inbox (
    consumer      text not null,
    event_id      uuid not null,
    org_id        uuid not null,
    processed_at  timestamptz not null default now(),
    primary key (consumer, event_id)
);

-- Events a consumer gave up on (undecodable, refused, or out of retries),
-- kept whole so an operator can see why and replay them.
create table dead_letters (
    id          uuid primary key,
    consumer    text not null,
    event_id    uuid,
    org_id      uuid,
    subject     text not null,
    headers     jsonb not null,
    payload     bytea not null,
    error       text not null,
    deliveries  bigint not null,
    created_at  timestamptz not null default now()
);
create index dead_letters_created_idx on dead_letters (created_at desc);

-- Results of mutating RPCs by idempotency key: a retried call with the same
-- key gets the stored response instead of a second effect.
create table idempotency_keys (
    org_id        uuid not null,
    method        text not null,
    key           text not null,
    request_hash  bytea not null,
    response      bytea,                   -- null until the first call commits
    created_at    timestamptz not null default now(),
    primary key (org_id, method, key)
);

-- Wake the relay as soon as a transaction adds outbox rows.
create function notify_outbox() returns trigger
language plpgsql as $$
begin
    perform pg_notify(tg_table_schema || '_outbox', '');
    return null;
end
$$;
create trigger outbox_notify after insert on outbox
    for each statement execute function notify_outbox();

do $$
declare
    svc      text := 'attend_' || current_schema();
    platform text := 'attend_' || current_schema() || '_platform';
    t        text;
begin
    -- Tenant tables: RLS enabled and forced, one policy on app.org_id for
    -- everyone, and an explicit pass for the platform role.
    foreach t in array array['outbox', 'inbox', 'idempotency_keys'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format(
            'create policy tenant on %I using (org_id = nullif(current_setting(''app.org_id'', true), '''')::uuid)',
            t);
        execute format('create policy platform on %I to %I using (true)', t, platform);
    end loop;

    execute format('grant insert on outbox to %I', svc);
    -- The relay claims rows with SELECT ... FOR UPDATE, which needs UPDATE.
    execute format('grant select, update, delete on outbox to %I', platform);
    execute format('grant select, insert on inbox to %I', svc);
    execute format('grant select, insert, update on idempotency_keys to %I', svc);
    -- Dead letters may lack an organisation (an undecodable payload), so
    -- they are an operator table, not a tenant table.
    execute format('grant select, insert on dead_letters to %I, %I', svc, platform);
end
$$;
