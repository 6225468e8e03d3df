//! The sandbox: sends nothing, and says it took every message.
//!
//! The default in development, tests and demonstrations. The message's row
//! is the record of what would have been sent; the sandbox answers
//! [`Accepted`] with `provider_message_id` `sandbox-<our id>` and
//! `provider_status` `recorded`, and logs at info who it was for and how
//! long it was. It never logs the body: a reminder may hold health
//! information (who is seeing whom, for what).
//!
//! # Numbers that fail on purpose
//!
//! So the sender's handling of failures can be tried end to end without a
//! provider, three recipients fail, the first two as they do at Twilio's
//! test credentials (Twilio's "magic" numbers, which are not real
//! subscribers), the third our own:
//!
//! | `to` | answer |
//! | --- | --- |
//! | [`INVALID_NUMBER`] `+15005550001` | `Permanent`, code "21211" (invalid number) |
//! | [`OPTED_OUT`] `+15005550004` | `OptedOut`, code "21610" (the recipient replied STOP) |
//! | [`UNAVAILABLE`] `+15005550503` | `Transient`, no wait |
//!
//! Every other recipient is accepted. No delay, no delivery report: the
//! sandbox posts no callbacks, so a message it took stays as sent.

use futures::future::BoxFuture;

use super::{Accepted, OutgoingSms, SendError, SmsProvider};

/// A recipient the sandbox refuses as an invalid number.
pub(crate) const INVALID_NUMBER: &str = "+15005550001";
/// A recipient the sandbox reports as having opted out.
pub(crate) const OPTED_OUT: &str = "+15005550004";
/// A recipient for whom the sandbox is unavailable, every time.
pub(crate) const UNAVAILABLE: &str = "+15005550503";

/// Sends nothing; see the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Sandbox;

impl Sandbox {
    fn answer(sms: &OutgoingSms) -> Result<Accepted, SendError> {
        match sms.to.as_str() {
            INVALID_NUMBER => Err(SendError::Permanent {
                code: "21211".to_owned(),
                reason: format!("sandbox: {INVALID_NUMBER} is the sandbox's invalid number"),
            }),
            OPTED_OUT => Err(SendError::OptedOut {
                code: "21610".to_owned(),
                reason: format!("sandbox: {OPTED_OUT} is the sandbox's opted-out recipient"),
            }),
            UNAVAILABLE => Err(SendError::Transient {
                reason: format!("sandbox: {UNAVAILABLE} is the sandbox's unavailable recipient"),
                retry_after: None,
            }),
            _ => Ok(Accepted {
                provider_message_id: format!("sandbox-{}", sms.id),
                provider_status: "recorded".to_owned(),
            }),
        }
    }
}

impl SmsProvider for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(async move {
            let answer = Self::answer(sms);
            match &answer {
                Ok(_) => tracing::info!(
                    message = %sms.id,
                    org = %sms.org_slug,
                    to = %sms.to,
                    from = %sms.from,
                    body_chars = sms.body.chars().count(),
                    "sandbox SMS recorded, not sent"
                ),
                Err(e) => tracing::info!(
                    message = %sms.id,
                    org = %sms.org_slug,
                    to = %sms.to,
                    error = %e,
                    "sandbox SMS refused on purpose"
                ),
            }
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn sms(to: &str) -> OutgoingSms {
        OutgoingSms {
            id: Uuid::parse_str("0190f3a4-5b6c-7d8e-9f00-112233445566").unwrap(),
            org_slug: "harbour-physio".to_owned(),
            to: to.to_owned(),
            from: "HarbourPhys".to_owned(),
            body: "Your results are ready".to_owned(),
        }
    }

    #[tokio::test]
    async fn every_ordinary_message_is_recorded_under_our_own_id() {
        let accepted = Sandbox.send(&sms("+61422222222")).await.unwrap();

        assert_eq!(
            accepted,
            Accepted {
                provider_message_id: "sandbox-0190f3a4-5b6c-7d8e-9f00-112233445566".to_owned(),
                provider_status: "recorded".to_owned(),
            }
        );
        assert_eq!(Sandbox.name(), "sandbox");
    }

    #[tokio::test]
    async fn the_documented_numbers_fail_as_the_table_says() {
        assert!(matches!(
            Sandbox.send(&sms(INVALID_NUMBER)).await,
            Err(SendError::Permanent { code, .. }) if code == "21211"
        ));
        assert!(matches!(
            Sandbox.send(&sms(OPTED_OUT)).await,
            Err(SendError::OptedOut { code, .. }) if code == "21610"
        ));
        assert!(matches!(
            Sandbox.send(&sms(UNAVAILABLE)).await,
            Err(SendError::Transient { retry_after: None, .. })
        ));
    }

    #[tokio::test]
    async fn numbers_that_merely_begin_like_a_failing_one_are_accepted() {
        assert!(Sandbox.send(&sms("+150055500011")).await.is_ok());
        assert!(Sandbox.send(&sms("+1500555000")).await.is_ok());
    }
}
