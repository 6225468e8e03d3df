-- Messages between a client's family and the care team (spec 001
-- "Feature 5"): one conversation per client. The text is sealed like a
-- care update's (`care.messages.body:<id>`).

create table care.messages (
    id           uuid primary key,
    org_id       uuid not null,
    client_id    uuid not null references care.clients (id),
    sender_id    uuid not null,
    sender_role  text not null check (sender_role in ('admin', 'care_team', 'family', 'client')),
    body_sealed  bytea not null,
    body_key     text not null,
    created_at   timestamptz not null default now()
);
create index messages_conversation_idx on care.messages (org_id, client_id, created_at desc, id desc);
select care.tenant_table('care.messages');
grant select, insert on care.messages to attend_care;
-- Re-sealed by `attend keys rotate-data`.
create policy rotate on care.messages to attend_care_platform using (true);
grant select, update on care.messages to attend_care_platform;

-- Where each participant has read a conversation up to (read receipts and
-- unread counts).
create table care.message_reads (
    org_id      uuid not null,
    client_id   uuid not null references care.clients (id),
    user_id     uuid not null,
    message_id  uuid not null references care.messages (id),
    -- The message's own time, to count what came after it.
    up_to       timestamptz not null,
    read_at     timestamptz not null default now(),
    primary key (client_id, user_id)
);
select care.tenant_table('care.message_reads');
grant select, insert, update on care.message_reads to attend_care;
