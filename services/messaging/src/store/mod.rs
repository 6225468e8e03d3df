//! SQL over the `messaging` schema, and only here.
//!
//! - [`emails`]: the outbound email queue;
//! - [`sms`]: the two-way SMS log, which is also the outbound queue;
//! - [`templates`]: each organisation's SMS templates;
//! - [`conversations`]: the inbox, one conversation per contact;
//! - [`consents`]: the consent ledger.

mod consents;
mod conversations;
mod emails;
mod sms;
mod templates;

pub use consents::*;
pub use conversations::*;
pub use emails::*;
pub use sms::*;
pub use templates::*;
