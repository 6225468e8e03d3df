//! Seed 000's pipelines and their stages (the table's check says the same).

pub const PIPELINES: [(&str, &[&str]); 4] = [
    (
        "lead_to_booking",
        &[
            "new_lead",
            "contacted",
            "engaged",
            "booking_attempted",
            "booked",
            "dead_lost",
        ],
    ),
    (
        "pre_appointment",
        &["booking_confirmed", "reminded", "confirmed", "needs_attention", "ready"],
    ),
    (
        "post_appointment",
        &[
            "attended",
            "review_requested",
            "referral_invited",
            "recall_due",
            "cancelled_rescue",
            "did_not_attend",
            "dormant",
        ],
    ),
    (
        "partnership",
        &[
            "identified",
            "qualified",
            "contacted",
            "in_discussion",
            "active",
            "completed",
        ],
    ),
];

/// The stages of a pipeline; `None` for a name that isn't one.
pub fn stages(pipeline: &str) -> Option<&'static [&'static str]> {
    PIPELINES.iter().find(|(p, _)| *p == pipeline).map(|(_, s)| *s)
}

pub fn pipeline_names() -> String {
    PIPELINES.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
}

/// Whether any pipeline has this stage.
pub fn is_stage(stage: &str) -> bool {
    PIPELINES.iter().any(|(_, s)| s.contains(&stage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_belong_to_their_pipeline() {
        assert!(stages("lead_to_booking").unwrap().contains(&"new_lead"));
        assert!(!stages("pre_appointment").unwrap().contains(&"new_lead"));
        assert!(stages("sales").is_none());
        assert!(is_stage("did_not_attend"));
        assert!(!is_stage("won"));
    }
}
