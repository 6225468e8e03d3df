-- Attachments on care updates and messages are documents of the same
-- client (care.documents): each one's own visibility still decides who may
-- open it.
alter table care.progress_notes add column attachment_ids uuid[] not null default '{}';
alter table care.messages add column attachment_ids uuid[] not null default '{}';
