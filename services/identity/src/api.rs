//! `IdentityService` over gRPC.

use std::time::{SystemTime, UNIX_EPOCH};

use attend_kit::auth::{ACCESS_TOKEN_TTL, AUDIENCE, AccessClaims, ISSUER};
use attend_kit::bus::timestamp;
use attend_kit::contact_point::{Email, Region};
use attend_kit::db::{Db, is_violation};
use attend_kit::grpc::{Caller, Role};
use attend_kit::ids::{OrgId, TypedId, UserId};
use attend_kit::{Error, FieldError};
use attend_proto::identity::v1 as pb;
use attend_proto::identity::v1::identity_service_server::IdentityService;
use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::keys::KeyRing;
use crate::password;

pub struct Api {
    pub db: Db,
    pub keys: KeyRing,
}

type Reply<T> = Result<Response<T>, Status>;

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: Uuid,
    name: String,
    slug: String,
    time_zone: String,
    phone_region: String,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    org_id: Uuid,
    email: String,
    name: String,
    role: String,
    is_active: bool,
    created_at: DateTime<Utc>,
}

/// A user with the hash their password is checked against.
#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

impl UserRow {
    fn into_proto(self) -> pb::User {
        pb::User {
            id: self.id.to_string(),
            org_id: self.org_id.to_string(),
            email: self.email,
            name: self.name,
            role: self.role,
            is_active: self.is_active,
            created_at: Some(timestamp(self.created_at)),
        }
    }
}

/// The columns of [`OrgRow`], for `concat!` (sqlx takes only static SQL).
macro_rules! org_columns {
    () => {
        "id, name, slug, time_zone, phone_region, created_at"
    };
}

impl Api {
    async fn org_with_ids(&self, tx: &mut attend_kit::db::Tx, row: OrgRow) -> Result<pb::Organisation, Error> {
        let ids: Vec<(String, String)> = sqlx::query_as(
            "select provider, external_id from identity.organisation_external_ids
             where org_id = $1 order by provider, external_id",
        )
        .bind(row.id)
        .fetch_all(&mut **tx)
        .await?;
        Ok(pb::Organisation {
            id: row.id.to_string(),
            name: row.name,
            slug: row.slug,
            time_zone: row.time_zone,
            phone_region: row.phone_region,
            external_ids: ids
                .into_iter()
                .map(|(provider, external_id)| pb::ExternalId { provider, external_id })
                .collect(),
            created_at: Some(timestamp(row.created_at)),
        })
    }

    async fn create_organisation(
        &self,
        caller: Caller,
        req: pb::CreateOrganisationRequest,
    ) -> Result<pb::Organisation, Error> {
        caller.require(&[Role::Platform])?;
        let new = NewOrganisation::parse(req)?;
        // Platform transaction: an organisation is created outside any tenant.
        let mut tx = self.db.platform().await?;
        let id = OrgId::new().uuid();
        let row: OrgRow = sqlx::query_as(concat!(
            "insert into identity.organisations (id, name, slug, time_zone, phone_region)
             values ($1, $2, $3, $4, $5) returning ",
            org_columns!()
        ))
        .bind(id)
        .bind(&new.name)
        .bind(&new.slug)
        .bind(&new.time_zone)
        .bind(new.region.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_violation(&e, "organisations_slug_key") {
                Error::Conflict(format!("slug {:?} is already used by another organisation", new.slug))
            } else {
                e.into()
            }
        })?;
        for ext in &new.external_ids {
            sqlx::query(
                "insert into identity.organisation_external_ids (provider, external_id, org_id) values ($1, $2, $3)",
            )
            .bind(&ext.provider)
            .bind(&ext.external_id)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_violation(&e, "organisation_external_ids_pkey") {
                    Error::Conflict(format!(
                        "{} id {:?} already belongs to another organisation",
                        ext.provider, ext.external_id
                    ))
                } else {
                    e.into()
                }
            })?;
        }
        let org = self.org_with_ids(&mut tx, row).await?;
        tx.commit().await?;
        tracing::info!(org = %OrgId::from(id), slug = %new.slug, "organisation created");
        Ok(org)
    }

    async fn get_organisation(
        &self,
        caller: Caller,
        req: pb::GetOrganisationRequest,
    ) -> Result<pb::Organisation, Error> {
        let id = OrgId::parse_uuid(&req.id).map_err(|_| Error::invalid("id", "is not an organisation id"))?;
        // Anyone inside the organisation may read it; the platform reads any.
        let mut tx = if caller.role == Role::Platform {
            self.db.platform().await?
        } else if caller.org()? == id {
            self.db.tenant(id).await?
        } else {
            return Err(Error::NotFound("organisation".to_owned()));
        };
        let row: Option<OrgRow> = sqlx::query_as(concat!(
            "select ",
            org_columns!(),
            " from identity.organisations where id = $1"
        ))
        .bind(id.uuid())
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or_else(|| Error::NotFound("organisation".to_owned()))?;
        let org = self.org_with_ids(&mut tx, row).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn list_organisations(&self, caller: Caller) -> Result<pb::ListOrganisationsResponse, Error> {
        caller.require(&[Role::Platform])?;
        let mut tx = self.db.platform().await?;
        let rows: Vec<OrgRow> = sqlx::query_as(concat!(
            "select ",
            org_columns!(),
            " from identity.organisations order by created_at, id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let mut organisations = Vec::with_capacity(rows.len());
        for row in rows {
            organisations.push(self.org_with_ids(&mut tx, row).await?);
        }
        tx.commit().await?;
        Ok(pb::ListOrganisationsResponse { organisations })
    }

    async fn resolve_organisation(
        &self,
        caller: Caller,
        req: pb::ResolveOrganisationRequest,
    ) -> Result<pb::Organisation, Error> {
        caller.require(&[Role::Platform])?;
        // Platform transaction: routing a delivery to its tenant is exactly
        // the question of which tenant it is.
        let mut tx = self.db.platform().await?;
        let row: Option<OrgRow> = if req.external_id.is_empty() {
            let rows: Vec<OrgRow> = sqlx::query_as(concat!(
                "select ",
                org_columns!(),
                " from identity.organisations order by created_at limit 2"
            ))
            .fetch_all(&mut *tx)
            .await?;
            match rows.len() {
                0 => return Err(Error::NotFound("organisation (none exists yet)".to_owned())),
                1 => rows.into_iter().next(),
                _ => {
                    return Err(Error::Conflict(
                        "several organisations exist, so the delivery must carry the provider's id for its organisation"
                            .to_owned(),
                    ));
                }
            }
        } else {
            sqlx::query_as(
                "select o.id, o.name, o.slug, o.time_zone, o.phone_region, o.created_at
                 from identity.organisation_external_ids e
                 join identity.organisations o on o.id = e.org_id
                 where e.provider = $1 and e.external_id = $2",
            )
            .bind(&req.provider)
            .bind(&req.external_id)
            .fetch_optional(&mut *tx)
            .await?
        };
        let row =
            row.ok_or_else(|| Error::NotFound(format!("organisation for {} id {:?}", req.provider, req.external_id)))?;
        let org = self.org_with_ids(&mut tx, row).await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn create_user(&self, caller: Caller, req: pb::CreateUserRequest) -> Result<pb::User, Error> {
        let org = OrgId::parse_uuid(&req.org_id).map_err(|_| Error::invalid("org_id", "is not an organisation id"))?;
        match caller.role {
            Role::Platform => {}
            Role::Admin if caller.org()? == org => {}
            Role::Admin => return Err(Error::NotFound("organisation".to_owned())),
            _ => return Err(Error::Forbidden("only an administrator may add users".to_owned())),
        }
        let mut problems = Vec::new();
        let email = Email::parse(&req.email)
            .map_err(|r| problems.push(FieldError::new("email", r)))
            .ok();
        let name = req.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            problems.push(FieldError::new("name", "must be 1-200 characters"));
        }
        let role = req.role.parse::<Role>().ok().filter(|r| Role::USER_ROLES.contains(r));
        if role.is_none() {
            problems.push(FieldError::new(
                "role",
                "must be one of admin, staff, readonly, care_team, family, client",
            ));
        }
        if let Err(Error::Invalid(mut f)) = password::check(&req.password) {
            problems.append(&mut f);
        }
        let (Some(email), Some(role)) = (email, role) else {
            return Err(Error::Invalid(problems));
        };
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let hash = password::hash(req.password).await?;
        let mut tx = self.db.tenant(org).await?;
        let exists: bool = sqlx::query_scalar("select exists(select 1 from identity.organisations where id = $1)")
            .bind(org.uuid())
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            return Err(Error::invalid("org_id", "no such organisation"));
        }
        let row: UserRow = sqlx::query_as(
            "insert into identity.users (id, org_id, email, name, role, password_hash)
             values ($1, $2, $3, $4, $5, $6)
             returning id, org_id, email, name, role, is_active, created_at",
        )
        .bind(UserId::new().uuid())
        .bind(org.uuid())
        .bind(email.as_str())
        .bind(&name)
        .bind(role.as_str())
        .bind(&hash)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_violation(&e, "users_email_key") {
                Error::Conflict(format!("a user with email {email} already exists"))
            } else {
                e.into()
            }
        })?;
        tx.commit().await?;
        Ok(row.into_proto())
    }

    async fn login(&self, req: pb::LoginRequest) -> Result<pb::LoginResponse, Error> {
        let refused = || Error::Unauthenticated("email or password is wrong".to_owned());
        let email = Email::parse(&req.email).ok();
        let found: Option<LoginRow> = match &email {
            Some(email) => {
                // Platform transaction: login finds an account by email
                // before anyone knows its organisation.
                let mut tx = self.db.platform().await?;
                let row = sqlx::query_as(
                    "select id, org_id, email, name, role, is_active, created_at, password_hash
                     from identity.users where email = $1",
                )
                .bind(email.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                row
            }
            None => None,
        };
        let (user, hash) = match found {
            Some(LoginRow { user, password_hash }) => (Some(user), Some(password_hash)),
            None => (None, None),
        };
        // Same work whether or not the account exists.
        let ok = password::verify(req.password, hash).await?;
        let user = match user {
            Some(user) if ok && user.is_active => user,
            _ => return Err(refused()),
        };
        let key = self.keys.current().await?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| anyhow::anyhow!("clock before 1970: {e}"))?
            .as_secs() as i64;
        let ttl = ACCESS_TOKEN_TTL.as_secs() as i64;
        let claims = AccessClaims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user.id.to_string(),
            org: user.org_id.to_string(),
            role: user.role.clone(),
            iat: now,
            exp: now + ttl,
            jti: Uuid::now_v7().to_string(),
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, key.encoding_key())
            .map_err(|e| anyhow::anyhow!("signing the access token failed: {e}"))?;
        tracing::info!(user = %UserId::from(user.id), "login");
        Ok(pb::LoginResponse {
            access_token: token,
            expires_in: ttl,
            user: Some(user.into_proto()),
        })
    }
}

/// A checked `CreateOrganisationRequest`.
struct NewOrganisation {
    name: String,
    slug: String,
    time_zone: String,
    region: Region,
    external_ids: Vec<pb::ExternalId>,
}

impl NewOrganisation {
    fn parse(req: pb::CreateOrganisationRequest) -> Result<Self, Error> {
        let mut problems = Vec::new();
        let name = req.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            problems.push(FieldError::new("name", "must be 1-200 characters"));
        }
        let slug = if req.slug.trim().is_empty() {
            slugify(&name)
        } else {
            req.slug.trim().to_owned()
        };
        let slug_ok = !slug.is_empty()
            && slug.len() <= 63
            && slug.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug_ok {
            problems.push(FieldError::new(
                "slug",
                "must be 1-63 lower-case letters, digits or '-', starting with a letter or digit",
            ));
        }
        let time_zone = if req.time_zone.trim().is_empty() {
            "Australia/Sydney".to_owned()
        } else {
            req.time_zone.trim().to_owned()
        };
        if time_zone.parse::<chrono_tz::Tz>().is_err() {
            problems.push(FieldError::new(
                "time_zone",
                format!("{time_zone:?} is not an IANA time zone such as Australia/Sydney"),
            ));
        }
        let region = if req.phone_region.trim().is_empty() {
            Ok(Region::default())
        } else {
            req.phone_region.parse::<Region>()
        };
        let region = region
            .map_err(|reason| problems.push(FieldError::new("phone_region", reason)))
            .ok();
        for (i, ext) in req.external_ids.iter().enumerate() {
            if ext.provider.trim().is_empty() || ext.external_id.trim().is_empty() {
                problems.push(FieldError::new(
                    format!("external_ids[{i}]"),
                    "needs both a provider and an id",
                ));
            }
        }
        match region {
            Some(region) if problems.is_empty() => Ok(Self {
                name,
                slug,
                time_zone,
                region,
                external_ids: req
                    .external_ids
                    .into_iter()
                    .map(|e| pb::ExternalId {
                        provider: e.provider.trim().to_ascii_lowercase(),
                        external_id: e.external_id.trim().to_owned(),
                    })
                    .collect(),
            }),
            _ => Err(Error::Invalid(problems)),
        }
    }
}

/// `Avatar Imaging` → `avatar-imaging`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(63).collect()
}

#[tonic::async_trait]
impl IdentityService for Api {
    async fn create_organisation(&self, request: Request<pb::CreateOrganisationRequest>) -> Reply<pb::Organisation> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.create_organisation(caller, request.into_inner()).await?,
        ))
    }

    async fn get_organisation(&self, request: Request<pb::GetOrganisationRequest>) -> Reply<pb::Organisation> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.get_organisation(caller, request.into_inner()).await?,
        ))
    }

    async fn list_organisations(
        &self,
        request: Request<pb::ListOrganisationsRequest>,
    ) -> Reply<pb::ListOrganisationsResponse> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.list_organisations(caller).await?))
    }

    async fn resolve_organisation(&self, request: Request<pb::ResolveOrganisationRequest>) -> Reply<pb::Organisation> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(
            self.resolve_organisation(caller, request.into_inner()).await?,
        ))
    }

    async fn create_user(&self, request: Request<pb::CreateUserRequest>) -> Reply<pb::User> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.create_user(caller, request.into_inner()).await?))
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        Ok(Response::new(self.login(request.into_inner()).await?))
    }

    async fn get_signing_keys(
        &self,
        _request: Request<pb::GetSigningKeysRequest>,
    ) -> Reply<pb::GetSigningKeysResponse> {
        Ok(Response::new(pb::GetSigningKeysResponse {
            jwks_json: self.keys.jwks_json().await,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(slugify("Avatar Imaging"), "avatar-imaging");
        assert_eq!(slugify("  LivingRite -- Portal!! "), "livingrite-portal");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn a_new_organisation_defaults_to_sydney_and_australia() {
        let new = NewOrganisation::parse(pb::CreateOrganisationRequest {
            name: "Avatar Imaging".to_owned(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(new.slug, "avatar-imaging");
        assert_eq!(new.time_zone, "Australia/Sydney");
        assert_eq!(new.region.as_str(), "AU");
    }

    #[test]
    fn every_bad_field_of_a_new_organisation_is_named() {
        let err = NewOrganisation::parse(pb::CreateOrganisationRequest {
            name: String::new(),
            slug: "Bad Slug".to_owned(),
            time_zone: "Mars/Olympus".to_owned(),
            phone_region: "ZZ".to_owned(),
            external_ids: vec![pb::ExternalId::default()],
        })
        .err()
        .unwrap();
        let Error::Invalid(fields) = err else { panic!() };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["name", "slug", "time_zone", "phone_region", "external_ids[0]"]);
    }
}
