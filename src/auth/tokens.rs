//! Access tokens: what the service signs, and how every presented token is checked
//! (RFC 8725): the algorithm is pinned, the key is found by `kid`, and `iss`, `aud`,
//! `exp`, `sub` and the `typ` header are all required and checked.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::access::{Role, Scope};
use crate::auth::keys::KeyStore;
use crate::config::AuthSettings;

/// The `typ` header of the service's access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
const LEEWAY_SECS: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The organisation the token acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Space-separated scopes of a service client's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The role of a person's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Who minted a person's token (`client:…` or `person:…`), so that what the person
    /// saves through it stays with that credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
}

/// What a signed token grants.
#[derive(Debug, Clone, PartialEq)]
pub enum Grant {
    /// A service client's scopes, space separated.
    Client { scope: String },
    /// A person's role, and who minted the token (`client:…` or `person:…`).
    Person { role: Role, minted_by: String },
}

/// Who a verified token speaks for, before any database look-up.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSubject {
    Client {
        org_id: String,
        client_id: String,
        scopes: Vec<Scope>,
    },
    Person {
        org_id: String,
        person_id: String,
        role: Role,
        /// Who minted the token.
        minted_by: String,
    },
    /// A person known to an external identity provider, to be found in the directory.
    ExternalPerson {
        org_id: String,
        match_by: PersonMatch,
        value: String,
        issuer: String,
    },
}

/// How an external subject is found in the people directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PersonMatch {
    #[default]
    ExternalId,
    Email,
}

/// Why a token was refused. The text is safe to show the caller.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token names no key (`kid`)")]
    MissingKid,
    #[error("the token's key (`kid`) is unknown")]
    UnknownKid,
    #[error("the token's type (`typ`) is not accepted")]
    Type,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

/// An external identity provider whose user tokens are accepted for one organisation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuerConfig {
    pub issuer: String,
    pub audience: String,
    pub org_id: String,
    /// Which claim names the person (default `sub`).
    #[serde(default = "default_subject_claim")]
    pub subject_claim: String,
    /// Whether that claim is the person's external id or e-mail.
    #[serde(default)]
    pub match_person_by: PersonMatch,
    /// Accepted `typ` headers (default `at+jwt` and `JWT`).
    #[serde(default = "default_external_types")]
    pub token_types: Vec<String>,
    /// The issuer's public keys, as a JWK Set; each key must name its `kid` and `alg`.
    pub jwks: JwkSet,
}

fn default_subject_claim() -> String {
    "sub".into()
}

fn default_external_types() -> Vec<String> {
    vec![ACCESS_TOKEN_TYPE.into(), "JWT".into()]
}

struct TrustedIssuer {
    config: TrustedIssuerConfig,
    keys: BTreeMap<String, (Algorithm, DecodingKey)>,
}

/// Signs the service's tokens and verifies every presented one.
pub struct TokenAuthority {
    issuer: String,
    audience: String,
    pub keys: KeyStore,
    trusted: Vec<TrustedIssuer>,
}

impl TokenAuthority {
    pub fn new(keys: KeyStore, settings: &AuthSettings) -> anyhow::Result<Self> {
        let trusted = match &settings.trusted_issuers_file {
            Some(path) => load_trusted_issuers(path)?,
            None => Vec::new(),
        };
        Ok(Self { issuer: settings.public_url.clone(), audience: settings.audience.clone(), keys, trusted })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs an access token for `sub` that expires in `ttl_secs`: a client's with its
    /// scopes, or a person's with their role and who minted it.
    pub fn sign(
        &self,
        sub: String,
        org_id: &str,
        grant: Grant,
        ttl_secs: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let ring = self.keys.ring();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(ring.signing.kid.clone());
        header.typ = Some(ACCESS_TOKEN_TYPE.into());
        let iat = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub,
            aud: self.audience.clone(),
            exp: iat + ttl_secs as i64,
            iat,
            jti: uuid::Uuid::new_v4().to_string(),
            org: Some(org_id.to_string()),
            scope: None,
            role: None,
            azp: None,
        };
        let claims = match grant {
            Grant::Client { scope } => AccessClaims { scope: Some(scope), ..claims },
            Grant::Person { role, minted_by } => {
                AccessClaims { role: Some(role.as_str().to_string()), azp: Some(minted_by), ..claims }
            }
        };
        jsonwebtoken::encode(&header, &claims, &ring.signing.encoding)
    }

    /// Checks a presented token and says whom it speaks for.
    pub fn verify(&self, token: &str) -> Result<TokenSubject, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        let kid = header.kid.as_deref().ok_or(TokenError::MissingKid)?;

        let ring = self.keys.ring();
        if let Some(key) = ring.verifying.get(kid) {
            if header.alg != Algorithm::EdDSA {
                return Err(TokenError::Algorithm);
            }
            if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
                return Err(TokenError::Type);
            }
            let claims: AccessClaims = decode(token, &key.decoding, Algorithm::EdDSA, &self.issuer, &self.audience)?;
            return own_subject(claims);
        }

        for issuer in &self.trusted {
            if let Some((alg, key)) = issuer.keys.get(kid) {
                if header.alg != *alg {
                    return Err(TokenError::Algorithm);
                }
                if !header.typ.as_deref().is_some_and(|t| issuer.config.token_types.iter().any(|a| a == t)) {
                    return Err(TokenError::Type);
                }
                let claims: serde_json::Map<String, serde_json::Value> =
                    decode(token, key, *alg, &issuer.config.issuer, &issuer.config.audience)?;
                let value = claims
                    .get(&issuer.config.subject_claim)
                    .and_then(|v| v.as_str())
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| TokenError::Invalid(format!("`{}` is missing", issuer.config.subject_claim)))?;
                return Ok(TokenSubject::ExternalPerson {
                    org_id: issuer.config.org_id.clone(),
                    match_by: issuer.config.match_person_by,
                    value: value.to_string(),
                    issuer: issuer.config.issuer.clone(),
                });
            }
        }
        Err(TokenError::UnknownKid)
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
    issuer: &str,
    audience: &str,
) -> Result<T, TokenError> {
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    jsonwebtoken::decode::<T>(token, key, &validation).map(|data| data.claims).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        TokenError::Invalid(
            match e.kind() {
                ErrorKind::ExpiredSignature => "it has expired",
                ErrorKind::InvalidSignature => "its signature does not verify",
                ErrorKind::InvalidAudience => "it is meant for another audience",
                ErrorKind::InvalidIssuer => "it comes from another issuer",
                ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
                ErrorKind::ImmatureSignature => "it is not valid yet",
                ErrorKind::InvalidAlgorithm => "its algorithm is not accepted",
                _ => "it cannot be decoded",
            }
            .to_string(),
        )
    })
}

fn own_subject(claims: AccessClaims) -> Result<TokenSubject, TokenError> {
    let org_id =
        claims.org.filter(|o| !o.is_empty()).ok_or_else(|| TokenError::Invalid("it names no organisation".into()))?;
    if let Some(client_id) = claims.sub.strip_prefix("client:") {
        let scopes = Scope::parse_list(claims.scope.as_deref().unwrap_or_default()).map_err(TokenError::Invalid)?;
        return Ok(TokenSubject::Client { org_id, client_id: client_id.to_string(), scopes });
    }
    if let Some(person_id) = claims.sub.strip_prefix("person:") {
        let role = claims.role.as_deref().unwrap_or_default().parse::<Role>().map_err(TokenError::Invalid)?;
        let minted_by = claims.azp.unwrap_or_default();
        return Ok(TokenSubject::Person { org_id, person_id: person_id.to_string(), role, minted_by });
    }
    Err(TokenError::Invalid("its subject is not recognised".into()))
}

fn load_trusted_issuers(path: &Path) -> anyhow::Result<Vec<TrustedIssuer>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let configs: Vec<TrustedIssuerConfig> = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a trusted-issuer list: {e}", path.display()))?;
    let mut seen_kids = HashSet::new();
    configs
        .into_iter()
        .map(|config| {
            let mut keys = BTreeMap::new();
            for jwk in &config.jwks.keys {
                let kid =
                    jwk.common.key_id.clone().ok_or_else(|| anyhow::anyhow!("{}: a key has no kid", config.issuer))?;
                let alg = jwk
                    .common
                    .key_algorithm
                    .and_then(|a| a.to_string().parse::<Algorithm>().ok())
                    .ok_or_else(|| anyhow::anyhow!("{}: key {kid} has no usable alg", config.issuer))?;
                // Shared-secret algorithms would let anyone holding the public JWKS forge tokens.
                anyhow::ensure!(
                    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512),
                    "{}: key {kid} uses a shared-secret algorithm",
                    config.issuer
                );
                anyhow::ensure!(seen_kids.insert(kid.clone()), "key id {kid} appears twice among trusted issuers");
                keys.insert(kid, (alg, DecodingKey::from_jwk(jwk)?));
            }
            Ok(TrustedIssuer { config, keys })
        })
        .collect()
}
