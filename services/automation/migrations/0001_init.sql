-- Automation: the staff task queue (rules, runs and schedules come later).

create table automation.tasks (
    id              uuid primary key,
    org_id          uuid not null,
    -- Ids owned by the contact and booking services; no foreign keys across schemas.
    contact_id      uuid not null,
    booking_id      uuid,
    type            text not null,          -- call, welcome_call, rescue_call, confirmation_call, ...
    assigned_to     uuid,                   -- a user; null until assigned
    due_at          timestamptz not null,
    priority_score  integer not null check (priority_score between 0 and 400),
    status          text not null default 'todo' check (status in ('todo', 'in_progress', 'completed', 'cancelled')),
    created_by      text not null,          -- 'system' or a user id
    completed_at    timestamptz,
    notes           text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);
create index tasks_org_contact_idx on automation.tasks (org_id, contact_id, created_at desc);
create index tasks_org_queue_idx on automation.tasks (org_id, status, priority_score desc, due_at);
create index tasks_org_assigned_idx on automation.tasks (org_id, assigned_to, due_at);

alter table automation.tasks enable row level security;
alter table automation.tasks force row level security;
create policy tenant on automation.tasks
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

grant select, insert, update on automation.tasks to attend_automation;
