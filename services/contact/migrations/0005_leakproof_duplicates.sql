-- Likely duplicates (store::duplicates) by conditions the service role can
-- run on indexes under Row-Level Security, as search does (migration
-- 0004): lower(name) and right(phone, 8) are not leakproof, so as the
-- service role that query read every contact of the organisation.

-- The same name, whatever its case.
alter table contact.contacts
    add column name_lower text generated always as (lower(name)) stored;
drop index contact.contacts_org_name_idx;
create index contacts_name_idx on contact.contacts (org_id, name_lower) where merged_into is null;
-- The same email: contacts_org_email_idx. The same last eight digits of the
-- phone: a prefix of phone_reversed (contacts_phone_end_idx).

analyze contact.contacts;
