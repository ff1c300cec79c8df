//! The organisation's resource library for coaches, tagged by competency, with the
//! starter set (`starter.rs`) every organisation begins with, and the recommendations a
//! leader gets for their own development areas.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::MAX_FOCUS;
use super::create::check_competencies;
use super::matching::{Leader, Need, Standing};
use super::starter::STARTERS;
use super::suggest::{blind_spot, ordered_competencies};
use crate::auth::access::Permission;
use crate::auth::principal::{Actor, Principal};
use crate::db::schema::{
    coaching_members, coaching_relationships, coaching_resources, competency_summaries, cycles, organizations,
    report_releases,
};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError, validate};
use crate::frameworks::load_version;
use crate::nullable::nullable;
use crate::pagination::{Page, Window};

/// Longest resource text accepted, in characters.
pub const MAX_BODY: u64 = 20_000;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum ResourceFormat {
    Guide,
    Template,
    Exercise,
    Article,
    Video,
}

impl ResourceFormat {
    pub const ALL: [Self; 5] = [Self::Guide, Self::Template, Self::Exercise, Self::Article, Self::Video];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guide => "guide",
            Self::Template => "template",
            Self::Exercise => "exercise",
            Self::Article => "article",
            Self::Video => "video",
        }
    }
}

crate::stored_as_text!(ResourceFormat, "resource format");

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Decision journals",
    "format": "article",
    "url": "https://intranet.example.com/leadership/decision-journals",
    "competency_keys": ["decision_making"]
}))]
pub struct CreateResourceRequest {
    #[validate(length(min = 1, max = 200), custom(function = "crate::error::no_nul"))]
    pub title: String,
    pub format: ResourceFormat,
    /// A link, a text, or both.
    #[validate(url, length(max = 2000))]
    pub url: Option<String>,
    #[validate(length(min = 1, max = MAX_BODY), custom(function = "crate::error::no_nul"))]
    pub body: Option<String>,
    #[validate(length(max = MAX_FOCUS))]
    #[serde(default)]
    pub competency_keys: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"competency_keys": ["decision_making", "execution"]}))]
pub struct UpdateResourceRequest {
    #[validate(length(min = 1, max = 200), custom(function = "crate::error::no_nul"))]
    pub title: Option<String>,
    pub format: Option<ResourceFormat>,
    /// `null` removes the link.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(url, length(max = 2000))]
    #[schema(value_type = Option<String>)]
    pub url: Option<Option<String>>,
    /// `null` removes the text.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = MAX_BODY), custom(function = "crate::error::no_nul"))]
    #[schema(value_type = Option<String>)]
    pub body: Option<Option<String>>,
    #[validate(length(max = MAX_FOCUS))]
    pub competency_keys: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListResourcesQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only resources tagged with this competency key.
    pub competency: Option<String>,
    pub format: Option<ResourceFormat>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResourceResponse {
    pub id: String,
    pub title: String,
    pub format: ResourceFormat,
    pub url: Option<String>,
    pub body: Option<String>,
    pub competency_keys: Vec<String>,
    /// Part of the starter set for new coaches.
    pub starter: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coaching_resources)]
struct ResourceRow {
    id: String,
    title: String,
    format: ResourceFormat,
    url: Option<String>,
    body: Option<String>,
    competency_keys: String,
    starter: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<ResourceRow> for ResourceResponse {
    fn from(r: ResourceRow) -> Self {
        Self {
            competency_keys: serde_json::from_str(&r.competency_keys).unwrap_or_default(),
            id: r.id,
            title: r.title,
            format: r.format,
            url: r.url,
            body: r.body,
            starter: r.starter.is_some(),
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

/// A new organisation's library: the starter set, whole.
pub fn create_starter_set(conn: &mut DbConn, org_id: &str) -> Result<(), AppError> {
    let at = now();
    for starter in STARTERS {
        let keys = serde_json::to_string(starter.competencies).map_err(AppError::internal)?;
        db_run!(conn, |c| diesel::insert_into(coaching_resources::table)
            .values((
                coaching_resources::id.eq(new_id()),
                coaching_resources::org_id.eq(org_id),
                coaching_resources::title.eq(starter.title),
                coaching_resources::format.eq(starter.format),
                coaching_resources::body.eq(Some(starter.body)),
                coaching_resources::competency_keys.eq(keys),
                coaching_resources::starter.eq(Some(starter.key)),
                coaching_resources::created_at.eq(at),
                coaching_resources::updated_at.eq(at),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// At start, one query: organisations made before the starter set existed, which hold no
/// starter resource at all, get it. One whose HR deleted a starter resource keeps it deleted.
pub fn backfill_starter_sets(conn: &mut DbConn) -> Result<(), AppError> {
    let with_starters =
        coaching_resources::table.filter(coaching_resources::starter.is_not_null()).select(coaching_resources::org_id);
    let without: Vec<String> = db_run!(conn, |c| organizations::table
        .filter(organizations::id.ne_all(with_starters))
        .select(organizations::id)
        .load(c))?;
    for org_id in without {
        conn.transaction(|conn| create_starter_set(conn, &org_id))?;
    }
    Ok(())
}

/// Anyone signed in reads the library; a client needs a coaching scope.
fn require_reader(principal: &Principal) -> Result<(), AppError> {
    match principal.actor {
        Actor::User { .. } => Ok(()),
        Actor::Client { .. } => principal.require(Permission::ReadCoaching),
    }
}

fn find(conn: &mut DbConn, org_id: &str, id: &str) -> Result<ResourceRow, AppError> {
    Ok(db_run!(conn, |c| coaching_resources::table
        .filter(coaching_resources::org_id.eq(org_id))
        .filter(coaching_resources::id.eq(id))
        .select(ResourceRow::as_select())
        .first(c))?)
}

fn needs_words(url: &Option<String>, body: &Option<String>) -> Result<(), AppError> {
    if url.is_none() && body.is_none() {
        return Err(AppError::Validation(vec![FieldError::new(
            "url",
            "required",
            "a resource has a link, a text or both",
        )]));
    }
    Ok(())
}

/// HR adds a resource.
pub fn create_resource(
    conn: &mut DbConn,
    principal: &Principal,
    input: CreateResourceRequest,
) -> Result<ResourceResponse, AppError> {
    principal.require(Permission::ManageCoaching)?;
    validate(&input)?;
    needs_words(&input.url, &input.body)?;
    conn.transaction(|conn| {
        check_competencies(conn, &principal.org_id, &input.competency_keys, |i| format!("competency_keys[{i}]"))?;
        let (id, at) = (new_id(), now());
        let keys = serde_json::to_string(&input.competency_keys).map_err(AppError::internal)?;
        db_run!(conn, |c| diesel::insert_into(coaching_resources::table)
            .values((
                coaching_resources::id.eq(&id),
                coaching_resources::org_id.eq(&principal.org_id),
                coaching_resources::title.eq(&input.title),
                coaching_resources::format.eq(input.format),
                coaching_resources::url.eq(&input.url),
                coaching_resources::body.eq(&input.body),
                coaching_resources::competency_keys.eq(keys),
                coaching_resources::created_at.eq(at),
                coaching_resources::updated_at.eq(at),
            ))
            .execute(c))?;
        Ok(find(conn, &principal.org_id, &id)?.into())
    })
}

/// HR changes a resource (starter ones included).
pub fn update_resource(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    input: UpdateResourceRequest,
) -> Result<ResourceResponse, AppError> {
    principal.require(Permission::ManageCoaching)?;
    validate(&input)?;
    conn.transaction(|conn| {
        let row = find(conn, &principal.org_id, id)?;
        let url = input.url.unwrap_or(row.url);
        let body = input.body.unwrap_or(row.body);
        needs_words(&url, &body)?;
        let keys = match input.competency_keys {
            Some(keys) => {
                check_competencies(conn, &principal.org_id, &keys, |i| format!("competency_keys[{i}]"))?;
                serde_json::to_string(&keys).map_err(AppError::internal)?
            }
            None => row.competency_keys,
        };
        db_run!(conn, |c| diesel::update(coaching_resources::table.filter(coaching_resources::id.eq(id)))
            .set((
                coaching_resources::title.eq(input.title.unwrap_or(row.title)),
                coaching_resources::format.eq(input.format.unwrap_or(row.format)),
                coaching_resources::url.eq(&url),
                coaching_resources::body.eq(&body),
                coaching_resources::competency_keys.eq(keys),
                coaching_resources::updated_at.eq(now()),
            ))
            .execute(c))?;
        Ok(find(conn, &principal.org_id, id)?.into())
    })
}

/// HR removes a resource.
pub fn delete_resource(conn: &mut DbConn, principal: &Principal, id: &str) -> Result<(), AppError> {
    principal.require(Permission::ManageCoaching)?;
    conn.transaction(|conn| {
        find(conn, &principal.org_id, id)?;
        db_run!(conn, |c| diesel::delete(coaching_resources::table.filter(coaching_resources::id.eq(id))).execute(c))?;
        Ok(())
    })
}

/// One page of the library, oldest first, with filters.
pub fn list_resources(
    conn: &mut DbConn,
    principal: &Principal,
    query: ListResourcesQuery,
) -> Result<Page<ResourceResponse>, AppError> {
    require_reader(principal)?;
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let mut rows: Vec<ResourceRow> = db_run!(conn, |c| {
        let mut q = coaching_resources::table
            .filter(coaching_resources::org_id.eq(&principal.org_id))
            .select(ResourceRow::as_select())
            .order(coaching_resources::id.asc())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(coaching_resources::id.gt(after));
        }
        if let Some(format) = query.format {
            q = q.filter(coaching_resources::format.eq(format));
        }
        q.load(c)
    })?;
    // Tags are a JSON array of keys; a library is small, so the tag filter runs here.
    if let Some(key) = &query.competency {
        rows.retain(|r| serde_json::from_str::<Vec<String>>(&r.competency_keys).is_ok_and(|keys| keys.contains(key)));
    }
    rows.truncate(window.fetch() as usize);
    Ok(window.page(rows, |r| &r.id, ResourceResponse::from))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recommendation {
    pub resource: ResourceResponse,
    /// Why, in words.
    pub because: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recommendations {
    /// The released report the development areas come from; absent when there is none.
    pub cycle_id: Option<String>,
    pub items: Vec<Recommendation>,
}

/// Resources for the caller's development areas in their latest released report, blind
/// spots first, then the starter guides for coaching others.
pub fn my_recommendations(conn: &mut DbConn, principal: &Principal) -> Result<Recommendations, AppError> {
    let me = principal.require_person()?.to_string();
    let org_id = principal.org_id.as_str();
    let latest: Option<(String, String, String)> = db_run!(conn, |c| report_releases::table
        .inner_join(cycles::table)
        .filter(cycles::org_id.eq(org_id))
        .filter(report_releases::subject_id.eq(&me))
        .order(report_releases::released_at.desc())
        .select((cycles::id, cycles::name, cycles::framework_version_id))
        .first(c)
        .optional())?;
    let mut needs: Vec<(String, String, Need)> = Vec::new();
    if let Some((cycle_id, _, version_id)) = &latest {
        let version = load_version(conn, org_id, version_id)?;
        let ordered = ordered_competencies(&version);
        let rows: Vec<(String, f64, Option<f64>)> = db_run!(conn, |c| competency_summaries::table
            .filter(competency_summaries::cycle_id.eq(cycle_id))
            .filter(competency_summaries::subject_id.eq(&me))
            .select((competency_summaries::competency_key, competency_summaries::mean, competency_summaries::self_gap))
            .load(c))?;
        let standings = rows
            .iter()
            .filter_map(|(key, mean, gap)| {
                let c = ordered.iter().position(|o| &o.key == key)?;
                Some(Standing {
                    competency: c,
                    others_mean: *mean,
                    percentile: None,
                    blind_spot: blind_spot(ordered[c], *gap),
                })
            })
            .collect();
        needs = Leader::from_results(None, None, standings, 100)
            .needs
            .into_iter()
            .map(|(c, need)| (ordered[c].key.clone(), ordered[c].name.to_lowercase(), need))
            .collect();
    }
    let library: Vec<ResourceRow> = db_run!(conn, |c| coaching_resources::table
        .filter(coaching_resources::org_id.eq(org_id))
        .order(coaching_resources::id.asc())
        .select(ResourceRow::as_select())
        .load(c))?;
    let cycle_name = latest.as_ref().map(|(_, name, _)| name.clone()).unwrap_or_default();
    let mut items = Vec::new();
    let mut taken = HashSet::new();
    for (key, name, need) in &needs {
        let tagged =
            |r: &&ResourceRow| serde_json::from_str::<Vec<String>>(&r.competency_keys).is_ok_and(|k| k.contains(key));
        for row in library.iter().filter(tagged) {
            if taken.insert(row.id.clone()) {
                let because = match need {
                    Need::BlindSpot => format!("For {name}: a blind spot in your {cycle_name} report."),
                    Need::DevelopmentArea => {
                        format!("For {name}: one of your development areas in your {cycle_name} report.")
                    }
                };
                items.push(Recommendation { resource: row.clone().into(), because });
            }
        }
    }
    let coaching: i64 = db_run!(conn, |c| coaching_members::table
        .inner_join(coaching_relationships::table)
        .filter(coaching_members::person_id.eq(&me))
        .filter(
            coaching_relationships::status
                .eq_any([super::RelationshipStatus::Proposed, super::RelationshipStatus::Active])
        )
        .count()
        .get_result(c))?;
    let because = if coaching > 0 {
        "For coaching: you are in a coaching relationship."
    } else {
        "For coaching a peer, when you start."
    };
    for row in library.iter().filter(|r| r.starter.is_some() && r.competency_keys == "[]") {
        if taken.insert(row.id.clone()) {
            items.push(Recommendation { resource: row.clone().into(), because: because.into() });
        }
    }
    Ok(Recommendations { cycle_id: latest.map(|(id, _, _)| id), items })
}
