//! What every provider adapter that speaks HTTP shares, SMS and email
//! alike (ClickSend, Twilio, SendGrid, MailChimp): one way to build the
//! client, to read a base URL from settings and join paths onto it, to
//! read `Retry-After`, to describe a request that got no answer, and to
//! quote a provider's error text.

use std::time::Duration;

/// How long one request may take, connecting included. The providers
/// answer in well under a second; one that hangs must not hold a sender
/// (and the queue rows it has claimed) for long. Past it the send is
/// transient and the sender tries again later.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait for a TCP and TLS connection, within [`REQUEST_TIMEOUT`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The most of a provider's error text kept in a reason: an HTML page from a
/// load balancer says nothing more in its second kilobyte.
const REASON_MAX_CHARS: usize = 300;

/// The client an HTTP adapter sends with: a whole-request `timeout`, and no
/// redirects (a send is a POST with credentials; no provider documents
/// one, so a 3xx means a wrong base URL and is reported, not followed).
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("attend-messaging/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// A provider's base URL from settings: absolute, http or https, nothing
/// after the path.
pub(crate) fn base_url(setting: &str, what: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(setting).map_err(|e| format!("{what} {setting:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(format!("{what} {setting:?} must be an http or https URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{what} {setting:?} must have no query or fragment"));
    }
    Ok(url)
}

/// `base` with `segments` appended to its path (each percent-encoded as a
/// segment), whether or not `base` ends in `/`.
pub(crate) fn join_path(base: &url::Url, segments: &[&str]) -> url::Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date from
/// which the wait is counted (zero if it has passed). `None` when absent or
/// unreadable: the sender then uses its own backoff.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or_default())
}

/// Why a request got no usable answer (refused, reset, timed out), in
/// words, with its causes. Always worth retrying; the provider may still
/// have taken a message that timed out.
pub(crate) fn transport_reason(provider: &str, e: reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The URL is left out: it says nothing the provider's name doesn't.
    let e = e.without_url();
    let mut reason = format!("{provider}: {what}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        reason.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    reason
}

/// At most [`REASON_MAX_CHARS`] of a provider's text, on one line.
pub(crate) fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(REASON_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
    use std::time::Duration;

    fn with_retry_after(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(retry_after(&with_retry_after("30")), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(&with_retry_after(" 0 ")), Some(Duration::ZERO));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(120))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let wait = retry_after(&with_retry_after(&soon)).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        assert_eq!(
            retry_after(&with_retry_after("Sun, 06 Nov 1994 08:49:37 GMT")),
            Some(Duration::ZERO),
            "a date gone by means now"
        );
    }

    #[test]
    fn an_absent_or_unreadable_retry_after_leaves_the_wait_to_the_sender() {
        assert_eq!(retry_after(&HeaderMap::new()), None);
        assert_eq!(retry_after(&with_retry_after("soon")), None);
        assert_eq!(retry_after(&with_retry_after("-5")), None);
    }

    #[test]
    fn paths_join_onto_a_base_with_or_without_a_trailing_slash() {
        for base in ["https://ingest.example.com", "https://ingest.example.com/"] {
            let url = join_path(&base_url(base, "base").unwrap(), &["webhooks", "a b"]);
            assert_eq!(url.as_str(), "https://ingest.example.com/webhooks/a%20b");
        }
        let url = join_path(&base_url("http://127.0.0.1:9/attend/", "base").unwrap(), &["v3", "sms"]);
        assert_eq!(url.as_str(), "http://127.0.0.1:9/attend/v3/sms");
    }

    #[test]
    fn base_urls_must_be_plain_http_or_https() {
        for bad in [
            "rest.clicksend.com",
            "ftp://x.example",
            "mailto:a@b.c",
            "https://x.example/?a=1",
        ] {
            assert!(base_url(bad, "ATTEND_X").is_err(), "{bad}");
        }
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(
            excerpt("  <html>\n <body>Bad   gateway</body>\n"),
            "<html> <body>Bad gateway</body>"
        );
        let long = "é".repeat(1_000);
        assert_eq!(excerpt(&long).chars().count(), REASON_MAX_CHARS + 1);
    }
}
