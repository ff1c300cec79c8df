//! `POST /oauth/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4).
//! Errors follow RFC 6749 §5.2 (`error`, `error_description`) and also carry the
//! problem fields every other error of this API has.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::access::Scope;
use crate::auth::secrets::secret_matches;
use crate::auth::tokens::{Grant, TokenAuthority};
use crate::clients;
use crate::db::DbConn;
use crate::error::AppError;
use crate::request_id;
use crate::state::AppState;

/// The form fields of a token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    #[schema(example = "client_credentials")]
    pub grant_type: Option<String>,
    /// Space-separated scopes; default: all the client holds.
    #[schema(example = "people:read people:write")]
    pub scope: Option<String>,
    /// With `client_secret`, instead of HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9...",
    "token_type": "Bearer",
    "expires_in": 900,
    "scope": "people:read people:write"
}))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub scope: String,
}

/// An RFC 6749 §5.2 error, with the problem fields alongside.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "error": "invalid_client",
    "error_description": "Unknown client or wrong secret.",
    "type": "https://roundtable.dev/problems/invalid_client",
    "title": "Unauthorized",
    "status": 401,
    "detail": "Unknown client or wrong secret.",
    "code": "invalid_client",
    "request_id": "0b5e8a7c-6f3e-4c55-9a0e-3f1f2b9d8c11"
}))]
pub struct OAuthErrorBody {
    pub error: &'static str,
    pub error_description: String,
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    pub request_id: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    code: &'static str,
    description: String,
    /// The client authenticated with HTTP Basic, so the challenge names Basic.
    basic_challenge: bool,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self { code, description: description.into(), basic_challenge: false }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self.code {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if status == StatusCode::UNAUTHORIZED {
            let challenge = if self.basic_challenge { "Basic realm=\"roundtable\"" } else { "Bearer" };
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge)));
        }
        response.json(OAuthErrorBody {
            error: self.code,
            error_description: self.description.clone(),
            problem_type: format!("https://roundtable.dev/problems/{}", self.code),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: self.description.clone(),
            code: self.code,
            request_id: request_id::current(),
        })
    }
}

impl From<AppError> for OAuthError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unavailable(_) => Self::new("temporarily_unavailable", "The service is briefly unavailable."),
            other => {
                tracing::error!(request_id = %request_id::current(), cause = %other, "token request failed");
                Self::new("server_error", "Something went wrong on our side.")
            }
        }
    }
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1: each part form-urlencoded).
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let invalid = || OAuthError {
        code: "invalid_client",
        description: "The Authorization header is not valid HTTP Basic credentials.".into(),
        basic_challenge: true,
    };
    let value = value.to_str().map_err(|_| invalid())?;
    let Some((scheme, encoded)) = value.split_once(' ') else { return Err(invalid()) };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, v)| v)
            .ok_or_else(invalid)
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

/// Exchanges client credentials for an access token.
///
/// Authenticate with HTTP Basic (`client_id:client_secret`) or with the `client_id` and
/// `client_secret` form fields, not both.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "An access token", body = TokenResponse),
        (status = 400, description = "Bad request (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 401, description = "Unknown client or wrong secret", body = OAuthErrorBody),
    ),
)]
#[post("/oauth/token")]
pub async fn issue_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    let request = ClientCredentials::parse(&req, &body)?;
    let (ttl, issuer) = (state.client_token_ttl_secs, state.clone());
    let token = state.db.run(move |conn| Ok(issue(conn, &issuer.tokens, request, ttl))).await??;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))).json(token))
}

/// A token request, read from its form and Authorization header.
struct ClientCredentials {
    client_id: String,
    secret: String,
    /// Whether the client authenticated with HTTP Basic, which a refusal then challenges.
    used_basic: bool,
    requested: Option<Vec<Scope>>,
}

impl ClientCredentials {
    fn parse(req: &HttpRequest, body: &[u8]) -> Result<Self, OAuthError> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(OAuthError::new("invalid_request", "Send the form as application/x-www-form-urlencoded."));
        }
        let form: TokenRequest = serde_urlencoded::from_bytes(body)
            .map_err(|e| OAuthError::new("invalid_request", format!("The form cannot be read: {e}.")))?;
        match form.grant_type.as_deref() {
            Some("client_credentials") => {}
            Some(other) => {
                return Err(OAuthError::new(
                    "unsupported_grant_type",
                    format!("The grant type `{other}` is not supported; use client_credentials."),
                ));
            }
            None => return Err(OAuthError::new("invalid_request", "grant_type is required.")),
        }
        let basic = basic_credentials(req)?;
        let (client_id, secret, used_basic) = match (basic, form.client_id, form.client_secret) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(OAuthError::new("invalid_request", "Use one way to authenticate the client, not two."));
            }
            (Some((id, secret)), None, None) => (id, secret, true),
            (None, Some(id), Some(secret)) => (id, secret, false),
            _ => {
                return Err(OAuthError::new(
                    "invalid_client",
                    "Client authentication is required (HTTP Basic, or client_id and client_secret).",
                ));
            }
        };
        if client_id.contains('\0') || secret.contains('\0') {
            return Err(OAuthError::invalid_request("The client credentials hold a NUL character (U+0000)."));
        }
        let requested = match form.scope.as_deref() {
            Some(scope) => Some(Scope::parse_list(scope).map_err(|e| OAuthError::new("invalid_scope", e))?),
            None => None,
        };
        Ok(Self { client_id, secret, used_basic, requested })
    }
}

/// Authenticates the client and signs its token: the scopes asked for, which it must
/// hold, or all it holds.
fn issue(
    conn: &mut DbConn,
    tokens: &TokenAuthority,
    request: ClientCredentials,
    ttl: u64,
) -> Result<TokenResponse, OAuthError> {
    tokens.keys.refresh_before_signing(conn)?;
    let client = clients::find_active_by_client_id(conn, &request.client_id)?
        .filter(|c| secret_matches(&request.secret, &c.secret_hash))
        .ok_or(OAuthError {
            code: "invalid_client",
            description: "Unknown client or wrong secret.".into(),
            basic_challenge: request.used_basic,
        })?;
    let held = client.scope_list();
    let granted = match request.requested {
        Some(requested) => {
            if let Some(extra) = requested.iter().find(|s| !held.contains(s)) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    format!("This client does not hold the scope `{extra}`."),
                ));
            }
            requested
        }
        None => held,
    };
    let scope = Scope::join(&granted);
    let access_token = tokens
        .sign(format!("client:{}", client.client_id), &client.org_id, Grant::Client { scope: scope.clone() }, ttl)
        .map_err(|e| OAuthError::from(AppError::internal(e)))?;
    Ok(TokenResponse { access_token, token_type: "Bearer", expires_in: ttl, scope })
}
