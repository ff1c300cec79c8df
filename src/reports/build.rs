//! What a closed cycle keeps about a subject ([`SubjectResults`], the anonymity rule
//! applied once at close) and the growth report assembled from it. Pure: the database work
//! is in `close.rs`, `results.rs` and `load.rs`, the rule in `crate::anonymity`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::compute::{CompetencyInput, CompetencyReport, QuestionReport, change, gap_flag, self_gap};
use crate::anonymity::{
    AnonymitySettings, Cell, MIN_NORM_SUBJECTS, OthersSummary, QuestionCells, QuestionInput, QuestionTallies,
    Relationship, Tally, competency_cells, question_cells,
};
use crate::frameworks::{QuestionKind, VersionResponse};
use crate::responses::store::AnswerSet;

/// The subject's questions with their tallies, grouped by competency, from the subject's
/// answer sets.
fn competency_inputs(version: &VersionResponse, sets: &[AnswerSet]) -> Vec<CompetencyInput> {
    let mut tallies: HashMap<&str, HashMap<Relationship, Tally>> = HashMap::new();
    for set in sets {
        let relationship = set.relationship;
        for (question_id, counts) in &set.scores {
            let tally = tallies.entry(question_id.as_str()).or_default().entry(relationship).or_default();
            for (score, n) in counts {
                tally.add(*score, *n);
            }
        }
    }
    version
        .competencies
        .iter()
        .map(|c| CompetencyInput {
            key: c.key.clone(),
            name: c.name.clone(),
            questions: c
                .questions
                .iter()
                .filter(|q| q.kind == QuestionKind::Rating)
                .map(|q| QuestionInput {
                    id: q.id.clone(),
                    key: q.key.clone(),
                    prompt: q.prompt.clone(),
                    competency_key: c.key.clone(),
                    scale: q.scale.as_ref().map(|s| (s.min, s.max)).unwrap_or((1, 5)),
                    tallies: tallies.remove(q.id.as_str()).unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

/// What a closed cycle keeps about one subject: exactly what the subject's report may
/// show. Computed at close from the subject's answer sets, which are then destroyed, so
/// that nothing about fewer than a threshold of one anonymous group survives close: a
/// group too small to show keeps no figure of its own, and its answers live on only where
/// the rule folds them into "all others" (and in the cycle's norms).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectResults {
    /// How many of each group answered, or why that is withheld.
    pub respondents: BTreeMap<Relationship, Cell<i64>>,
    /// question id → the tallies the rule lets through
    pub questions: BTreeMap<String, QuestionTallies>,
    /// The comments that may be shown, labelled.
    pub comments: Vec<ShownComment>,
}

/// A comment that may be shown, with its unattributed label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownComment {
    pub question_id: String,
    pub from: String,
    pub text: String,
}

/// What closing keeps of one subject: the results, and what the cycle's roll-ups pool.
pub struct SubjectClose {
    pub results: SubjectResults,
    /// competency key → the subject's "all others" summary
    pub summaries: Vec<(String, OthersSummary)>,
    /// (competency key, sum of scores, answers) of every answer the subject's other groups
    /// gave, small groups included: only ever pooled across subjects into the norms.
    pub totals: Vec<(String, i64, i64)>,
}

/// Applies the anonymity rule to one subject's answer sets, in one pass.
pub fn close_subject(version: &VersionResponse, sets: &[AnswerSet], anonymity: &AnonymitySettings) -> SubjectClose {
    let mut questions = BTreeMap::new();
    let mut summaries = Vec::new();
    let mut totals = Vec::new();
    for competency in competency_inputs(version, sets) {
        let mut pooled = Tally::default();
        let others = competency.questions.iter().flat_map(|q| &q.tallies).filter(|(r, _)| **r != Relationship::Myself);
        others.for_each(|(_, tally)| pooled.merge(tally));
        if pooled.n() > 0 {
            totals.push((competency.key.clone(), pooled.sum(), pooled.n()));
        }
        let cells: Vec<QuestionCells> = competency.questions.iter().map(|q| question_cells(q, anonymity)).collect();
        if let (groups, others, Some(summary)) = competency_cells(&cells) {
            summaries.push((competency.key, OthersSummary { self_gap: self_gap(&groups, &others), ..summary }));
        }
        for (question, cells) in competency.questions.into_iter().zip(cells) {
            if !cells.shown_tallies.is_empty() || !cells.few.is_empty() {
                questions.insert(question.id, QuestionTallies::from(cells));
            }
        }
    }
    let respondents: HashMap<Relationship, i64> = sets.iter().map(|s| (s.relationship, s.respondents)).collect();
    let label = |relationship: Relationship| -> Option<&'static str> {
        let n = respondents.get(&relationship).copied().unwrap_or(0);
        let enough = n >= i64::from(anonymity.comment_threshold(relationship));
        match relationship {
            Relationship::Myself => Some("self"),
            Relationship::Manager if anonymity.manager_attributed => Some("manager"),
            _ if enough => Some("others"),
            _ => None,
        }
    };
    let comments = sets
        .iter()
        .filter_map(|s| Some((s, label(s.relationship)?)))
        .flat_map(|(s, from)| {
            s.comments.iter().flat_map(move |(question_id, texts)| {
                texts.iter().map(move |text| ShownComment {
                    question_id: question_id.clone(),
                    from: from.into(),
                    text: text.clone(),
                })
            })
        })
        .collect();
    let respondents = std::iter::once(Relationship::Myself)
        .chain(crate::anonymity::OTHER_GROUPS)
        .map(|r| {
            let n = respondents.get(&r).copied().unwrap_or(0);
            let k = i64::from(anonymity.threshold(r));
            (r, if n == 0 || n >= k { Cell::Shown(n) } else { Cell::hidden(format!("fewer than {k} responses")) })
        })
        .collect();
    SubjectClose { results: SubjectResults { respondents, questions, comments }, summaries, totals }
}

impl SubjectResults {
    /// The figures of one question; a question nobody answered has none.
    fn cells(&self, question: &QuestionInput) -> QuestionCells {
        match self.questions.get(&question.id) {
            Some(tallies) => QuestionCells::from(tallies.clone()),
            None => question_cells(question, &AnonymitySettings::default()),
        }
    }
}

/// A comment, unattributed: `self`, `manager` (when managers are attributed) or `others`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Comment {
    pub from: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentGroup {
    pub question_id: String,
    /// The competency the question belongs to.
    pub competency_key: String,
    pub key: String,
    pub prompt: String,
    /// Ordered by text, which says nothing about who wrote what or when.
    pub comments: Vec<Comment>,
}

/// The rules behind the report's flags, in words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rules {
    pub anonymity: String,
    pub blind_spot: String,
    pub change: String,
    pub norm: String,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            anonymity: "A group's figures are shown only when at least its threshold of people answered; \
                        'all others' leaves out groups too small to show unless together they reach the \
                        largest of their thresholds; competency figures pool only shown question figures."
                .into(),
            blind_spot: "Blind spot: self rates at least a third of the scale's range above all others. \
                         Hidden strength: at least a third below."
                .into(),
            change: "Change since the previous cycle is flagged significant when |delta| > 1.96 × \
                     √(sd₁²/n₁ + sd₂²/n₂), n being the respondents behind each 'all others' mean."
                .into(),
            norm: format!(
                "The norm is the mean of every answer others gave in the cycle, groups too small to show \
                 included; norm and percentile are shown when at \
                 least {MIN_NORM_SUBJECTS} subjects have one."
            ),
        }
    }
}

/// A leader's growth report for one cycle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrowthReport {
    pub cycle_id: String,
    pub cycle_name: String,
    pub subject_id: String,
    pub subject_name: String,
    /// When the subject may read it; absent until released.
    pub released_at: Option<DateTime<Utc>>,
    /// How many of each relationship answered.
    #[schema(value_type = Object)]
    pub respondents: BTreeMap<Relationship, Cell<i64>>,
    pub competencies: Vec<CompetencyReport>,
    /// Competency keys with the highest "all others" means.
    pub strengths: Vec<String>,
    /// Competency keys with the lowest "all others" means.
    pub development_areas: Vec<String>,
    pub blind_spots: Vec<String>,
    pub hidden_strengths: Vec<String>,
    pub comments: Vec<CommentGroup>,
    pub rules: Rules,
}

impl GrowthReport {
    /// The report as shared with a coach: the competencies given (`None`, all of them)
    /// with their figures, the lists naming them and the comments on their questions,
    /// nothing of the others, and no change since earlier cycles, whose figures belong to
    /// reports not shared. Every figure left is one the subject sees, so the anonymity
    /// rule holds as it did for them. The respondents per group stay: the figures cannot
    /// be read without them.
    pub fn as_shared(mut self, keys: Option<&std::collections::BTreeSet<String>>) -> Self {
        for competency in &mut self.competencies {
            competency.change = None;
        }
        let Some(keys) = keys else { return self };
        self.competencies.retain(|c| keys.contains(&c.key));
        for list in
            [&mut self.strengths, &mut self.development_areas, &mut self.blind_spots, &mut self.hidden_strengths]
        {
            list.retain(|k| keys.contains(k));
        }
        self.comments.retain(|g| keys.contains(&g.competency_key));
        self
    }
}

/// What the report is built from, besides the version and the subject's results.
pub struct Context {
    /// competency key → (norm mean, subjects behind it), the cycle's, shared
    pub norms: std::sync::Arc<HashMap<String, (f64, i64)>>,
    /// competency key → this subject's percentile
    pub percentiles: HashMap<String, f64>,
    /// competency key → (previous cycle id, its summary)
    pub previous: HashMap<String, (String, OthersSummary)>,
}

pub fn build(version: &VersionResponse, results: &SubjectResults, ctx: &Context) -> GrowthReportBody {
    let mut competencies = Vec::new();
    for competency in competency_inputs(version, &[]) {
        let cells: Vec<_> = competency.questions.iter().map(|q| results.cells(q)).collect();
        let (groups, others, summary) = competency_cells(&cells);
        let scale = competency.questions.first().map(|q| q.scale).unwrap_or((1, 5));
        let gap = self_gap(&groups, &others);
        let questions = competency
            .questions
            .iter()
            .zip(cells)
            .map(|(q, c)| QuestionReport {
                question_id: q.id.clone(),
                key: q.key.clone(),
                prompt: q.prompt.clone(),
                gap: self_gap(&c.groups, &c.others),
                groups: c.groups,
                others: c.others,
                others_includes: c.others_includes,
            })
            .collect();
        let norm_shown = ctx.norms.get(&competency.key).filter(|(_, subjects)| *subjects >= MIN_NORM_SUBJECTS);
        let few = || Cell::hidden(format!("fewer than {MIN_NORM_SUBJECTS} subjects in the cycle"));
        competencies.push(CompetencyReport {
            norm: norm_shown.map(|(mean, _)| Cell::Shown(*mean)).unwrap_or_else(few),
            percentile: match (norm_shown, summary.as_ref(), ctx.percentiles.get(&competency.key)) {
                (Some(_), Some(_), Some(p)) => Cell::Shown(*p),
                (Some(_), _, _) => Cell::hidden("no 'all others' figure for this competency"),
                _ => few(),
            },
            change: match (summary.as_ref(), ctx.previous.get(&competency.key)) {
                (Some(now), Some((cycle_id, before))) => Some(change(cycle_id, before, now)),
                _ => None,
            },
            flag: gap.and_then(|g| gap_flag(g, scale)),
            gap,
            key: competency.key,
            name: competency.name,
            groups,
            others,
            questions,
        });
    }

    let mut ranked: Vec<(&str, f64)> =
        competencies.iter().filter_map(|c| c.others.shown().map(|s| (c.key.as_str(), s.mean))).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let top = (ranked.len() / 2).min(3);
    let strengths: Vec<String> = ranked.iter().take(top).map(|(k, _)| k.to_string()).collect();
    let development_areas: Vec<String> = ranked.iter().rev().take(top).map(|(k, _)| k.to_string()).collect();
    let flagged = |flag| competencies.iter().filter(|c| c.flag == Some(flag)).map(|c| c.key.clone()).collect();
    let blind_spots = flagged(super::compute::GapFlag::BlindSpot);
    let hidden_strengths = flagged(super::compute::GapFlag::HiddenStrength);

    GrowthReportBody {
        respondents: results.respondents.clone(),
        competencies,
        strengths,
        development_areas,
        blind_spots,
        hidden_strengths,
        comments: comment_groups(version, results),
    }
}

/// The parts of a report computed from its data.
pub struct GrowthReportBody {
    pub respondents: BTreeMap<Relationship, Cell<i64>>,
    pub competencies: Vec<CompetencyReport>,
    pub strengths: Vec<String>,
    pub development_areas: Vec<String>,
    pub blind_spots: Vec<String>,
    pub hidden_strengths: Vec<String>,
    pub comments: Vec<CommentGroup>,
}

/// The shown comments, grouped by question, in text order.
fn comment_groups(version: &VersionResponse, results: &SubjectResults) -> Vec<CommentGroup> {
    let mut by_question: HashMap<&str, Vec<Comment>> = HashMap::new();
    for c in &results.comments {
        by_question
            .entry(c.question_id.as_str())
            .or_default()
            .push(Comment { from: c.from.clone(), text: c.text.clone() });
    }
    let questions = version.competencies.iter().flat_map(|c| c.questions.iter().map(move |q| (c, q)));
    questions
        .filter(|(_, q)| q.kind == QuestionKind::Text)
        .filter_map(|(c, q)| {
            let mut comments = by_question.remove(q.id.as_str())?;
            comments.sort_by(|a, b| (a.from.as_str(), a.text.as_str()).cmp(&(b.from.as_str(), b.text.as_str())));
            Some(CommentGroup {
                question_id: q.id.clone(),
                competency_key: c.key.clone(),
                key: q.key.clone(),
                prompt: q.prompt.clone(),
                comments,
            })
        })
        .collect()
}
