//! Competency frameworks: competencies with rating and free-text questions, in numbered
//! versions. A version is written once and never changed, so every cycle that uses it
//! shows its raters the same questions and its reports compare like with like.

mod default;
mod handlers;

pub use default::create_default_framework;
pub use handlers::{create_framework, create_framework_version, get_framework, get_framework_version, list_frameworks};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, RwLock};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::schema::{competencies, framework_versions, frameworks, questions};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, FieldError};

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
pub const MAX_QUESTIONS: usize = crate::responses::answers::MAX_ANSWERS;
/// Longest free-text answer a question may allow.
pub const MAX_TEXT_ANSWER: i32 = 10_000;
const DEFAULT_TEXT_ANSWER: i32 = 2_000;
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

fn default_scale() -> Scale {
    Scale {
        min: 1,
        max: 5,
        labels: ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
            .map(String::from)
            .to_vec(),
    }
}

fn is_key(key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl VersionInput {
    /// Field checks beyond the derive: key syntax and uniqueness, scales, lengths.
    pub fn check(&self) -> Result<(), AppError> {
        self.validate()?;
        let mut errors = Vec::new();
        let total: usize = self.competencies.iter().map(|c| c.questions.len()).sum();
        if total > MAX_QUESTIONS {
            errors.push(FieldError::new("competencies", "length", format!("at most {MAX_QUESTIONS} questions in all")));
        }
        let blank = |s: &str| s.trim().is_empty();
        for (c, competency) in self.competencies.iter().enumerate() {
            if blank(&competency.name) {
                errors.push(FieldError::new(format!("competencies[{c}].name"), "length", "must not be blank"));
            }
            for (q, question) in competency.questions.iter().enumerate() {
                if blank(&question.prompt) {
                    errors.push(FieldError::new(
                        format!("competencies[{c}].questions[{q}].prompt"),
                        "length",
                        "must not be blank",
                    ));
                }
            }
        }
        let mut competency_keys = HashSet::new();
        let mut question_keys = HashSet::new();
        for (c, competency) in self.competencies.iter().enumerate() {
            let at = format!("competencies[{c}]");
            if !is_key(&competency.key) {
                errors.push(FieldError::new(format!("{at}.key"), "format", "use a-z, 0-9 and _ only"));
            }
            if !competency_keys.insert(competency.key.as_str()) {
                errors.push(FieldError::new(format!("{at}.key"), "duplicate", "another competency has this key"));
            }
            for (q, question) in competency.questions.iter().enumerate() {
                let at = format!("{at}.questions[{q}]");
                if !is_key(&question.key) {
                    errors.push(FieldError::new(format!("{at}.key"), "format", "use a-z, 0-9 and _ only"));
                }
                if !question_keys.insert(question.key.as_str()) {
                    errors.push(FieldError::new(format!("{at}.key"), "duplicate", "another question has this key"));
                }
                match question.kind {
                    QuestionKind::Rating => {
                        if question.max_length.is_some() {
                            errors.push(FieldError::new(format!("{at}.max_length"), "not_allowed", "only for text"));
                        }
                        if let Some(scale) = &question.scale {
                            let points = scale.max - scale.min + 1;
                            if scale.min < 0 || !(2..=MAX_SCALE_POINTS).contains(&points) {
                                errors.push(FieldError::new(
                                    format!("{at}.scale"),
                                    "range",
                                    "needs 0 <= min < max with 2 to 11 points",
                                ));
                            } else if !scale.labels.is_empty() && scale.labels.len() as i32 != points {
                                errors.push(FieldError::new(
                                    format!("{at}.scale.labels"),
                                    "length",
                                    format!("needs one label per point ({points}) or none"),
                                ));
                            }
                        }
                    }
                    QuestionKind::Text => {
                        if question.scale.is_some() {
                            errors.push(FieldError::new(format!("{at}.scale"), "not_allowed", "only for ratings"));
                        }
                        if question.max_length.is_some_and(|m| !(1..=MAX_TEXT_ANSWER).contains(&m)) {
                            errors.push(FieldError::new(
                                format!("{at}.max_length"),
                                "range",
                                format!("must be between 1 and {MAX_TEXT_ANSWER}"),
                            ));
                        }
                    }
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
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

/// Writes a new version of a framework and returns it.
pub fn insert_version(
    conn: &mut DbConn,
    org_id: &str,
    framework_id: &str,
    input: &VersionInput,
) -> Result<VersionResponse, AppError> {
    let latest: Option<i32> = db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::framework_id.eq(framework_id))
        .select(diesel::dsl::max(framework_versions::version))
        .first(c))?;
    let version = FrameworkVersion {
        id: new_id(),
        org_id: org_id.to_string(),
        framework_id: framework_id.to_string(),
        version: latest.unwrap_or(0) + 1,
        created_at: now(),
    };
    db_run!(conn, |c| diesel::insert_into(framework_versions::table).values(&version).execute(c))?;
    let mut competency_rows = Vec::new();
    let mut question_rows = Vec::new();
    for (c, competency) in input.competencies.iter().enumerate() {
        let competency_id = new_id();
        competency_rows.push(Competency {
            id: competency_id.clone(),
            org_id: org_id.to_string(),
            version_id: version.id.clone(),
            key: competency.key.clone(),
            name: competency.name.trim().to_string(),
            description: competency.description.trim().to_string(),
            position: c as i32,
        });
        for question in &competency.questions {
            let (scale, max_length) = match question.kind {
                QuestionKind::Rating => (Some(question.scale.clone().unwrap_or_else(default_scale)), None),
                QuestionKind::Text => (None, Some(question.max_length.unwrap_or(DEFAULT_TEXT_ANSWER))),
            };
            question_rows.push(Question {
                id: new_id(),
                org_id: org_id.to_string(),
                version_id: version.id.clone(),
                competency_id: competency_id.clone(),
                key: question.key.clone(),
                kind: question.kind.as_str().to_string(),
                prompt: question.prompt.trim().to_string(),
                required: question.required.unwrap_or(question.kind == QuestionKind::Rating),
                scale_min: scale.as_ref().map(|s| s.min),
                scale_max: scale.as_ref().map(|s| s.max),
                scale_labels: scale
                    .as_ref()
                    .filter(|s| !s.labels.is_empty())
                    .map(|s| serde_json::json!(s.labels).to_string()),
                max_length,
                position: question_rows.len() as i32,
            });
        }
    }
    db_run!(conn, |c| diesel::insert_into(competencies::table).values(&competency_rows).execute(c))?;
    for chunk in question_rows.chunks(500) {
        db_run!(conn, |c| diesel::insert_into(questions::table).values(chunk).execute(c))?;
    }
    Ok(assemble(&version, &competency_rows, &question_rows))
}

fn assemble(version: &FrameworkVersion, competency_rows: &[Competency], question_rows: &[Question]) -> VersionResponse {
    VersionResponse {
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

/// Versions never change once written, so each process keeps the ones it has read; the
/// questionnaire and every report need theirs. Bounded: cleared when full.
type VersionCache = HashMap<(String, String), Arc<VersionResponse>>;
static VERSIONS: LazyLock<RwLock<VersionCache>> = LazyLock::new(Default::default);
const CACHED_VERSIONS: usize = 256;

/// A framework version of this organisation, whole, or 404.
pub fn load_version(conn: &mut DbConn, org_id: &str, version_id: &str) -> Result<Arc<VersionResponse>, AppError> {
    let key = (org_id.to_string(), version_id.to_string());
    if let Some(found) = VERSIONS.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(Arc::clone(found));
    }
    let version: FrameworkVersion = db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::org_id.eq(org_id))
        .filter(framework_versions::id.eq(version_id))
        .select(FrameworkVersion::as_select())
        .first(c))?;
    let competency_rows: Vec<Competency> = db_run!(conn, |c| competencies::table
        .filter(competencies::version_id.eq(version_id))
        .order(competencies::position.asc())
        .select(Competency::as_select())
        .load(c))?;
    let question_rows: Vec<Question> = db_run!(conn, |c| questions::table
        .filter(questions::version_id.eq(version_id))
        .order(questions::position.asc())
        .select(Question::as_select())
        .load(c))?;
    let loaded = Arc::new(assemble(&version, &competency_rows, &question_rows));
    let mut cache = VERSIONS.write().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHED_VERSIONS {
        cache.clear();
    }
    cache.insert(key, Arc::clone(&loaded));
    Ok(loaded)
}

/// The newest version of a framework of this organisation, or 404.
pub fn latest_version_id(conn: &mut DbConn, org_id: &str, framework_id: &str) -> Result<String, AppError> {
    Ok(db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::org_id.eq(org_id))
        .filter(framework_versions::framework_id.eq(framework_id))
        .order(framework_versions::version.desc())
        .select(framework_versions::id)
        .first(c))?)
}

/// Creates a framework with its first version.
pub fn insert_framework(
    conn: &mut DbConn,
    org_id: &str,
    name: &str,
    description: &str,
    content: &VersionInput,
) -> Result<(Framework, VersionResponse), AppError> {
    let framework = Framework {
        id: new_id(),
        org_id: org_id.to_string(),
        name: name.trim().to_string(),
        description: description.trim().to_string(),
        created_at: now(),
    };
    db_run!(conn, |c| diesel::insert_into(frameworks::table).values(&framework).execute(c))?;
    let version = insert_version(conn, org_id, &framework.id, content)?;
    Ok((framework, version))
}
