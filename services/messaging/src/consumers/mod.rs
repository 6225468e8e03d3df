//! The NATS consumers of messaging, one file each:
//!
//! - [`keywords`]: STOP, START and HELP texted by anyone: the consent
//!   ledger, and the one reply each deserves;
//! - [`inbox`]: every inbound text threaded on its contact's
//!   conversation, classified, and published for automation;
//! - [`receipts`]: providers' delivery receipts settle our messages;
//! - [`emails`]: what the email provider reports (delivered, opened,
//!   clicked, bounced, unsubscribed) becomes facts and consent.

pub(crate) mod emails;
pub(crate) mod inbox;
pub(crate) mod keywords;
pub(crate) mod receipts;

use attend_kit::bus::consumer::HandleError;
use attend_kit::contact_point::{Phone, Region};

/// A phone ingest already read to E.164; unreadable, the event never will be.
pub(crate) fn e164(field: &str, text: &str) -> Result<Phone, HandleError> {
    Phone::parse(text, Region::default()).map_err(|why| HandleError::Reject(anyhow::anyhow!("{field}: {why}")))
}
