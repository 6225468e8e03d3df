//! Request limits at the edge: per signed-in user across the API, and per
//! client address on the endpoints that need no sign-in (login, refresh,
//! password reset, invitations). Limits are per gateway replica: with N
//! replicas behind a balancer, a client gets up to N times the rate.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use attend_kit::config::{Config, ConfigError};
use attend_kit::http::Problem;
use attend_kit::ids::UserId;
use axum::extract::{ConnectInfo, FromRequestParts};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::request::Parts;

/// The gateway's request limits.
#[derive(Clone)]
pub struct Limits {
    per_user: Arc<DefaultKeyedRateLimiter<UserId>>,
    per_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Take the client address from `X-Forwarded-For` (behind one trusted proxy).
    trust_forwarded_for: bool,
}

impl Limits {
    /// `ATTEND_API_RATE_LIMIT` (per user per minute, default 600),
    /// `ATTEND_AUTH_RATE_LIMIT` (per address per minute on sign-in
    /// endpoints, default 60); the platform's `trust_forwarded_for`.
    pub fn from_config(config: &Config) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut per_minute = |var, default| {
            let n = config.source.per_minute(var, default).unwrap_or_else(|e| {
                errors.push(e);
                NonZeroU32::MIN
            });
            Quota::per_minute(n)
        };
        let user = per_minute("ATTEND_API_RATE_LIMIT", 600);
        let address = per_minute("ATTEND_AUTH_RATE_LIMIT", 60);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            per_user: Arc::new(RateLimiter::keyed(user)),
            per_address: Arc::new(RateLimiter::keyed(address)),
            trust_forwarded_for: config.trust_forwarded_for,
        })
    }

    pub fn check_user(&self, user: UserId) -> Result<(), Problem> {
        self.per_user.check_key(&user).map_err(|not_until| {
            Problem::rate_limited(
                "requests from this user",
                not_until.wait_time_from(DefaultClock::default().now()),
            )
        })
    }

    pub fn check_address(&self, address: IpAddr) -> Result<(), Problem> {
        self.per_address.check_key(&address).map_err(|not_until| {
            Problem::rate_limited(
                "requests from this address",
                not_until.wait_time_from(DefaultClock::default().now()),
            )
        })
    }

    /// Forgets keys idle long enough to be back at full allowance.
    pub fn forget_idle(&self) {
        self.per_user.retain_recent();
        self.per_address.retain_recent();
    }
}

/// The client's address (`attend_kit::http::client_ip`).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    pub fn text(&self) -> String {
        self.0.map(|ip| ip.to_string()).unwrap_or_default()
    }
}

impl FromRequestParts<crate::AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr);
        Ok(Self(attend_kit::http::client_ip(
            &parts.headers,
            peer,
            state.limits.trust_forwarded_for,
        )))
    }
}
