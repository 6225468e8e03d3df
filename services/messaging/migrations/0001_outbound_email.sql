-- Messaging: the outbound email queue. A row is what we send (or, with the
-- sandbox provider, what we would have sent) and what became of it.

create table messaging.outbound_emails (
    id                   uuid primary key,
    org_id               uuid not null,
    to_address           text not null check (to_address = lower(to_address)),
    subject              text not null,
    body_text            text not null,
    category             text not null,          -- password_reset, invitation, ...
    -- The body holds a one-time secret: redacted once a real provider has
    -- sent it; the sandbox keeps it (recording what was sent is its job).
    sensitive            boolean not null default false,
    status               text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
    provider             text,                   -- sandbox, smtp, sendgrid
    provider_message_id  text,
    attempts             integer not null default 0,
    error                text,
    next_attempt_at      timestamptz not null default now(),
    created_at           timestamptz not null default now(),
    sent_at              timestamptz
);
create index outbound_emails_due_idx on messaging.outbound_emails (next_attempt_at) where status = 'queued';
create index outbound_emails_org_idx on messaging.outbound_emails (org_id, created_at desc);

-- Wake the sender as soon as an email is queued.
create function messaging.notify_email() returns trigger
language plpgsql as $$
begin
    perform pg_notify('messaging_email', '');
    return null;
end
$$;
create trigger outbound_emails_notify after insert on messaging.outbound_emails
    for each statement execute function messaging.notify_email();

alter table messaging.outbound_emails enable row level security;
alter table messaging.outbound_emails force row level security;
create policy tenant on messaging.outbound_emails
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
-- The sender works through every organisation's queue.
create policy platform on messaging.outbound_emails to attend_messaging_platform using (true);

grant select, insert on messaging.outbound_emails to attend_messaging;
grant select, update on messaging.outbound_emails to attend_messaging_platform;
