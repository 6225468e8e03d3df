//! SQL over the `automation` schema, and only here. Every function runs
//! inside a tenant transaction, so Row-Level Security backs the `org_id`,
//! except where a function says it takes a platform transaction (the
//! scheduler claims due jobs across organisations).

pub(crate) mod cron;
pub(crate) mod facts;
pub(crate) mod jobs;
pub(crate) mod rules;
pub(crate) mod runs;
pub(crate) mod tasks;

pub(crate) use jobs::{JobRow, NewJob};
pub(crate) use rules::RuleRow;
pub(crate) use runs::{NewRun, RunRow};
pub(crate) use tasks::{NewTask, TaskRow};
