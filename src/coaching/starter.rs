//! The starter set every organisation's library begins with: what a leader new to
//! coaching a peer needs before the first session. Written for this product; HR may add
//! their own resources beside them.

use super::resources::ResourceFormat;

/// A starter resource: its stable key, title, format, competency tags and text.
pub struct Starter {
    pub key: &'static str,
    pub title: &'static str,
    pub format: ResourceFormat,
    pub competencies: &'static [&'static str],
    pub body: &'static str,
}

pub const STARTERS: [Starter; 6] = [
    Starter {
        key: "coaching_agreement",
        title: "A coaching agreement template",
        format: ResourceFormat::Template,
        competencies: &[],
        body: "Agree these before the first session and write them into the relationship's agreement.\n\
               1. Cadence: how often and how long you meet, and how you move a session.\n\
               2. Confidentiality: what is said stays among you; each shares their report, or parts of \
               it, only by choice, and may take that back.\n\
               3. Focus: the one or two competencies you work on, and what would show progress.\n\
               4. How you give feedback to each other, coach included.\n\
               5. When you review whether it works, and how either of you can end it without offence.",
    },
    Starter {
        key: "first_session",
        title: "Your first session as a peer coach",
        format: ResourceFormat::Guide,
        competencies: &[],
        body: "Open by saying why you agreed to coach and what you hope to learn yourself: coaching \
               runs both ways. Ask the coachee what their report told them that surprised them, and \
               which part they want to work on. Resist solving it in the first hour; end by agreeing \
               one small experiment to try before you meet again, and write it down as an action item.",
    },
    Starter {
        key: "listening",
        title: "Listening before advising",
        format: ResourceFormat::Guide,
        competencies: &["communication", "openness_to_feedback"],
        body: "For the first half of a session, only ask and reflect back. Summarise what you heard in \
               your own words and check it. Notice the urge to tell your own story and park it. Silence \
               is useful: wait a little longer than feels natural before you speak.",
    },
    Starter {
        key: "questioning",
        title: "Questions that open a conversation",
        format: ResourceFormat::Guide,
        competencies: &["self_awareness", "decision_making"],
        body: "Prefer open questions that start with what or how over why, which can sound like blame. \
               Useful ones: What would you do if you could not fail? What have you tried so far? What \
               would the people you lead say about this? What is the smallest next step? How will you \
               know it worked?",
    },
    Starter {
        key: "blind_spots",
        title: "Working on a blind spot",
        format: ResourceFormat::Exercise,
        competencies: &["self_awareness", "openness_to_feedback"],
        body: "A blind spot is where you rate yourself clearly higher than others do. Pick one. List \
               three recent moments where it might have shown, and what the others in the room saw. \
               Ask two colleagues for one example each, thank them without defending, and choose one \
               behaviour to change for a month. Review it with your coach.",
    },
    Starter {
        key: "across_silos",
        title: "Coaching across departments",
        format: ResourceFormat::Guide,
        competencies: &["collaboration_across_silos", "vision"],
        body: "A coach from another department sees your situation without its local habits. Use that: \
               explain your context briefly, then ask how the same problem looks from their side of the \
               organisation, and who else a decision of yours reaches. Bring back one contact or idea \
               from their world after each session.",
    },
];
