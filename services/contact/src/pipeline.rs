//! Seed 000's pipelines and spec 001's consultation pipeline, their stages, and the moves allowed between them
//! (the contacts table's check holds the same pipelines and stages).
//!
//! A contact moves (`MoveContact`) only:
//! - within its pipeline, to one of its stage's `next` stages;
//! - into another pipeline, to one of that pipeline's entry stages.
//!
//! The table is written for the seed's rules (docs/pipelines.md lists
//! them): a lead is contacted, engages, books; a booking puts the patient
//! in pre-appointment care, where reminders and replies move them on; the
//! outcome, or a cancellation, moves them into post-appointment, where the
//! recall brings them back. Staff editing a contact (`UpdateContact`) may
//! set any stage; this table is for moves.

/// One stage of a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub id: &'static str,
    /// As the board shows it.
    pub name: &'static str,
    /// The stages of the same pipeline a contact here may move to.
    pub next: &'static [&'static str],
}

/// A pipeline: its stages in board order and where it may be entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pipeline {
    pub id: &'static str,
    pub name: &'static str,
    pub stages: &'static [Stage],
    /// The stages a contact in another pipeline may be moved into.
    pub entry: &'static [&'static str],
}

const fn stage(id: &'static str, name: &'static str, next: &'static [&'static str]) -> Stage {
    Stage { id, name, next }
}

pub const PIPELINES: [Pipeline; 5] = [
    Pipeline {
        id: "lead_to_booking",
        name: "Lead to Booking",
        stages: &[
            stage(
                "new_lead",
                "New lead",
                &["contacted", "engaged", "booking_attempted", "dead_lost"],
            ),
            stage("contacted", "Contacted", &["engaged", "booking_attempted", "dead_lost"]),
            stage("engaged", "Engaged", &["booking_attempted", "booked", "dead_lost"]),
            stage(
                "booking_attempted",
                "Booking attempted",
                &["engaged", "booked", "dead_lost"],
            ),
            stage("booked", "Booked", &["dead_lost"]),
            // A lost lead who comes back is a new lead again.
            stage("dead_lost", "Dead / lost", &["new_lead"]),
        ],
        entry: &["new_lead"],
    },
    Pipeline {
        id: "pre_appointment",
        name: "Pre-Appointment",
        stages: &[
            stage(
                "booking_confirmed",
                "Booking confirmed",
                &["reminded", "confirmed", "needs_attention"],
            ),
            stage("reminded", "Reminded", &["confirmed", "needs_attention"]),
            stage("confirmed", "Confirmed", &["ready", "needs_attention"]),
            stage(
                "needs_attention",
                "Needs attention",
                &["reminded", "confirmed", "ready"],
            ),
            stage("ready", "Ready", &["needs_attention"]),
        ],
        entry: &["booking_confirmed"],
    },
    Pipeline {
        id: "post_appointment",
        name: "Post-Appointment",
        stages: &[
            // An outcome recorded wrongly is corrected either way.
            stage(
                "attended",
                "Attended",
                &[
                    "review_requested",
                    "referral_invited",
                    "recall_due",
                    "did_not_attend",
                    "dormant",
                ],
            ),
            stage(
                "review_requested",
                "Review requested",
                &["referral_invited", "recall_due", "dormant"],
            ),
            stage(
                "referral_invited",
                "Referral invited",
                &["review_requested", "recall_due", "dormant"],
            ),
            stage("recall_due", "Recall due", &["dormant"]),
            stage("cancelled_rescue", "Cancelled (rescue)", &["dormant"]),
            stage(
                "did_not_attend",
                "Did not attend",
                &["attended", "cancelled_rescue", "dormant"],
            ),
            // A dormant patient's recall still comes due.
            stage("dormant", "Dormant", &["recall_due"]),
        ],
        entry: &["attended", "did_not_attend", "cancelled_rescue"],
    },
    Pipeline {
        id: "partnership",
        name: "Partnerships",
        stages: &[
            stage("identified", "Identified", &["qualified"]),
            stage("qualified", "Qualified", &["contacted"]),
            stage("contacted", "Contacted", &["in_discussion"]),
            stage("in_discussion", "In discussion", &["active"]),
            stage("active", "Active", &["completed"]),
            stage("completed", "Completed", &[]),
        ],
        entry: &["identified"],
    },
    // Spec 001's consultation funnel: Inquiry → Contacted → Interested →
    // Proposed → Client, or lost on the way.
    Pipeline {
        id: "consultation",
        name: "Consultations",
        stages: &[
            stage("inquiry", "Inquiry", &["contacted", "lost"]),
            stage("contacted", "Contacted", &["interested", "lost"]),
            stage("interested", "Interested", &["proposed", "lost"]),
            // A proposal sent back for changes is interest again.
            stage("proposed", "Proposed", &["client", "interested", "lost"]),
            stage("client", "Client", &[]),
            // A lost inquiry that comes back starts again.
            stage("lost", "Lost", &["inquiry"]),
        ],
        entry: &["inquiry"],
    },
];

/// The pipeline with this id; `None` for a name that isn't one.
pub fn find(id: &str) -> Option<&'static Pipeline> {
    PIPELINES.iter().find(|p| p.id == id)
}

impl Pipeline {
    pub fn stage(&self, id: &str) -> Option<&'static Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The stage ids in board order, as an error message lists them.
    pub fn stage_names(&self) -> String {
        self.stages.iter().map(|s| s.id).collect::<Vec<_>>().join(", ")
    }
}

pub fn pipeline_names() -> String {
    PIPELINES.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
}

/// Whether any pipeline has this stage.
pub fn is_stage(stage: &str) -> bool {
    PIPELINES.iter().any(|p| p.stage(stage).is_some())
}

/// Where a contact is, or is to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub pipeline: &'static Pipeline,
    pub stage: &'static Stage,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.pipeline.id, self.stage.id)
    }
}

/// Why a place can't be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// No pipeline has this id.
    Pipeline,
    /// The pipeline has no such stage; its stages are listed.
    Stage(&'static Pipeline),
}

impl Place {
    /// A pipeline and one of its stages.
    pub fn parse(pipeline: &str, stage: &str) -> Result<Place, Unknown> {
        let pipeline = find(pipeline).ok_or(Unknown::Pipeline)?;
        let stage = pipeline.stage(stage).ok_or(Unknown::Stage(pipeline))?;
        Ok(Place { pipeline, stage })
    }
}

/// What moving from one place to another does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Already there: nothing changes.
    Stay,
    /// Along an allowed transition.
    Allowed,
    /// Not along any: the contact stays where it is.
    Refused,
}

/// Whether a contact at `from` may move to `to`.
pub fn check(from: Place, to: Place) -> Move {
    let allowed = if from.pipeline.id == to.pipeline.id {
        from.stage.next.contains(&to.stage.id)
    } else {
        to.pipeline.entry.contains(&to.stage.id)
    };
    match (from == to, allowed) {
        (true, _) => Move::Stay,
        (false, true) => Move::Allowed,
        (false, false) => Move::Refused,
    }
}

/// Where a contact may go from `from`, as a refusal explains it.
pub fn allowed_from(from: Place) -> String {
    let mut to: Vec<String> = from
        .stage
        .next
        .iter()
        .map(|s| format!("{}/{s}", from.pipeline.id))
        .collect();
    for p in PIPELINES.iter().filter(|p| p.id != from.pipeline.id) {
        to.extend(p.entry.iter().map(|s| format!("{}/{s}", p.id)));
    }
    to.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(pipeline: &str, stage: &str) -> Place {
        Place::parse(pipeline, stage).unwrap()
    }

    #[test]
    fn stages_belong_to_their_pipeline() {
        assert!(find("lead_to_booking").unwrap().stage("new_lead").is_some());
        assert!(find("pre_appointment").unwrap().stage("new_lead").is_none());
        assert!(find("sales").is_none());
        assert!(is_stage("did_not_attend"));
        assert!(!is_stage("won"));
        assert_eq!(Place::parse("sales", "won"), Err(Unknown::Pipeline));
        assert_eq!(
            Place::parse("pre_appointment", "new_lead"),
            Err(Unknown::Stage(find("pre_appointment").unwrap()))
        );
    }

    #[test]
    fn the_table_is_the_contacts_tables_check() {
        // migrations/0007_consultation_pipeline.sql, contacts_stage_in_pipeline.
        let check = [
            (
                "lead_to_booking",
                "new_lead, contacted, engaged, booking_attempted, booked, dead_lost",
            ),
            (
                "pre_appointment",
                "booking_confirmed, reminded, confirmed, needs_attention, ready",
            ),
            (
                "post_appointment",
                "attended, review_requested, referral_invited, recall_due, cancelled_rescue, did_not_attend, dormant",
            ),
            (
                "partnership",
                "identified, qualified, contacted, in_discussion, active, completed",
            ),
            ("consultation", "inquiry, contacted, interested, proposed, client, lost"),
        ];
        assert_eq!(PIPELINES.len(), check.len());
        for (pipeline, stages) in check {
            assert_eq!(find(pipeline).unwrap().stage_names(), stages);
        }
    }

    #[test]
    fn every_next_and_entry_stage_is_a_stage_of_its_pipeline() {
        for p in &PIPELINES {
            assert!(!p.entry.is_empty(), "{} can be entered", p.id);
            for s in p.entry.iter().chain(p.stages.iter().flat_map(|s| s.next.iter())) {
                assert!(p.stage(s).is_some(), "{}/{s}", p.id);
            }
            for s in p.stages {
                assert!(!s.next.contains(&s.id), "{}/{} does not list itself", p.id, s.id);
                assert!(!s.name.is_empty());
            }
        }
    }

    #[test]
    fn a_consultation_goes_from_inquiry_to_client_one_step_at_a_time() {
        let funnel = ["inquiry", "contacted", "interested", "proposed", "client"];
        for pair in funnel.windows(2) {
            assert_eq!(
                check(at("consultation", pair[0]), at("consultation", pair[1])),
                Move::Allowed
            );
        }
        assert_eq!(
            check(at("consultation", "inquiry"), at("consultation", "client")),
            Move::Refused
        );
        assert_eq!(
            check(at("consultation", "client"), at("consultation", "lost")),
            Move::Refused
        );
        assert_eq!(
            check(at("consultation", "proposed"), at("consultation", "lost")),
            Move::Allowed
        );
        assert_eq!(
            check(at("lead_to_booking", "engaged"), at("consultation", "inquiry")),
            Move::Allowed
        );
        assert_eq!(
            check(at("lead_to_booking", "engaged"), at("consultation", "proposed")),
            Move::Refused
        );
    }

    #[test]
    fn the_seeded_rules_moves_are_allowed() {
        // services/automation/src/rules/seeds.rs: each update_pipeline from
        // the stages its conditions (or its event) put the contact in.
        let moves = [
            (("lead_to_booking", "new_lead"), ("lead_to_booking", "contacted")),
            (("lead_to_booking", "new_lead"), ("lead_to_booking", "engaged")),
            (("lead_to_booking", "contacted"), ("lead_to_booking", "engaged")),
            (
                ("pre_appointment", "booking_confirmed"),
                ("pre_appointment", "reminded"),
            ),
            (("pre_appointment", "needs_attention"), ("pre_appointment", "reminded")),
            (("pre_appointment", "reminded"), ("pre_appointment", "confirmed")),
            (("post_appointment", "attended"), ("post_appointment", "recall_due")),
            (
                ("post_appointment", "review_requested"),
                ("post_appointment", "recall_due"),
            ),
            (
                ("post_appointment", "referral_invited"),
                ("post_appointment", "recall_due"),
            ),
            (("post_appointment", "dormant"), ("post_appointment", "recall_due")),
            (("post_appointment", "attended"), ("post_appointment", "did_not_attend")),
            (("post_appointment", "did_not_attend"), ("post_appointment", "attended")),
        ];
        for (from, to) in moves {
            assert_eq!(
                check(at(from.0, from.1), at(to.0, to.1)),
                Move::Allowed,
                "{from:?} -> {to:?}"
            );
        }
        // Into another pipeline: booked, cancelled, attended, missed.
        for p in &PIPELINES {
            for s in p.stages {
                let from = Place { pipeline: p, stage: s };
                let targets = [
                    ("lead_to_booking", "new_lead"),
                    ("pre_appointment", "booking_confirmed"),
                    ("post_appointment", "cancelled_rescue"),
                    ("post_appointment", "attended"),
                    ("post_appointment", "did_not_attend"),
                ];
                for (pipeline, stage) in targets.into_iter().filter(|(pipeline, _)| *pipeline != p.id) {
                    assert_eq!(
                        check(from, at(pipeline, stage)),
                        Move::Allowed,
                        "{from} -> {pipeline}/{stage}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_move_off_the_table_is_refused_and_staying_put_is_no_move() {
        let new_lead = at("lead_to_booking", "new_lead");
        assert_eq!(check(new_lead, new_lead), Move::Stay);
        assert_eq!(
            check(new_lead, at("lead_to_booking", "booked")),
            Move::Refused,
            "a lead is booked by engaging"
        );
        assert_eq!(
            check(new_lead, at("post_appointment", "recall_due")),
            Move::Refused,
            "recall_due is no entry stage"
        );
        assert_eq!(
            check(at("pre_appointment", "confirmed"), at("pre_appointment", "reminded")),
            Move::Refused,
            "a confirmed patient is not reminded into doubt"
        );
        let listed = allowed_from(new_lead);
        assert!(listed.starts_with("lead_to_booking/contacted, "), "{listed}");
        assert!(listed.contains("pre_appointment/booking_confirmed"), "{listed}");
        assert!(!listed.contains("lead_to_booking/new_lead"), "{listed}");
    }
}
