//! Documents (spec 001's `documents`): uploaded by the team or by family
//! with full access, kept in object storage (a local directory by default,
//! S3 or Cloudflare R2 by configuration), checked by content against an
//! allow-list and a size limit, held in quarantine until a virus scanner
//! (ClamAV's clamd, when configured) passes them, and downloaded through
//! short-lived signed links.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use attend_kit::audit::{self, Entry};
use attend_kit::bus::timestamp;
use attend_kit::config::{Config, ConfigError, keep};
use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_kit::ids::{ClientId, OrgId, TypedId};
use attend_kit::{Error, FieldError, text};
use attend_proto::care::v1 as pb;
use chrono::Duration;
use futures::StreamExt as _;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore, PutOptions, PutPayload};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::access::{self, Access, Level};
use crate::api::Api;
use crate::clients::client_id;
use crate::files;
use crate::store::{self, DocumentRow};

pub(crate) const CATEGORIES: [&str; 5] = ["prescription", "test_result", "medical_record", "insurance", "other"];
const VISIBILITIES: [&str; 3] = ["family_only", "care_team_only", "everyone"];

/// Where documents are kept and how they are checked.
#[derive(Clone)]
pub struct Storage {
    pub store: Arc<dyn ObjectStore>,
    pub max_bytes: usize,
    /// clamd's address (`host:port`), when files are scanned.
    pub clamd: Option<String>,
    /// How long a download link lasts.
    pub link_ttl: Duration,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("store", &self.store.to_string())
            .field("max_bytes", &self.max_bytes)
            .field("clamd", &self.clamd)
            .finish_non_exhaustive()
    }
}

/// The largest gRPC message care takes or gives.
pub const MAX_MESSAGE: usize = attend_kit::grpc::MAX_DOCUMENT_MESSAGE;
/// The largest document limit that fits that message.
const LIMIT_CAP: usize = 25 * 1024 * 1024;

impl Storage {
    /// `ATTEND_CARE_STORAGE` (a directory, `file:///dir`, or `s3://bucket/prefix`
    /// with the standard `AWS_*` variables; Cloudflare R2 through
    /// `AWS_ENDPOINT`), `ATTEND_CARE_DOCUMENT_MAX_BYTES`, `ATTEND_CLAMD_ADDR`,
    /// `ATTEND_CARE_LINK_TTL`.
    pub fn configure(config: &Config, errors: &mut Vec<ConfigError>) -> Option<Self> {
        let source = &config.source;
        let place = source
            .raw("ATTEND_CARE_STORAGE")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "data/documents".to_owned());
        let store = match open_store(place.trim()) {
            Ok(store) => Some(store),
            Err(why) => {
                errors.push(ConfigError::new("ATTEND_CARE_STORAGE", why));
                None
            }
        };
        let max_bytes = match keep(
            errors,
            source.get_or("ATTEND_CARE_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024usize),
        ) {
            Some(n @ 1..=LIMIT_CAP) => Some(n),
            Some(n) => {
                errors.push(ConfigError::new(
                    "ATTEND_CARE_DOCUMENT_MAX_BYTES",
                    format!("{n} is outside 1 to {LIMIT_CAP} bytes"),
                ));
                None
            }
            None => None,
        };
        let clamd = source
            .raw("ATTEND_CLAMD_ADDR")
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        if let Some(address) = &clamd
            && address
                .rsplit_once(':')
                .is_none_or(|(_, port)| port.parse::<u16>().is_err())
        {
            errors.push(ConfigError::new(
                "ATTEND_CLAMD_ADDR",
                format!("{address:?} is not host:port"),
            ));
        }
        let ttl = match keep(
            errors,
            source.duration("ATTEND_CARE_LINK_TTL", StdDuration::from_secs(300)),
        ) {
            Some(t) if (10..=3600).contains(&t.as_secs()) => Duration::from_std(t).ok(),
            Some(_) => {
                errors.push(ConfigError::new("ATTEND_CARE_LINK_TTL", "must be between 10s and 1h"));
                None
            }
            None => None,
        };
        Some(Self {
            store: store?,
            max_bytes: max_bytes?,
            clamd,
            link_ttl: ttl?,
        })
    }
}

/// The object store a setting names.
fn open_store(place: &str) -> Result<Arc<dyn ObjectStore>, String> {
    if let Some(rest) = place.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let s3 = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| format!("S3 bucket {bucket:?}: {e}"))?;
        return Ok(match prefix.trim_matches('/') {
            "" => Arc::new(s3),
            prefix => Arc::new(object_store::prefix::PrefixStore::new(s3, prefix)),
        });
    }
    let dir = place.strip_prefix("file://").unwrap_or(place);
    std::fs::create_dir_all(dir).map_err(|e| format!("can't create the directory {dir:?}: {e}"))?;
    let local = object_store::local::LocalFileSystem::new_with_prefix(dir)
        .map_err(|e| format!("can't use the directory {dir:?}: {e}"))?;
    Ok(Arc::new(local))
}

fn object_path(org: OrgId, client: Uuid, id: Uuid) -> ObjectPath {
    ObjectPath::from(format!("{}/{client}/{id}", org.uuid()))
}

/// Who sees a document of this visibility.
fn sees(access: Access, visibility: &str, own: bool) -> bool {
    own || match visibility {
        "everyone" => true,
        "care_team_only" => access.is_team(),
        // For the family (and admins): not the wider care team.
        "family_only" => !matches!(access, Access::Coordinator | Access::Carer),
        _ => false,
    }
}

fn may_upload(access: Access) -> bool {
    access.is_team() || matches!(access, Access::Client | Access::Family(Level::FullAccess))
}

fn document_proto(row: DocumentRow) -> pb::Document {
    pb::Document {
        id: row.id.to_string(),
        client_id: row.client_id.to_string(),
        uploaded_by_id: row.uploaded_by_id.to_string(),
        file_name: row.file_name,
        file_type: row.file_type,
        content_type: row.content_type,
        file_size: row.file_size,
        category: row.category,
        description: row.description.unwrap_or_default(),
        visibility: row.visibility,
        status: row.status,
        created_at: Some(timestamp(row.created_at)),
        scan_result: row.scan_result.unwrap_or_default(),
    }
}

impl Api {
    /// The key that signs download links: derived from the current data key.
    fn link_signature(&self, org: OrgId, document: Uuid, expires: i64) -> String {
        self.keys
            .mac("attend document link", &format!("{}:{document}:{expires}", org.uuid()))
    }

    pub(crate) async fn upload_document(
        &self,
        caller: Caller,
        req: pb::UploadDocumentRequest,
    ) -> Result<pb::Document, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let uploader = caller
            .user
            .ok_or_else(|| Error::Forbidden("documents are uploaded by a person".to_owned()))?;
        let mut problems = Vec::new();
        let name = text::collect(&mut problems, "file_name", text::required_line(&req.file_name, 255));
        let category = req.category.trim();
        if !CATEGORIES.contains(&category) {
            problems.push(FieldError::new(
                "category",
                format!("must be one of {}", CATEGORIES.join(", ")),
            ));
        }
        let visibility = match req.visibility.trim() {
            "" => "care_team_only",
            v if VISIBILITIES.contains(&v) => v,
            _ => {
                problems.push(FieldError::new(
                    "visibility",
                    format!("must be one of {}", VISIBILITIES.join(", ")),
                ));
                ""
            }
        };
        let description = text::collect(&mut problems, "description", text::multiline(&req.description, 2000));
        let kind = if req.content.len() > self.storage.max_bytes {
            problems.push(FieldError::new(
                "file",
                format!(
                    "is {} bytes; the limit is {} bytes",
                    req.content.len(),
                    self.storage.max_bytes
                ),
            ));
            None
        } else {
            match files::check(&req.file_name, &req.content) {
                Ok(kind) => Some(kind),
                Err(why) => {
                    problems.push(FieldError::new("file", why));
                    None
                }
            }
        };
        let (Some(name), Some(description), Some(kind), true) = (name, description, kind, problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let mut tx = self.db.tenant(org).await?;
        let (_, access) = access::resolve(&mut tx, org, &caller, id).await?;
        if !may_upload(access) {
            return Err(Error::Forbidden(
                "documents are uploaded by the care team, the client, and family with full access".to_owned(),
            ));
        }
        let document = Uuid::now_v7();
        // The bytes first: a row never points at nothing. A failed commit
        // leaves an object no row names, which no link can reach.
        self.storage
            .store
            .put_opts(
                &object_path(org, id.uuid(), document),
                PutPayload::from(req.content.clone()),
                PutOptions::default(),
            )
            .await
            .map_err(|e| Error::Internal(anyhow::Error::new(e).context("store the document")))?;
        let status = if self.storage.clamd.is_some() {
            "quarantined"
        } else {
            "unscanned"
        };
        let row = store::insert_document(
            &mut tx,
            org,
            &DocumentRow {
                id: document,
                client_id: id.uuid(),
                uploaded_by_id: uploader.uuid(),
                file_name: name,
                file_type: kind.as_str().to_owned(),
                content_type: kind.content_type().to_owned(),
                file_size: i64::try_from(req.content.len()).unwrap_or(i64::MAX),
                category: category.to_owned(),
                description: Some(description).filter(|d| !d.is_empty()),
                visibility: visibility.to_owned(),
                status: status.to_owned(),
                scan_result: None,
                created_at: self.clock.now(),
            },
        )
        .await?;
        audit::record(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("document.upload", "client", id)
                .with_details(serde_json::json!({ "document": document.to_string() })),
        )
        .await?;
        tx.commit().await?;
        if let Some(scanner) = &self.scanner {
            scanner.notify_one();
        }
        Ok(document_proto(row))
    }

    pub(crate) async fn list_documents(
        &self,
        caller: Caller,
        req: pb::ListDocumentsRequest,
    ) -> Result<pb::ListDocumentsResponse, Error> {
        let org = caller.org()?;
        let id = client_id(&req.client_id)?;
        let category = match req.category.trim() {
            "" => None,
            c if CATEGORIES.contains(&c) => Some(c),
            _ => {
                return Err(Error::invalid(
                    "category",
                    format!("must be one of {}", CATEGORIES.join(", ")),
                ));
            }
        };
        let q = text::line(&req.q, 100).map_err(text::at("q"))?;
        let mut tx = self.db.tenant(org).await?;
        let (_, access) = access::resolve(&mut tx, org, &caller, id).await?;
        let me = caller.user.map(|u| u.uuid());
        let rows = store::documents(&mut tx, org, id, category, &q).await?;
        audit::record_read(&self.outbox, &mut tx, &caller, Entry::on("document.list", "client", id)).await?;
        tx.commit().await?;
        Ok(pb::ListDocumentsResponse {
            documents: rows
                .into_iter()
                .filter(|r| sees(access, &r.visibility, Some(r.uploaded_by_id) == me))
                .map(document_proto)
                .collect(),
        })
    }

    /// A document the caller may see, with a link that downloads it for a
    /// few minutes.
    pub(crate) async fn get_document(
        &self,
        caller: Caller,
        req: pb::GetDocumentRequest,
    ) -> Result<pb::DocumentLink, Error> {
        let org = caller.org()?;
        let not_found = || Error::NotFound("document".to_owned());
        let id: Uuid = req.document_id.trim().parse().map_err(|_| not_found())?;
        let mut tx = self.db.tenant(org).await?;
        let row = store::document(&mut tx, org, id).await?.ok_or_else(not_found)?;
        let (_, access) = access::resolve(&mut tx, org, &caller, ClientId::from(row.client_id))
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => not_found(),
                other => other,
            })?;
        if !sees(
            access,
            &row.visibility,
            caller.user.map(|u| u.uuid()) == Some(row.uploaded_by_id),
        ) {
            return Err(not_found());
        }
        audit::record_read(
            &self.outbox,
            &mut tx,
            &caller,
            Entry::on("document.read", "client", ClientId::from(row.client_id))
                .with_details(serde_json::json!({ "document": id.to_string() })),
        )
        .await?;
        tx.commit().await?;
        let (expires, signature) = match row.status.as_str() {
            "clean" | "unscanned" => {
                let expires = (self.clock.now() + self.storage.link_ttl).timestamp();
                (expires, self.link_signature(org, id, expires))
            }
            _ => (0, String::new()),
        };
        Ok(pb::DocumentLink {
            document: Some(document_proto(row)),
            org_id: org.uuid().to_string(),
            expires_at: expires,
            signature,
        })
    }

    /// The bytes behind a signed link (no caller: the link is the credential).
    pub(crate) async fn read_document(&self, req: pb::ReadDocumentRequest) -> Result<pb::DocumentContent, Error> {
        let refused = |why: &str| Error::Forbidden(format!("this download link {why}"));
        let org = attend_kit::ids::OrgId::parse_uuid(&req.org_id).map_err(|_| refused("is not valid"))?;
        let id: Uuid = req.document_id.trim().parse().map_err(|_| refused("is not valid"))?;
        if !self.keys.verify_mac(
            "attend document link",
            &format!("{}:{id}:{}", org.uuid(), req.expires_at),
            &req.signature,
        ) {
            return Err(refused("is not valid"));
        }
        if self.clock.now().timestamp() > req.expires_at {
            return Err(refused("has expired: ask for the document again"));
        }
        let mut tx = self.db.tenant(org).await?;
        let row = store::document(&mut tx, org, id)
            .await?
            .ok_or_else(|| Error::NotFound("document".to_owned()))?;
        tx.commit().await?;
        if !matches!(row.status.as_str(), "clean" | "unscanned") {
            return Err(Error::Conflict(format!(
                "the document is {} and can't be downloaded",
                row.status
            )));
        }
        let got = self
            .storage
            .store
            .get_opts(&object_path(org, row.client_id, id), GetOptions::default())
            .await
            .map_err(|e| Error::Internal(anyhow::Error::new(e).context("read the document")))?;
        let bytes = got
            .bytes()
            .await
            .map_err(|e| Error::Internal(anyhow::Error::new(e).context("read the document")))?;
        Ok(pb::DocumentContent {
            file_name: row.file_name,
            content_type: row.content_type,
            content: bytes.to_vec(),
        })
    }
}

/// Scans quarantined documents with clamd: clean ones are released,
/// infected ones deleted and marked. Runs while the service runs; woken by
/// each upload and every 30 s.
pub struct Scanner {
    pub db: Db,
    pub storage: Storage,
    pub wake: Arc<tokio::sync::Notify>,
}

impl Scanner {
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "document scan: a pass failed; trying again");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(StdDuration::from_secs(30)) => {}
            }
        }
    }

    async fn pass(&self) -> anyhow::Result<()> {
        let Some(clamd) = &self.storage.clamd else {
            return Ok(());
        };
        let waiting = {
            let mut tx = self.db.platform().await?;
            let rows = store::quarantined(&mut tx).await?;
            tx.commit().await?;
            rows
        };
        for (org, client, id) in waiting {
            let org = OrgId::from(org);
            let path = object_path(org, client, id);
            let bytes = self
                .storage
                .store
                .get_opts(&path, GetOptions::default())
                .await?
                .bytes()
                .await?;
            let verdict = scan(clamd, &bytes).await?;
            let mut tx = self.db.tenant(org).await?;
            match verdict {
                Verdict::Clean => store::set_scanned(&mut tx, org, id, "clean", "OK").await?,
                Verdict::Infected(what) => {
                    let mut deleted = self
                        .storage
                        .store
                        .delete_stream(futures::stream::once(async move { Ok(path) }).boxed());
                    while let Some(result) = deleted.next().await {
                        result?;
                    }
                    tracing::warn!(document = %id, found = %what, "document scan: infected file deleted");
                    store::set_scanned(&mut tx, org, id, "infected", &what).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }
}

enum Verdict {
    Clean,
    Infected(String),
}

/// clamd's INSTREAM command: the file in chunks, each with its length as
/// four big-endian bytes, ended by a zero length; the answer is
/// `stream: OK` or `stream: <signature> FOUND`.
async fn scan(address: &str, bytes: &[u8]) -> anyhow::Result<Verdict> {
    let mut stream = tokio::time::timeout(StdDuration::from_secs(5), tokio::net::TcpStream::connect(address)).await??;
    stream.write_all(b"zINSTREAM\0").await?;
    for chunk in bytes.chunks(64 * 1024) {
        let len = u32::try_from(chunk.len())?;
        stream.write_all(&len.to_be_bytes()).await?;
        stream.write_all(chunk).await?;
    }
    stream.write_all(&0u32.to_be_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(StdDuration::from_secs(60), stream.read_to_end(&mut answer)).await??;
    let answer = String::from_utf8_lossy(&answer)
        .trim_end_matches(['\0', '\n'])
        .to_owned();
    match answer.strip_prefix("stream: ") {
        Some("OK") => Ok(Verdict::Clean),
        Some(found) if found.ends_with(" FOUND") => Ok(Verdict::Infected(found.trim_end_matches(" FOUND").to_owned())),
        _ => anyhow::bail!("clamd answered {answer:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_follows_spec_001() {
        let fam = Access::Family(Level::ViewOnly);
        assert!(sees(fam, "everyone", false));
        assert!(sees(fam, "family_only", false));
        assert!(!sees(fam, "care_team_only", false));
        assert!(sees(Access::Carer, "care_team_only", false));
        assert!(!sees(Access::Carer, "family_only", false));
        assert!(sees(Access::Carer, "family_only", true));
        assert!(!may_upload(fam));
        assert!(may_upload(Access::Family(Level::FullAccess)));
    }
}
