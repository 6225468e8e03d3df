-- A trigger function for append-only tables (event logs, audit trails):
-- attached BEFORE UPDATE OR DELETE (per row) and BEFORE TRUNCATE (per
-- statement), it refuses the change even to the table's owner. Runs with
-- search_path set to the service's schema, so each schema gets its own.
create function refuse_change() returns trigger
language plpgsql as $$
begin
    raise exception '%.% is append-only', tg_table_schema, tg_table_name
        using errcode = 'insufficient_privilege';
end
$$;
