//! What the content of a framework version must satisfy: field lengths, key syntax and
//! uniqueness, scales. Pure, no I/O, so bad content is refused before a connection is taken.

use std::collections::HashSet;

use validator::Validate;

use super::{MAX_QUESTIONS, MAX_SCALE_POINTS, MAX_TEXT_ANSWER, QuestionKind, VersionInput};
use crate::error::{AppError, FieldError};

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
