//! Warmness: seed 000's lead score, term by term.
//!
//! ```text
//! intent         procedure 30, high_risk 25, follow_up 20, routine_check 10, general_inquiry 5
//! source         referral 20, manychat_completed 15, meta_form 10, existing_patient 10,
//!                organic_search 5, word_of_mouth 5
//! engagement     sms_reply_1hr 10, sms_reply_24hr 5, resource_download 10,
//!                booking_link_click 15, email_open 5 — for every such signal, 0..=40 in all
//! speed to lead  first sms_sent/call_attempted after lead_created:
//!                <= 5 min +10, <= 1 h -5, >= 24 h -10, otherwise 0
//! adjustments    every delta a rule or staff gave (-100..=100 each), as given
//! score          the sum, clamped to 0..=100; HOT >= 70, WARM >= 40, else COOL
//! ```
//!
//! Where the seed leaves room, these rules decide (docs/adr/0007-warmness.md):
//! - Engagement signals are read from the timeline: an `sms_received` is a
//!   reply to the latest `sms_sent` before it, unless that one had its
//!   reply already (within 1 h: `sms_reply_1hr`, within 24 h:
//!   `sms_reply_24hr`; later or unprompted: no points); `email_opened` is
//!   `email_open`;
//!   `booking_link_click` and `resource_download` count as they are.
//!   Touchpoints recorded under the seed's signal names count as those.
//! - The engagement term is capped at 40, the seed's stated range.
//! - Speed to lead only counts outreach at or after the lead was created.
//! - A contact with no scored source who is an existing patient scores as
//!   `existing_patient`.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the person asked about (seed 000's intents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intent {
    Procedure,
    HighRisk,
    FollowUp,
    RoutineCheck,
    GeneralInquiry,
}

impl Intent {
    pub const ALL: [Intent; 5] = [
        Intent::Procedure,
        Intent::HighRisk,
        Intent::FollowUp,
        Intent::RoutineCheck,
        Intent::GeneralInquiry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Procedure => "procedure",
            Intent::HighRisk => "high_risk",
            Intent::FollowUp => "follow_up",
            Intent::RoutineCheck => "routine_check",
            Intent::GeneralInquiry => "general_inquiry",
        }
    }

    /// Exactly one of the five names, as the API takes them.
    pub fn parse(text: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == text)
    }

    /// What a chat flow or form says, read leniently ("High risk",
    /// "routine", "General enquiry"); `None` when it is none of them.
    pub fn read(text: &str) -> Option<Intent> {
        let key: String = words(text).join("_");
        Intent::parse(&key).or(match key.as_str() {
            "highrisk" | "high_risk_check" | "urgent" => Some(Intent::HighRisk),
            "followup" | "follow_up_appointment" | "review" => Some(Intent::FollowUp),
            "routine" | "routinecheck" | "check_up" | "checkup" | "routine_check_up" => Some(Intent::RoutineCheck),
            "general" | "general_enquiry" | "enquiry" | "inquiry" | "question" => Some(Intent::GeneralInquiry),
            "surgery" | "treatment" => Some(Intent::Procedure),
            _ => None,
        })
    }

    pub fn points(self) -> i32 {
        match self {
            Intent::Procedure => 30,
            Intent::HighRisk => 25,
            Intent::FollowUp => 20,
            Intent::RoutineCheck => 10,
            Intent::GeneralInquiry => 5,
        }
    }
}

/// The kinds of first touch the seed scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Referral,
    ManychatCompleted,
    MetaForm,
    ExistingPatient,
    OrganicSearch,
    WordOfMouth,
}

impl SourceKind {
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Referral,
        SourceKind::ManychatCompleted,
        SourceKind::MetaForm,
        SourceKind::ExistingPatient,
        SourceKind::OrganicSearch,
        SourceKind::WordOfMouth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Referral => "referral",
            SourceKind::ManychatCompleted => "manychat_completed",
            SourceKind::MetaForm => "meta_form",
            SourceKind::ExistingPatient => "existing_patient",
            SourceKind::OrganicSearch => "organic_search",
            SourceKind::WordOfMouth => "word_of_mouth",
        }
    }

    pub fn parse(text: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn points(self) -> i32 {
        match self {
            SourceKind::Referral => 20,
            SourceKind::ManychatCompleted => 15,
            SourceKind::MetaForm | SourceKind::ExistingPatient => 10,
            SourceKind::OrganicSearch | SourceKind::WordOfMouth => 5,
        }
    }
}

/// Lower-case alphanumeric words of `text`.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Touchpoint types the score reads; a new touchpoint of another type
/// can't change it.
pub const SCORED_TYPES: [&str; 10] = [
    "lead_created",
    "sms_sent",
    "call_attempted",
    "sms_received",
    "email_opened",
    "booking_link_click",
    "resource_download",
    "sms_reply_1hr",
    "sms_reply_24hr",
    "email_open",
];

/// Whether a touchpoint of this type can move the score.
pub fn is_scored(kind: &str) -> bool {
    SCORED_TYPES.contains(&kind)
}

/// A touchpoint, as far as the score cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub kind: String,
    pub at: DateTime<Utc>,
}

/// A delta given to the score by a rule or staff, with its reason
/// (seed 000's `update_warmness`: +10 "Confirmed appointment").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjustment {
    pub delta: i32,
    pub reason: String,
    /// Who gave it: a user id, or system (a rule).
    pub actor: String,
    /// Unix seconds.
    pub at: i64,
}

/// The range of one adjustment's delta (0 is no adjustment).
pub const ADJUSTMENT_RANGE: std::ops::RangeInclusive<i32> = -100..=100;

/// Everything the score depends on.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub intent: Option<Intent>,
    pub source: Option<SourceKind>,
    pub is_existing_patient: bool,
    /// In any order.
    pub touches: Vec<Touch>,
    /// Oldest first.
    pub adjustments: Vec<Adjustment>,
}

/// One engagement signal found on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signal {
    pub signal: &'static str,
    pub at: i64,
    pub points: i32,
}

/// Which term gave which points; stored with the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    pub intent: Option<&'static str>,
    pub intent_points: i32,
    pub source: Option<&'static str>,
    pub source_points: i32,
    pub engagement_signals: Vec<Signal>,
    /// Sum of the signals, capped at 40.
    pub engagement_points: i32,
    /// Seconds from lead creation to first outreach, when both happened.
    pub speed_to_lead_seconds: Option<i64>,
    pub speed_to_lead_points: i32,
    /// Each adjustment, oldest first.
    pub adjustments: Vec<Adjustment>,
    /// Their sum.
    pub adjustment_points: i32,
    /// Before clamping to 0..=100.
    pub total: i32,
    pub score: i32,
    pub label: &'static str,
}

pub const ENGAGEMENT_CAP: i32 = 40;

/// HOT/WARM/COOL, as seed 000 maps warmness to lead priority.
pub fn label(score: i32) -> &'static str {
    match score {
        70.. => "HOT",
        40..=69 => "WARM",
        _ => "COOL",
    }
}

/// The signal an engagement touchpoint gives, by its type alone.
fn direct_signal(kind: &str) -> Option<(&'static str, i32)> {
    match kind {
        "booking_link_click" => Some(("booking_link_click", 15)),
        "resource_download" => Some(("resource_download", 10)),
        "email_opened" | "email_open" => Some(("email_open", 5)),
        "sms_reply_1hr" => Some(("sms_reply_1hr", 10)),
        "sms_reply_24hr" => Some(("sms_reply_24hr", 5)),
        _ => None,
    }
}

/// Points for the time from lead creation to first outreach.
pub fn speed_points(seconds: i64) -> i32 {
    if seconds <= 300 {
        10
    } else if seconds <= 3_600 {
        -5
    } else if seconds >= 86_400 {
        -10
    } else {
        0
    }
}

/// The engagement signals on a timeline sorted oldest first.
fn signals(touches: &[Touch]) -> Vec<Signal> {
    let mut found = Vec::new();
    // The latest outbound SMS not replied to yet.
    let mut awaiting: Option<DateTime<Utc>> = None;
    for t in touches {
        match t.kind.as_str() {
            "sms_sent" => awaiting = Some(t.at),
            "sms_received" => {
                // A reply answers the latest message before it.
                if let Some(sent) = awaiting.take() {
                    let waited = (t.at - sent).num_seconds();
                    let signal = match waited {
                        ..=3_600 => Some(("sms_reply_1hr", 10)),
                        3_601..=86_400 => Some(("sms_reply_24hr", 5)),
                        _ => None,
                    };
                    if let Some((signal, points)) = signal {
                        found.push(Signal {
                            signal,
                            at: t.at.timestamp(),
                            points,
                        });
                    }
                }
            }
            kind => {
                if let Some((signal, points)) = direct_signal(kind) {
                    found.push(Signal {
                        signal,
                        at: t.at.timestamp(),
                        points,
                    });
                }
            }
        }
    }
    found
}

/// The score and how it was reached.
pub fn calculate(inputs: &Inputs) -> Breakdown {
    let mut touches = inputs.touches.clone();
    touches.sort_by_key(|t| t.at);

    let intent_points = inputs.intent.map_or(0, Intent::points);
    let source = inputs
        .source
        .or(inputs.is_existing_patient.then_some(SourceKind::ExistingPatient));
    let source_points = source.map_or(0, SourceKind::points);

    let engagement_signals = signals(&touches);
    let engagement_points = engagement_signals
        .iter()
        .map(|s| s.points)
        .sum::<i32>()
        .min(ENGAGEMENT_CAP);

    let lead_created = touches.iter().find(|t| t.kind == "lead_created").map(|t| t.at);
    let first_outreach = lead_created.and_then(|created| {
        touches
            .iter()
            .find(|t| (t.kind == "sms_sent" || t.kind == "call_attempted") && t.at >= created)
            .map(|t| t.at)
    });
    let speed_to_lead_seconds = match (lead_created, first_outreach) {
        (Some(created), Some(reached)) => Some((reached - created).num_seconds()),
        _ => None,
    };
    let speed_to_lead_points = speed_to_lead_seconds.map_or(0, speed_points);

    let adjustment_points = inputs.adjustments.iter().map(|a| a.delta).sum::<i32>();

    let total = intent_points + source_points + engagement_points + speed_to_lead_points + adjustment_points;
    let score = total.clamp(0, 100);
    Breakdown {
        intent: inputs.intent.map(Intent::as_str),
        intent_points,
        source: source.map(SourceKind::as_str),
        source_points,
        engagement_signals,
        engagement_points,
        speed_to_lead_seconds,
        speed_to_lead_points,
        adjustments: inputs.adjustments.clone(),
        adjustment_points,
        total,
        score,
        label: label(score),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn touch(kind: &str, seconds: i64) -> Touch {
        Touch {
            kind: kind.to_owned(),
            at: at(seconds),
        }
    }

    fn with(touches: Vec<Touch>) -> Inputs {
        Inputs {
            touches,
            ..Inputs::default()
        }
    }

    #[test]
    fn every_intent_scores_as_the_seed_says() {
        let expected = [
            ("procedure", 30),
            ("high_risk", 25),
            ("follow_up", 20),
            ("routine_check", 10),
            ("general_inquiry", 5),
        ];
        for (name, points) in expected {
            let intent = Intent::parse(name).unwrap();
            let b = calculate(&Inputs {
                intent: Some(intent),
                ..Inputs::default()
            });
            assert_eq!((b.intent, b.intent_points, b.score), (Some(name), points, points));
        }
        assert_eq!(calculate(&Inputs::default()).intent_points, 0, "no intent, no points");
    }

    #[test]
    fn intents_are_read_leniently_from_chat_and_forms() {
        assert_eq!(Intent::read("High Risk"), Some(Intent::HighRisk));
        assert_eq!(Intent::read("routine"), Some(Intent::RoutineCheck));
        assert_eq!(Intent::read("General enquiry"), Some(Intent::GeneralInquiry));
        assert_eq!(Intent::read("follow-up"), Some(Intent::FollowUp));
        assert_eq!(Intent::read("PROCEDURE"), Some(Intent::Procedure));
        assert_eq!(Intent::read("pricing"), None);
        assert_eq!(Intent::parse("Procedure"), None, "the API takes the exact names");
    }

    #[test]
    fn every_source_scores_as_the_seed_says() {
        let expected = [
            ("referral", 20),
            ("manychat_completed", 15),
            ("meta_form", 10),
            ("existing_patient", 10),
            ("organic_search", 5),
            ("word_of_mouth", 5),
        ];
        for (name, points) in expected {
            let b = calculate(&Inputs {
                source: SourceKind::parse(name),
                ..Inputs::default()
            });
            assert_eq!((b.source, b.source_points), (Some(name), points));
        }
    }

    #[test]
    fn an_existing_patient_without_a_scored_source_scores_as_one() {
        let b = calculate(&Inputs {
            is_existing_patient: true,
            ..Inputs::default()
        });
        assert_eq!((b.source, b.source_points), (Some("existing_patient"), 10));
        let b = calculate(&Inputs {
            is_existing_patient: true,
            source: Some(SourceKind::Referral),
            ..Inputs::default()
        });
        assert_eq!(b.source_points, 20, "a scored first touch wins");
    }

    #[test]
    fn engagement_signals_score_each_and_cap_at_forty() {
        let b = calculate(&with(vec![touch("booking_link_click", 0)]));
        assert_eq!(b.engagement_points, 15);
        let b = calculate(&with(vec![touch("resource_download", 0)]));
        assert_eq!(b.engagement_points, 10);
        let b = calculate(&with(vec![touch("email_opened", 0)]));
        assert_eq!(b.engagement_points, 5);
        assert_eq!(b.engagement_signals[0].signal, "email_open");
        let b = calculate(&with(vec![touch("sms_reply_1hr", 0), touch("sms_reply_24hr", 1)]));
        assert_eq!(b.engagement_points, 15, "the seed's own signal names count");
        let b = calculate(&with((0..5).map(|i| touch("booking_link_click", i)).collect()));
        assert_eq!(b.engagement_signals.len(), 5);
        assert_eq!(b.engagement_points, 40, "75 points of signals are capped at 40");
    }

    #[test]
    fn an_sms_reply_scores_by_how_soon_it_came() {
        let reply = |after: i64| calculate(&with(vec![touch("sms_sent", 0), touch("sms_received", after)]));
        assert_eq!(reply(60).engagement_points, 10);
        assert_eq!(reply(3_600).engagement_points, 10);
        assert_eq!(reply(3_601).engagement_points, 5);
        assert_eq!(reply(86_400).engagement_points, 5);
        assert_eq!(reply(86_401).engagement_points, 0);
        let unprompted = calculate(&with(vec![touch("sms_received", 0)]));
        assert_eq!(unprompted.engagement_points, 0, "a text nobody prompted is no reply");
        let chatty = calculate(&with(vec![
            touch("sms_sent", 0),
            touch("sms_received", 10),
            touch("sms_received", 20),
            touch("sms_received", 30),
        ]));
        assert_eq!(chatty.engagement_points, 10, "one reply per message sent");
        let two = calculate(&with(vec![
            touch("sms_sent", 0),
            touch("sms_received", 10),
            touch("sms_sent", 7_200),
            touch("sms_received", 7_200 + 7_200),
        ]));
        assert_eq!(two.engagement_points, 15, "each message's reply counts");
    }

    #[test]
    fn speed_to_lead_follows_the_seed_thresholds() {
        let speed = |after: i64, kind: &str| {
            calculate(&with(vec![touch("lead_created", 0), touch(kind, after)])).speed_to_lead_points
        };
        assert_eq!(speed(0, "sms_sent"), 10);
        assert_eq!(speed(300, "call_attempted"), 10);
        assert_eq!(speed(301, "sms_sent"), -5);
        assert_eq!(speed(3_600, "sms_sent"), -5);
        assert_eq!(
            speed(3_601, "sms_sent"),
            0,
            "between an hour and a day the seed gives nothing"
        );
        assert_eq!(speed(86_399, "sms_sent"), 0);
        assert_eq!(speed(86_400, "sms_sent"), -10);
        let none = calculate(&with(vec![touch("lead_created", 0)]));
        assert_eq!((none.speed_to_lead_points, none.speed_to_lead_seconds), (0, None));
        let before = calculate(&with(vec![touch("sms_sent", 0), touch("lead_created", 5_000)]));
        assert_eq!(
            before.speed_to_lead_seconds, None,
            "outreach before the lead is not a response"
        );
        let first = calculate(&with(vec![
            touch("lead_created", 0),
            touch("call_attempted", 100),
            touch("sms_sent", 50_000),
        ]));
        assert_eq!(first.speed_to_lead_seconds, Some(100), "the first outreach counts");
    }

    #[test]
    fn the_terms_add_up_and_are_clamped() {
        // 30 + 20 + 40 + 10 = 100.
        let mut touches = vec![touch("lead_created", 0), touch("sms_sent", 60)];
        touches.extend((0..3).map(|i| touch("booking_link_click", 100 + i)));
        let hot = calculate(&Inputs {
            intent: Some(Intent::Procedure),
            source: Some(SourceKind::Referral),
            is_existing_patient: false,
            touches,
            adjustments: Vec::new(),
        });
        assert_eq!((hot.total, hot.score, hot.label), (100, 100, "HOT"));
        // 0 - 10 = -10, clamped to 0.
        let cold = calculate(&with(vec![touch("lead_created", 0), touch("sms_sent", 90_000)]));
        assert_eq!((cold.total, cold.score, cold.label), (-10, 0, "COOL"));
        // 25 + 15 = 40: WARM.
        let warm = calculate(&Inputs {
            intent: Some(Intent::HighRisk),
            source: Some(SourceKind::ManychatCompleted),
            ..Inputs::default()
        });
        assert_eq!((warm.score, warm.label), (40, "WARM"));
    }

    fn adjustment(delta: i32, reason: &str) -> Adjustment {
        Adjustment {
            delta,
            reason: reason.to_owned(),
            actor: "system".to_owned(),
            at: 1_800_000_000,
        }
    }

    #[test]
    fn adjustments_add_to_the_formula_and_are_listed() {
        // routine_check 10, +10 and -5: 15.
        let b = calculate(&Inputs {
            intent: Some(Intent::RoutineCheck),
            adjustments: vec![
                adjustment(10, "Confirmed appointment"),
                adjustment(-5, "No response after 4 hours"),
            ],
            ..Inputs::default()
        });
        assert_eq!((b.adjustment_points, b.total, b.score), (5, 15, 15));
        assert_eq!(b.adjustments.len(), 2);
        assert_eq!(b.adjustments[0].reason, "Confirmed appointment");
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(
            json["adjustments"][1]["delta"], -5,
            "the breakdown lists each adjustment"
        );
    }

    #[test]
    fn adjustments_cannot_push_the_score_out_of_0_to_100() {
        let up = calculate(&Inputs {
            intent: Some(Intent::Procedure),
            adjustments: vec![adjustment(100, "VIP"), adjustment(50, "again")],
            ..Inputs::default()
        });
        assert_eq!((up.total, up.score, up.label), (180, 100, "HOT"));
        let down = calculate(&Inputs {
            adjustments: vec![adjustment(-100, "Asked not to be contacted")],
            ..Inputs::default()
        });
        assert_eq!((down.total, down.score), (-100, 0));
    }

    #[test]
    fn labels_follow_the_seed_thresholds() {
        assert_eq!(label(100), "HOT");
        assert_eq!(label(70), "HOT");
        assert_eq!(label(69), "WARM");
        assert_eq!(label(40), "WARM");
        assert_eq!(label(39), "COOL");
        assert_eq!(label(0), "COOL");
    }

    fn any_touch() -> impl Strategy<Value = Touch> {
        let kinds = prop::sample::select(
            SCORED_TYPES
                .iter()
                .chain(["booking_created", "ad_click", "form_submit"].iter())
                .copied()
                .collect::<Vec<_>>(),
        );
        (kinds, -200_000i64..200_000).prop_map(|(kind, s)| Touch {
            kind: kind.to_owned(),
            at: at(0) + Duration::seconds(s),
        })
    }

    proptest! {
        #[test]
        fn the_score_stays_within_0_and_100_for_any_timeline(
            intent in prop::option::of(prop::sample::select(Intent::ALL.to_vec())),
            source in prop::option::of(prop::sample::select(SourceKind::ALL.to_vec())),
            existing in any::<bool>(),
            touches in prop::collection::vec(any_touch(), 0..60),
            deltas in prop::collection::vec(ADJUSTMENT_RANGE, 0..8),
        ) {
            let adjustments = deltas.iter().map(|d| adjustment(*d, "rule")).collect();
            let b = calculate(&Inputs { intent, source, is_existing_patient: existing, touches, adjustments });
            prop_assert!((0..=100).contains(&b.score));
            prop_assert!((0..=ENGAGEMENT_CAP).contains(&b.engagement_points));
            prop_assert!([-10, -5, 0, 10].contains(&b.speed_to_lead_points));
            prop_assert_eq!(b.adjustment_points, deltas.iter().sum::<i32>());
            prop_assert_eq!(
                b.total,
                b.intent_points + b.source_points + b.engagement_points + b.speed_to_lead_points + b.adjustment_points
            );
            prop_assert_eq!(b.label, label(b.score));
        }
    }
}
