-- 1. One actor format across the fleet (kit::actor): a task's creator is
-- a user id (user_<base32>) or system.
update automation.tasks
set created_by = automation.public_user_id(created_by::uuid)
where created_by ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

comment on column automation.tasks.created_by is 'a user id (user_...) or system (kit::actor)';

-- 2. Contact merges are followed by the kit's consumer now (kit::merges),
-- in the kit's tables (kit migration 0004): carry the record over.
insert into automation.merge_follows (merge_id, org_id, table_name, row_id, from_contact, to_contact, moved_at, undone_at)
select merge_id, org_id, 'automation.tasks', task_id, from_contact, to_contact, moved_at, undone_at
from automation.merge_moves
on conflict do nothing;

insert into automation.merges_undone (merge_id, org_id, undone_at)
select merge_id, org_id, undone_at from automation.undone_merges
on conflict do nothing;

drop table automation.merge_moves;
drop table automation.undone_merges;
