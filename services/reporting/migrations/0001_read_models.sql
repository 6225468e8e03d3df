-- Read models projected only from events (docs/reports.md defines every
-- figure read from them). One table per fact family; each row is what the
-- events said, with the event's own time. Nothing here is read from
-- another service's schema.
--
-- `reporting_rebuild` holds empty copies of the same tables:
-- `attend reporting rebuild` replays the event stream into them and swaps
-- the result in (consumers::projections, rebuild.rs).

-- Leads: `contact.lead_created`, once per contact (the first wins).
create table reporting.leads (
    org_id      uuid not null,
    contact_id  uuid not null,
    created_at  timestamptz not null,
    -- The contact's first-touch channel ("Meta Ads", "Wix", ...).
    source      text not null,
    -- The touchpoint that brought it (form_submit, sms_received, ...).
    via         text not null,
    primary key (org_id, contact_id)
);
create index leads_created_idx on reporting.leads (org_id, created_at);

-- A person reaching a contact: a text a user sent, a call task a user
-- completed, a touchpoint a user logged. Speed to lead stops on the first
-- one after the lead arrived; automatic texts are not here.
create table reporting.person_touches (
    org_id      uuid not null,
    event_id    uuid not null,
    contact_id  uuid not null,
    at          timestamptz not null,
    -- sms_sent, task_completed:<type>, touchpoint:<type>.
    how         text not null,
    primary key (org_id, event_id)
);
create index person_touches_contact_idx on reporting.person_touches (org_id, contact_id, at);

-- Bookings as their latest `booking.*` event left them, with when each
-- milestone first happened.
create table reporting.bookings (
    org_id          uuid not null,
    booking_id      uuid not null,
    contact_id      uuid not null,
    created_at      timestamptz not null,
    appointment_at  timestamptz not null,
    -- scheduled, confirmed, cancelled, rescheduled.
    status          text not null,
    urgency         text not null,
    service_type    text not null,
    -- First-touch attribution channel, "Unknown" when the booking had none.
    channel         text not null,
    confirmed_at    timestamptz,
    cancelled_at    timestamptz,
    -- attended, no_show, or null until recorded.
    outcome         text,
    outcome_at      timestamptz,
    -- The booking's own updated_at: an older event never overwrites a newer state.
    updated_at      timestamptz not null,
    primary key (org_id, booking_id)
);
create index bookings_appointment_idx on reporting.bookings (org_id, appointment_at);
create index bookings_created_idx on reporting.bookings (org_id, created_at);
create index bookings_cancelled_idx on reporting.bookings (org_id, cancelled_at) where cancelled_at is not null;
create index bookings_contact_idx on reporting.bookings (org_id, contact_id, created_at);

-- Outbound texts a provider took (`messaging.sms_sent`).
create table reporting.messages (
    org_id      uuid not null,
    message_id  uuid not null,
    contact_id  uuid,
    sent_at     timestamptz not null,
    template    text not null,
    purpose     text not null,
    -- kit::actor: a user id or system.
    sent_by     text not null,
    primary key (org_id, message_id)
);
create index messages_sent_idx on reporting.messages (org_id, sent_at);
create index messages_template_idx on reporting.messages (org_id, template, sent_at);
create index messages_contact_idx on reporting.messages (org_id, contact_id, template, sent_at);

-- Tasks (`automation.task_*`).
create table reporting.tasks (
    org_id        uuid not null,
    task_id       uuid not null,
    contact_id    uuid,
    type          text not null,
    created_at    timestamptz not null,
    -- todo, completed, cancelled.
    status        text not null,
    completed_at  timestamptz,
    completed_by  text,
    outcome       text,
    primary key (org_id, task_id)
);
create index tasks_created_idx on reporting.tasks (org_id, created_at);

-- Every entry of a contact into a stage (`contact.created`,
-- `contact.lead_created`, `contact.stage_changed`); a stay lasts until
-- the contact's next entry.
create table reporting.stage_entries (
    org_id      uuid not null,
    event_id    uuid not null,
    contact_id  uuid not null,
    pipeline    text not null,
    stage       text not null,
    entered_at  timestamptz not null,
    primary key (org_id, event_id)
);
create index stage_entries_stage_idx on reporting.stage_entries (org_id, pipeline, stage, entered_at);
create index stage_entries_contact_idx on reporting.stage_entries (org_id, contact_id, entered_at);

-- Where each contact is now.
create table reporting.contact_stages (
    org_id      uuid not null,
    contact_id  uuid not null,
    pipeline    text not null,
    stage       text not null,
    since       timestamptz not null,
    primary key (org_id, contact_id)
);
create index contact_stages_stage_idx on reporting.contact_stages (org_id, pipeline, stage);

-- Recalls (`booking.recall_*`). When the recall text went is read from
-- `messages` (its template is recall_reminder).
create table reporting.recalls (
    org_id         uuid not null,
    recall_id      uuid not null,
    contact_id     uuid not null,
    due_on         date not null,
    -- open, booked, closed.
    status         text not null,
    created_at     timestamptz not null,
    closed_at      timestamptz,
    primary key (org_id, recall_id)
);
create index recalls_contact_idx on reporting.recalls (org_id, contact_id, created_at);

do $$
declare
    t text;
begin
    foreach t in array array['leads', 'person_touches', 'bookings', 'messages', 'tasks',
                             'stage_entries', 'contact_stages', 'recalls'] loop
        perform reporting.tenant_table(format('reporting.%I', t)::regclass);
        execute format('grant select, insert, update, delete on reporting.%I to attend_reporting', t);
    end loop;
end
$$;

-- The rebuild's tables: the same, empty, and an inbox of the events the
-- rebuild applied (swapped in with the figures, so the live consumer
-- skips what the rebuild already counted). Only the `attend` command,
-- with the administrator's connection, touches them.
create schema reporting_rebuild;
do $$
declare
    t text;
begin
    foreach t in array array['leads', 'person_touches', 'bookings', 'messages', 'tasks',
                             'stage_entries', 'contact_stages', 'recalls', 'inbox'] loop
        execute format('create table reporting_rebuild.%I (like reporting.%I including defaults including indexes)', t, t);
        -- Tenant tables like the live ones (the administrator who
        -- rebuilds bypasses the policy; nobody else reaches the schema).
        perform reporting.tenant_table(format('reporting_rebuild.%I', t)::regclass);
    end loop;
end
$$;
