//! Tasks, rule runs and scheduled actions follow contact merges (the
//! kit's [`FollowMerges`] consumer): they belong to whoever their contact
//! was merged into, and go back if the merge is undone. Nothing else to
//! record.

use attend_kit::merges::Follower;

pub(crate) use attend_kit::merges::{FollowMerges, SPEC};

pub(crate) struct Tasks;

impl Follower for Tasks {
    const TABLES: &'static [&'static str] = &["automation.tasks", "automation.runs", "automation.jobs"];
}
