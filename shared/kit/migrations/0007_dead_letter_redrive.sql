-- When an operator sent a dead letter back through its consumer
-- (`attend dead-letters redrive`); null while it still waits.
alter table dead_letters add column redriven_at timestamptz;

do $$
begin
    -- The service's role marks a letter redriven in the tenant transaction
    -- that also records the audit fact; the platform role, one without an
    -- organisation.
    execute format('grant update (redriven_at) on dead_letters to %I, %I',
        'attend_' || current_schema(), 'attend_' || current_schema() || '_platform');
end
$$;
