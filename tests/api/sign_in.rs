//! A cycle can require its raters to sign in through the organisation's identity
//! provider, so that no API client (and no one HR hands a link) answers in a rater's place.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{Org, TestDatabase, answers_to, assert_problem, json_with_status, spawn_app_on};

const IDP: &str = "https://idp.acme.example";

#[actix_web::test]
async fn a_cycle_that_wants_the_identity_provider_takes_no_link_and_no_minted_token() {
    let database = TestDatabase::fresh();
    let org = roundtable::orgs::create_organization(&mut database.conn(), "Acme").unwrap();
    let idp_key = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let idp_public = Ed25519KeyPair::from_pkcs8(idp_key.as_ref()).unwrap().public_key().as_ref().to_vec();
    let config = json!([{
        "issuer": IDP, "audience": "roundtable-frontend", "org_id": org.org_id,
        "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "acme-1", "x": URL_SAFE_NO_PAD.encode(&idp_public)}]}
    }]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issuers.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let app = spawn_app_on(database, org, |s| s.auth.trusted_issuers_file = Some(path)).await;
    let mut org = Org::on(app).await;
    let idp_token = |external_id: &str| {
        let now = chrono::Utc::now().timestamp();
        let claims =
            json!({"iss": IDP, "aud": "roundtable-frontend", "sub": external_id, "exp": now + 300, "iat": now});
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("acme-1".into());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(idp_key.as_ref())).unwrap()
    };

    let cycle = org.create_cycle(json!({"name": "2026", "rater_sign_in": "identity_provider"})).await;
    assert_eq!(cycle["rater_sign_in"], "identity_provider");
    let cycle_id = cycle["id"].as_str().unwrap().to_string();
    org.add(&cycle_id, &["subject"]).await;
    org.move_to(&cycle_id, "nominating").await;
    org.nominate(&cycle_id, "subject", "peer1", "peer").await;
    org.move_to(&cycle_id, "collecting").await;
    let invitation = org.invitation_of("peer1", "subject").await;
    let id = invitation["id"].as_str().unwrap().to_string();
    let questionnaire_path = format!("/api/v1/invitations/{id}");

    let link =
        org.app.post_as(&org.admin(), &format!("/api/v1/cycles/{cycle_id}/invitations/{id}/link"), &json!({})).await;
    assert_problem(link, 409, "links_not_used").await;
    let minted = org.token("peer1").await;
    assert_problem(org.app.get_as(&minted, &questionnaire_path).await, 403, "forbidden").await;

    let signed_in = idp_token("peer1");
    let questionnaire = json_with_status(org.app.get_as(&signed_in, &questionnaire_path).await, 200).await;
    let answers = answers_to(&questionnaire, 4, "through the identity provider");
    let submit_path = format!("/api/v1/invitations/{id}/submit");
    let body = json!({ "answers": answers });
    assert_problem(org.app.post_as(&minted, &submit_path, &body).await, 403, "forbidden").await;
    let submitted = json_with_status(org.app.post_as(&signed_in, &submit_path, &body).await, 200).await;
    assert_eq!(submitted["status"], "submitted");

    // The mode is frozen once collecting started.
    let unfreeze =
        org.app.patch_as(&org.admin(), &format!("/api/v1/cycles/{cycle_id}"), &json!({"rater_sign_in": "link"})).await;
    assert_problem(unfreeze, 409, "invalid_cycle_state").await;
}
