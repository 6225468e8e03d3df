-- How an organisation's messages read (template values such as the clinic's
-- address and booking link), when they may arrive (quiet hours), and who
-- sends its SMS. Read by messaging through GetOrganisation.
alter table identity.organisations
    add column messaging jsonb not null default '{}'::jsonb;

-- An admin changes these in a tenant transaction; the tenant policy limits
-- the update to the admin's own organisation, and only this column.
grant update (messaging) on identity.organisations to attend_identity;
