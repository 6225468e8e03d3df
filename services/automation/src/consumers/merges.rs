//! Tasks follow contact merges (the kit's [`FollowMerges`] consumer): a
//! task belongs to whoever its contact was merged into, and goes back if
//! the merge is undone. Nothing else to record.

use attend_kit::merges::Follower;

pub(crate) use attend_kit::merges::{FollowMerges, SPEC};

pub(crate) struct Tasks;

impl Follower for Tasks {
    const TABLES: &'static [&'static str] = &["automation.tasks"];
}
