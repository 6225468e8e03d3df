-- Care plans and appointments (spec 001 sections 8 and 9), and the
-- appointment reminders a family member chooses.

-- A client's care plan: goals, and a weekly schedule with the team member
-- doing each activity. One active plan per client; writing it again
-- replaces it.
create table care.care_plans (
    id              uuid primary key,
    org_id          uuid not null,
    client_id       uuid not null references care.clients (id),
    coordinator_id  uuid not null,
    title           text not null check (length(title) between 1 and 200),
    description     text check (length(description) <= 5000),
    start_date      date not null,
    end_date        date,
    -- [{goal, target_date, status}], checked by the service.
    goals           jsonb not null default '[]',
    -- [{day_of_week, time, duration_minutes, activity, assigned_to, assigned_name}].
    schedule        jsonb not null default '[]',
    status          text not null default 'active' check (status in ('active', 'inactive', 'archived')),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint care_plans_end_after_start check (end_date is null or end_date >= start_date)
);
create unique index care_plans_one_active on care.care_plans (client_id) where status = 'active';
select care.tenant_table('care.care_plans');
grant select, insert, update on care.care_plans to attend_care;

create table care.appointments (
    id                uuid primary key,
    org_id            uuid not null,
    client_id         uuid not null references care.clients (id),
    scheduled_with    text not null check (length(scheduled_with) between 1 and 200),
    starts_at         timestamptz not null,
    duration_minutes  integer not null check (duration_minutes between 5 and 1440),
    appointment_type  text check (length(appointment_type) <= 100),
    location          text check (length(location) <= 200),
    notes             text check (length(notes) <= 2000),
    status            text not null default 'scheduled'
                      check (status in ('scheduled', 'completed', 'cancelled', 'no_show')),
    created_by_id     uuid not null,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
create index appointments_client_idx on care.appointments (org_id, client_id, starts_at);
-- The reminder loop: scheduled appointments by when they start.
create index appointments_due_idx on care.appointments (starts_at) where status = 'scheduled';
select care.tenant_table('care.appointments');
grant select, insert, update on care.appointments to attend_care;

-- Days before each appointment a family member is reminded (1, 3, 7).
alter table care.family_members
    add column appointment_reminders integer[] not null default '{}'
    check (appointment_reminders <@ array[1, 3, 7]);

-- Each reminder sent, once: (appointment, family member, days before).
create table care.appointment_reminders (
    org_id            uuid not null,
    appointment_id    uuid not null references care.appointments (id),
    family_member_id  uuid not null references care.family_members (id),
    days_before       integer not null,
    sent_at           timestamptz not null default now(),
    primary key (appointment_id, family_member_id, days_before)
);
select care.tenant_table('care.appointment_reminders');
grant select, insert on care.appointment_reminders to attend_care;

-- The reminder loop looks across organisations for what is due, as the
-- platform role; it sends within each organisation.
create policy remind on care.appointments to attend_care_platform using (true);
create policy remind on care.family_members to attend_care_platform using (true);
create policy remind on care.appointment_reminders to attend_care_platform using (true);
grant select on care.appointments, care.family_members, care.appointment_reminders to attend_care_platform;
