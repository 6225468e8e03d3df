-- Email that leaves the building: an HTML body beside the text, the
-- template an email was rendered from, and what the provider reported
-- after sending (delivered, bounced).

alter table messaging.outbound_emails add column body_html text;
alter table messaging.outbound_emails add column template text;
alter table messaging.outbound_emails add column delivered_at timestamptz;
alter table messaging.outbound_emails drop constraint outbound_emails_status_check;
alter table messaging.outbound_emails add constraint outbound_emails_status_check
    check (status in ('queued', 'sent', 'delivered', 'bounced', 'failed'));
-- The provider's events (a consumer, in the organisation's transaction)
-- record delivery and bounces on the email.
grant update on messaging.outbound_emails to attend_messaging;
