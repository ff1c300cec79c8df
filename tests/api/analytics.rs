//! Analytics: organisation-wide aggregates of a closed cycle, with a department too small
//! to show left out of every figure, so that no total, no other cell and no other view
//! gives it away; exports that match the JSON cell for cell; analysts kept to aggregates.

use std::collections::HashMap;

use diesel::prelude::*;
use roundtable::db::schema::people;
use roundtable::seed::{SeedOptions, Seeded, seed};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDatabase, assert_problem, json_with_status, spawn_app_on};

/// Departments by size; `Legal` has 4 leaders, under the default minimum of 5.
const LAYOUT: [(&str, usize); 4] = [("Engineering", 16), ("Sales", 12), ("Finance", 8), ("Legal", 4)];
const HOSTILE: &str = "=HYPERLINK(\"http://evil.example/\",\"click\")";

struct Closed {
    app: TestApp,
    seeded: Seeded,
}

/// A closed cycle of 40 leaders, 8 raters each, in the departments of [`LAYOUT`], the
/// Finance department named `finance` (a hostile name, for the CSV export).
async fn closed_cycle(finance: &str) -> Closed {
    let database = TestDatabase::fresh();
    let options =
        SeedOptions { leaders: 40, raters: 8, questions: 10, answered: true, random_seed: 11, answers_csv: None };
    let seeded = seed(&mut database.conn(), &options).expect("seed");
    let mut conn = database.conn();
    let mut next = 0;
    for (name, size) in LAYOUT {
        let name = if name == "Finance" { finance } else { name };
        let ids = &seeded.leader_ids[next..next + size];
        roundtable::db_run!(&mut conn, |c| diesel::update(people::table.filter(people::id.eq_any(ids)))
            .set(people::department.eq(name))
            .execute(c))
        .expect("departments");
        next += size;
    }
    let app = spawn_app_on(database, seeded.org.clone(), |_| {}).await;
    let path = format!("/api/v1/cycles/{}/transitions", seeded.cycle_id);
    json_with_status(app.post_as(&app.admin_token, &path, &json!({"to": "closed"})).await, 200).await;
    Closed { app, seeded }
}

impl Closed {
    async fn view(&self, token: &str, view: &str) -> Value {
        let path = format!("/api/v1/analytics/cycles/{}/{view}", self.seeded.cycle_id);
        json_with_status(self.app.get_as(token, &path).await, 200).await
    }

    async fn download(&self, view: &str, accept: &str) -> (reqwest::header::HeaderMap, String) {
        let path = format!("/api/v1/analytics/cycles/{}/{view}", self.seeded.cycle_id);
        let response = self
            .app
            .client
            .get(self.app.url(&path))
            .bearer_auth(&self.app.admin_token)
            .header("accept", accept)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        (response.headers().clone(), response.text().await.expect("body"))
    }
}

fn cells(view: &Value) -> &Vec<Value> {
    view["cells"].as_array().expect("cells")
}

/// A CSV export's rows, each as its header's names to its fields.
fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_string)).collect()).collect()
}

fn shown(cell: &Value) -> Option<&Value> {
    (cell["figures"]["suppressed"] != true).then_some(&cell["figures"])
}

/// Per column (everything but level and department): the organisation's figures, and
/// the shown departments' responses and score sums added up.
fn columns(view: &Value) -> HashMap<String, (Value, i64, f64, Vec<String>)> {
    let mut columns: HashMap<String, (Value, i64, f64, Vec<String>)> = HashMap::new();
    for cell in cells(view) {
        let key = format!("{}/{}/{}", cell["competency_key"], cell["relationship"], cell["question_id"]);
        let column = columns.entry(key).or_insert((Value::Null, 0, 0.0, Vec::new()));
        match (cell["level"].as_str(), shown(cell)) {
            (Some("organisation"), _) => column.0 = cell["figures"].clone(),
            (_, Some(f)) => {
                let n = f["responses"].as_i64().unwrap();
                column.1 += n;
                column.2 += f["mean"].as_f64().unwrap() * n as f64;
                column.3.push(cell["department"].as_str().unwrap_or_default().to_string());
            }
            _ => {}
        }
    }
    columns
}

/// Every organisation figure is exactly the sum of the shown departments' figures, so
/// subtracting them from it leaves nothing of a department that is not shown.
fn assert_totals_are_the_shown_cells(view: &Value) {
    for (key, (organisation, responses, score_sum, _)) in columns(view) {
        let n = organisation["responses"].as_i64().unwrap_or(0);
        assert_eq!(n, responses, "{key}: the organisation's responses are the shown departments'");
        if n > 0 {
            let sum = organisation["mean"].as_f64().unwrap() * n as f64;
            assert!((sum - score_sum).abs() <= 0.0005 * n as f64 * 2.0, "{key}: {sum} vs {score_sum}");
        }
    }
}

#[actix_web::test]
async fn a_department_of_four_is_left_out_of_every_view_and_comes_back_when_the_minimum_allows() {
    let closed = closed_cycle("Finance").await;
    let admin = closed.app.admin_token.clone();

    let mut by_department_responses = HashMap::new();
    for by in ["department", "relationship", "question"] {
        let view = closed.view(&admin, &format!("heatmap?by={by}")).await;
        assert_eq!(view["min_cell"], 5);
        let legal: Vec<&Value> = cells(&view).iter().filter(|c| c["department"] == "Legal").collect();
        assert!(!legal.is_empty(), "{by}: Legal has cells");
        for cell in &legal {
            assert_eq!(cell["figures"]["suppressed"], true, "{by}: {cell}");
        }
        let few = json!({"suppressed": true, "reason": "fewer than 5 leaders"});
        assert!(legal.iter().any(|c| c["figures"] == few), "{by}: Legal answered, and is withheld for it");
        for (key, (_, _, _, departments)) in columns(&view) {
            assert!(!departments.contains(&"Legal".to_string()), "{by} {key}");
        }
        for cell in cells(&view).iter().filter_map(shown) {
            assert!(cell["leaders"].as_i64().unwrap() >= 5, "{by}: {cell}");
        }
        assert_totals_are_the_shown_cells(&view);
        // Across views: a department's cells of one split add up to its cell of another,
        // so nothing is left over between the department view and the others either.
        let mut per_department: HashMap<(String, String), i64> = HashMap::new();
        for cell in cells(&view) {
            if let Some(f) = shown(cell) {
                let key = (cell["department"].to_string(), cell["competency_key"].to_string());
                *per_department.entry(key).or_default() += f["responses"].as_i64().unwrap();
            }
        }
        if by == "department" {
            by_department_responses = per_department;
        } else {
            assert_eq!(per_department, by_department_responses, "{by}: the same answers as the department view");
        }
    }

    let participation = closed.view(&admin, "participation").await;
    for cell in cells(&participation).iter().filter(|c| c["department"] == "Legal") {
        assert_eq!(cell["figures"]["suppressed"], true, "{cell}");
    }
    let invited = |level: &str| -> i64 {
        cells(&participation)
            .iter()
            .filter(|c| c["level"] == level && c["relationship"].is_null())
            .filter_map(shown)
            .map(|f| f["invited"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(invited("organisation"), invited("department"));
    assert_eq!(invited("organisation"), 36 * 9, "36 leaders shown, each with 8 raters and themself");

    // With a minimum of 3, Legal is shown, and the organisation's figures grow by exactly
    // its cells: it was in none of them before.
    let before = closed.view(&admin, "heatmap").await;
    let settings = json!({"min_cell": 3});
    json_with_status(
        closed
            .app
            .client
            .put(closed.app.url("/api/v1/analytics/settings"))
            .bearer_auth(&admin)
            .json(&settings)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let after = closed.view(&admin, "heatmap").await;
    assert_totals_are_the_shown_cells(&after);
    let (before, after) = (columns(&before), columns(&after));
    for (key, (organisation, ..)) in &after {
        let legal = after[key].3.contains(&"Legal".to_string());
        assert!(legal, "{key}: Legal is shown at a minimum of 3");
        assert!(organisation["responses"].as_i64() > before[key].0["responses"].as_i64(), "{key}");
    }
}

#[actix_web::test]
async fn exports_match_the_json_cell_for_cell_and_neutralise_formulas() {
    let closed = closed_cycle(HOSTILE).await;
    let json_view = closed.view(&closed.app.admin_token, "heatmap?by=question").await;

    let (headers, csv_text) = closed.download("heatmap?by=question", "text/csv").await;
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"heatmap-"));
    let rows = csv_rows(&csv_text);
    assert_eq!(rows.len(), cells(&json_view).len());
    for (row, cell) in rows.iter().zip(cells(&json_view)) {
        let department = cell["department"].as_str().unwrap_or_default();
        if department == HOSTILE {
            assert_eq!(row["department"], format!("'{HOSTILE}"), "a formula is neutralised");
        } else {
            assert_eq!(row["department"], department);
        }
        assert_eq!(row["question_id"], cell["question_id"].as_str().unwrap_or_default());
        match shown(cell) {
            Some(f) => {
                assert_eq!(row["suppressed"], "false");
                for field in ["mean", "spread", "leaders", "responses"] {
                    assert_eq!(row[field].parse::<f64>().unwrap(), f[field].as_f64().unwrap(), "{field}");
                }
            }
            None => {
                assert_eq!(row["suppressed"], "true");
                assert_eq!(row["reason"], cell["figures"]["reason"].as_str().unwrap());
                assert_eq!(row["mean"], "");
            }
        }
    }
    assert!(csv_text.contains(&format!("\"'{}\"", HOSTILE.replace('"', "\"\""))), "quoted per RFC 4180");

    let (headers, ndjson) = closed.download("heatmap?by=question", "application/x-ndjson").await;
    assert_eq!(headers["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(&lines, cells(&json_view));

    let participation = closed.view(&closed.app.admin_token, "participation").await;
    let (_, ndjson) = closed.download("participation", "application/x-ndjson").await;
    let lines: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(&lines, cells(&participation));
}

#[actix_web::test]
async fn blind_spots_pool_every_range_over_the_minimum() {
    let closed = closed_cycle("Finance").await;
    let view = closed.view(&closed.app.admin_token, "blind-spots").await;
    let rows = view["competencies"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let f = &row["figures"];
        assert_eq!(f["leaders"], 40, "every leader has a self-assessment and others' ratings: {row}");
        let ranges = f["distribution"].as_array().unwrap();
        assert_eq!(ranges.iter().map(|r| r["leaders"].as_i64().unwrap()).sum::<i64>(), 40);
        assert!(ranges[0]["from"].is_null() && ranges[ranges.len() - 1]["to"].is_null(), "open ends: {row}");
        for (i, range) in ranges.iter().enumerate() {
            assert!(range["leaders"].as_i64().unwrap() >= 5, "{range}");
            if i > 0 {
                assert_eq!(range["from"], ranges[i - 1]["to"], "ranges meet: {row}");
            }
        }
    }

    let (_, csv_text) = closed.download("blind-spots", "text/csv").await;
    let csv_rows = csv_rows(&csv_text);
    assert_eq!(csv_rows.len(), rows.len());
    for (csv_row, row) in csv_rows.iter().zip(rows) {
        let f = &row["figures"];
        assert_eq!(csv_row["competency_key"], row["competency_key"].as_str().unwrap());
        assert_eq!(csv_row["mean_gap"].parse::<f64>().unwrap(), f["mean_gap"].as_f64().unwrap());
        assert_eq!(csv_row["leaders"], f["leaders"].to_string());
        let end = |v: &str| (!v.is_empty()).then(|| v.parse::<f64>().unwrap());
        let parsed: Vec<(Option<f64>, Option<f64>, i64)> = csv_row["distribution"]
            .split(';')
            .map(|range| {
                let (bounds, leaders) = range.split_once(':').unwrap();
                let (from, to) = bounds.split_once("..").unwrap();
                (end(from), end(to), leaders.parse().unwrap())
            })
            .collect();
        let expected: Vec<(Option<f64>, Option<f64>, i64)> = f["distribution"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["from"].as_f64(), r["to"].as_f64(), r["leaders"].as_i64().unwrap()))
            .collect();
        assert_eq!(parsed, expected, "the CSV's distribution is the JSON's");
    }
}

#[actix_web::test]
async fn analysts_read_aggregates_and_nothing_about_a_person() {
    let closed = closed_cycle("Finance").await;
    let app = &closed.app;
    let (_, analyst) = app.user_with_role("analyst").await;
    let (_, member) = app.user_with_role("member").await;
    let subject = &closed.seeded.leader_ids[0];
    let cycle = &closed.seeded.cycle_id;

    closed.view(&analyst, "heatmap").await;
    closed.view(&analyst, "participation").await;
    json_with_status(app.get_as(&analyst, "/api/v1/analytics/settings").await, 200).await;
    for path in [
        format!("/api/v1/cycles/{cycle}/reports/{subject}"),
        format!("/api/v1/cycles/{cycle}/reports/{subject}/radar.svg"),
        format!("/api/v1/people/{subject}/growth"),
        format!("/api/v1/people/{subject}/goals"),
        "/api/v1/coaching/relationships".to_string(),
        "/api/v1/me/reports".to_string(),
        "/api/v1/me/coaching".to_string(),
    ] {
        assert_problem(app.get_as(&analyst, &path).await, 403, "forbidden").await;
    }
    let suggestions = format!("/api/v1/cycles/{cycle}/coaching/suggestions");
    assert_problem(app.post_as(&analyst, &suggestions, &json!({})).await, 403, "forbidden").await;
    let settings = json!({"min_cell": 3});
    let put = app.client.put(app.url("/api/v1/analytics/settings")).bearer_auth(&analyst).json(&settings);
    assert_problem(put.send().await.unwrap(), 403, "forbidden").await;

    let heatmap = format!("/api/v1/analytics/cycles/{cycle}/heatmap");
    assert_problem(app.get_as(&member, &heatmap).await, 403, "forbidden").await;
    // A client that may read analytics, and not reports, is kept to aggregates as well.
    let body = json!({"name": "BI tool", "scopes": ["analytics:read", "people:read"]});
    let created = json_with_status(app.post_as(&app.admin_token, "/api/v1/clients", &body).await, 201).await;
    let bi = app.client_token(created["client_id"].as_str().unwrap(), created["client_secret"].as_str().unwrap()).await;
    json_with_status(app.get_as(&bi, &heatmap).await, 200).await;
    let report = format!("/api/v1/cycles/{cycle}/reports/{subject}");
    assert_problem(app.get_as(&bi, &report).await, 403, "forbidden").await;
    assert_problem(app.get_as(&bi, &format!("/api/v1/people/{subject}/growth")).await, 403, "forbidden").await;
    let (_, other_admin) = app.other_org("Elsewhere").await;
    assert_problem(app.get_as(&other_admin, &heatmap).await, 404, "not_found").await;
    let low = json!({"min_cell": 2});
    let put = app.client.put(app.url("/api/v1/analytics/settings")).bearer_auth(&app.admin_token).json(&low);
    let problem = assert_problem(put.send().await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "min_cell");
}

#[actix_web::test]
async fn a_cycle_still_collecting_has_no_analytics_yet() {
    let database = TestDatabase::fresh();
    let options =
        SeedOptions { leaders: 6, raters: 3, questions: 5, answered: false, random_seed: 3, answers_csv: None };
    let seeded = seed(&mut database.conn(), &options).expect("seed");
    let app = spawn_app_on(database, seeded.org.clone(), |_| {}).await;
    let path = format!("/api/v1/analytics/cycles/{}/heatmap", seeded.cycle_id);
    assert_problem(app.get_as(&app.admin_token, &path).await, 409, "cycle_not_closed").await;
}

#[actix_web::test]
async fn the_demo_shows_trends_coaching_impact_and_the_silo_view() {
    let app = crate::helpers::spawn_app().await;
    let demo = roundtable::demo::create_demo(&mut app.database.conn()).expect("demo");
    let admin = app.client_token(&demo.org.client_id, &demo.org.client_secret).await;
    let get = |path: String| {
        let (app, admin) = (&app, &admin);
        async move { json_with_status(app.get_as(admin, &path).await, 200).await }
    };

    let trends = get("/api/v1/analytics/trends".into()).await;
    let competencies = trends["competencies"].as_array().unwrap();
    assert_eq!(competencies.len(), 8, "the default framework's competencies");
    for competency in competencies {
        let points = competency["points"].as_array().unwrap();
        assert_eq!(points.len(), 2, "spring, then autumn: {competency}");
        assert_eq!(points[0]["cycle_id"], demo.first_cycle_id.as_str());
        assert!(points[0]["change"].is_null());
        let (before, after) =
            (points[0]["figures"]["mean"].as_f64().unwrap(), points[1]["figures"]["mean"].as_f64().unwrap());
        assert_eq!(points[1]["change"]["delta"].as_f64().unwrap(), ((after - before) * 1000.0).round() / 1000.0);
    }
    let department = get("/api/v1/analytics/trends?department=Sales".into()).await;
    assert_eq!(department["department"], "Sales");
    assert_eq!(department["competencies"][0]["points"][1]["figures"]["leaders"], 4);

    let impact = get(format!(
        "/api/v1/analytics/coaching-impact?from_cycle_id={}&to_cycle_id={}",
        demo.first_cycle_id, demo.cycle_id
    ))
    .await;
    let rows = impact["competencies"].as_array().unwrap();
    let pooled = &rows[0];
    assert!(pooled["competency_key"].is_null());
    // The demo lifts coached leaders on their focus, and its interval says so.
    assert!(pooled["difference"]["low"].as_f64().unwrap() > 0.0, "{pooled}");
    for row in rows {
        for group in ["coached", "not_coached"] {
            if let Some(leaders) = row[group]["leaders"].as_i64() {
                assert!(leaders >= 3, "{row}");
            }
        }
        let d = &row["difference"];
        if d["suppressed"] != true {
            assert!(d["low"].as_f64() <= d["estimate"].as_f64() && d["estimate"].as_f64() <= d["high"].as_f64());
        }
    }

    let silos = get(format!("/api/v1/analytics/silos?cycle_id={}", demo.first_cycle_id)).await;
    let cells = silos["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 9 * 10 / 2, "every pair of the nine departments, a department with itself included");
    let shown: Vec<&Value> = cells.iter().filter(|c| c["figures"]["suppressed"] != true).collect();
    assert!(!shown.is_empty());
    for cell in &shown {
        assert!(cell["figures"]["leaders"].as_i64().unwrap() >= 3, "{cell}");
    }
    let links: i64 = shown.iter().map(|c| c["figures"]["links"].as_i64().unwrap()).sum();
    assert_eq!(silos["links"], links);
    let share = silos["crossing_share"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share));

    let (_, analyst) = app.user_with_role("analyst").await;
    json_with_status(app.get_as(&analyst, "/api/v1/analytics/trends").await, 200).await;
    let open =
        format!("/api/v1/analytics/coaching-impact?from_cycle_id={}&to_cycle_id={}", demo.cycle_id, demo.cycle_id);
    assert_problem(app.get_as(&admin, &open).await, 422, "validation_failed").await;
}
