-- Recalls: when a patient is due back (spec 000's pipeline C, "On recall
-- due"), set after an attended visit by a rule or by staff. A contact has
-- at most one open recall; setting another closes it. A recall ends
-- `booked` when the contact books again, or `closed` by staff.

create table booking.recalls (
    id               uuid primary key,
    org_id           uuid not null,
    -- The contact service's id, as bookings keep it; recalls follow merges.
    contact_id       uuid not null,
    -- The attended booking it follows, if any.
    booking_id       uuid references booking.bookings (id),
    -- The organisation's local date it falls due.
    due_on           date not null,
    -- The service type it came from (high_risk, routine, ...), or why staff set it.
    reason           text check (length(reason) between 1 and 100),
    months           integer not null check (months between 0 and 120),
    status           text not null default 'open' check (status in ('open', 'booked', 'closed')),
    note             text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    closed_at        timestamptz,
    -- The booking that closed it as booked.
    booked_by        uuid references booking.bookings (id),
    -- The merge that closed it because both contacts had one open (the
    -- newer stands); its undo opens it again.
    closed_by_merge  uuid,
    constraint recalls_closed_at_iff_not_open check ((status = 'open') = (closed_at is null))
);

-- One open recall per contact. An exclusion constraint rather than a
-- partial unique index, because it can be deferred to commit: following a
-- merge (kit::merges) moves all of a contact's recalls in one statement,
-- and only then closes the older of two open ones, in the same
-- transaction (consumers::merges).
alter table booking.recalls add constraint recalls_one_open_per_contact
    exclude using btree (contact_id with =) where (status = 'open')
    deferrable initially deferred;

-- The daily check: open recalls due by a date, oldest first (keyset).
create index recalls_due_idx on booking.recalls (org_id, due_on, id) where status = 'open';
-- A contact's recalls, and merges moving them.
create index recalls_contact_idx on booking.recalls (org_id, contact_id);

select booking.tenant_table('booking.recalls');
grant select, insert, update on booking.recalls to attend_booking;

-- Months until a patient of this service is due back: 0 for the default
-- (6 for high_risk, 12 for the rest).
alter table booking.service_types
    add column recall_months integer not null default 0 check (recall_months between 0 and 120);
