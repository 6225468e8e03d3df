//! `attend keys rotate-data`: re-seals, with the current data key, every
//! value an older key sealed, a batch per transaction (rows locked with
//! SKIP LOCKED, so the service keeps serving and a row being edited is
//! taken on the next pass). Once it reports nothing left, the older keys
//! may be dropped from ATTEND_DATA_KEYS.

use std::collections::BTreeMap;

use attend_kit::Error;
use attend_kit::grpc::{Caller, Role};
use attend_proto::care::v1 as pb;
use uuid::Uuid;

use crate::api::Api;
use crate::clients::medical_context;
use crate::health::notes_context;
use crate::notes::body_context;

/// One sealed column: its table, the row's key columns and how to build
/// the sealing context from them.
struct Column {
    table: &'static str,
    sealed: &'static str,
    key: &'static str,
    /// The row's identity, selected as text.
    row: &'static str,
    context: fn(&str) -> Option<String>,
}

const COLUMNS: [Column; 5] = [
    Column {
        table: "clients",
        sealed: "medical_sealed",
        key: "medical_key",
        row: "id::text",
        context: |row| row.parse::<Uuid>().ok().map(medical_context),
    },
    Column {
        table: "progress_notes",
        sealed: "body_sealed",
        key: "body_key",
        row: "id::text",
        context: |row| row.parse::<Uuid>().ok().map(body_context),
    },
    Column {
        table: "progress_note_versions",
        sealed: "body_sealed",
        key: "body_key",
        row: "note_id::text || '/' || version",
        context: |row| {
            row.split_once('/')
                .and_then(|(id, _)| id.parse::<Uuid>().ok())
                .map(body_context)
        },
    },
    Column {
        table: "messages",
        sealed: "body_sealed",
        key: "body_key",
        row: "id::text",
        context: |row| row.parse::<Uuid>().ok().map(crate::messages::body_context),
    },
    Column {
        table: "health_logs",
        sealed: "notes_sealed",
        key: "notes_key",
        row: "client_id::text || '/' || log_date::text",
        context: |row| {
            let (client, date) = row.split_once('/')?;
            Some(notes_context(client.parse().ok()?, date.parse().ok()?))
        },
    },
];

impl Api {
    pub(crate) async fn rotate_data_keys(
        &self,
        caller: Caller,
        req: pb::RotateDataKeysRequest,
    ) -> Result<pb::RotateDataKeysResponse, Error> {
        if caller.role != Role::Platform {
            return Err(Error::Forbidden(
                "only the platform operator rotates data keys".to_owned(),
            ));
        }
        let batch = match req.batch_size {
            0 => 200,
            n @ 1..=10_000 => i64::from(n),
            _ => return Err(Error::invalid("batch_size", "must be between 1 and 10000")),
        };
        let current = self.keys.current().to_owned();
        let mut rewritten = BTreeMap::new();
        for column in &COLUMNS {
            let mut total = 0i64;
            loop {
                let mut tx = self.db.platform().await?;
                let rows: Vec<(String, String, String, Vec<u8>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "select ctid::text, {row}, {key}, {sealed} from care.{table} \
                     where {key} is not null and {key} <> $1 limit $2 for update skip locked",
                    row = column.row,
                    key = column.key,
                    sealed = column.sealed,
                    table = column.table,
                )))
                .bind(&current)
                .bind(batch)
                .fetch_all(&mut *tx)
                .await?;
                if rows.is_empty() {
                    break;
                }
                for (ctid, row, key, bytes) in &rows {
                    let context = (column.context)(row)
                        .ok_or_else(|| anyhow::anyhow!("care.{}: row {row} has no sealing context", column.table))?;
                    let plain = self.keys.open(&context, key, bytes).map_err(|e| {
                        Error::Internal(anyhow::Error::new(e).context(format!("care.{} row {row}", column.table)))
                    })?;
                    let sealed = self.keys.seal(&context, &plain)?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "update care.{table} set {sealed_col} = $1, {key_col} = $2 where ctid = $3::tid",
                        table = column.table,
                        sealed_col = column.sealed,
                        key_col = column.key,
                    )))
                    .bind(&sealed.bytes)
                    .bind(&sealed.key)
                    .bind(ctid)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                total += i64::try_from(rows.len()).unwrap_or(0);
            }
            if total > 0 {
                tracing::info!(table = column.table, rows = total, key = %current, "data re-sealed");
            }
            *rewritten.entry(column.table.to_owned()).or_insert(0) += total;
        }
        Ok(pb::RotateDataKeysResponse {
            rewritten: rewritten.into_iter().collect(),
            current_key: current,
        })
    }
}
