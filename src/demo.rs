//! `roundtable demo`: a realistic organisation in a fresh database, so a newcomer sees the
//! whole product in a minute: a management chain across departments, and a feedback cycle
//! that ran, closed and released its growth reports through the same code paths the API
//! uses to close and release, and coaching pairs set up from its suggestions.

use std::collections::BTreeMap;

use chrono::Duration;
use diesel::prelude::*;
use serde::Serialize;

use crate::anonymity::AnonymitySettings;
use crate::anonymity::Relationship;
use crate::auth::access::{Role, Scope};
use crate::auth::principal::{Actor, Principal};
use crate::coaching::create::{self, BatchCreateRequest};
use crate::coaching::goals::{self, CheckInRequest, CreateGoalRequest};
use crate::coaching::sessions::{self, ActionItemInput, CreateSessionRequest};
use crate::coaching::share::{self, ShareRequest};
use crate::coaching::suggest::{self, SuggestionRequest, SuggestionShape};
use crate::coaching::{MemberRole, respond};
use crate::cycles::settings::NominationRules;
use crate::cycles::{Cycle, CycleState, NominationStatus, RaterSignIn};
use crate::db::schema::{self, cycles, frameworks, invitations, nominations, participants, people};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;
use crate::frameworks::{QuestionKind, VersionResponse, latest_version_id, load_version};
use crate::orgs::{NewOrganization, create_organization};
use crate::people::Person;
use crate::reports;
use crate::responses::InvitationStatus;
use crate::responses::answers::CheckedAnswer;
use crate::responses::store::{self, AnswerSet};
use crate::rng::Rng;

const DEPARTMENTS: [&str; 8] =
    ["Engineering", "Sales", "Marketing", "Finance", "Operations", "Product", "People", "Customer Success"];
const FIRST: [&str; 24] = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Tim",
    "Radia",
    "Edsger",
    "Hedy",
    "John",
    "Annie",
    "Donald",
    "Evelyn",
    "Niklaus",
    "Shafi",
    "Leslie",
    "Sophie",
    "Vint",
    "Joan",
];
const LAST: [&str; 20] = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Kowalski",
    "Haddad",
    "Novak",
    "Reyes",
    "Fischer",
    "Osei",
    "Ivanova",
    "Brennan",
    "Sato",
    "Costa",
    "Mbeki",
    "Larsen",
    "Duarte",
    "Khan",
    "Weber",
    "Quinn",
];
const PRAISE: [&str; 6] = [
    "Brings people together across teams when it matters.",
    "Always explains the why behind a decision.",
    "Makes time for one-to-ones even in busy weeks.",
    "Clear about priorities; I know what matters this quarter.",
    "Follows through on what they promise.",
    "Asks for feedback and visibly acts on it.",
];
const ADVICE: [&str; 6] = [
    "Could share context earlier, before decisions are final.",
    "Sometimes jumps to solutions before hearing the whole team.",
    "Would benefit from delegating more of the detail.",
    "Meetings with other departments could be more frequent.",
    "Could be more open about their own mistakes.",
    "Decisions occasionally get revisited once made.",
];

#[derive(Debug, Serialize)]
pub struct Demo {
    #[serde(flatten)]
    pub org: NewOrganization,
    pub people: usize,
    /// The earlier cycle, whose results the coaching started from.
    pub first_cycle_id: String,
    /// The latest cycle.
    pub cycle_id: String,
    /// A coached leader whose report and growth are worth a look, with their person id.
    pub featured_leader: (String, String),
    /// Coaching relationships set up from the cycle's suggestions.
    pub relationships: usize,
}

/// What the demo's coaching set up: how many relationships, and each coachee's focus.
struct Coaching {
    relationships: usize,
    focus: Vec<(String, Vec<String>)>,
}

/// Coaching as it would run after the cycle that ended at `ended`: HR sets up a dozen of
/// the suggested pairs a week later, both members accept, half of them met last week, some
/// coachees share the focus of their report, and every coachee sets a goal on their focus
/// and checks in on it twice. Through the same operations as the API, then dated back to
/// when it happened.
fn coaching_from_suggestions(
    conn: &mut DbConn,
    hr: &Principal,
    cycle_id: &str,
    ended: chrono::NaiveDateTime,
) -> Result<Coaching, AppError> {
    let request = SuggestionRequest {
        cross_department_weight: 1.0,
        max_coachees_per_coach: 1,
        min_coach_percentile: 75,
        seed: 1,
        shape: SuggestionShape::Pairs,
        circle_size: 4,
    };
    let suggestions = suggest::suggest(conn, hr, cycle_id, request)?.suggestions;
    let chosen = suggestions.into_iter().take(12).flat_map(|s| s.relationships).collect();
    let created = create::create_batch(conn, hr, BatchCreateRequest { relationships: chosen })?.relationships;
    let as_member = |person_id: &str| Principal {
        org_id: hr.org_id.clone(),
        actor: Actor::User { person_id: person_id.to_string(), role: Role::Member, token_from: "demo".into() },
    };
    let mut focus = Vec::new();
    for (i, relationship) in created.iter().enumerate() {
        for member in &relationship.members {
            respond::accept(conn, &as_member(&member.person_id), &relationship.id)?;
        }
        let started = ended + Duration::days(7);
        db_run!(conn, |c| diesel::update(schema::coaching_relationships::table.find(&relationship.id))
            .set((
                schema::coaching_relationships::created_at.eq(started),
                schema::coaching_relationships::updated_at.eq(started + Duration::days(3)),
                schema::coaching_relationships::starts_on.eq((started + Duration::days(7)).date()),
                schema::coaching_relationships::review_on.eq((now() + Duration::days(30)).date()),
            ))
            .execute(c))?;
        db_run!(conn, |c| diesel::update(
            schema::coaching_members::table.filter(schema::coaching_members::relationship_id.eq(&relationship.id))
        )
        .set(schema::coaching_members::accepted_at.eq(started + Duration::days(3)))
        .execute(c))?;
        let coach = relationship.members.iter().find(|m| m.role == MemberRole::Coach);
        let coachee = relationship.members.iter().find(|m| m.role == MemberRole::Coachee);
        let (Some(coach), Some(coachee)) = (coach, coachee) else { continue };
        let keys = relationship.focus_competencies.clone();
        focus.push((coachee.person_id.clone(), keys.clone()));
        if i % 2 == 0 {
            let session = CreateSessionRequest {
                held_at: (now() - Duration::days(7)).and_utc(),
                agenda: format!(
                    "First session: what the report says about {}, and one real situation to work on.",
                    keys.join(", ")
                ),
                notes: "Agreed to try one change before next time and to compare notes on how it landed.".into(),
                action_items: vec![ActionItemInput {
                    owner_id: coachee.person_id.clone(),
                    description: "Try the agreed change in next week's team meeting".into(),
                    due_on: Some((now() + Duration::days(7)).date()),
                }],
            };
            sessions::create_session(conn, &as_member(&coach.person_id), &relationship.id, session)?;
        }
        if i % 3 == 0 {
            let request = ShareRequest { cycle_id: cycle_id.to_string(), competency_keys: Some(keys.clone()) };
            share::share(conn, &as_member(&coachee.person_id), &relationship.id, request)?;
        }
        let leader = as_member(&coachee.person_id);
        let goal = CreateGoalRequest {
            competency_key: keys[0].clone(),
            title: "Make this my strength by the next cycle".into(),
            target: "My team sees the change in the next 360.".into(),
            due_on: Some((ended + Duration::days(190)).date()),
            shared_with: vec![relationship.id.clone()],
        };
        let goal = goals::create_goal(conn, &leader, &coachee.person_id, goal)?;
        db_run!(conn, |c| diesel::update(schema::goals::table.find(&goal.id))
            .set((
                schema::goals::created_at.eq(ended + Duration::days(14)),
                schema::goals::updated_at.eq(ended + Duration::days(14))
            ))
            .execute(c))?;
        for (step, progress) in [(60, 30), (120, 70)] {
            let note = "Tried it in two meetings; asked the team what they noticed.".to_string();
            let check_in = goals::check_in(conn, &leader, &goal.id, CheckInRequest { progress, note })?;
            db_run!(conn, |c| diesel::update(schema::goal_check_ins::table.find(&check_in.id))
                .set(schema::goal_check_ins::created_at.eq(ended + Duration::days(step)))
                .execute(c))?;
        }
    }
    Ok(Coaching { relationships: created.len(), focus })
}

/// Fills the database with the demo organisation.
pub fn create_demo(conn: &mut DbConn) -> Result<Demo, AppError> {
    let mut rng = Rng::new(20_261_125);
    let org = create_organization(conn, "Northwind (demo)")?;
    let at = now();

    // CEO, eight department heads, three managers under each, eight people under each manager.
    let mut staff: Vec<Person> = Vec::new();
    let mut add = |rng: &mut Rng, title: &str, department: &str, manager: Option<String>, role: Role| -> String {
        let n = staff.len();
        let first = FIRST[rng.below(FIRST.len())];
        let last = LAST[(n * 7 + rng.below(LAST.len())) % LAST.len()];
        let id = new_id();
        let email = format!("{}.{}{}@northwind.example", first.to_lowercase(), last.to_lowercase(), n);
        staff.push(Person {
            external_id: Some(format!("NW-{:04}", n + 1)),
            department: Some(department.to_string()),
            title: Some(title.to_string()),
            manager_id: manager,
            role,
            ..Person::new_member(id.clone(), &org.org_id, email, format!("{first} {last}"), at)
        });
        id
    };
    let ceo = add(&mut rng, "Chief Executive Officer", "Executive", None, Role::Admin);
    let mut heads = Vec::new();
    let mut managers = Vec::new();
    for department in DEPARTMENTS {
        let head = add(&mut rng, &format!("VP {department}"), department, Some(ceo.clone()), Role::Member);
        heads.push(head.clone());
        for team in 1..=3 {
            let manager =
                add(&mut rng, &format!("{department} Manager {team}"), department, Some(head.clone()), Role::Member);
            managers.push(manager.clone());
            for _ in 0..8 {
                add(&mut rng, "Specialist", department, Some(manager.clone()), Role::Member);
            }
        }
    }
    add(&mut rng, "People Analyst", "People", Some(heads[6].clone()), Role::Analyst);
    conn.transaction(|conn| {
        for chunk in staff.chunks(500) {
            db_run!(conn, |c| diesel::insert_into(people::table).values(chunk).execute(c))?;
        }
        Ok::<_, AppError>(())
    })?;
    // Two cycles half a year apart review every department head and manager; coaching
    // starts from the first one's results, and the second shows who grew.
    let framework_id: String = db_run!(conn, |c| frameworks::table
        .filter(frameworks::org_id.eq(&org.org_id))
        .select(frameworks::id)
        .first(c))?;
    let version_id = latest_version_id(conn, &org.org_id, &framework_id)?;
    let version = load_version(conn, &org.org_id, &version_id)?;
    let leaders: Vec<String> = heads.iter().chain(managers.iter()).cloned().collect();
    let profiles: Vec<Profile> = leaders.iter().enumerate().map(|(l, _)| Profile::draw(&mut rng, l)).collect();
    let principal = Principal {
        org_id: org.org_id.clone(),
        actor: Actor::Client { client_id: org.client_id.clone(), scopes: Scope::ALL.to_vec() },
    };
    // The demo reviews four leaders per department; a minimum of 3 (the least allowed) lets
    // its analytics show departments, where the default of 5 would withhold every one.
    crate::analytics::settings::save(conn, &principal, crate::analytics::AnalyticsSettings { min_cell: 3 })?;
    let org_chart =
        OrgChart { staff: &staff, heads: &heads, managers: &managers, leaders: &leaders, version: &version };
    let spring = run_cycle(
        conn,
        &principal,
        &org_chart,
        CycleRun { name: "Leadership 360 — spring", ended: at - Duration::days(180), profiles: &profiles, lift: &[] },
        &mut rng,
    )?;
    let coaching = coaching_from_suggestions(conn, &principal, &spring.id, spring.ends_at.unwrap_or(at))?;
    // Coached leaders grow on their focus, as the premise hopes.
    let lift: Vec<(String, usize)> = coaching
        .focus
        .iter()
        .flat_map(|(coachee, keys)| {
            keys.iter()
                .filter_map(|k| version.competencies.iter().position(|c| &c.key == k))
                .map(|c| (coachee.clone(), c))
        })
        .collect();
    let autumn = run_cycle(
        conn,
        &principal,
        &org_chart,
        CycleRun { name: "Leadership 360 — autumn", ended: at - Duration::days(1), profiles: &profiles, lift: &lift },
        &mut rng,
    )?;
    // Featured: a coached leader, whose growth shows the change.
    let featured_id = coaching.focus.first().map(|(coachee, _)| coachee.clone()).unwrap_or_else(|| leaders[0].clone());
    let featured =
        staff.iter().find(|p| p.id == featured_id).map(|p| (p.display_name.clone(), p.id.clone())).unwrap_or_default();
    Ok(Demo {
        org,
        people: staff.len(),
        first_cycle_id: spring.id,
        cycle_id: autumn.id,
        featured_leader: featured,
        relationships: coaching.relationships,
    })
}

/// Who the demo's leaders are, and whom they manage.
struct OrgChart<'a> {
    staff: &'a [Person],
    heads: &'a [String],
    managers: &'a [String],
    leaders: &'a [String],
    /// The framework version the cycles use.
    version: &'a VersionResponse,
}

impl OrgChart<'_> {
    fn manager_of(&self, id: &str) -> Option<String> {
        self.staff.iter().find(|p| p.id == id).and_then(|p| p.manager_id.clone())
    }

    fn reports_of(&self, id: &str) -> Vec<String> {
        self.staff.iter().filter(|p| p.manager_id.as_deref() == Some(id)).map(|p| p.id.clone()).collect()
    }
}

/// A leader's lasting shape in others' eyes: a level, two strong and one weak
/// competency, and for some a self-image rosier than others see.
struct Profile {
    level: i32,
    strong: [usize; 2],
    weak: usize,
    rosy: bool,
}

impl Profile {
    fn draw(rng: &mut Rng, l: usize) -> Self {
        Self {
            level: 2 + rng.below(2) as i32,
            strong: [rng.below(8), rng.below(8)],
            weak: rng.below(8),
            rosy: l.is_multiple_of(4),
        }
    }
}

struct CycleRun<'a> {
    name: &'a str,
    ended: chrono::NaiveDateTime,
    profiles: &'a [Profile],
    /// (leader, competency index) rated one point higher than their profile says.
    lift: &'a [(String, usize)],
}

/// One cycle, answered by every rater, then closed and released through the same steps
/// as the API.
fn run_cycle(
    conn: &mut DbConn,
    principal: &Principal,
    chart: &OrgChart,
    run: CycleRun,
    rng: &mut Rng,
) -> Result<Cycle, AppError> {
    let org_id = principal.org_id.clone();
    let version = chart.version;
    let at = run.ended;
    let mut cycle = Cycle {
        id: new_id(),
        org_id: org_id.clone(),
        name: run.name.into(),
        framework_version_id: version.id.clone(),
        state: CycleState::Collecting,
        starts_at: Some(at - Duration::days(20)),
        ends_at: Some(at),
        anonymity: serde_json::to_string(&AnonymitySettings::default()).map_err(AppError::internal)?,
        nomination_rules: serde_json::to_string(&NominationRules::default()).map_err(AppError::internal)?,
        version: 1,
        created_at: at - Duration::days(27),
        updated_at: at,
        rater_sign_in: RaterSignIn::Link,
        reminder_hours: serde_json::to_string(&crate::cycles::DEFAULT_REMINDER_HOURS).map_err(AppError::internal)?,
    };
    let (heads, managers, leaders) = (chart.heads, chart.managers, chart.leaders);
    conn.transaction(|conn| {
        db_run!(conn, |c| diesel::insert_into(cycles::table).values(&cycle).execute(c))?;
        for (l, leader) in leaders.iter().enumerate() {
            db_run!(conn, |c| diesel::insert_into(participants::table)
                .values((
                    participants::id.eq(new_id()),
                    participants::org_id.eq(&org_id),
                    participants::cycle_id.eq(&cycle.id),
                    participants::subject_id.eq(leader),
                    participants::created_at.eq(at),
                ))
                .execute(c))?;
            // Raters: the manager, four peers from other departments, up to four reports.
            let mut raters: Vec<(String, Relationship)> = Vec::new();
            if let Some(m) = chart.manager_of(leader) {
                raters.push((m, Relationship::Manager));
            }
            let same_level = if l < heads.len() { &heads } else { &managers };
            let mut offset = 1;
            while raters.iter().filter(|(_, r)| *r == Relationship::Peer).count() < 4 && offset < same_level.len() {
                let peer = &same_level[(l + offset * 3) % same_level.len()];
                if peer != leader && !raters.iter().any(|(p, _)| p == peer) {
                    raters.push((peer.clone(), Relationship::Peer));
                }
                offset += 1;
            }
            for report in chart.reports_of(leader).into_iter().take(4) {
                raters.push((report, Relationship::DirectReport));
            }
            let Profile { level, strong, weak, rosy } = run.profiles[l];
            raters.push((leader.clone(), Relationship::Myself));
            let mut sets: BTreeMap<Relationship, AnswerSet> = BTreeMap::new();
            for (rater, relationship) in &raters {
                if *relationship != Relationship::Myself {
                    db_run!(conn, |c| diesel::insert_into(nominations::table)
                        .values((
                            nominations::id.eq(new_id()),
                            nominations::org_id.eq(&org_id),
                            nominations::cycle_id.eq(&cycle.id),
                            nominations::subject_id.eq(leader),
                            nominations::rater_id.eq(rater),
                            nominations::relationship.eq(*relationship),
                            nominations::status.eq(NominationStatus::Approved),
                            nominations::nominated_by.eq("system"),
                            nominations::created_at.eq(at),
                        ))
                        .execute(c))?;
                }
                db_run!(conn, |c| diesel::insert_into(invitations::table)
                    .values((
                        invitations::id.eq(new_id()),
                        invitations::org_id.eq(&org_id),
                        invitations::cycle_id.eq(&cycle.id),
                        invitations::subject_id.eq(leader),
                        invitations::rater_id.eq(rater),
                        invitations::relationship.eq(*relationship),
                        invitations::status.eq(InvitationStatus::Submitted),
                        invitations::created_at.eq(at),
                    ))
                    .execute(c))?;
                let mut answers = Vec::new();
                for (c_index, competency) in version.competencies.iter().enumerate() {
                    for question in &competency.questions {
                        let (score, comment) = if question.kind == QuestionKind::Rating {
                            let mut s = level + rng.below(3) as i32 - 1;
                            if strong.contains(&c_index) {
                                s += 1;
                            }
                            if c_index == weak {
                                s -= 1;
                            }
                            if *relationship != Relationship::Myself
                                && run.lift.iter().any(|(who, c)| who == leader && *c == c_index)
                            {
                                s += 1;
                            }
                            if *relationship == Relationship::Myself && rosy {
                                s += 2;
                            }
                            (Some(s.clamp(1, 5)), None)
                        } else if rng.below(3) == 0 {
                            let pool = if rng.below(2) == 0 { &PRAISE } else { &ADVICE };
                            (None, Some(pool[rng.below(pool.len())].to_string()))
                        } else {
                            continue;
                        };
                        answers.push(CheckedAnswer { question_id: question.id.clone(), score, comment });
                    }
                }
                sets.entry(*relationship)
                    .or_insert_with(|| AnswerSet::new(&org_id, &cycle.id, leader, *relationship))
                    .add(answers);
            }
            store::insert_sets(conn, &sets.into_values().collect::<Vec<_>>())?;
        }
        Ok::<_, AppError>(())
    })?;

    // Close and release through the same steps as the API.
    conn.transaction(|conn| {
        reports::close_cycle(conn, &cycle)?;
        cycle.state = CycleState::Released;
        db_run!(conn, |c| diesel::update(cycles::table.find(&cycle.id))
            .set(cycles::state.eq(&cycle.state))
            .execute(c))?;
        reports::release(conn, principal, &cycle, None)?;
        Ok::<_, AppError>(())
    })?;
    conn.purge_deleted_rows()?;
    Ok(cycle)
}
