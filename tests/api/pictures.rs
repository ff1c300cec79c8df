//! The pictures as a person sees them. Each SVG is rendered with resvg and a real font
//! (DejaVu Sans, Debian's fonts-dejavu-core), and every text box must lie inside the
//! picture with no two overlapping. The pictures tested are the demo organisation's and
//! those with names of 40 characters. With `WRITE_PICTURES=1` they are also written as
//! PNG to `docs/pictures/`, which the README shows.

use serde_json::{Value, json};

use crate::helpers::{Org, json_with_status, spawn_app};

const FONTS: [&str; 2] =
    ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"];

fn options() -> resvg::usvg::Options<'static> {
    let mut options = resvg::usvg::Options::default();
    for path in FONTS {
        let font =
            std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e} (the tests need Debian's fonts-dejavu-core)"));
        options.fontdb_mut().load_font_data(font);
    }
    options.font_family = "DejaVu Sans".into();
    options
}

/// Every text element's words and box, in the picture's coordinates.
fn text_boxes(group: &resvg::usvg::Group, out: &mut Vec<(String, resvg::usvg::Rect)>) {
    for node in group.children() {
        match node {
            resvg::usvg::Node::Group(inner) => text_boxes(inner, out),
            resvg::usvg::Node::Text(text) => {
                let words: Vec<&str> = text.chunks().iter().map(|c| c.text()).collect();
                out.push((words.join(" "), text.abs_bounding_box()));
            }
            _ => {}
        }
    }
}

/// Renders `svg` and checks its text; writes `docs/pictures/{name}.png` when asked.
fn check_layout(svg: &str, name: &str) {
    let tree = resvg::usvg::Tree::from_str(svg, &options()).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
    let (width, height) = (tree.size().width(), tree.size().height());
    let mut boxes = Vec::new();
    text_boxes(tree.root(), &mut boxes);
    assert!(boxes.len() > 3, "{name}: {boxes:?}");
    for (text, r) in &boxes {
        assert!(
            r.left() >= 0.0 && r.top() >= 0.0 && r.right() <= width && r.bottom() <= height,
            "{name}: `{text}` at {r:?} leaves the {width}×{height} picture"
        );
    }
    for (i, (a, ra)) in boxes.iter().enumerate() {
        for (b, rb) in &boxes[i + 1..] {
            let apart = ra.right() <= rb.left() + 0.5
                || rb.right() <= ra.left() + 0.5
                || ra.bottom() <= rb.top() + 0.5
                || rb.bottom() <= ra.top() + 0.5;
            assert!(apart, "{name}: `{a}` at {ra:?} overlaps `{b}` at {rb:?}");
        }
    }
    if std::env::var("WRITE_PICTURES").is_ok_and(|v| !v.is_empty()) {
        let mut pixmap = tiny_skia::Pixmap::new(width.ceil() as u32, height.ceil() as u32).unwrap();
        resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/pictures");
        std::fs::create_dir_all(&dir).unwrap();
        pixmap.save_png(dir.join(format!("{name}.png"))).unwrap();
    }
}

async fn svg_of(app: &crate::helpers::TestApp, token: &str, path: &str) -> String {
    let response = app.get_as(token, path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    response.text().await.unwrap()
}

#[actix_web::test]
async fn the_demo_radar_keeps_every_label_inside_and_apart() {
    let app = spawn_app().await;
    let demo = roundtable::demo::create_demo(&mut app.database.conn()).expect("demo");
    let token = app.client_token(&demo.org.client_id, &demo.org.client_secret).await;
    let (leader, id) = &demo.featured_leader;
    let radar = format!("/api/v1/cycles/{}/reports/{id}/radar.svg", demo.cycle_id);
    let svg = svg_of(&app, &token, &radar).await;
    assert!(svg.contains(&format!("<title id=\"radar-title\">Competency radar: {leader}")), "{svg}");
    let figures = svg.split("</desc>").next().unwrap();
    assert!(
        figures.match_indices("all others ").any(|(i, m)| figures[i + m.len()..].starts_with(char::is_numeric)),
        "the figures for screen readers: {figures}"
    );
    check_layout(&svg, "radar");
    let every =
        svg_of(&app, &token, &format!("{radar}?series=self,others,norm,manager,peer,direct_report,other")).await;
    check_layout(&every, "radar-groups");
    let unknown = app.get_as(&token, &format!("{radar}?series=self,everyone")).await;
    crate::helpers::assert_problem(unknown, 400, "invalid_query").await;

    let heatmap = svg_of(&app, &token, &format!("/api/v1/analytics/cycles/{}/heatmap.svg", demo.cycle_id)).await;
    assert!(heatmap.contains("<title id=\"heatmap-title\">Heatmap: "), "{heatmap}");
    assert!(heatmap.contains("leaders)"), "figures in the description");
    check_layout(&heatmap, "heatmap");

    // As the leader themself, who sees their own goals.
    let minted = app.post_as(&token, "/api/v1/auth/user-tokens", &json!({"person_id": id})).await;
    let leader_token = json_with_status(minted, 201).await["access_token"].as_str().unwrap().to_string();
    let growth = svg_of(&app, &leader_token, &format!("/api/v1/people/{id}/growth.svg")).await;
    assert!(growth.contains(&format!("<title id=\"growth-title\">Growth over cycles: {leader}")), "{growth}");
    assert!(growth.contains("goal &quot;Make this my strength"), "the demo's goals are on the time axis: {growth}");
    check_layout(&growth, "growth");
}

/// A name of exactly 40 characters.
fn forty(stem: &str, n: usize) -> String {
    let name = format!("{stem} {n:02} ");
    format!("{name}{}", "abcdefghij klmnopqrst uvwxyz abcdefghij".chars().take(40 - name.len()).collect::<String>())
}

#[actix_web::test]
async fn radars_of_long_names_keep_every_label_inside_and_apart() {
    let mut org = Org::new().await;
    let subject = forty("Alexandra Konstantinopoulou", 1);
    let path = format!("/api/v1/people/{}", org.id("subject"));
    let long = json!({"display_name": subject, "department": forty("Platform Engineering and Operations", 7)});
    json_with_status(org.app.patch_as(&org.admin(), &path, &long).await, 200).await;
    for count in [12, 5, 3] {
        // The first name needs escaping, and holds a character XML forbids.
        let name = |i: usize| {
            if i == 1 {
                "R&D <impact> \"now\"\u{c} across silos".to_string()
            } else {
                forty("Collaboration across silos", i)
            }
        };
        let competencies: Vec<Value> = (1..=count)
            .map(|i| {
                json!({"key": format!("c{i}"), "name": name(i),
                       "questions": [{"key": format!("q{i}"), "kind": "rating", "prompt": "How often?"}]})
            })
            .collect();
        let body = json!({"name": format!("Long names {count}"), "competencies": competencies});
        let framework = json_with_status(org.app.post_as(&org.admin(), "/api/v1/frameworks", &body).await, 201).await;
        let cycle = org
            .create_cycle(json!({"name": forty("Leadership 360, spring", count), "framework_id": framework["id"]}))
            .await;
        let cycle_id = cycle["id"].as_str().unwrap().to_string();
        org.add(&cycle_id, &["subject"]).await;
        org.move_to(&cycle_id, "nominating").await;
        for peer in ["peer1", "peer2", "peer3"] {
            org.nominate(&cycle_id, "subject", peer, "peer").await;
        }
        org.nominate(&cycle_id, "subject", "report1", "direct_report").await;
        org.move_to(&cycle_id, "collecting").await;
        for (i, rater) in ["subject", "manager", "peer1", "peer2", "peer3", "report1"].into_iter().enumerate() {
            let token = org.token(rater).await;
            let mine = json_with_status(org.app.get_as(&token, "/api/v1/me/invitations").await, 200).await;
            let invitation = mine
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["cycle_id"] == cycle_id.as_str())
                .unwrap_or_else(|| panic!("{rater} has no invitation"))["id"]
                .as_str()
                .unwrap()
                .to_string();
            let answers = org.full_answers(rater, &invitation, 2 + (i as i64 % 3), "").await;
            json_with_status(org.submit(rater, &invitation, answers).await, 200).await;
        }
        org.move_to(&cycle_id, "closed").await;
        let radar = format!("/api/v1/cycles/{cycle_id}/reports/{}/radar.svg", org.id("subject"));
        let every = format!("{radar}?series=self,others,norm,manager,peer,direct_report,other");
        let svg = svg_of(&org.app, &org.admin(), &every).await;
        // One report answered: below the threshold of 3, that group is a gap, not zero:
        // its series draws nothing. Nobody of "other" answered: no answers, also nothing.
        assert!(svg.contains("direct reports withheld (too few answers)"), "{svg}");
        assert!(svg.contains("others no answers"), "{svg}");
        assert!(svg.contains("withheld (too few answers to keep raters anonymous), not zero"));
        for colour in ["#E69F00", "#56B4E9"] {
            assert!(
                svg.contains(&format!(r##"<g stroke="{colour}" fill="{colour}"></g>"##)),
                "{colour} draws nothing: {svg}"
            );
        }
        assert!(svg.contains(r##"<g stroke="#D55E00" fill="#D55E00"><polygon"##), "self is shown whole");
        assert!(svg.contains("R&amp;D &lt;impact&gt; &quot;now&quot;"), "names are escaped");
        check_layout(&svg, &format!("radar-long-names-{count}"));
        let heatmap = format!("/api/v1/analytics/cycles/{cycle_id}/heatmap.svg");
        let svg = svg_of(&org.app, &org.admin(), &heatmap).await;
        // One leader: below the organisation's minimum, every cell is withheld.
        assert!(svg.contains(">withheld</text>") && !svg.contains(">no answers</text>"), "{svg}");
        check_layout(&svg, &format!("heatmap-long-names-{count}"));
    }
    // Three cycles of 12, 5 and 3 competencies of 40-character names.
    let growth = svg_of(&org.app, &org.admin(), &format!("/api/v1/people/{}/growth.svg", org.id("subject"))).await;
    check_layout(&growth, "growth-long-names");
    // A leader in no closed cycle: an empty picture that says so.
    let none = svg_of(&org.app, &org.admin(), &format!("/api/v1/people/{}/growth.svg", org.id("peer8"))).await;
    assert!(none.contains("No cycle with figures to show yet."), "{none}");
    check_layout(&none, "growth-empty");
}
