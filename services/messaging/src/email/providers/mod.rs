//! Email providers behind [`super::EmailProvider`]: the sandbox that
//! records what would have been sent, SMTP (any relay, over TLS), and
//! SendGrid's v3 Mail Send API. Chosen by `ATTEND_EMAIL_PROVIDER`; base URLs
//! and the SMTP URL are settings, so tests run the real adapters against
//! local fakes. Each adapter's error mapping is in its module's
//! documentation.

pub(crate) mod sandbox;
pub(crate) mod sendgrid;
pub(crate) mod smtp;
