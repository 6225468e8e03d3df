-- An admin changes the organisation's opening hours (which automation's
-- due times and reporting's speed-to-lead read) in a tenant transaction;
-- the tenant policy limits the update to the admin's own organisation,
-- and only this column.
grant update (business_hours) on identity.organisations to attend_identity;
