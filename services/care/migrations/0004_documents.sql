-- Documents (spec 001 section 6): the bytes are in object storage at
-- `<org>/<client>/<document>`; this is what is known of them.

create table care.documents (
    id              uuid primary key,
    org_id          uuid not null,
    client_id       uuid not null references care.clients (id),
    uploaded_by_id  uuid not null,
    file_name       text not null check (length(file_name) between 1 and 255),
    -- What the content is, by its bytes: pdf, png, jpeg, gif, webp, doc, docx.
    file_type       text not null,
    content_type    text not null,
    file_size       bigint not null check (file_size > 0),
    category        text not null
                    check (category in ('prescription', 'test_result', 'medical_record', 'insurance', 'other')),
    description     text check (length(description) <= 2000),
    visibility      text not null default 'care_team_only'
                    check (visibility in ('family_only', 'care_team_only', 'everyone')),
    -- quarantined (waiting for the virus scan), clean, infected (deleted),
    -- unscanned (no scanner is configured).
    status          text not null check (status in ('quarantined', 'clean', 'infected', 'unscanned')),
    scan_result     text,
    scanned_at      timestamptz,
    created_at      timestamptz not null default now()
);
create index documents_client_idx on care.documents (org_id, client_id, created_at desc);
create index documents_quarantine_idx on care.documents (created_at) where status = 'quarantined';
select care.tenant_table('care.documents');
grant select, insert, update on care.documents to attend_care;
-- The scanner finds what waits in quarantine across organisations.
create policy scan on care.documents to attend_care_platform using (true);
grant select on care.documents to attend_care_platform;
