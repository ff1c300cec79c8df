//! A draft belongs to the credential that saved it: whoever re-issues a link or mints a
//! token elsewhere does not read the rater's unfinished answers.

use serde_json::{Value, json};

use crate::helpers::{Org, json_with_status};

async fn save_draft(org: &Org, token: &str, invitation_id: &str, answers: &[Value]) {
    let saved = org
        .app
        .client
        .put(org.app.url(&format!("/api/v1/invitations/{invitation_id}/draft")))
        .bearer_auth(token)
        .json(&json!({ "answers": answers }))
        .send()
        .await
        .unwrap();
    json_with_status(saved, 200).await;
}

async fn draft_seen(org: &Org, token: &str, invitation_id: &str) -> usize {
    let questionnaire =
        json_with_status(org.app.get_as(token, &format!("/api/v1/invitations/{invitation_id}")).await, 200).await;
    questionnaire["draft"].as_array().unwrap().len()
}

fn stored_drafts(org: &Org) -> i64 {
    use diesel::prelude::*;
    use roundtable::db::schema::response_drafts;
    let mut conn = org.app.database.conn();
    roundtable::db_run!(&mut conn, |c| response_drafts::table.count().get_result(c)).unwrap()
}

async fn issue_link(org: &Org, cycle_id: &str, invitation_id: &str) -> String {
    let path = format!("/api/v1/cycles/{cycle_id}/invitations/{invitation_id}/link");
    let link = json_with_status(org.app.post_as(&org.admin(), &path, &json!({})).await, 201).await;
    link["token"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_reissued_link_starts_from_an_empty_questionnaire() {
    let mut org = Org::new().await;
    let cycle_id = org.collecting_cycle(3).await;
    let invitation = org.invitation_of("peer1", "subject").await;
    let id = invitation["id"].as_str().unwrap().to_string();
    let answers = org.full_answers("peer1", &id, 4, "a planted draft comment").await;

    let first = issue_link(&org, &cycle_id, &id).await;
    save_draft(&org, &first, &id, &answers[..3]).await;
    assert_eq!(draft_seen(&org, &first, &id).await, 3, "the link that saved it reads it");
    let person = org.token("peer1").await;
    assert_eq!(draft_seen(&org, &person, &id).await, 0, "another credential does not");

    let second = issue_link(&org, &cycle_id, &id).await;
    assert_eq!(draft_seen(&org, &second, &id).await, 0, "a re-issued link starts empty");
    let progress =
        json_with_status(org.app.get_as(&org.admin(), &format!("/api/v1/cycles/{cycle_id}/progress")).await, 200).await;
    let pending: Vec<&Value> = progress["items"][0]["pending_raters"].as_array().unwrap().iter().collect();
    assert!(
        pending.iter().any(|r| r["invitation_id"] == id.as_str() && r["status"] == "pending"),
        "the destroyed draft leaves the invitation pending: {pending:?}"
    );
    assert_eq!(stored_drafts(&org), 0, "the old link's draft is destroyed, not hidden");
}

#[actix_web::test]
async fn a_token_minted_by_another_client_gets_an_empty_draft() {
    let mut org = Org::new().await;
    org.collecting_cycle(3).await;
    let invitation = org.invitation_of("peer1", "subject").await;
    let id = invitation["id"].as_str().unwrap().to_string();
    let answers = org.full_answers("peer1", &id, 4, "another planted draft").await;
    let own = org.token("peer1").await;
    save_draft(&org, &own, &id, &answers[..2]).await;

    // A second client that may mint user tokens, as another HR system would hold.
    let created = json_with_status(
        org.app
            .post_as(&org.admin(), "/api/v1/clients", &json!({"name": "Other HR system", "scopes": ["tokens:mint"]}))
            .await,
        201,
    )
    .await;
    let other_client =
        org.app.client_token(created["client_id"].as_str().unwrap(), created["client_secret"].as_str().unwrap()).await;
    let minted = json_with_status(
        org.app.post_as(&other_client, "/api/v1/auth/user-tokens", &json!({"person_id": org.id("peer1")})).await,
        201,
    )
    .await;
    let elsewhere = minted["access_token"].as_str().unwrap();
    assert_eq!(draft_seen(&org, elsewhere, &id).await, 0, "minted by another client: empty");
    let same_client_again = json_with_status(
        org.app.post_as(&org.admin(), "/api/v1/auth/user-tokens", &json!({"person_id": org.id("peer1")})).await,
        201,
    )
    .await;
    let again = same_client_again["access_token"].as_str().unwrap();
    assert_eq!(draft_seen(&org, again, &id).await, 2, "a fresh token from the same client continues the draft");

    // Saving through the other credential replaces the draft; the first no longer reads it.
    save_draft(&org, elsewhere, &id, &answers[..1]).await;
    assert_eq!(draft_seen(&org, &own, &id).await, 0);
}
