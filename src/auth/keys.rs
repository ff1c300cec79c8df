//! The Ed25519 keys that sign and verify the service's own tokens.
//!
//! By default the keys live in the database, so a single node needs no set-up and every
//! instance sharing the database shares them; a key is generated on first start. Keys
//! may instead come from PEM files, in which case the database holds none of them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use diesel::prelude::*;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::AuthSettings;
use crate::db::schema::signing_keys;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;

/// Reloading from the database on an unknown `kid` happens at most this often, so
/// tokens with made-up key ids cannot turn into a stream of queries.
const RELOAD_AT_MOST_EVERY: Duration = Duration::from_secs(5);
/// Other instances may have rotated: the signing key is re-read this often.
const SIGNING_KEY_MAX_AGE: Duration = Duration::from_secs(60);

pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
}

pub struct VerifyingKey {
    pub public_key: Vec<u8>,
    pub decoding: DecodingKey,
}

/// The keys in force at one moment.
pub struct KeyRing {
    pub signing: SigningKey,
    pub verifying: BTreeMap<String, VerifyingKey>,
}

enum KeySource {
    Database,
    Files,
}

pub struct KeyStore {
    source: KeySource,
    ring: RwLock<Arc<KeyRing>>,
    loaded_at: Mutex<Instant>,
}

/// One public key in JWK form (RFC 8037).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicJwk {
    #[schema(example = "OKP")]
    pub kty: &'static str,
    #[schema(example = "Ed25519")]
    pub crv: &'static str,
    #[schema(example = "EdDSA")]
    pub alg: &'static str,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub key_use: &'static str,
    #[schema(example = "0193a5d2-6a0e-7c1b-9f3e-2d4b5a6c7d8e")]
    pub kid: String,
    /// The raw public key, base64url without padding.
    pub x: String,
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = signing_keys)]
struct StoredKey {
    kid: String,
    private_key: String,
    public_key: String,
    created_at: chrono::NaiveDateTime,
    retired_at: Option<chrono::NaiveDateTime>,
}

impl KeyStore {
    /// Loads the keys named in the settings, or those in the database (making one if none).
    pub fn load(conn: &mut DbConn, settings: &AuthSettings) -> anyhow::Result<Self> {
        let (source, ring) = match &settings.signing_key_file {
            Some(path) => (KeySource::Files, ring_from_files(path, &settings.verify_key_files)?),
            None => {
                if active_keys(conn)?.is_empty() {
                    insert_new_key(conn)?;
                }
                (KeySource::Database, ring_from_database(conn)?)
            }
        };
        // Dated one reload interval back, so the first unknown `kid` may trigger a reload at once.
        let loaded_at = Instant::now().checked_sub(RELOAD_AT_MOST_EVERY).unwrap_or_else(Instant::now);
        Ok(Self { source, ring: RwLock::new(Arc::new(ring)), loaded_at: Mutex::new(loaded_at) })
    }

    pub fn ring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.ring.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Re-reads database keys if they were last read more than `max_age` ago.
    pub fn refresh_if_older_than(&self, conn: &mut DbConn, max_age: Duration) -> Result<bool, AppError> {
        if matches!(self.source, KeySource::Files) {
            return Ok(false);
        }
        {
            let mut loaded_at = self.loaded_at.lock().unwrap_or_else(|e| e.into_inner());
            if loaded_at.elapsed() < max_age {
                return Ok(false);
            }
            *loaded_at = Instant::now();
        }
        let ring = ring_from_database(conn).map_err(AppError::internal)?;
        *self.ring.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ring);
        Ok(true)
    }

    /// After an unknown `kid`: another instance may have rotated the keys.
    pub fn refresh_for_unknown_kid(&self, conn: &mut DbConn) -> Result<bool, AppError> {
        self.refresh_if_older_than(conn, RELOAD_AT_MOST_EVERY)
    }

    /// Before signing: pick up a rotation done elsewhere.
    pub fn refresh_before_signing(&self, conn: &mut DbConn) -> Result<(), AppError> {
        self.refresh_if_older_than(conn, SIGNING_KEY_MAX_AGE).map(|_| ())
    }

    /// The public keys that verify this service's tokens.
    pub fn jwks(&self) -> Vec<PublicJwk> {
        self.ring()
            .verifying
            .iter()
            .map(|(kid, key)| PublicJwk {
                kty: "OKP",
                crv: "Ed25519",
                alg: "EdDSA",
                key_use: "sig",
                kid: kid.clone(),
                x: URL_SAFE_NO_PAD.encode(&key.public_key),
            })
            .collect()
    }
}

fn active_keys(conn: &mut DbConn) -> Result<Vec<StoredKey>, diesel::result::Error> {
    db_run!(conn, |c| signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .order(signing_keys::kid.desc())
        .load::<StoredKey>(c))
}

fn insert_new_key(conn: &mut DbConn) -> anyhow::Result<String> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
    let pair =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| anyhow::anyhow!("generated key rejected: {e}"))?;
    let key = StoredKey {
        kid: new_id(),
        private_key: STANDARD.encode(pkcs8.as_ref()),
        public_key: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
        created_at: now(),
        retired_at: None,
    };
    db_run!(conn, |c| diesel::insert_into(signing_keys::table).values(&key).execute(c))?;
    Ok(key.kid)
}

/// Makes a new signing key; the previous one keeps verifying, older ones are retired.
/// Returns the new key's id.
pub fn rotate(conn: &mut DbConn) -> anyhow::Result<String> {
    conn.transaction(|conn| {
        let keep: Vec<String> = active_keys(conn)?.into_iter().take(1).map(|k| k.kid).collect();
        let kid = insert_new_key(conn)?;
        let retired_at = now();
        db_run!(conn, |c| diesel::update(
            signing_keys::table
                .filter(signing_keys::retired_at.is_null())
                .filter(signing_keys::kid.ne(&kid))
                .filter(signing_keys::kid.ne_all(&keep))
        )
        .set(signing_keys::retired_at.eq(Some(retired_at)))
        .execute(c))?;
        Ok(kid)
    })
}

fn ring_from_database(conn: &mut DbConn) -> anyhow::Result<KeyRing> {
    let keys = active_keys(conn)?;
    let newest = keys.first().ok_or_else(|| anyhow::anyhow!("no active signing key in the database"))?;
    let signing = SigningKey {
        kid: newest.kid.clone(),
        encoding: EncodingKey::from_ed_der(&STANDARD.decode(&newest.private_key)?),
    };
    let mut verifying = BTreeMap::new();
    for key in &keys {
        let public_key = URL_SAFE_NO_PAD.decode(&key.public_key)?;
        verifying.insert(key.kid.clone(), VerifyingKey { decoding: DecodingKey::from_ed_der(&public_key), public_key });
    }
    Ok(KeyRing { signing, verifying })
}

/// A key id that every instance derives alike from the public key.
fn kid_for(public_key: &[u8]) -> String {
    digest(&SHA256, public_key).as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect()
}

fn pem_body(path: &Path, label: &str) -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let body = text
        .split_once(&begin)
        .and_then(|(_, rest)| rest.split_once(&end))
        .map(|(body, _)| body.split_whitespace().collect::<String>())
        .ok_or_else(|| anyhow::anyhow!("{} holds no {label} PEM block", path.display()))?;
    Ok(STANDARD.decode(body)?)
}

fn ring_from_files(signing_key: &Path, verify_keys: &[std::path::PathBuf]) -> anyhow::Result<KeyRing> {
    let pkcs8 = pem_body(signing_key, "PRIVATE KEY")?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|e| anyhow::anyhow!("{} is not an Ed25519 PKCS#8 key: {e}", signing_key.display()))?;
    let public_key = pair.public_key().as_ref().to_vec();
    let kid = kid_for(&public_key);
    let mut verifying = BTreeMap::new();
    verifying.insert(kid.clone(), VerifyingKey { decoding: DecodingKey::from_ed_der(&public_key), public_key });
    for path in verify_keys {
        let spki = pem_body(path, "PUBLIC KEY")?;
        // An Ed25519 SubjectPublicKeyInfo ends with the 32-byte raw key.
        anyhow::ensure!(spki.len() == 44, "{} is not an Ed25519 public key", path.display());
        let public_key = spki[12..].to_vec();
        verifying
            .insert(kid_for(&public_key), VerifyingKey { decoding: DecodingKey::from_ed_der(&public_key), public_key });
    }
    Ok(KeyRing { signing: SigningKey { kid, encoding: EncodingKey::from_ed_der(&pkcs8) }, verifying })
}
