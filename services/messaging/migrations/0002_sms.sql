-- Messaging: SMS templates, the two-way SMS log and its queue, the
-- conversation of each contact, and the consent ledger.

-- Spec 000's templates per organisation, under stable ids (seeded the first
-- time the organisation's messaging is used; an admin's edit is kept).
create table messaging.templates (
    org_id        uuid not null,
    id            text not null check (id ~ '^[a-z][a-z0-9_]{0,63}$'),
    name          text not null,
    category      text not null,
    content       text not null,
    placeholders  text[] not null,
    purpose       text not null check (purpose in ('transactional', 'marketing')),
    -- Whether a send waits out the recipient's quiet hours (the 2-hour
    -- reminder must not).
    quiet_hours   boolean not null,
    updated_by    text not null,            -- kit::actor: a user id or system
    updated_at    timestamptz not null default now(),
    primary key (org_id, id)
);
select messaging.tenant_table('messaging.templates');
grant select, insert, update on messaging.templates to attend_messaging;

-- Every SMS, both ways (spec 000's sms_messages). An outbound row is also
-- its place in the queue: queued until send_at, then sending while the
-- provider is asked (committed first, so a crash never sends it twice),
-- then sent / delivered / failed from the provider's answer and receipts.
create table messaging.sms_messages (
    id                   uuid primary key,
    org_id               uuid not null,
    contact_id           uuid,               -- null for a number no contact has
    direction            text not null check (direction in ('inbound', 'outbound')),
    to_number            text not null,
    from_number          text not null,
    body                 text not null,
    template_id          text,
    purpose              text check (purpose in ('transactional', 'marketing')),
    booking_id           uuid,               -- what it is about, when it is about one
    status               text not null check (status in (
        'queued', 'sending', 'unconfirmed', 'sent', 'delivered', 'failed', 'received', 'blocked', 'skipped')),
    -- Why it is blocked, skipped or failed, in words staff can act on.
    status_reason        text,
    -- An inbound message's meaning (confirm, cancel, stop, ...).
    classification       text,
    provider             text,               -- sandbox, clicksend, twilio
    provider_message_id  text,
    encoding             text check (encoding in ('gsm7', 'ucs2')),
    segments             integer,
    attempts             integer not null default 0,
    -- When it may go: now, or the end of the recipient's quiet hours.
    send_at              timestamptz not null,
    -- Not sent after this (the appointment it is about): skipped instead.
    not_after            timestamptz,
    -- A direct reply to a text (a STOP confirmation): sent even to a number
    -- that has just opted out.
    is_reply             boolean not null default false,
    sent_by              text not null,      -- kit::actor
    created_at           timestamptz not null,
    -- When the provider was last asked: a row still sending long after is
    -- one whose answer a crash lost.
    attempted_at         timestamptz,
    sent_at              timestamptz,
    delivered_at         timestamptz,
    received_at          timestamptz,
    -- Changed by a contact merge (kit::merges) or its undo.
    updated_at           timestamptz not null default now()
);
create index sms_messages_contact_idx on messaging.sms_messages (org_id, contact_id, created_at desc, id desc);
create index sms_messages_due_idx on messaging.sms_messages (send_at) where status = 'queued';
create index sms_messages_sending_idx on messaging.sms_messages (attempted_at) where status = 'sending';
create index sms_messages_provider_idx on messaging.sms_messages (provider, provider_message_id)
    where provider_message_id is not null;
select messaging.tenant_table('messaging.sms_messages');
-- The sender and the receipt consumer work across organisations.
create policy platform on messaging.sms_messages to attend_messaging_platform using (true);
grant select, insert, update on messaging.sms_messages to attend_messaging;
grant select, update on messaging.sms_messages to attend_messaging_platform;

-- One conversation per contact: what the inbox lists, kept by the server
-- so unread counts never depend on the browser.
create table messaging.conversations (
    org_id           uuid not null,
    contact_id       uuid not null,
    last_message_id  uuid not null,
    last_message_at  timestamptz not null,
    last_direction   text not null,
    last_preview     text not null,
    unread           integer not null default 0 check (unread >= 0),
    assigned_to      uuid,
    primary key (org_id, contact_id)
);
create index conversations_recent_idx on messaging.conversations (org_id, last_message_at desc, contact_id desc);
select messaging.tenant_table('messaging.conversations');
grant select, insert, update on messaging.conversations to attend_messaging;

-- Who may be messaged: a ledger, newest entry wins, per address and
-- channel. How: a keyword the person texted (STOP, START), staff, or the
-- provider's own opt-out (Twilio 21610).
create table messaging.consents (
    id          uuid primary key,
    org_id      uuid not null,
    channel     text not null check (channel in ('sms', 'email')),
    address     text not null,              -- E.164 phone, or a lower-case email
    contact_id  uuid,
    state       text not null check (state in ('opted_out', 'opted_in')),
    how         text not null check (how in ('keyword', 'staff', 'provider')),
    detail      text not null,              -- the keyword, the staff's reason, the provider's code
    actor       text not null,              -- kit::actor
    at          timestamptz not null
);
create index consents_address_idx on messaging.consents (org_id, channel, address, at desc, id desc);
select messaging.tenant_table('messaging.consents');
grant select, insert on messaging.consents to attend_messaging;
