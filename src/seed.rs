//! The data generator the benchmarks use: a whole organisation of leaders and a cycle in
//! which every rater has answered, written straight to the database with multi-row
//! inserts (the answers as the per-group answer sets a submission builds). The cycle is left `collecting`, so closing it (through the API) is measured
//! like any other close.

use std::collections::BTreeMap;

use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;

use crate::anonymity::AnonymitySettings;
use crate::anonymity::Relationship;
use crate::cycles::settings::NominationRules;
use crate::cycles::{Cycle, CycleState, RaterSignIn};
use crate::db::schema::{cycles, invitations, participants, people};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::{CompetencyInput, QuestionInput, QuestionKind, VersionInput, insert_framework};
use crate::orgs::{NewOrganization, create_organization};
use crate::people::Person;
use crate::responses::InvitationStatus;
use crate::responses::answers::CheckedAnswer;
use crate::responses::store::{self, AnswerSet};
use crate::rng::Rng;

/// Rows per multi-row insert: within both engines' bind-parameter limits.
const CHUNK: usize = 1000;
const DEPARTMENTS: [&str; 10] =
    ["Engineering", "Sales", "Marketing", "Finance", "Operations", "Product", "People", "Legal", "Support", "Research"];

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub leaders: usize,
    /// Raters per leader besides themself.
    pub raters: usize,
    pub questions: usize,
    /// Whether raters have already answered (else invitations are left pending).
    pub answered: bool,
    pub random_seed: u64,
    /// Where to write every answer as a CSV row (department, relationship, competency
    /// key, question id, score), for checking aggregates with another tool.
    pub answers_csv: Option<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct Seeded {
    #[serde(flatten)]
    pub org: NewOrganization,
    pub cycle_id: String,
    pub leader_ids: Vec<String>,
    pub question_ids: Vec<String>,
    pub answers: usize,
    pub seconds: f64,
}

fn framework(questions: usize) -> VersionInput {
    let per = 5;
    let competencies = questions.div_ceil(per).max(1);
    VersionInput {
        competencies: (0..competencies)
            .map(|c| CompetencyInput {
                key: format!("competency_{c}"),
                name: format!("Competency {c}"),
                description: String::new(),
                questions: (0..per.min(questions - c * per))
                    .map(|q| QuestionInput {
                        key: format!("c{c}_q{q}"),
                        kind: QuestionKind::Rating,
                        prompt: format!("Behaviour {q} of competency {c}."),
                        required: Some(true),
                        scale: None,
                        max_length: None,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Leaders form a tree (eight reports per manager); each is rated by their manager, up to
/// three of their reports, and peers for the rest.
fn raters_of(i: usize, leaders: usize, raters: usize, rng: &mut Rng) -> Vec<(usize, Relationship)> {
    let mut chosen: Vec<(usize, Relationship)> = Vec::with_capacity(raters);
    if i > 0 {
        chosen.push(((i - 1) / 8, Relationship::Manager));
    }
    for child in (8 * i + 1..=8 * i + 3).filter(|c| *c < leaders) {
        if chosen.len() < raters {
            chosen.push((child, Relationship::DirectReport));
        }
    }
    let mut attempts = 0;
    while chosen.len() < raters.min(leaders - 1) && attempts < raters * 20 {
        attempts += 1;
        let peer = rng.below(leaders);
        if peer != i && !chosen.iter().any(|(p, _)| *p == peer) {
            chosen.push((peer, Relationship::Peer));
        }
    }
    chosen
}

pub fn seed(conn: &mut DbConn, options: &SeedOptions) -> Result<Seeded, AppError> {
    let started = std::time::Instant::now();
    let mut rng = Rng::new(options.random_seed);
    let org = create_organization(conn, &format!("Seeded organisation {}", &new_id()[..8]))?;
    let (_, version) = insert_framework(conn, &org.org_id, "Benchmark framework", "", &framework(options.questions))?;
    let question_ids: Vec<String> = version.questions().map(|q| q.id.clone()).collect();
    let competency_of: Vec<&str> =
        version.competencies.iter().flat_map(|c| c.questions.iter().map(|_| c.key.as_str())).collect();
    let mut answers_csv = match &options.answers_csv {
        Some(path) => {
            let mut writer = csv::Writer::from_path(path).map_err(AppError::internal)?;
            writer
                .write_record(["department", "relationship", "competency_key", "question_id", "score"])
                .map_err(AppError::internal)?;
            Some(writer)
        }
        None => None,
    };

    let at = now();
    let leader_ids: Vec<String> = (0..options.leaders).map(|_| new_id()).collect();
    let leaders: Vec<Person> = (0..options.leaders)
        .map(|i| Person {
            external_id: Some(format!("L{i:06}")),
            department: Some(DEPARTMENTS[i % DEPARTMENTS.len()].to_string()),
            title: Some("Leader".into()),
            manager_id: (i > 0).then(|| leader_ids[(i - 1) / 8].clone()),
            ..Person::new_member(
                leader_ids[i].clone(),
                &org.org_id,
                format!("leader{i}@seed.example"),
                format!("Leader {i}"),
                at,
            )
        })
        .collect();
    conn.transaction(|conn| {
        for chunk in leaders.chunks(CHUNK) {
            db_run!(conn, |c| diesel::insert_into(people::table).values(chunk).execute(c))?;
        }
        Ok::<_, AppError>(())
    })?;

    let cycle = Cycle {
        id: new_id(),
        org_id: org.org_id.clone(),
        name: "Seeded cycle".into(),
        framework_version_id: version.id.clone(),
        state: CycleState::Collecting,
        starts_at: Some(at - Duration::days(14)),
        ends_at: Some(at + Duration::days(7)),
        anonymity: serde_json::to_string(&AnonymitySettings::default()).map_err(AppError::internal)?,
        nomination_rules: serde_json::to_string(&NominationRules::default()).map_err(AppError::internal)?,
        version: 1,
        created_at: at,
        updated_at: at,
        rater_sign_in: RaterSignIn::Link,
        reminder_hours: serde_json::to_string(&crate::cycles::DEFAULT_REMINDER_HOURS).map_err(AppError::internal)?,
    };
    db_run!(conn, |c| diesel::insert_into(cycles::table).values(&cycle).execute(c))?;

    let status = if options.answered { InvitationStatus::Submitted } else { InvitationStatus::Pending };
    let mut answer_count = 0;
    // One transaction per batch of leaders keeps memory flat at 10,000 leaders.
    for batch in (0..options.leaders).collect::<Vec<_>>().chunks(100) {
        conn.transaction(|conn| {
            let mut participant_rows = Vec::new();
            let mut invitation_rows = Vec::new();
            let mut sets: Vec<AnswerSet> = Vec::new();
            for &i in batch {
                participant_rows.push((
                    participants::id.eq(new_id()),
                    participants::org_id.eq(org.org_id.clone()),
                    participants::cycle_id.eq(cycle.id.clone()),
                    participants::subject_id.eq(leader_ids[i].clone()),
                    participants::created_at.eq(at),
                ));
                let mut raters = raters_of(i, options.leaders, options.raters, &mut rng);
                raters.push((i, Relationship::Myself));
                let mut groups: BTreeMap<Relationship, AnswerSet> = BTreeMap::new();
                for (rater, relationship) in raters {
                    invitation_rows.push((
                        invitations::id.eq(new_id()),
                        invitations::org_id.eq(org.org_id.clone()),
                        invitations::cycle_id.eq(cycle.id.clone()),
                        invitations::subject_id.eq(leader_ids[i].clone()),
                        invitations::rater_id.eq(leader_ids[rater].clone()),
                        invitations::relationship.eq(relationship.as_str()),
                        invitations::status.eq(status),
                        invitations::created_at.eq(at),
                    ));
                    let set = groups
                        .entry(relationship)
                        .or_insert_with(|| AnswerSet::new(&org.org_id, &cycle.id, &leader_ids[i], relationship));
                    if options.answered {
                        let lean = 2 + rng.below(3) as i32;
                        let answers: Vec<CheckedAnswer> = question_ids
                            .iter()
                            .map(|q| CheckedAnswer {
                                question_id: q.clone(),
                                score: Some((lean + rng.below(3) as i32 - 1).clamp(1, 5)),
                                comment: None,
                            })
                            .collect();
                        if let Some(writer) = answers_csv.as_mut() {
                            let department = DEPARTMENTS[i % DEPARTMENTS.len()];
                            for (answer, competency) in answers.iter().zip(&competency_of) {
                                let score = answer.score.unwrap_or_default().to_string();
                                let row = [department, relationship.as_str(), competency, &answer.question_id, &score];
                                writer.write_record(row).map_err(AppError::internal)?;
                            }
                        }
                        set.add(answers);
                    }
                }
                sets.extend(groups.into_values());
            }
            db_run!(conn, |c| diesel::insert_into(participants::table).values(&participant_rows).execute(c))?;
            for chunk in invitation_rows.chunks(CHUNK) {
                db_run!(conn, |c| diesel::insert_into(invitations::table).values(chunk).execute(c))?;
            }
            store::insert_sets(conn, &sets)?;
            answer_count += sets.iter().map(AnswerSet::answers).sum::<usize>();
            Ok::<_, AppError>(())
        })?;
    }
    if let Some(mut writer) = answers_csv {
        writer.flush().map_err(AppError::internal)?;
    }
    if let DbConn::Postgres(c) = conn {
        // What a bulk load should end with: statistics for the planner, and the new rows
        // vacuumed now rather than by autovacuum in the middle of whatever runs next.
        c.batch_execute("VACUUM (ANALYZE) people, participants, invitations, answer_sets")?;
    }
    Ok(Seeded {
        org,
        cycle_id: cycle.id,
        leader_ids,
        question_ids,
        answers: answer_count,
        seconds: started.elapsed().as_secs_f64(),
    })
}
