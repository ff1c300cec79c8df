//! Adding a version to a framework: the content rule, the rows, the audit entry, in one
//! transaction.

use diesel::prelude::*;

use super::queries::{find_framework, latest_version_number};
use super::{Competency, FrameworkVersion, Question, QuestionKind, Scale, VersionInput, VersionResponse};
use crate::auth::principal::Principal;
use crate::db::schema::{competencies, framework_versions, questions};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::{self, Event};

const DEFAULT_TEXT_ANSWER: i32 = 2_000;

/// Version content that passed [`VersionInput::check`]; only [`NewVersion::parse`] makes one.
pub struct NewVersion(VersionInput);

impl NewVersion {
    pub fn parse(content: VersionInput) -> Result<Self, AppError> {
        content.check()?;
        Ok(Self(content))
    }
}

/// Adds the next version to a framework of the caller's organisation (404 if there is none).
pub fn create_version(
    conn: &mut DbConn,
    principal: &Principal,
    framework_id: &str,
    content: NewVersion,
) -> Result<VersionResponse, AppError> {
    conn.transaction(|conn| {
        find_framework(conn, &principal.org_id, framework_id)?;
        let version = insert_version(conn, &principal.org_id, framework_id, &content.0)?;
        let created = Event::FrameworkVersionCreated {
            framework_id: framework_id.to_string(),
            version: version.version,
            version_id: version.id.clone(),
        };
        events::record(conn, principal, created)?;
        Ok(version)
    })
}

/// Writes a new version of a framework and returns it; no audit entry (the caller records
/// one, or none when seeding). `input` must have passed [`VersionInput::check`].
pub(super) fn insert_version(
    conn: &mut DbConn,
    org_id: &str,
    framework_id: &str,
    input: &VersionInput,
) -> Result<VersionResponse, AppError> {
    let latest = latest_version_number(conn, framework_id)?;
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
    Ok(VersionResponse::from_rows(&version, &competency_rows, &question_rows))
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
