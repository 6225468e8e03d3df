-- Booking: appointments.

create table booking.bookings (
    id                       uuid primary key,
    org_id                   uuid not null,
    -- The contact service's id; no foreign key because contacts live in
    -- another service's schema.
    contact_id               uuid not null,
    provider                 text not null,        -- wix, manual, calendly, ...
    external_booking_id      text,
    external_service_id      text,
    appointment_at           timestamptz not null,
    appointment_end_at       timestamptz,
    service_type             text not null
        check (service_type in ('procedure', 'follow_up', 'routine', 'high_risk', 'unclassified')),
    service_name             text,
    urgency_level            text not null check (urgency_level in ('high', 'medium', 'low')),
    -- Status and outcome are separate: a confirmed booking can be a no-show.
    status                   text not null check (status in ('scheduled', 'confirmed', 'cancelled', 'rescheduled')),
    outcome                  text check (outcome in ('attended', 'no_show')),
    payment_status           text not null default 'unpaid' check (payment_status in ('unpaid', 'pending', 'paid')),
    first_touch_attribution  text,
    last_touch_attribution   text,
    -- The ingest event that created it.
    source_event_id          uuid,
    created_at               timestamptz not null default now(),
    updated_at               timestamptz not null default now(),
    constraint bookings_external_key unique (org_id, provider, external_booking_id)
);
create index bookings_org_contact_idx on booking.bookings (org_id, contact_id, appointment_at desc);
create index bookings_org_appointment_idx on booking.bookings (org_id, appointment_at);

alter table booking.bookings enable row level security;
alter table booking.bookings force row level security;
create policy tenant on booking.bookings
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

grant select, insert, update on booking.bookings to attend_booking;
