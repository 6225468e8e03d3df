//! Channel names for attribution: "Meta Ads", "ManyChat", "Google",
//! "Referral", "Walk-in", … whatever spelling a form, a UTM tag or a person
//! used, and the seed's scoring kind when the channel has one.

use crate::warmness::{SourceKind, words};

/// A normalised channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// The name reports and the timeline show.
    pub name: String,
    /// The warmness source kind, when the channel alone decides it.
    pub kind: Option<SourceKind>,
}

impl Channel {
    fn known(name: &str, kind: Option<SourceKind>) -> Self {
        Self {
            name: name.to_owned(),
            kind,
        }
    }
}

/// Whether a UTM medium means paid traffic.
fn is_paid(medium: &str) -> bool {
    let medium = words(medium).join("");
    matches!(
        medium.as_str(),
        "cpc" | "ppc" | "paid" | "paidsearch" | "paidsocial" | "ads" | "ad" | "cpm" | "display" | "sem"
    )
}

/// The channel a free-text source names ("facebook", "Walk in", "GP
/// referral"); text we don't recognise is kept as written, trimmed.
pub fn from_label(text: &str) -> Channel {
    let key = words(text).join(" ");
    let known = |name, kind| Channel::known(name, kind);
    match key.as_str() {
        "facebook" | "fb" | "instagram" | "ig" | "meta" | "meta ads" | "facebook ads" | "instagram ads" | "fb ads"
        | "meta ad" | "facebook ad" | "meta lead form" | "facebook lead form" => known("Meta Ads", None),
        "google ads" | "adwords" | "google adwords" | "google cpc" | "gads" | "google ppc" => known("Google Ads", None),
        "google" | "google search" | "google organic" | "organic" | "organic search" | "seo" | "bing" | "search" => {
            known("Google", Some(SourceKind::OrganicSearch))
        }
        "manychat" | "many chat" | "messenger" | "messenger bot" | "chatbot" => known("ManyChat", None),
        "referral" | "referred" | "gp referral" | "gp" | "doctor referral" | "doctor" | "specialist referral" => {
            known("Referral", Some(SourceKind::Referral))
        }
        "walk in" | "walkin" | "walk ins" => known("Walk-in", None),
        "word of mouth" | "wom" | "friend" | "family" | "friend or family" | "recommendation" => {
            known("Word of mouth", Some(SourceKind::WordOfMouth))
        }
        "existing patient" | "returning patient" | "existing" | "returning" => {
            known("Existing patient", Some(SourceKind::ExistingPatient))
        }
        "wix" => known("Wix", None),
        "calendly" => known("Calendly", None),
        "sms" | "text" | "text message" => known("SMS", None),
        "email" | "newsletter" | "e mail" => known("Email", None),
        "phone" | "call" | "phone call" | "telephone" => known("Phone", None),
        "website" | "web" | "direct" | "site" | "web form" => known("Website", None),
        "tiktok" | "tik tok" => known("TikTok", None),
        "manual" => known("Manual", None),
        _ => Channel {
            name: text.trim().chars().take(100).collect(),
            kind: None,
        },
    }
}

/// The channel of a tagged visit: the UTM source read as a label, with
/// Google split into paid and organic by the medium. A Meta visit that
/// ends in a form submission is the seed's `meta_form`.
pub fn from_utm(source: &str, medium: &str, form_submitted: bool) -> Channel {
    let mut channel = from_label(source);
    match channel.name.as_str() {
        "Google" | "Google Ads" if is_paid(medium) => channel = Channel::known("Google Ads", None),
        "Meta Ads" if form_submitted => channel.kind = Some(SourceKind::MetaForm),
        _ => {}
    }
    channel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_a_channel_become_one_name() {
        for text in ["facebook", "FB", "Instagram", "meta ads", "Facebook Ads"] {
            assert_eq!(from_label(text).name, "Meta Ads", "{text}");
        }
        for text in ["Walk-in", "walk in", "WALKIN"] {
            assert_eq!(from_label(text).name, "Walk-in", "{text}");
        }
        for text in ["referral", "GP referral", "Referred"] {
            assert_eq!(from_label(text), Channel::known("Referral", Some(SourceKind::Referral)));
        }
        assert_eq!(from_label("ManyChat").name, "ManyChat");
        assert_eq!(from_label("google").kind, Some(SourceKind::OrganicSearch));
        assert_eq!(from_label("word of mouth").kind, Some(SourceKind::WordOfMouth));
        assert_eq!(from_label("Existing patient").kind, Some(SourceKind::ExistingPatient));
    }

    #[test]
    fn unknown_channels_are_kept_as_written() {
        assert_eq!(from_label("  Radio 2GB  "), Channel::known("Radio 2GB", None));
    }

    #[test]
    fn utm_tags_tell_paid_google_from_organic_and_meta_forms() {
        assert_eq!(from_utm("google", "cpc", true), Channel::known("Google Ads", None));
        assert_eq!(
            from_utm("google", "organic", true),
            Channel::known("Google", Some(SourceKind::OrganicSearch))
        );
        assert_eq!(
            from_utm("facebook", "paid_social", true),
            Channel::known("Meta Ads", Some(SourceKind::MetaForm))
        );
        assert_eq!(from_utm("ig", "paid", false), Channel::known("Meta Ads", None));
    }
}
