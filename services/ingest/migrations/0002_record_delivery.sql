-- Recording a delivery in one round trip: the webhook answer's hot path
-- (docs/adr/0008-ingest-throughput.md). Runs as the caller (ingest's own
-- role), with Row-Level Security in force for the organisation it sets.
--
-- In one statement (so one implicit transaction, committed as it returns):
-- 1. with `p_ref_kind`, our id for the provider's entity is assigned on
--    first sight; if it was assigned before and differs from
--    `p_ref_fresh`, nothing is written and that id is returned: the
--    caller re-encodes its event with it and calls again;
-- 2. the raw delivery is appended, unless it was logged before: then it
--    gets its first answer (duplicate = true) and nothing else happens;
-- 3. its event (if any) goes into the outbox.
-- The duplicate check is the insert's own conflict on the unique key, not
-- a lookup first: a lookup's cached plan may pick another index while the
-- table's statistics are young, and read the whole organisation's log.
create function ingest.record_delivery(
    p_org          uuid,
    p_id           uuid,
    p_provider     text,
    p_delivery_id  text,
    p_event_type   text,
    p_endpoint     text,
    p_headers      jsonb,
    p_body         bytea,
    p_subject_ids  jsonb,
    p_ref_kind     text,
    p_ref_external text,
    p_ref_fresh    uuid,
    p_out_subject  text,
    p_out_headers  jsonb,
    p_out_payload  bytea
) returns table (event_id uuid, duplicate boolean, subject_ids jsonb, ref_id uuid)
language plpgsql
security invoker
as $$
declare
    v_ref uuid;
    v_id uuid;
    v_subjects jsonb;
begin
    perform set_config('app.org_id', p_org::text, true);

    if p_ref_kind is not null then
        insert into ingest.external_refs (org_id, provider, kind, external_id, id)
        values (p_org, p_provider, p_ref_kind, p_ref_external, p_ref_fresh)
        on conflict do nothing;
        select r.id into v_ref
          from ingest.external_refs r
         where r.org_id = p_org and r.provider = p_provider and r.kind = p_ref_kind
           and r.external_id = p_ref_external;
        if v_ref is distinct from p_ref_fresh then
            return query select null::uuid, false, null::jsonb, v_ref;
            return;
        end if;
    end if;

    insert into ingest.event_log
        (id, org_id, provider, delivery_id, event_type, endpoint, headers, raw_body, subject_ids, published)
    values
        (p_id, p_org, p_provider, p_delivery_id, p_event_type, p_endpoint, p_headers, p_body, p_subject_ids,
         p_out_subject is not null)
    on conflict (org_id, provider, delivery_id) do nothing;
    if not found then
        -- Logged before (or by a concurrent redelivery that committed first).
        select l.id, l.subject_ids into v_id, v_subjects
          from ingest.event_log l
         where l.org_id = p_org and l.provider = p_provider and l.delivery_id = p_delivery_id;
        return query select v_id, true, v_subjects, null::uuid;
        return;
    end if;

    if p_out_subject is not null then
        insert into ingest.outbox (id, org_id, subject, headers, payload)
        values (p_id, p_org, p_out_subject, p_out_headers, p_out_payload);
    end if;
    return query select p_id, false, p_subject_ids, v_ref;
end
$$;

revoke all on function ingest.record_delivery from public;
grant execute on function ingest.record_delivery to attend_ingest;
