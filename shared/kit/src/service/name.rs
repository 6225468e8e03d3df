//! The names of the platform's services: their order (which sets the
//! default ports), their spelling in configuration and logs.

use std::fmt;
use std::str::FromStr;

/// The services of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceName {
    Ingest,
    Contact,
    Booking,
    Automation,
    Messaging,
    Billing,
    Reporting,
    Care,
    Identity,
    Gateway,
}

impl ServiceName {
    /// In this order they take consecutive default gRPC ports from 50051.
    pub const ALL: [ServiceName; 10] = [
        ServiceName::Ingest,
        ServiceName::Contact,
        ServiceName::Booking,
        ServiceName::Automation,
        ServiceName::Messaging,
        ServiceName::Billing,
        ServiceName::Reporting,
        ServiceName::Care,
        ServiceName::Identity,
        ServiceName::Gateway,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::Contact => "contact",
            Self::Booking => "booking",
            Self::Automation => "automation",
            Self::Messaging => "messaging",
            Self::Billing => "billing",
            Self::Reporting => "reporting",
            Self::Care => "care",
            Self::Identity => "identity",
            Self::Gateway => "gateway",
        }
    }

    /// The name as it appears in environment variables (`ATTEND_CONTACT_...`).
    pub fn env_key(self) -> String {
        self.as_str().to_ascii_uppercase()
    }
}

impl FromStr for ServiceName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|n| n.as_str()).collect();
            format!("unknown service {s:?}; expected one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
