-- Bookings moved when the contact service merged two contacts, so the
-- merge can be undone exactly.
create table booking.merge_moves (
    merge_id      uuid not null,
    org_id        uuid not null,
    booking_id    uuid not null references booking.bookings (id),
    from_contact  uuid not null,
    to_contact    uuid not null,
    moved_at      timestamptz not null default now(),
    undone_at     timestamptz,
    primary key (merge_id, booking_id)
);

-- Merges undone, so a merge event that arrives after its undo (a retry)
-- moves nothing.
create table booking.undone_merges (
    merge_id   uuid primary key,
    org_id     uuid not null,
    undone_at  timestamptz not null default now()
);

alter table booking.undone_merges enable row level security;
alter table booking.undone_merges force row level security;
create policy tenant on booking.undone_merges
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

alter table booking.merge_moves enable row level security;
alter table booking.merge_moves force row level security;
create policy tenant on booking.merge_moves
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

grant select, insert, update on booking.merge_moves to attend_booking;
grant select, insert on booking.undone_merges to attend_booking;
