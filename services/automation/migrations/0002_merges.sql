-- Tasks moved when the contact service merged two contacts, so the merge
-- can be undone exactly; and merges undone, so a late merge event moves
-- nothing.
create table automation.merge_moves (
    merge_id      uuid not null,
    org_id        uuid not null,
    task_id       uuid not null references automation.tasks (id),
    from_contact  uuid not null,
    to_contact    uuid not null,
    moved_at      timestamptz not null default now(),
    undone_at     timestamptz,
    primary key (merge_id, task_id)
);

create table automation.undone_merges (
    merge_id   uuid primary key,
    org_id     uuid not null,
    undone_at  timestamptz not null default now()
);

alter table automation.merge_moves enable row level security;
alter table automation.merge_moves force row level security;
create policy tenant on automation.merge_moves
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

alter table automation.undone_merges enable row level security;
alter table automation.undone_merges force row level security;
create policy tenant on automation.undone_merges
    using (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

grant select, insert, update on automation.merge_moves to attend_automation;
grant select, insert on automation.undone_merges to attend_automation;
