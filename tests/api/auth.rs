//! Tokens: the client credentials grant, user tokens, external issuers, key rotation and
//! every RFC 8725 attack on the service's own tokens.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use roundtable::db::schema::signing_keys;
use roundtable::db_run;
use serde_json::{Value, json};

use crate::helpers::{
    AUDIENCE, ISSUER, TestApp, TestDatabase, assert_problem, json_with_status, spawn_app, spawn_app_on,
};

/// The newest signing key, read from the database as an attacker with the key would.
fn newest_key(app: &TestApp) -> (String, Vec<u8>, Vec<u8>) {
    let mut conn = app.database.conn();
    let (kid, private_key, public_key): (String, String, String) = db_run!(&mut conn, |c| signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .order(signing_keys::kid.desc())
        .select((signing_keys::kid, signing_keys::private_key, signing_keys::public_key))
        .first(c))
    .unwrap();
    (kid, STANDARD.decode(private_key).unwrap(), URL_SAFE_NO_PAD.decode(public_key).unwrap())
}

fn valid_claims(app: &TestApp) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": format!("client:{}", app.org.client_id),
        "exp": now + 300, "iat": now, "jti": "t", "org": app.org.org_id, "scope": "people:read",
    })
}

fn sign(kid: &str, pkcs8: &[u8], typ: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_string());
    header.typ = typ.map(str::to_string);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(pkcs8)).unwrap()
}

/// The text with one character changed (where every bit of it carries signature data).
fn flip_char(text: &str, at: usize) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn people_status(app: &TestApp, token: &str) -> reqwest::Response {
    app.get_as(token, "/api/v1/people").await
}

#[actix_web::test]
async fn client_credentials_work_with_basic_auth_and_with_form_fields() {
    let app = spawn_app().await;
    // HTTP Basic is how spawn_app got its token.
    json_with_status(people_status(&app, &app.admin_token).await, 200).await;

    let response = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app.org.client_id.as_str()),
            ("client_secret", app.org.client_secret.as_str()),
            ("scope", "people:read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let token = json_with_status(response, 200).await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "people:read");
    assert_eq!(token["expires_in"], 900);
    let narrow = token["access_token"].as_str().unwrap();
    json_with_status(people_status(&app, narrow).await, 200).await;
    // The narrowed token cannot write.
    let refused = app.post_as(narrow, "/api/v1/people", &json!({"email": "a@example.com", "display_name": "A"})).await;
    assert_problem(refused, 403, "forbidden").await;
}

#[actix_web::test]
async fn token_endpoint_errors_follow_rfc_6749() {
    let app = spawn_app().await;
    let post = |form: Vec<(&'static str, String)>, basic: Option<(String, String)>| {
        let mut request = app.client.post(app.url("/oauth/token")).form(&form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request.send()
    };
    let id = app.org.client_id.clone();
    let secret = app.org.client_secret.clone();
    let grant = || vec![("grant_type", "client_credentials".to_string())];

    let wrong = post(grant(), Some((id.clone(), "rt_cs_wrong".into()))).await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["status"], 401);

    let unknown = post(grant(), Some(("rt_ci_nobody".into(), secret.clone()))).await.unwrap();
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"], "invalid_client");

    type Form = Vec<(&'static str, String)>;
    type Basic = Option<(String, String)>;
    let cases: Vec<(Form, Basic, u16, &str)> = vec![
        (vec![("grant_type", "password".into())], Some((id.clone(), secret.clone())), 400, "unsupported_grant_type"),
        (vec![], Some((id.clone(), secret.clone())), 400, "invalid_request"),
        (grant(), None, 401, "invalid_client"),
        (
            vec![("grant_type", "client_credentials".into()), ("scope", "people:read root".into())],
            Some((id.clone(), secret.clone())),
            400,
            "invalid_scope",
        ),
        (
            vec![
                ("grant_type", "client_credentials".into()),
                ("client_id", id.clone()),
                ("client_secret", secret.clone()),
            ],
            Some((id.clone(), secret.clone())),
            400,
            "invalid_request",
        ),
    ];
    for (form, basic, status, error) in cases {
        let response = post(form.clone(), basic).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{form:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{form:?}: {body}");
        assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()));
    }

    // JSON is not the token endpoint's format.
    let json = app
        .client
        .post(app.url("/oauth/token"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
}

#[actix_web::test]
async fn clients_are_created_with_a_secret_shown_once_listed_and_revoked() {
    let app = spawn_app().await;
    let created = json_with_status(
        app.post_as(&app.admin_token, "/api/v1/clients", &json!({"name": "Workday", "scopes": ["people:read"]})).await,
        201,
    )
    .await;
    let secret = created["client_secret"].as_str().unwrap().to_string();
    let client_id = created["client_id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("rt_cs_"));
    let token = app.client_token(&client_id, &secret).await;
    json_with_status(people_status(&app, &token).await, 200).await;

    let listed = json_with_status(app.get_as(&app.admin_token, "/api/v1/clients").await, 200).await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|c| c.get("client_secret").is_none() && c.get("secret_hash").is_none()));

    // A client cannot hand out scopes it lacks.
    let escalate = app.post_as(&token, "/api/v1/clients", &json!({"name": "x", "scopes": ["clients:write"]})).await;
    assert_problem(escalate, 403, "forbidden").await;

    let revoked = json_with_status(
        app.delete_as(&app.admin_token, &format!("/api/v1/clients/{}", created["id"].as_str().unwrap())).await,
        200,
    )
    .await;
    assert!(revoked["revoked_at"].is_string());
    let refused = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

#[actix_web::test]
async fn every_rfc_8725_attack_answers_401_problem() {
    let app = spawn_app().await;
    let (kid, pkcs8, public_key) = newest_key(&app);
    let claims = valid_claims(&app);
    let control = sign(&kid, &pkcs8, Some("at+jwt"), &claims);
    json_with_status(people_status(&app, &control).await, 200).await;

    let with = |patch: Value| {
        let mut c = claims.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let now = chrono::Utc::now().timestamp();
    let (other_kid, other_pkcs8) = {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        ("not-a-known-key".to_string(), doc.as_ref().to_vec())
    };
    let parts: Vec<&str> = control.split('.').collect();
    let hs256_with = |secret: &[u8]| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.clone());
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap()
    };
    let attacks: Vec<(&str, String)> = vec![
        ("alg none", format!("{}.{}.", b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})), b64(&claims))),
        ("HS256 keyed with the raw public key", hs256_with(&public_key)),
        ("HS256 keyed with the JWK x", hs256_with(URL_SAFE_NO_PAD.encode(&public_key).as_bytes())),
        ("wrong aud", sign(&kid, &pkcs8, Some("at+jwt"), &with(json!({"aud": "someone-else"})))),
        ("wrong iss", sign(&kid, &pkcs8, Some("at+jwt"), &with(json!({"iss": "https://evil.example"})))),
        ("wrong typ", sign(&kid, &pkcs8, Some("JWT"), &claims)),
        ("missing typ", sign(&kid, &pkcs8, None, &claims)),
        ("expired", sign(&kid, &pkcs8, Some("at+jwt"), &with(json!({"exp": now - 3600})))),
        ("missing exp", sign(&kid, &pkcs8, Some("at+jwt"), &with(json!({"exp": null})))),
        ("missing sub", sign(&kid, &pkcs8, Some("at+jwt"), &with(json!({"sub": null})))),
        ("missing aud", sign(&kid, &pkcs8, Some("at+jwt"), &with(json!({"aud": null})))),
        ("unknown kid", sign(&other_kid, &other_pkcs8, Some("at+jwt"), &claims)),
        ("right kid, other key", sign(&kid, &other_pkcs8, Some("at+jwt"), &claims)),
        (
            "tampered payload",
            format!(
                "{}.{}.{}",
                parts[0],
                b64(&with(json!({"scope": "people:read people:write clients:write"}))),
                parts[2]
            ),
        ),
        ("tampered signature", format!("{}.{}.{}", parts[0], parts[1], flip_char(parts[2], 10))),
        ("garbage", "not.a.token".into()),
    ];
    for (name, token) in attacks {
        let response = people_status(&app, &token).await;
        assert_eq!(response.status(), 401, "{name} was not refused");
        assert_problem(response, 401, "unauthorized").await;
    }
    assert_problem(app.get("/api/v1/people").await, 401, "unauthorized").await;
    let basic = app.client.get(app.url("/api/v1/people")).basic_auth("a", Some("b")).send().await.unwrap();
    assert_problem(basic, 401, "unauthorized").await;
}

#[actix_web::test]
async fn jwks_publishes_the_verification_key_and_rotation_keeps_old_tokens_valid() {
    let app = spawn_app().await;
    let jwks = json_with_status(app.get("/.well-known/jwks.json").await, 200).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let (kid, _, public_key) = newest_key(&app);
    assert_eq!(keys[0]["kid"], kid.as_str());
    assert_eq!(keys[0]["kty"], "OKP");
    assert_eq!(keys[0]["crv"], "Ed25519");
    assert_eq!(keys[0]["x"], URL_SAFE_NO_PAD.encode(&public_key));

    // The service's token verifies with the published key alone.
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(keys[0].clone()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    let decoded = jsonwebtoken::decode::<Value>(
        &app.admin_token,
        &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(decoded.header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(decoded.claims["org"], app.org.org_id.as_str());

    let new_kid = roundtable::auth::keys::rotate(&mut app.database.conn()).unwrap();
    assert_ne!(new_kid, kid);
    // A token signed before the rotation still works.
    json_with_status(people_status(&app, &app.admin_token).await, 200).await;
    // A token signed with the new key (as another instance would after rotating) works too.
    let (newest_kid, pkcs8, _) = newest_key(&app);
    assert_eq!(newest_kid, new_kid);
    let fresh = sign(&new_kid, &pkcs8, Some("at+jwt"), &valid_claims(&app));
    json_with_status(people_status(&app, &fresh).await, 200).await;
    let jwks = json_with_status(app.get("/.well-known/jwks.json").await, 200).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn user_tokens_carry_the_persons_role() {
    let app = spawn_app().await;
    let (member, token) = app.user_with_role("member").await;
    json_with_status(people_status(&app, &token).await, 200).await;
    let refused = app.post_as(&token, "/api/v1/people", &json!({"email": "x@example.com", "display_name": "X"})).await;
    assert_problem(refused, 403, "forbidden").await;
    // A user cannot mint tokens, not even for themself.
    let mint = app.post_as(&token, "/api/v1/auth/user-tokens", &json!({"person_id": member["id"]})).await;
    assert_problem(mint, 403, "forbidden").await;

    let (_, admin_token) = app.user_with_role("admin").await;
    app.create_person(&admin_token, json!({"email": "made-by-hr@example.com", "display_name": "By HR"})).await;

    // A deactivated person gets no token.
    let path = format!("/api/v1/people/{}/deactivate", member["id"].as_str().unwrap());
    json_with_status(app.post_as(&app.admin_token, &path, &json!({})).await, 200).await;
    let inactive = app.post_as(&app.admin_token, "/api/v1/auth/user-tokens", &json!({"person_id": member["id"]})).await;
    assert_problem(inactive, 422, "person_inactive").await;

    // Too long a lifetime is refused with the field named.
    let (person, _) = app.user_with_role("analyst").await;
    let long = app
        .post_as(
            &app.admin_token,
            "/api/v1/auth/user-tokens",
            &json!({"person_id": person["id"], "ttl_seconds": 86_400}),
        )
        .await;
    let problem = assert_problem(long, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "ttl_seconds");

    // A client without tokens:mint cannot mint.
    let narrow = json_with_status(
        app.post_as(&app.admin_token, "/api/v1/clients", &json!({"name": "reader", "scopes": ["people:read"]})).await,
        201,
    )
    .await;
    let narrow_token =
        app.client_token(narrow["client_id"].as_str().unwrap(), narrow["client_secret"].as_str().unwrap()).await;
    let refused = app.post_as(&narrow_token, "/api/v1/auth/user-tokens", &json!({"person_id": person["id"]})).await;
    assert_problem(refused, 403, "forbidden").await;
}

#[actix_web::test]
async fn tokens_of_a_configured_external_issuer_are_accepted_for_its_people() {
    let database = TestDatabase::fresh();
    let org = roundtable::orgs::create_organization(&mut database.conn(), "Acme").unwrap();
    let idp_key = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let idp_public = Ed25519KeyPair::from_pkcs8(idp_key.as_ref()).unwrap().public_key().as_ref().to_vec();
    let config = json!([{
        "issuer": "https://idp.acme.example",
        "audience": "roundtable-frontend",
        "org_id": org.org_id,
        "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "acme-1", "x": URL_SAFE_NO_PAD.encode(&idp_public)}]}
    }]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuers.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let app = spawn_app_on(database, org, |s| s.auth.trusted_issuers_file = Some(path)).await;
    app.create_person(
        &app.admin_token,
        json!({"external_id": "emp-7", "email": "seven@acme.example", "display_name": "Seven"}),
    )
    .await;

    let now = chrono::Utc::now().timestamp();
    let idp_token = |sub: &str, aud: &str| {
        let claims = json!({"iss": "https://idp.acme.example", "aud": aud, "sub": sub, "exp": now + 300, "iat": now});
        sign("acme-1", idp_key.as_ref(), Some("JWT"), &claims)
    };
    json_with_status(people_status(&app, &idp_token("emp-7", "roundtable-frontend")).await, 200).await;
    // Who the directory does not know is refused, and so is a token meant for another audience.
    assert_problem(people_status(&app, &idp_token("emp-404", "roundtable-frontend")).await, 401, "unauthorized").await;
    assert_problem(people_status(&app, &idp_token("emp-7", "other-app")).await, 401, "unauthorized").await;
    // The person is a member: no admin work.
    let write = app
        .post_as(
            &idp_token("emp-7", "roundtable-frontend"),
            "/api/v1/people",
            &json!({"email": "z@acme.example", "display_name": "Z"}),
        )
        .await;
    assert_problem(write, 403, "forbidden").await;
}
