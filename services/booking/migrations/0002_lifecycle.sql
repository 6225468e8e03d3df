-- The booking lifecycle: what happened to each booking, outcomes, and the
-- organisation's mapping from a provider's services to type and urgency.

alter table booking.bookings
    -- The provider's time of the latest event applied: an older event that
    -- arrives late doesn't undo a newer one.
    add column last_provider_event_at timestamptz,
    add column outcome_recorded_at timestamptz,
    add column outcome_notes text,
    add column reschedule_count integer not null default 0;

-- Everything that happened to a booking. Reschedules keep their old and new
-- times here.
create table booking.booking_changes (
    id                   uuid primary key,
    org_id               uuid not null,
    booking_id           uuid not null references booking.bookings (id),
    kind                 text not null check (kind in ('created', 'confirmed', 'rescheduled', 'cancelled', 'updated', 'outcome')),
    from_status          text,
    to_status            text,
    from_appointment_at  timestamptz,
    to_appointment_at    timestamptz,
    outcome              text,
    actor                text not null,        -- provider:wix, or a user id
    note                 text,
    -- When it happened by the clock of whoever said so (the provider's for
    -- its events); recorded_at is our order of applying them.
    occurred_at          timestamptz not null,
    recorded_at          timestamptz not null default clock_timestamp(),
    source_event_id      uuid
);
create index booking_changes_booking_idx on booking.booking_changes (org_id, booking_id, recorded_at, id);

-- A provider's service, as the practice classifies it.
create table booking.service_types (
    org_id               uuid not null,
    provider             text not null,
    external_service_id  text not null,
    service_type         text not null check (service_type in ('procedure', 'follow_up', 'routine', 'high_risk')),
    urgency_level        text not null check (urgency_level in ('high', 'medium', 'low')),
    updated_at           timestamptz not null default now(),
    primary key (org_id, provider, external_service_id)
);

alter table booking.booking_changes enable row level security;
alter table booking.booking_changes force row level security;
create policy tenant on booking.booking_changes
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

alter table booking.service_types enable row level security;
alter table booking.service_types force row level security;
create policy tenant on booking.service_types
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

grant select, insert on booking.booking_changes to attend_booking;
grant select, insert, update on booking.service_types to attend_booking;
