-- Rules as data, versioned; every evaluation recorded; scheduled actions;
-- the periodic checks; and the facts the task queue shows and sorts by.

-- A rule: its current version and whether it runs.
create table automation.rules (
    org_id      uuid not null,
    id          text not null check (id ~ '^rule_[a-z0-9_]{1,59}$'),
    version     integer not null check (version > 0),
    active      boolean not null default true,
    -- Came with the organisation (spec 000) rather than from an admin.
    seeded      boolean not null default false,
    updated_at  timestamptz not null,
    -- A user id (user_...) or system (kit::actor).
    updated_by  text not null,
    primary key (org_id, id)
);
select automation.tenant_table('automation.rules');
grant select, insert, update on automation.rules to attend_automation;

-- Every version of every rule, never changed: runs name the one they used.
create table automation.rule_versions (
    org_id      uuid not null,
    rule_id     text not null,
    version     integer not null,
    -- The trigger's key: lead_created, ..., cron_check:hourly.
    trigger     text not null,
    priority    integer not null,
    definition  jsonb not null,
    created_by  text not null,
    created_at  timestamptz not null,
    primary key (org_id, rule_id, version),
    foreign key (org_id, rule_id) references automation.rules (org_id, id)
);
create index rule_versions_trigger_idx on automation.rule_versions (org_id, trigger);
select automation.tenant_table('automation.rule_versions');
grant select, insert on automation.rule_versions to attend_automation;

-- One evaluation of one rule against one event (or periodic check): what
-- each condition saw, and whether the rule fired. Its actions are jobs.
create table automation.runs (
    id            uuid primary key,
    org_id        uuid not null,
    rule_id       text not null,
    rule_version  integer not null,
    trigger       text not null,
    event_type    text not null,
    -- The event, or the periodic check's own id for this contact.
    event_id      uuid not null,
    contact_id    uuid,
    booking_id    uuid,
    matched       boolean not null,
    conditions    jsonb not null,
    at            timestamptz not null,
    -- Changed when the contact is merged (kit::merges).
    updated_at    timestamptz not null default now(),
    unique (org_id, event_id, rule_id),
    foreign key (org_id, rule_id, rule_version) references automation.rule_versions (org_id, rule_id, version)
);
create index runs_contact_idx on automation.runs (org_id, contact_id, at desc, id desc);
select automation.tenant_table('automation.runs');
grant select, insert, update on automation.runs to attend_automation;

-- An action to run: now (the scheduler runs it within a moment) or later.
-- Claimed with FOR UPDATE SKIP LOCKED, so replicas never run one twice;
-- a claim whose worker died is taken again after a lease, and the action
-- carries an idempotency key, so the owner applies it once.
create table automation.jobs (
    id             uuid primary key,
    org_id         uuid not null,
    run_id         uuid references automation.runs (id),
    -- The jobs of one event run in order: rule priority, then action index.
    event_id       uuid not null,
    seq            integer not null,
    -- action: one of a rule's actions; reminder: one booking reminder.
    kind           text not null check (kind in ('action', 'reminder')),
    action_index   integer,
    action         jsonb not null,
    -- What the action needs: trigger, contact, booking, the event's facts.
    context        jsonb not null,
    contact_id     uuid,
    booking_id     uuid,
    due_at         timestamptz not null,
    status         text not null default 'pending'
                   check (status in ('pending', 'running', 'done', 'skipped', 'failed', 'cancelled')),
    -- What it did, or why it was skipped, failed or cancelled.
    detail         text,
    -- Its own conditions as they were checked when it ran.
    conditions     jsonb,
    attempts       integer not null default 0,
    claimed_at     timestamptz,
    done_at        timestamptz,
    -- The idempotency key it calls owners with; one job per key.
    key            text not null,
    created_at     timestamptz not null,
    -- Changed when the contact is merged (kit::merges).
    updated_at     timestamptz not null default now(),
    unique (org_id, key)
);
create index jobs_due_idx on automation.jobs (due_at, seq) where status = 'pending';
create index jobs_claimed_idx on automation.jobs (claimed_at) where status = 'running';
create index jobs_event_idx on automation.jobs (event_id, seq) where status in ('pending', 'running');
create index jobs_run_idx on automation.jobs (run_id);
create index jobs_booking_idx on automation.jobs (org_id, booking_id, kind);
select automation.tenant_table('automation.jobs');
-- The scheduler claims due jobs across organisations.
create policy platform on automation.jobs to attend_automation_platform using (true);
grant select, insert, update on automation.jobs to attend_automation;
grant select, update on automation.jobs to attend_automation_platform;

-- A periodic check ran for this period (hour or local day): once across
-- replicas.
create table automation.cron_periods (
    org_id    uuid not null,
    schedule  text not null,
    period    text not null,
    at        timestamptz not null,
    primary key (org_id, schedule, period)
);
select automation.tenant_table('automation.cron_periods');
grant select, insert on automation.cron_periods to attend_automation;

-- What the task queue shows and sorts by, projected from contact and
-- booking events (never read from their schemas).
create table automation.contacts (
    org_id       uuid not null,
    contact_id   uuid not null,
    name         text not null default '',
    phone        text not null default '',
    warmness     integer not null default 50,
    pipeline     text not null default '',
    stage        text not null default '',
    -- When the contact entered its stage, as far as automation heard.
    stage_since  timestamptz,
    updated_at   timestamptz not null,
    primary key (org_id, contact_id)
);
select automation.tenant_table('automation.contacts');
grant select, insert, update on automation.contacts to attend_automation;

create table automation.bookings (
    org_id          uuid not null,
    booking_id      uuid not null,
    contact_id      uuid not null,
    appointment_at  timestamptz,
    urgency_level   text not null default '',
    status          text not null default '',
    updated_at      timestamptz not null,
    primary key (org_id, booking_id)
);
select automation.tenant_table('automation.bookings');
grant select, insert, update on automation.bookings to attend_automation;

-- Tasks: the rule run that made them, how they score, how they ended.
alter table automation.tasks
    add column scored_type    text,
    add column priority_hint  text check (priority_hint in ('urgent', 'high', 'medium', 'low')),
    add column run_id         uuid references automation.runs (id),
    add column rule_id        text,
    add column rule_version   integer,
    add column job_id         uuid unique,
    add column outcome        text;
update automation.tasks set scored_type = type;
alter table automation.tasks alter column scored_type set not null;
create index tasks_queue_idx on automation.tasks (org_id, assigned_to, status, due_at);
create index tasks_booking_idx on automation.tasks (org_id, booking_id) where booking_id is not null;
grant select, insert, update on automation.tasks to attend_automation;
