//! The leadership framework every new organisation starts with, drawn from the idea the
//! product grew from: leaders who see across silos, develop others, know their blind
//! spots and welcome feedback.

use super::create::insert_framework;
use super::{CompetencyInput, QuestionInput, QuestionKind, VersionInput};
use crate::db::DbConn;
use crate::error::AppError;

/// (key, name, description, two behaviours to rate, a question to comment on)
const COMPETENCIES: [(&str, &str, &str, [&str; 2], &str); 8] = [
    (
        "vision",
        "Vision and direction",
        "Sets a clear direction and connects the team's work to where the organisation is going.",
        [
            "Explains where we are going and why it matters.",
            "Connects day-to-day priorities to the longer-term direction.",
        ],
        "What would make this leader's direction clearer to you?",
    ),
    (
        "communication",
        "Communication",
        "Shares information openly, listens, and adapts the message to the audience.",
        ["Keeps people informed about what affects their work.", "Listens carefully before responding."],
        "How could this leader communicate more effectively?",
    ),
    (
        "collaboration_across_silos",
        "Collaboration across silos",
        "Works across departments and divisions, and weighs how decisions land across the company.",
        [
            "Builds working relationships with other departments.",
            "Considers the impact of decisions beyond their own team.",
        ],
        "Where could this leader collaborate more across the organisation?",
    ),
    (
        "developing_others",
        "Developing others",
        "Coaches, gives useful feedback, and creates room for people to grow.",
        ["Gives feedback that helps people improve.", "Creates opportunities for others to learn and grow."],
        "How could this leader better support your development?",
    ),
    (
        "decision_making",
        "Decision making",
        "Makes timely, well-reasoned decisions and explains them.",
        [
            "Makes decisions in a timely way, even with incomplete information.",
            "Explains the reasoning behind important decisions.",
        ],
        "What would improve this leader's decisions?",
    ),
    (
        "self_awareness",
        "Self-awareness",
        "Knows their strengths and limits, and how they come across to others.",
        ["Acknowledges their own mistakes.", "Is aware of how their behaviour affects others."],
        "What might this leader not see about themselves?",
    ),
    (
        "openness_to_feedback",
        "Openness to feedback",
        "Seeks out feedback, takes it without defensiveness, and acts on it.",
        ["Actively asks for feedback.", "Responds to criticism without defensiveness."],
        "How could this leader make it easier to give them honest feedback?",
    ),
    (
        "execution",
        "Execution",
        "Turns plans into results and holds themselves and others accountable.",
        ["Follows through on commitments.", "Holds themselves and others accountable for results."],
        "What should this leader start, stop or continue doing to deliver results?",
    ),
];

pub fn default_content() -> VersionInput {
    VersionInput {
        competencies: COMPETENCIES
            .iter()
            .map(|(key, name, description, behaviours, comment)| {
                let mut questions: Vec<QuestionInput> = behaviours
                    .iter()
                    .enumerate()
                    .map(|(i, prompt)| QuestionInput {
                        key: format!("{key}_{}", i + 1),
                        kind: QuestionKind::Rating,
                        prompt: prompt.to_string(),
                        required: Some(true),
                        scale: None,
                        max_length: None,
                    })
                    .collect();
                questions.push(QuestionInput {
                    key: format!("{key}_comment"),
                    kind: QuestionKind::Text,
                    prompt: comment.to_string(),
                    required: Some(false),
                    scale: None,
                    max_length: None,
                });
                CompetencyInput {
                    key: key.to_string(),
                    name: name.to_string(),
                    description: description.to_string(),
                    questions,
                }
            })
            .collect(),
    }
}

/// Gives a new organisation the default leadership framework.
pub fn create_default_framework(conn: &mut DbConn, org_id: &str) -> Result<(), AppError> {
    insert_framework(
        conn,
        org_id,
        "Leadership 360",
        "Eight leadership competencies for peer feedback among leaders.",
        &default_content(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_framework_passes_its_own_checks() {
        let content = super::default_content();
        content.check().unwrap();
        assert_eq!(content.competencies.len(), 8);
        assert!(content.competencies.iter().all(|c| c.questions.len() == 3));
    }
}
