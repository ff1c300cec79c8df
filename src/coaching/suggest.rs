//! Match suggestions for HR from a cycle's released results: the inputs `matching`
//! optimises over are read from what the growth reports show, and each suggestion comes
//! back with its focus and a rationale in words, ready to become a relationship.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::circles::{self, Circle};
use super::create::CreateRelationshipRequest;
use super::matching::{self, Leader, Need, Problem, Settings, Standing};
use super::{MemberRole, RelationshipKind, RelationshipStatus};
use crate::anonymity::MIN_NORM_SUBJECTS;
use crate::auth::access::Permission;
use crate::auth::principal::Principal;
use crate::cycles::{CycleState, find_cycle};
use crate::db::DbConn;
use crate::db::schema::{
    coaching_members, coaching_relationships, competency_norms, competency_summaries, people, report_releases,
};
use crate::db_run;
use crate::error::{AppError, validate};
use crate::frameworks::{CompetencyResponse, QuestionKind, VersionResponse, load_version};
use crate::reports::compute::{GapFlag, gap_flag};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cross_department_weight": 1.0, "max_coachees_per_coach": 2, "seed": 1}))]
pub struct SuggestionRequest {
    /// How much a pair across departments is preferred, in units of one development
    /// area's weight (a blind spot weighs two); 0 to 10, default 1. Zero ignores departments.
    #[validate(range(min = 0.0, max = 10.0))]
    #[serde(default = "default_weight")]
    pub cross_department_weight: f64,
    /// At most this many coachees per coach, counting those they coach already in
    /// relationships under way; 1 to 10, default 2. Each leader is coachee in at most one
    /// suggestion, and one already coached in a relationship under way in none.
    #[validate(range(min = 1, max = 10))]
    #[serde(default = "default_max_coachees")]
    pub max_coachees_per_coach: u32,
    /// A coach is strong in a competency at or above this percentile of the cycle; 50 to
    /// 99, default 75.
    #[validate(range(min = 50, max = 99))]
    #[serde(default = "default_percentile")]
    pub min_coach_percentile: u8,
    /// Ties are broken in an order drawn from this seed: the same input and seed give the
    /// same suggestions.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// What to suggest: one-way `pairs` (the default), `reciprocal` pairs where each
    /// coaches the other on a need of theirs, or `circles` around a shared development area.
    #[serde(default)]
    pub shape: SuggestionShape,
    /// With `circles`: the most members of a circle, 3 to 6, default 4 (the fewest is 3).
    #[validate(range(min = 3, max = 6))]
    #[serde(default = "default_circle_size")]
    pub circle_size: u8,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionShape {
    #[default]
    Pairs,
    Reciprocal,
    Circles,
}

fn default_weight() -> f64 {
    1.0
}
fn default_max_coachees() -> u32 {
    2
}
fn default_percentile() -> u8 {
    75
}
fn default_seed() -> u64 {
    1
}
fn default_circle_size() -> u8 {
    4
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestedPerson {
    pub person_id: String,
    pub display_name: String,
    pub department: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestedRole {
    Coach,
    Coachee,
    /// In a reciprocal pair: coach of the other and coached by them.
    Mutual,
    /// In a circle.
    Peer,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestedMember {
    #[serde(flatten)]
    pub person: SuggestedPerson,
    pub role: SuggestedRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Pair,
    ReciprocalPair,
    Circle,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FocusCompetency {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// A pair's coach then coachee; a reciprocal pair's two; a circle's members.
    pub members: Vec<SuggestedMember>,
    /// What the relationship works on: a pair's one or two, both directions' for a
    /// reciprocal pair, the shared development area for a circle.
    pub focus_competencies: Vec<FocusCompetency>,
    /// Every member works in a department of their own.
    pub cross_department: bool,
    /// Why, in words, for HR alone: no score, no count, no figure a report withholds.
    pub rationale: String,
    /// The bodies that set this up at `POST /api/v1/coaching/relationships/batch`: one
    /// for a pair or a circle, two for a reciprocal pair (one pair each way).
    pub relationships: Vec<CreateRelationshipRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionSummary {
    /// Leaders with released results in the cycle.
    pub leaders: usize,
    pub suggestions: usize,
    pub cross_department: usize,
    /// Leaders with a development area, free to be coached, whom no suggestion coaches.
    pub without_coach: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionsResponse {
    pub cycle_id: String,
    pub suggestions: Vec<Suggestion>,
    pub summary: SuggestionSummary,
}

/// A version's competencies in key order, which is how reports break ties between
/// equal means: matching indexes them so.
pub fn ordered_competencies(version: &VersionResponse) -> Vec<&CompetencyResponse> {
    let mut ordered: Vec<&CompetencyResponse> = version.competencies.iter().collect();
    ordered.sort_by(|a, b| a.key.cmp(&b.key));
    ordered
}

/// Whether a self-minus-others gap is a blind spot on the competency's scale, as reports
/// flag it.
pub fn blind_spot(competency: &CompetencyResponse, gap: Option<f64>) -> bool {
    let rating = competency.questions.iter().find(|q| q.kind == QuestionKind::Rating).and_then(|q| q.scale.as_ref());
    let scale = rating.map(|s| (s.min, s.max)).unwrap_or((1, 5));
    gap.and_then(|g| gap_flag(g, scale)) == Some(GapFlag::BlindSpot)
}

struct Input {
    problem: Problem,
    people: Vec<SuggestedPerson>,
    competencies: Vec<FocusCompetency>,
}

/// Reads what the cycle's released reports show into the matching problem.
fn load_input(conn: &mut DbConn, org_id: &str, cycle_id: &str, min_percentile: u8) -> Result<Input, AppError> {
    let cycle = find_cycle(conn, org_id, cycle_id)?;
    if cycle.state < CycleState::Closed {
        return Err(AppError::conflict("cycle_not_closed", "Suggestions come from a closed cycle's released results."));
    }
    let version = load_version(conn, org_id, &cycle.framework_version_id)?;
    let ordered = ordered_competencies(&version);
    let keys: Vec<&str> = ordered.iter().map(|c| c.key.as_str()).collect();
    let subjects: Vec<(String, String, Option<String>, Option<String>)> = db_run!(conn, |c| report_releases::table
        .inner_join(people::table.on(people::id.eq(report_releases::subject_id)))
        .filter(report_releases::cycle_id.eq(&cycle.id))
        .filter(people::org_id.eq(org_id))
        .filter(people::active.eq(true))
        .order(people::id.asc())
        .select((people::id, people::display_name, people::department, people::manager_id))
        .load(c))?;
    // Percentiles mean something, and reports show them, only over enough subjects.
    let normed: Vec<String> = db_run!(conn, |c| competency_norms::table
        .filter(competency_norms::cycle_id.eq(&cycle.id))
        .filter(competency_norms::subjects.ge(MIN_NORM_SUBJECTS as i32))
        .select(competency_norms::competency_key)
        .load(c))?;
    let summaries: Vec<(String, String, f64, f64, Option<f64>)> = db_run!(conn, |c| competency_summaries::table
        .inner_join(
            report_releases::table.on(report_releases::cycle_id
                .eq(competency_summaries::cycle_id)
                .and(report_releases::subject_id.eq(competency_summaries::subject_id)),)
        )
        .filter(competency_summaries::cycle_id.eq(&cycle.id))
        .select((
            competency_summaries::subject_id,
            competency_summaries::competency_key,
            competency_summaries::mean,
            competency_summaries::percentile,
            competency_summaries::self_gap,
        ))
        .load(c))?;
    let index: HashMap<&str, usize> = subjects.iter().enumerate().map(|(i, s)| (s.0.as_str(), i)).collect();
    let mut standing: Vec<Vec<Standing>> = vec![Vec::new(); subjects.len()];
    for (subject, key, mean, percentile, gap) in summaries {
        if let (Some(&l), Some(c)) = (index.get(subject.as_str()), keys.iter().position(|k| *k == key)) {
            standing[l].push(Standing {
                competency: c,
                others_mean: mean,
                percentile: normed.contains(&key).then_some(percentile),
                blind_spot: blind_spot(ordered[c], gap),
            });
        }
    }
    // Relationships under way: their coachees are coached already, their coaches busy.
    let under_way = [RelationshipStatus::Proposed, RelationshipStatus::Active, RelationshipStatus::Paused];
    let roles: Vec<(String, MemberRole)> = db_run!(conn, |c| coaching_members::table
        .inner_join(coaching_relationships::table)
        .filter(coaching_relationships::org_id.eq(org_id))
        .filter(coaching_relationships::status.eq_any(under_way))
        .select((coaching_members::person_id, coaching_members::role))
        .load(c))?;
    let mut departments: HashMap<&str, u32> = HashMap::new();
    let mut leaders: Vec<Leader> = subjects
        .iter()
        .zip(standing)
        .map(|((_, _, department, manager), rows)| {
            let department = department.as_deref().map(|d| {
                let next = departments.len() as u32;
                *departments.entry(d).or_insert(next)
            });
            let manager = manager.as_deref().and_then(|m| index.get(m).copied());
            Leader::from_results(department, manager, rows, min_percentile)
        })
        .collect();
    for (person, role) in roles {
        let Some(&l) = index.get(person.as_str()) else { continue };
        if role.is_coached() {
            leaders[l].needs.clear();
        }
        if role.coaches() {
            leaders[l].coaching_already += 1;
        }
    }
    let people = subjects
        .into_iter()
        .map(|(person_id, display_name, department, _)| SuggestedPerson { person_id, display_name, department })
        .collect();
    let competencies = ordered.iter().map(|c| FocusCompetency { key: c.key.clone(), name: c.name.clone() }).collect();
    Ok(Input { problem: Problem { competencies: keys.len(), leaders }, people, competencies })
}

impl Input {
    fn name(&self, competency: usize) -> String {
        self.competencies[competency].name.to_lowercase()
    }

    fn focus(&self, competencies: impl IntoIterator<Item = usize>) -> Vec<FocusCompetency> {
        let mut focus: Vec<FocusCompetency> = Vec::new();
        for c in competencies {
            if !focus.iter().any(|f| f.key == self.competencies[c].key) {
                focus.push(self.competencies[c].clone());
            }
        }
        focus
    }

    fn member(&self, leader: usize, role: SuggestedRole) -> SuggestedMember {
        SuggestedMember { person: self.people[leader].clone(), role }
    }

    fn pair_body(&self, pair: &matching::Pair) -> CreateRelationshipRequest {
        CreateRelationshipRequest {
            kind: RelationshipKind::Pair,
            coach_id: Some(self.people[pair.coach].person_id.clone()),
            coachee_id: Some(self.people[pair.coachee].person_id.clone()),
            member_ids: None,
            agreement: None,
            focus_competencies: self.focus(pair.focus.iter().map(|&(c, _)| c)).into_iter().map(|f| f.key).collect(),
            override_reason: None,
        }
    }

    /// Why the coach for this coachee, in words only.
    fn why(&self, pair: &matching::Pair) -> String {
        let (coach, coachee) = (&self.people[pair.coach], &self.people[pair.coachee]);
        let (first, need) = pair.focus[0];
        let mut text = format!(
            "{}'s others rate {} among the organisation's strongest; {}",
            coach.display_name,
            self.name(first),
            match need {
                Need::BlindSpot => format!(
                    "it is a blind spot for {}, who rates themselves clearly higher than others do.",
                    coachee.display_name
                ),
                Need::DevelopmentArea => format!("it is among {}'s development areas.", coachee.display_name),
            }
        );
        if let Some(&(second, _)) = pair.focus.get(1) {
            text.push_str(&format!(" They can work on {} too.", self.name(second)));
        }
        text
    }

    /// Where the members work, in words.
    fn departments(&self, members: &[usize], cross_department: bool) -> String {
        let named: Vec<&str> = members.iter().filter_map(|&l| self.people[l].department.as_deref()).collect();
        if named.len() < members.len() {
            String::new()
        } else if cross_department {
            format!(" They work in different departments ({}).", and_list(&named))
        } else if named.iter().all(|d| *d == named[0]) {
            let all = if members.len() == 2 { "Both" } else { "They all" };
            format!(" {all} work in {}.", named[0])
        } else {
            let mut distinct = named.clone();
            distinct.sort_unstable();
            distinct.dedup();
            format!(" They work in {}.", and_list(&distinct))
        }
    }

    fn pair(&self, pair: &matching::Pair) -> Suggestion {
        let members = [pair.coach, pair.coachee];
        Suggestion {
            kind: SuggestionKind::Pair,
            members: vec![
                self.member(pair.coach, SuggestedRole::Coach),
                self.member(pair.coachee, SuggestedRole::Coachee),
            ],
            focus_competencies: self.focus(pair.focus.iter().map(|&(c, _)| c)),
            cross_department: pair.cross_department,
            rationale: self.why(pair) + &self.departments(&members, pair.cross_department),
            relationships: vec![self.pair_body(pair)],
        }
    }

    fn reciprocal(&self, (ab, ba): &(matching::Pair, matching::Pair)) -> Suggestion {
        let members = [ab.coach, ab.coachee];
        Suggestion {
            kind: SuggestionKind::ReciprocalPair,
            members: members.iter().map(|&l| self.member(l, SuggestedRole::Mutual)).collect(),
            focus_competencies: self.focus(ab.focus.iter().chain(&ba.focus).map(|&(c, _)| c)),
            cross_department: ab.cross_department,
            rationale: format!("{} In turn, {}", self.why(ab), self.why(ba))
                + &self.departments(&members, ab.cross_department),
            relationships: vec![self.pair_body(ab), self.pair_body(ba)],
        }
    }

    fn circle(&self, circle: &Circle) -> Suggestion {
        let leaders: Vec<usize> = circle.members.iter().map(|&(l, _)| l).collect();
        let names: Vec<&str> = leaders.iter().map(|&l| self.people[l].display_name.as_str()).collect();
        let blind: Vec<&str> = circle
            .members
            .iter()
            .filter(|(_, need)| *need == Need::BlindSpot)
            .map(|&(l, _)| self.people[l].display_name.as_str())
            .collect();
        let mut rationale = format!(
            "{} share {} as an area to grow in, and coach one another on it.",
            and_list(&names),
            self.name(circle.competency)
        );
        if !blind.is_empty() {
            rationale.push_str(&format!(
                " For {} it is a blind spot: self-ratings clearly higher than others'.",
                and_list(&blind)
            ));
        }
        rationale.push_str(&self.departments(&leaders, circle.cross_department));
        Suggestion {
            kind: SuggestionKind::Circle,
            members: leaders.iter().map(|&l| self.member(l, SuggestedRole::Peer)).collect(),
            focus_competencies: self.focus([circle.competency]),
            cross_department: circle.cross_department,
            rationale,
            relationships: vec![CreateRelationshipRequest {
                kind: RelationshipKind::Circle,
                coach_id: None,
                coachee_id: None,
                member_ids: Some(leaders.iter().map(|&l| self.people[l].person_id.clone()).collect()),
                agreement: None,
                focus_competencies: vec![self.competencies[circle.competency].key.clone()],
                override_reason: None,
            }],
        }
    }
}

/// "A", "A and B", "A, B and C".
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The suggestions for a cycle, computed fresh: nothing is stored until HR creates
/// relationships from the ones it chooses.
pub fn suggest(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    input: SuggestionRequest,
) -> Result<SuggestionsResponse, AppError> {
    // Suggestions say who has which blind spots and strengths: for those who read reports.
    principal.require(Permission::ManageCoaching)?;
    principal.require(Permission::ReadReports)?;
    validate(&input)?;
    let data = load_input(conn, &principal.org_id, cycle_id, input.min_coach_percentile)?;
    let settings = Settings {
        cross_department_weight: input.cross_department_weight,
        max_coachees: input.max_coachees_per_coach as usize,
        seed: input.seed,
    };
    let (suggestions, coached): (Vec<Suggestion>, usize) = match input.shape {
        SuggestionShape::Pairs => {
            let pairs = matching::solve(&data.problem, &settings).pairs;
            (pairs.iter().map(|p| data.pair(p)).collect(), pairs.len())
        }
        SuggestionShape::Reciprocal => {
            let pairs = matching::solve_reciprocal(&data.problem, &settings).pairs;
            (pairs.iter().map(|p| data.reciprocal(p)).collect(), 2 * pairs.len())
        }
        SuggestionShape::Circles => {
            let found = circles::circles(&data.problem, &settings, usize::from(input.circle_size));
            (found.iter().map(|c| data.circle(c)).collect(), found.iter().map(|c| c.members.len()).sum())
        }
    };
    let wanting = data.problem.leaders.iter().filter(|l| !l.needs.is_empty()).count();
    Ok(SuggestionsResponse {
        cycle_id: cycle_id.to_string(),
        summary: SuggestionSummary {
            leaders: data.people.len(),
            suggestions: suggestions.len(),
            cross_department: suggestions.iter().filter(|s| s.cross_department).count(),
            without_coach: wanting.saturating_sub(coached),
        },
        suggestions,
    })
}
