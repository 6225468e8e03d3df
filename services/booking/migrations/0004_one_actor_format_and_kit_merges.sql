-- 1. One actor format across the fleet (kit::actor): a person is their
-- public user id (user_<base32>), as contact's records already write it.
-- Booking history wrote the bare UUID; rewrite those rows (with the
-- kit's public_user_id, kit migration 0005).
update booking.booking_changes
set actor = booking.public_user_id(actor::uuid)
where actor ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

comment on column booking.booking_changes.actor is
    'who made the change: a user id (user_...), system, or provider:<name> (kit::actor)';

-- 2. Contact merges are followed by the kit's consumer now (kit::merges),
-- which keeps its record in the kit's tables (kit migration 0004). Carry
-- the moves and undos over, then drop booking's own copies.
insert into booking.merge_follows (merge_id, org_id, table_name, row_id, from_contact, to_contact, moved_at, undone_at)
select merge_id, org_id, 'booking.bookings', booking_id, from_contact, to_contact, moved_at, undone_at
from booking.merge_moves
on conflict do nothing;

insert into booking.merges_undone (merge_id, org_id, undone_at)
select merge_id, org_id, undone_at from booking.undone_merges
on conflict do nothing;

drop table booking.merge_moves;
drop table booking.undone_merges;
