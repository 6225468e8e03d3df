-- Rows a service moved when the contact service merged two contacts
-- (kit::merges), so the merge can be undone exactly: which table, which
-- row, from whom to whom. And merges undone, so a merge event that arrives
-- after its undo (a retry) moves nothing. Every service whose rows name a
-- contact follows merges through these two tables.
create table merge_follows (
    merge_id      uuid not null,
    org_id        uuid not null,
    table_name    text not null,            -- schema-qualified, e.g. booking.bookings
    row_id        uuid not null,
    from_contact  uuid not null,
    to_contact    uuid not null,
    moved_at      timestamptz not null default now(),
    undone_at     timestamptz,
    primary key (merge_id, table_name, row_id)
);

create table merges_undone (
    merge_id   uuid primary key,
    org_id     uuid not null,
    undone_at  timestamptz not null default now()
);

do $$
declare
    svc text := 'attend_' || current_schema();
    t   text;
begin
    foreach t in array array['merge_follows', 'merges_undone'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format(
            'create policy tenant on %I using (org_id = nullif(current_setting(''app.org_id'', true), '''')::uuid)',
            t);
    end loop;
    execute format('grant select, insert, update on merge_follows to %I', svc);
    execute format('grant select, insert on merges_undone to %I', svc);
end
$$;
