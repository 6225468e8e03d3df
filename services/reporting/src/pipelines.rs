//! The pipeline report (spec 001's pipeline view): per pipeline, the
//! contacts in each stage now, how many of those who entered a stage in a
//! range went on to the next one, and the median stay in each stage.

use std::collections::HashMap;

use attend_proto::reporting::v1 as pb;
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::figures::{Span, count, ratio};

/// Stays that began longer ago than this before the range are not read
/// (the median covers stays that ended in the range and began at most
/// this long before it).
pub const LONGEST_STAY_DAYS: i64 = 400;

/// The figures of each pipeline, its stages in the order given.
pub async fn read(
    conn: &mut PgConnection,
    org: Uuid,
    span: Span,
    pipelines: &[pb::PipelineStages],
) -> sqlx::Result<Vec<pb::PipelineFigures>> {
    let (from, to) = span.instants();
    let mut out = Vec::with_capacity(pipelines.len());
    for p in pipelines {
        out.push(pipeline(conn, org, from, to, p).await?);
    }
    Ok(out)
}

async fn pipeline(
    conn: &mut PgConnection,
    org: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    p: &pb::PipelineStages,
) -> sqlx::Result<pb::PipelineFigures> {
    let now: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "select stage, count(*) from contact_stages where org_id = $1 and pipeline = $2 group by stage",
    )
    .bind(org)
    .bind(&p.pipeline)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();

    // Each stage with the one after it ('' for the last).
    let next: Vec<String> = p
        .stages
        .iter()
        .skip(1)
        .cloned()
        .chain(std::iter::once(String::new()))
        .collect();
    let entered: HashMap<String, (i64, i64)> = sqlx::query_as::<_, (String, i64, i64)>(
        "select e.stage, count(distinct e.contact_id), \
                count(distinct e.contact_id) filter (where exists ( \
                  select 1 from stage_entries n where n.org_id = e.org_id and n.contact_id = e.contact_id \
                   and n.pipeline = e.pipeline and n.stage = x.next_stage and n.entered_at >= e.entered_at)) \
         from stage_entries e \
         join unnest($5::text[], $6::text[]) as x(stage, next_stage) on x.stage = e.stage \
         where e.org_id = $1 and e.pipeline = $2 and e.entered_at >= $3 and e.entered_at < $4 \
         group by e.stage",
    )
    .bind(org)
    .bind(&p.pipeline)
    .bind(from)
    .bind(to)
    .bind(&p.stages)
    .bind(&next)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(stage, entered, moved)| (stage, (entered, moved)))
    .collect();

    let stays: HashMap<String, (f64, i64)> = sqlx::query_as::<_, (String, f64, i64)>(
        "select s.stage, percentile_cont(0.5) within group (order by extract(epoch from s.left_at - s.entered_at)::float8), \
                count(*) \
         from (select e.stage, e.entered_at, \
                 (select min(n.entered_at) from stage_entries n \
                   where n.org_id = e.org_id and n.contact_id = e.contact_id and n.entered_at > e.entered_at) as left_at \
               from stage_entries e \
               where e.org_id = $1 and e.pipeline = $2 and e.entered_at < $4 and e.entered_at >= $3 - $5) s \
         where s.left_at >= $3 and s.left_at < $4 \
         group by s.stage",
    )
    .bind(org)
    .bind(&p.pipeline)
    .bind(from)
    .bind(to)
    .bind(TimeDelta::days(LONGEST_STAY_DAYS))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(stage, median, n)| (stage, (median, n)))
    .collect();

    let mut stages: Vec<String> = p.stages.clone();
    // Stages the contacts are in that the pipeline no longer lists.
    let mut unlisted: Vec<&String> = now.keys().filter(|s| !p.stages.contains(s)).collect();
    unlisted.sort();
    stages.extend(unlisted.into_iter().cloned());

    let figures = stages
        .into_iter()
        .enumerate()
        .map(|(i, stage)| {
            let (entered, moved) = entered.get(&stage).copied().unwrap_or_default();
            let last = i + 1 >= p.stages.len();
            let stay = stays.get(&stage).copied();
            pb::StageFigures {
                contacts_now: count(now.get(&stage).copied().unwrap_or_default()),
                entered: count(entered),
                moved_to_next: count(moved),
                conversion_to_next: if last {
                    None
                } else {
                    ratio(count(moved), count(entered))
                },
                median_seconds_in_stage: stay.map(|(median, _)| median),
                stays_ended: count(stay.map(|(_, n)| n).unwrap_or_default()),
                stage,
            }
        })
        .collect();
    Ok(pb::PipelineFigures {
        pipeline: p.pipeline.clone(),
        stages: figures,
    })
}
