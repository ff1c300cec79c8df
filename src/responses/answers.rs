//! Checking a rater's answers against the questionnaire: pure, no I/O.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::frameworks::{QuestionKind, QuestionResponse, VersionResponse};

/// Most answers one request may carry.
pub const MAX_ANSWERS: usize = crate::frameworks::MAX_QUESTIONS;

/// One answer: a `score` for a rating question, a `comment` for a text question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub question_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An answer that passed its checks, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedAnswer {
    pub question_id: String,
    pub score: Option<i32>,
    pub comment: Option<String>,
}

/// Checks answers against the questionnaire. A draft may leave questions out; a
/// submission (`complete`) must answer every required question. Blank optional answers
/// are dropped.
pub fn check_answers(
    version: &VersionResponse,
    answers: &[AnswerInput],
    complete: bool,
) -> Result<Vec<CheckedAnswer>, Vec<FieldError>> {
    let questions: HashMap<&str, &QuestionResponse> = version.questions().map(|q| (q.id.as_str(), q)).collect();
    let mut errors = Vec::new();
    if answers.len() > MAX_ANSWERS {
        errors.push(FieldError::new("answers", "length", format!("at most {MAX_ANSWERS} answers")));
        return Err(errors);
    }
    let mut seen = HashSet::new();
    let mut checked = Vec::new();
    for (i, answer) in answers.iter().enumerate() {
        let at = format!("answers[{i}]");
        let Some(question) = questions.get(answer.question_id.as_str()) else {
            errors.push(FieldError::new(
                format!("{at}.question_id"),
                "unknown_question",
                "is not a question of this cycle's questionnaire",
            ));
            continue;
        };
        if !seen.insert(answer.question_id.as_str()) {
            errors.push(FieldError::new(format!("{at}.question_id"), "duplicate", "this question is answered twice"));
            continue;
        }
        match question.kind {
            QuestionKind::Rating => {
                if answer.comment.is_some() {
                    errors.push(FieldError::new(
                        format!("{at}.comment"),
                        "not_allowed",
                        "a rating question takes a score",
                    ));
                    continue;
                }
                let Some(score) = answer.score else { continue };
                let (min, max) = question.scale.as_ref().map(|s| (s.min, s.max)).unwrap_or((1, 5));
                if !(min..=max).contains(&score) {
                    errors.push(FieldError::new(
                        format!("{at}.score"),
                        "range",
                        format!("must be between {min} and {max}"),
                    ));
                    continue;
                }
                checked.push(CheckedAnswer { question_id: question.id.clone(), score: Some(score), comment: None });
            }
            QuestionKind::Text => {
                if answer.score.is_some() {
                    errors.push(FieldError::new(
                        format!("{at}.score"),
                        "not_allowed",
                        "a text question takes a comment",
                    ));
                    continue;
                }
                let Some(comment) = answer.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
                    continue;
                };
                let max = question.max_length.unwrap_or(2000) as usize;
                if comment.chars().count() > max {
                    errors.push(FieldError::new(
                        format!("{at}.comment"),
                        "length",
                        format!("at most {max} characters"),
                    ));
                    continue;
                }
                checked.push(CheckedAnswer {
                    question_id: question.id.clone(),
                    score: None,
                    comment: Some(comment.to_string()),
                });
            }
        }
    }
    if complete {
        let answered: HashSet<&str> = checked.iter().map(|a| a.question_id.as_str()).collect();
        for question in version.questions().filter(|q| q.required && !answered.contains(q.id.as_str())) {
            errors.push(FieldError::new(
                format!("questions.{}", question.key),
                "required",
                format!("required question `{}` is not answered", question.key),
            ));
        }
    }
    if errors.is_empty() { Ok(checked) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frameworks::{CompetencyResponse, Scale};

    fn version() -> VersionResponse {
        let rating = |id: &str, required| QuestionResponse {
            id: id.into(),
            key: id.into(),
            kind: QuestionKind::Rating,
            prompt: "p".into(),
            required,
            scale: Some(Scale { min: 1, max: 5, labels: vec![] }),
            max_length: None,
        };
        VersionResponse {
            id: "v".into(),
            framework_id: "f".into(),
            version: 1,
            created_at: chrono::Utc::now(),
            competencies: vec![CompetencyResponse {
                id: "c".into(),
                key: "c".into(),
                name: "c".into(),
                description: String::new(),
                questions: vec![
                    rating("q1", true),
                    rating("q2", false),
                    QuestionResponse {
                        id: "t1".into(),
                        key: "t1".into(),
                        kind: QuestionKind::Text,
                        prompt: "p".into(),
                        required: false,
                        scale: None,
                        max_length: Some(10),
                    },
                ],
            }],
        }
    }

    fn answer(q: &str, score: Option<i32>, comment: Option<&str>) -> AnswerInput {
        AnswerInput { question_id: q.into(), score, comment: comment.map(String::from) }
    }

    #[test]
    fn complete_answers_pass_and_blank_optional_ones_are_dropped() {
        let checked = check_answers(
            &version(),
            &[answer("q1", Some(5), None), answer("q2", None, None), answer("t1", None, Some("  "))],
            true,
        )
        .unwrap();
        assert_eq!(checked, vec![CheckedAnswer { question_id: "q1".into(), score: Some(5), comment: None }]);
    }

    #[test]
    fn every_kind_of_bad_answer_is_named() {
        let errors = check_answers(
            &version(),
            &[
                answer("q1", Some(6), None),
                answer("elsewhere", Some(3), None),
                answer("q2", None, Some("a rating takes no comment")),
                answer("q2", Some(1), None),
                answer("t1", None, Some("far more than ten characters")),
            ],
            true,
        )
        .unwrap_err();
        let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            codes,
            [
                ("answers[0].score", "range"),
                ("answers[1].question_id", "unknown_question"),
                ("answers[2].comment", "not_allowed"),
                ("answers[3].question_id", "duplicate"),
                ("answers[4].comment", "length"),
                ("questions.q1", "required"),
            ]
        );
    }

    #[test]
    fn drafts_may_leave_required_questions_out() {
        assert!(check_answers(&version(), &[answer("q2", Some(3), None)], false).is_ok());
        assert!(check_answers(&version(), &[answer("q2", Some(3), None)], true).is_err());
    }
}
