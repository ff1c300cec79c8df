//! Two instances of the service on one database, as behind a load balancer: each has its
//! own pool, caches, token authority and read log, and only the database in common.

use diesel::prelude::*;
use roundtable::db::schema::audit_events;
use serde_json::Value;

use crate::helpers::{Org, TestApp, TestDatabase, json_with_status, spawn_app_on};

/// `request`, sent to `instance` instead of the one it was made for.
async fn send_to(instance: &TestApp, request: reqwest::RequestBuilder) -> reqwest::Response {
    let mut request = request.build().unwrap();
    let port = instance.address.rsplit(':').next().unwrap().parse().unwrap();
    request.url_mut().set_port(Some(port)).unwrap();
    instance.client.execute(request).await.unwrap()
}

fn audited(database: &TestDatabase, action: &str) -> Vec<Value> {
    let details: Vec<String> = roundtable::db_run!(&mut database.conn(), |c| audit_events::table
        .filter(audit_events::action.eq(action))
        .select(audit_events::details)
        .load(c))
    .unwrap();
    details.iter().map(|d| serde_json::from_str(d).unwrap()).collect()
}

#[actix_web::test]
async fn two_instances_serve_one_organisation_at_once() {
    let mut org = Org::new().await;
    let two = spawn_app_on(TestDatabase::same_as(&org.app.database), org.app.org.clone(), |_| {}).await;
    let one = &org.app;

    // A token either instance issued verifies on the other.
    json_with_status(two.get_as(&one.admin_token, "/api/v1/people").await, 200).await;
    json_with_status(one.get_as(&two.admin_token, "/api/v1/people").await, 200).await;

    // Raters answer through either instance; then a close on the first races the
    // submissions still arriving at the second.
    let cycle_id = org.collecting_cycle(8).await;
    let mut requests = org.peer_submissions(8).await;
    let racing = requests.split_off(4);
    for (n, request) in requests.into_iter().enumerate() {
        let instance = if n % 2 == 0 { &org.app } else { &two };
        assert_eq!(send_to(instance, request).await.status(), 200);
    }
    let submissions = futures_util::future::join_all(racing.into_iter().map(|r| send_to(&two, r)));
    let (submissions, closed) = tokio::join!(submissions, org.transition(&cycle_id, "closed"));
    assert_eq!(closed.status(), 200);
    let mut accepted = 4;
    for response in submissions {
        match response.status().as_u16() {
            200 => accepted += 1,
            409 => {}
            other => panic!("a submission racing the close on the other instance answered {other}"),
        }
    }
    // The close counted exactly the accepted submissions, from both instances.
    let closes: Vec<Value> =
        audited(&org.app.database, "cycle.state_changed").into_iter().filter(|d| d["to"] == "closed").collect();
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0]["answers"], accepted * 24);
    assert_eq!(org.stored_answers(), (0, 0));

    // Both instances serve the same report, and both reads are recorded.
    let path = format!("/api/v1/cycles/{cycle_id}/reports/{}", org.id("subject"));
    let from_one = json_with_status(org.app.get_as(&org.admin(), &path).await, 200).await;
    let from_two = json_with_status(two.get_as(&org.admin(), &path).await, 200).await;
    assert_eq!(from_one, from_two);
    assert_eq!(from_one["respondents"]["peer"], accepted, "{from_one}");
    assert_eq!(audited(&org.app.database, "report.read").len(), 2);
}
