//! SMTP, through any relay (a mail host, Amazon SES, Postmark, SendGrid's
//! own SMTP), with `lettre`.
//!
//! # The setting
//!
//! `ATTEND_SMTP_URL`, in lettre's URL form, with TLS unless it says
//! otherwise:
//!
//! | URL | connection |
//! | --- | --- |
//! | `smtps://user:pass@host` (port 465 unless given) | TLS from the first byte |
//! | `smtp://user:pass@host:587?tls=required`, or `smtp://…` with no `tls` (port 587 unless given) | STARTTLS, required: a server that doesn't offer it is refused |
//! | `smtp://host:25?tls=none` | plain text: only for a relay on the same host or network (and tests) |
//!
//! `tls=opportunistic` (STARTTLS if offered, silently plain otherwise) is
//! refused: one stripped `STARTTLS` line would send a reset link in the
//! clear. Credentials in the URL are percent-encoded (`p%40ss` for `p@ss`);
//! a path names the EHLO domain (`smtps://…/clinic.example`), else the
//! host's name is used. Certificates are checked with the platform's
//! verifier on aws-lc-rs, as every other TLS client here.
//!
//! # What is sent
//!
//! One message per email: `From` (`ATTEND_EMAIL_FROM`), `To`, `Subject`, a
//! `Message-ID` of `<{our email id}@{the sender's domain}>` (recorded as the
//! provider's id: it is what a bounce message quotes), and a text/plain
//! body, or multipart/alternative text and HTML when the email has HTML.
//!
//! # What each answer becomes
//!
//! | the server says | result |
//! | --- | --- |
//! | 250 to the data | sent |
//! | a 5xx at any step (550 no such mailbox, 535 authentication failed, 554 refused) | [`SendError::Permanent`] with the server's reply |
//! | a 4xx (421 try later, 450 mailbox busy, 451 local error) | [`SendError::Transient`] |
//! | no connection, a TLS failure, a timeout ([`REQUEST_TIMEOUT`] per command), a reply we can't read | [`SendError::Transient`] |
//!
//! Like the HTTP adapters it neither retries nor logs bodies.

use futures::future::BoxFuture;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::email::{EmailProvider, Outgoing, SendError};
use crate::providers::REQUEST_TIMEOUT;

/// Sends through one SMTP relay. Its `Debug` shows neither the URL nor
/// its credentials.
pub(crate) struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// Where it sends, without credentials, for logs and errors.
    shown: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("relay", &self.shown)
            .finish_non_exhaustive()
    }
}

/// How an `ATTEND_SMTP_URL` asks to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Wrapper,
    StartTls,
    Plain,
}

/// The URL lettre is given (the `tls` parameter as lettre reads it) and
/// how it connects; or why the setting is refused.
fn lettre_url(setting: &str) -> Result<(String, Security), String> {
    let mut url = url::Url::parse(setting.trim()).map_err(|e| format!("is not a URL: {e}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("names no host".to_owned());
    }
    let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let security = match (url.scheme(), tls.as_deref()) {
        ("smtps", None) => Security::Wrapper,
        ("smtps", Some(other)) => return Err(format!("smtps:// is TLS already; remove tls={other}")),
        ("smtp", None | Some("required")) => Security::StartTls,
        ("smtp", Some("none")) => Security::Plain,
        ("smtp", Some("opportunistic")) => {
            return Err(
                "tls=opportunistic would send in the clear whenever STARTTLS is stripped; use \
                        tls=required (or tls=none for a relay on a trusted network)"
                    .to_owned(),
            );
        }
        ("smtp", Some(other)) => return Err(format!("tls={other} is not one of required, none")),
        (scheme, _) => return Err(format!("{scheme}:// is not smtp:// or smtps://")),
    };
    url.set_query(match security {
        Security::StartTls => Some("tls=required"),
        Security::Wrapper | Security::Plain => None,
    });
    Ok((url.to_string(), security))
}

impl Smtp {
    /// A relay from `ATTEND_SMTP_URL`; the error says what is wrong with it
    /// (never quoting the password).
    pub(crate) fn new(setting: &str) -> Result<Self, String> {
        let (url, security) = lettre_url(setting)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| format!("lettre refuses it: {e}"))?
            .timeout(Some(REQUEST_TIMEOUT))
            .build();
        let parsed = url::Url::parse(&url).map_err(|e| format!("is not a URL: {e}"))?;
        let shown = format!(
            "{}://{}:{} ({security:?})",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default(),
            parsed.port().map_or_else(|| "default".to_owned(), |p| p.to_string())
        );
        Ok(Self { transport, shown })
    }

    async fn send_one(&self, email: &Outgoing) -> Result<String, SendError> {
        let (message, id) = message(email)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(id),
            Err(e) => Err(failure(&self.shown, &e)),
        }
    }
}

impl EmailProvider for Smtp {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn send<'a>(&'a self, email: &'a Outgoing) -> BoxFuture<'a, Result<String, SendError>> {
        Box::pin(self.send_one(email))
    }
}

/// The message for `email`, and its Message-ID.
fn message(email: &Outgoing) -> Result<(Message, String), SendError> {
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| SendError::permanent(format!("the recipient {:?} is not an address: {e}", email.to)))?;
    let id = format!("<{}@{}>", email.id, email.from.email.domain());
    let builder = Message::builder()
        .from(email.from.clone())
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(id.clone()));
    let built = match &email.body_html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(email.body_text.clone(), html.clone())),
        None => builder.singlepart(SinglePart::plain(email.body_text.clone())),
    };
    let message = built.map_err(|e| SendError::permanent(format!("the message can't be built: {e}")))?;
    Ok((message, id))
}

/// What an SMTP failure means for the email.
fn failure(relay: &str, e: &lettre::transport::smtp::Error) -> SendError {
    let reason = format!("SMTP {relay}: {e}");
    if e.is_permanent() {
        SendError::permanent(reason)
    } else {
        SendError::transient(reason)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use uuid::Uuid;

    use super::*;

    /// A fake SMTP server on 127.0.0.1, plain text: it answers each
    /// command as a real one does, refuses `RCPT TO` for addresses that
    /// start with `reject` (550) or `busy` (451), and records each
    /// message's envelope and DATA.
    struct FakeSmtp {
        port: u16,
        received: Arc<Mutex<Vec<Received>>>,
    }

    #[derive(Debug, Clone, Default)]
    struct Received {
        mail_from: String,
        rcpt_to: Vec<String>,
        data: String,
    }

    impl FakeSmtp {
        async fn start() -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let received = Arc::new(Mutex::new(Vec::new()));
            let store = received.clone();
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    let store = store.clone();
                    tokio::spawn(async move { session(socket, store).await });
                }
            });
            Self { port, received }
        }

        fn url(&self) -> String {
            format!("smtp://127.0.0.1:{}?tls=none", self.port)
        }

        fn received(&self) -> Vec<Received> {
            self.received.lock().unwrap().clone()
        }
    }

    async fn session(socket: tokio::net::TcpStream, store: Arc<Mutex<Vec<Received>>>) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut current = Received::default();
        write.write_all(b"220 fake.test ESMTP ready\r\n").await.unwrap();
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250-fake.test greets you\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                current = Received {
                    mail_from: line[10..].trim().to_owned(),
                    ..Received::default()
                };
                b"250 2.1.0 OK\r\n"
            } else if upper.starts_with("RCPT TO:") {
                let to = line[8..].trim().to_owned();
                if to.starts_with("<reject") {
                    b"550 5.1.1 No such user here\r\n"
                } else if to.starts_with("<busy") {
                    b"451 4.3.0 Mailbox busy, try again later\r\n"
                } else {
                    current.rcpt_to.push(to);
                    b"250 2.1.5 OK\r\n"
                }
            } else if upper == "DATA" {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .unwrap();
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                current.data = data;
                store.lock().unwrap().push(std::mem::take(&mut current));
                b"250 2.0.0 Queued\r\n"
            } else if upper == "QUIT" {
                write.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
                return;
            } else if upper == "RSET" || upper == "NOOP" {
                b"250 2.0.0 OK\r\n"
            } else {
                b"502 5.5.2 Command not recognised\r\n"
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }

    fn email(to: &str, html: bool) -> Outgoing {
        Outgoing {
            id: Uuid::parse_str("0190f3a4-5b6c-7d8e-9f00-112233445566").unwrap(),
            org_slug: "harbour-physio".to_owned(),
            from: "Harbour Physio <no-reply@harbour.example>".parse().unwrap(),
            to: to.to_owned(),
            subject: "You're invited to Harbour Physio".to_owned(),
            body_text: "Hello Sam,\n\nOpen https://app.example/accept-invitation?token=inv_abc\n".to_owned(),
            body_html: html.then(|| "<p>Hello Sam &amp; co,</p>".to_owned()),
        }
    }

    #[tokio::test]
    async fn an_email_goes_to_the_relay_with_its_message_id_and_both_bodies() {
        let server = FakeSmtp::start().await;
        let smtp = Smtp::new(&server.url()).unwrap();

        let id = smtp.send(&email("sam@example.com", true)).await.unwrap();

        assert_eq!(id, "<0190f3a4-5b6c-7d8e-9f00-112233445566@harbour.example>");
        let got = server.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].mail_from, "<no-reply@harbour.example>");
        assert_eq!(got[0].rcpt_to, ["<sam@example.com>"]);
        let data = &got[0].data;
        for expected in [
            "From: \"Harbour Physio\" <no-reply@harbour.example>",
            "To: sam@example.com",
            "Subject: You're invited to Harbour Physio",
            "Message-ID: <0190f3a4-5b6c-7d8e-9f00-112233445566@harbour.example>",
            "multipart/alternative",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Type: text/html; charset=utf-8",
            "accept-invitation?token=inv_abc",
            "<p>Hello Sam &amp; co,</p>",
        ] {
            assert!(data.contains(expected), "{expected:?} is not in:\n{data}");
        }
    }

    #[tokio::test]
    async fn a_text_only_email_is_a_single_plain_part() {
        let server = FakeSmtp::start().await;
        Smtp::new(&server.url())
            .unwrap()
            .send(&email("sam@example.com", false))
            .await
            .unwrap();
        let data = &server.received()[0].data;
        assert!(data.contains("Content-Type: text/plain; charset=utf-8"), "{data}");
        assert!(!data.contains("multipart"), "{data}");
    }

    #[tokio::test]
    async fn a_refused_mailbox_is_permanent_and_a_busy_one_transient() {
        let server = FakeSmtp::start().await;
        let smtp = Smtp::new(&server.url()).unwrap();
        let refused = smtp.send(&email("reject@example.com", false)).await.unwrap_err();
        assert!(
            matches!(&refused, SendError::Permanent { reason } if reason.contains("No such user")),
            "{refused:?}"
        );
        let busy = smtp.send(&email("busy@example.com", false)).await.unwrap_err();
        assert!(
            matches!(&busy, SendError::Transient { reason, .. } if reason.contains("Mailbox busy")),
            "{busy:?}"
        );
        assert!(server.received().is_empty(), "nothing was accepted");
    }

    #[tokio::test]
    async fn a_relay_that_is_not_there_is_transient() {
        // Bound then dropped: nothing listens on the port.
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let smtp = Smtp::new(&format!("smtp://127.0.0.1:{port}?tls=none")).unwrap();
        let err = smtp.send(&email("sam@example.com", false)).await.unwrap_err();
        assert!(matches!(err, SendError::Transient { .. }), "{err:?}");
    }

    #[test]
    fn tls_is_the_default_and_plain_text_must_be_asked_for() {
        let read = |s: &str| lettre_url(s).map(|(_, security)| security);
        assert_eq!(read("smtps://u:p@mail.example"), Ok(Security::Wrapper));
        assert_eq!(read("smtp://u:p@mail.example:587"), Ok(Security::StartTls));
        assert_eq!(read("smtp://mail.example:587?tls=required"), Ok(Security::StartTls));
        assert_eq!(read("smtp://127.0.0.1:2525?tls=none"), Ok(Security::Plain));
        assert_eq!(
            lettre_url("smtp://u:p@mail.example").unwrap().0,
            "smtp://u:p@mail.example?tls=required",
            "lettre is told to require STARTTLS"
        );
        assert_eq!(
            lettre_url("smtp://127.0.0.1:2525?tls=none").unwrap().0,
            "smtp://127.0.0.1:2525"
        );
        for bad in [
            "smtp://mail.example?tls=opportunistic",
            "smtp://mail.example?tls=maybe",
            "smtps://mail.example?tls=required",
            "http://mail.example",
            "mail.example:587",
        ] {
            assert!(lettre_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn its_debug_and_errors_never_show_the_password() {
        let smtp = Smtp::new("smtps://apikey:s3cr%40t@smtp.example:465").unwrap();
        let shown = format!("{smtp:?}");
        assert!(!shown.contains("s3cr"), "{shown}");
        assert!(shown.contains("smtp.example:465"), "{shown}");
    }
}
