//! The Ed25519 keys that sign access tokens.
//!
//! At start-up the service makes sure an unretired key exists (creating one
//! if not; two replicas racing just make two valid keys). The newest
//! unretired key signs; every unretired key is published in the JWK set, so
//! a key can be rotated by adding a new one and retiring the old one once
//! tokens it signed have expired. The set is reloaded every minute so every
//! replica signs with the same key soon after a rotation.

use std::sync::Arc;

use anyhow::Context as _;
use attend_kit::Error;
use attend_kit::authz::Permission;
use attend_kit::db::Db;
use attend_kit::grpc::Caller;
use attend_proto::identity::v1 as pb;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use jsonwebtoken::EncodingKey;
use tokio::sync::RwLock;

use crate::api::Api;
use crate::store;

/// The published keys, read afresh: after a rotation on another replica,
/// every replica publishes the new key at once (gateways ask rarely).
pub(crate) async fn published(api: &Api) -> Result<pb::GetSigningKeysResponse, Error> {
    api.keys.reload(&api.db).await.map_err(Error::Internal)?;
    Ok(pb::GetSigningKeysResponse {
        jwks_json: api.keys.jwks_json().await,
    })
}

/// Rotates the keys (operators only) and answers the new set.
pub(crate) async fn rotate(api: &Api, caller: Caller) -> Result<pb::GetSigningKeysResponse, Error> {
    caller.require_permission(Permission::PlatformOperate)?;
    api.keys.rotate(&api.db).await?;
    Ok(pb::GetSigningKeysResponse {
        jwks_json: api.keys.jwks_json().await,
    })
}

/// One signing key.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    encoding: EncodingKey,
    public_key: Vec<u8>,
}

/// The current keys, shared by every request.
#[derive(Clone, Default)]
pub struct KeyRing {
    keys: Arc<RwLock<Vec<SigningKey>>>,
}

impl KeyRing {
    /// Loads the unretired keys, creating the first one if there is none.
    pub async fn load_or_create(&self, db: &Db) -> anyhow::Result<()> {
        let mut keys = load(db).await?;
        if keys.is_empty() {
            create(db).await?;
            keys = load(db).await?;
        }
        anyhow::ensure!(!keys.is_empty(), "no signing key after creating one");
        *self.keys.write().await = keys;
        Ok(())
    }

    /// A new key becomes current; the previous one keeps verifying the
    /// tokens it signed (they live 15 minutes) and every older key retires.
    pub async fn rotate(&self, db: &Db) -> anyhow::Result<()> {
        create(db).await?;
        let mut tx = db.platform().await?;
        store::keys::retire_all_but_two(&mut tx)
            .await
            .context("retire old signing keys")?;
        tx.commit().await?;
        self.reload(db).await
    }

    /// Re-reads the keys (another replica may have rotated).
    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        let keys = load(db).await?;
        if !keys.is_empty() {
            *self.keys.write().await = keys;
        }
        Ok(())
    }

    /// The key that signs new tokens: the newest.
    pub async fn current(&self) -> anyhow::Result<SigningKey> {
        self.keys.read().await.first().cloned().context("no signing key loaded")
    }

    /// Every unretired public key as a JWK set (RFC 7517, OKP/Ed25519).
    pub async fn jwks_json(&self) -> String {
        let keys: Vec<serde_json::Value> = self
            .keys
            .read()
            .await
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": k.kid,
                    "x": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&k.public_key),
                })
            })
            .collect();
        serde_json::json!({ "keys": keys }).to_string()
    }
}

impl SigningKey {
    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }
}

async fn load(db: &Db) -> anyhow::Result<Vec<SigningKey>> {
    // Platform transaction: signing keys belong to no organisation.
    let mut tx = db.platform().await?;
    let rows = store::keys::unretired(&mut tx).await.context("load signing keys")?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|(kid, private_key, public_key)| SigningKey {
            kid,
            encoding: EncodingKey::from_ed_der(&private_key),
            public_key,
        })
        .collect())
}

async fn create(db: &Db) -> anyhow::Result<()> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| anyhow::anyhow!("generated Ed25519 key does not parse"))?;
    let kid = format!("k{}", uuid::Uuid::now_v7().simple());
    let mut tx = db.platform().await?;
    store::keys::insert(&mut tx, &kid, pkcs8.as_ref(), pair.public_key().as_ref())
        .await
        .context("store new signing key")?;
    tx.commit().await?;
    tracing::info!(%kid, "created access-token signing key");
    Ok(())
}
