-- For a service's own migrations: makes a table a tenant table in one
-- line, the same way every time: Row-Level Security enabled and forced,
-- with the `tenant` policy on app.org_id (the table needs an org_id).
-- Grants stay in the migration, explicit, beside the table.
--
--     create table <schema>.things (id uuid primary key, org_id uuid not null, ...);
--     select tenant_table('<schema>.things');
--     grant select, insert on <schema>.things to attend_<schema>;
create function tenant_table(t regclass) returns void
language plpgsql as $$
begin
    execute format('alter table %s enable row level security', t);
    execute format('alter table %s force row level security', t);
    execute format(
        'create policy tenant on %s using (org_id = nullif(current_setting(''app.org_id'', true), '''')::uuid)',
        t);
end
$$;
revoke execute on function tenant_table(regclass) from public;
revoke execute on function public_user_id(uuid) from public;
