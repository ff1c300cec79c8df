//! Competency frameworks: competencies with rating and free-text questions, in numbered
//! versions. A version is written once and never changed, so every cycle that uses it
//! shows its raters the same questions and its reports compare like with like.
//!
//! One file per operation: `create` (a framework with version 1), `version` (a further
//! version), `queries` (the reads), `check` (what version content must satisfy), and
//! `handlers`, which only translate HTTP to those calls.

mod check;
mod create;
mod default;
mod handlers;
mod queries;
mod version;

pub use create::insert_framework;
pub use default::create_default_framework;
pub use queries::{first_framework_id, latest_version_id, load_version, version_exists};

/// The framework routes.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::create_framework)
        .service(handlers::list_frameworks)
        .service(handlers::get_framework)
        .service(handlers::create_framework_version)
        .service(handlers::get_framework_version);
}

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::schema::{competencies, framework_versions, frameworks, questions};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = frameworks)]
pub struct Framework {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = framework_versions)]
pub struct FrameworkVersion {
    pub id: String,
    pub org_id: String,
    pub framework_id: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = competencies)]
pub struct Competency {
    pub id: String,
    pub org_id: String,
    pub version_id: String,
    pub key: String,
    pub name: String,
    pub description: String,
    pub position: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = questions)]
pub struct Question {
    pub id: String,
    pub org_id: String,
    pub version_id: String,
    pub competency_id: String,
    pub key: String,
    pub kind: String,
    pub prompt: String,
    pub required: bool,
    pub scale_min: Option<i32>,
    pub scale_max: Option<i32>,
    pub scale_labels: Option<String>,
    pub max_length: Option<i32>,
    pub position: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// A score on a labelled scale.
    Rating,
    /// A free-text comment.
    Text,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Rating => "rating",
            QuestionKind::Text => "text",
        }
    }
}

/// Most questions a version may have: a rater answers them all in one submission.
/// Answer checking (`responses::answers::MAX_ANSWERS`) takes its limit from here.
pub const MAX_QUESTIONS: usize = 500;
/// Longest free-text answer a question may allow.
pub const MAX_TEXT_ANSWER: i32 = 10_000;
/// Widest rating scale: 0–10 at most (eleven points).
const MAX_SCALE_POINTS: i32 = 11;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: i32,
    pub max: i32,
    /// One label per point from `min` to `max`, or none.
    #[serde(default)]
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// Stable key, unique in the version (`a-z`, `0-9`, `_`).
    #[validate(length(min = 1, max = 64))]
    pub key: String,
    pub kind: QuestionKind,
    #[validate(length(min = 1, max = 1000))]
    pub prompt: String,
    /// Default `true` for ratings, `false` for text.
    pub required: Option<bool>,
    /// For ratings; default 1–5.
    pub scale: Option<Scale>,
    /// For text: longest answer in characters (default 2,000, at most 10,000).
    pub max_length: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetencyInput {
    /// Stable key, unique in the version; reports compare cycles by it.
    #[validate(length(min = 1, max = 64))]
    pub key: String,
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub description: String,
    #[validate(length(min = 1, max = 50), nested)]
    pub questions: Vec<QuestionInput>,
}

/// The content of a framework version.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    #[validate(length(min = 1, max = 50), nested)]
    pub competencies: Vec<CompetencyInput>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Engineering leadership",
    "description": "For engineering managers and directors.",
    "competencies": [{
        "key": "technical_direction",
        "name": "Technical direction",
        "description": "Sets a sound technical course.",
        "questions": [
            {"key": "tech_dir_1", "kind": "rating", "prompt": "Makes sound architectural trade-offs.", "scale": {"min": 1, "max": 5, "labels": ["Never", "Rarely", "Sometimes", "Often", "Always"]}},
            {"key": "tech_dir_comment", "kind": "text", "prompt": "What should they do differently?", "required": false}
        ]
    }]
}))]
pub struct CreateFrameworkRequest {
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub description: String,
    /// The content of version 1.
    pub competencies: Vec<CompetencyInput>,
}

/// A framework and its versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkResponse {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    pub id: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl FrameworkResponse {
    /// `versions` in ascending order of their number.
    fn new(framework: Framework, versions: Vec<FrameworkVersion>) -> Self {
        Self {
            id: framework.id,
            name: framework.name,
            description: framework.description,
            created_at: framework.created_at.and_utc(),
            versions: versions
                .into_iter()
                .map(|v| VersionSummary { id: v.id, version: v.version, created_at: v.created_at.and_utc() })
                .collect(),
        }
    }
}

/// One question as raters and reports see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionResponse {
    pub id: String,
    pub key: String,
    pub kind: QuestionKind,
    pub prompt: String,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompetencyResponse {
    pub id: String,
    pub key: String,
    pub name: String,
    pub description: String,
    pub questions: Vec<QuestionResponse>,
}

/// A whole framework version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionResponse {
    pub id: String,
    pub framework_id: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub competencies: Vec<CompetencyResponse>,
}

impl VersionResponse {
    pub fn questions(&self) -> impl Iterator<Item = &QuestionResponse> {
        self.competencies.iter().flat_map(|c| c.questions.iter())
    }
}

impl From<&Question> for QuestionResponse {
    fn from(q: &Question) -> Self {
        let kind = if q.kind == "text" { QuestionKind::Text } else { QuestionKind::Rating };
        Self {
            id: q.id.clone(),
            key: q.key.clone(),
            kind,
            prompt: q.prompt.clone(),
            required: q.required,
            scale: match (q.scale_min, q.scale_max) {
                (Some(min), Some(max)) => Some(Scale {
                    min,
                    max,
                    labels: q.scale_labels.as_deref().and_then(|l| serde_json::from_str(l).ok()).unwrap_or_default(),
                }),
                _ => None,
            },
            max_length: q.max_length,
        }
    }
}

impl VersionResponse {
    /// A version from its rows, competencies and questions each in their stored order.
    fn from_rows(version: &FrameworkVersion, competency_rows: &[Competency], question_rows: &[Question]) -> Self {
        Self {
            id: version.id.clone(),
            framework_id: version.framework_id.clone(),
            version: version.version,
            created_at: version.created_at.and_utc(),
            competencies: competency_rows
                .iter()
                .map(|c| CompetencyResponse {
                    id: c.id.clone(),
                    key: c.key.clone(),
                    name: c.name.clone(),
                    description: c.description.clone(),
                    questions: question_rows
                        .iter()
                        .filter(|q| q.competency_id == c.id)
                        .map(QuestionResponse::from)
                        .collect(),
                })
                .collect(),
        }
    }
}
