//! The decisions of a bulk upsert, without I/O: given the rows and what is stored of the
//! people they name, which rows create, update, leave unchanged or are refused (with
//! their reasons), and whom a snapshot deactivates. [`super::upsert`] loads and writes.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use validator::Validate;

use super::update::UpdatePersonRequest;
use super::upsert::{PersonRow, RowInput, RowResult, RowStatus};
use super::{Person, chain_reaches};
use crate::auth::access::Role;
use crate::error::{AppError, FieldError};

/// The rows after their own checks: a result for every row (refused until decided
/// otherwise) and the rows still in the running, with their position.
pub struct CheckedRows {
    pub results: Vec<RowResult>,
    pub candidates: Vec<(usize, PersonRow)>,
}

/// What is stored of the people the rows name.
#[derive(Debug, Default)]
pub struct Stored {
    /// By external id: the rows' own and their managers'.
    pub by_external_id: HashMap<String, Person>,
    /// The holders of the rows' e-mail addresses.
    pub by_email: HashMap<String, Person>,
    /// Person id to manager id, for the organisation; empty when no row updates someone
    /// (a loop then cannot run through stored people).
    pub links: HashMap<String, String>,
    /// Id and external id of every active person, when the rows are a snapshot; else empty.
    pub active: Vec<(String, String)>,
}

/// What to write, and the answer for every row.
#[derive(Debug)]
pub struct UpsertPlan {
    pub results: Vec<RowResult>,
    /// New people, managers before the people they manage.
    pub create: Vec<Person>,
    /// Each as stored and as it becomes (version and time are set when written).
    pub update: Vec<(Person, Person)>,
    /// Ids of the people a snapshot leaves out.
    pub deactivate: Vec<String>,
}

/// A row that passed its own checks, on its way in.
struct Pending {
    index: usize,
    row: PersonRow,
    existing: Option<Person>,
    id: String,
    manager_id: Option<String>,
}

fn field_errors(e: validator::ValidationErrors) -> Vec<FieldError> {
    match AppError::from(e) {
        AppError::Validation(errors) => errors,
        _ => Vec::new(),
    }
}

/// Each row on its own (normalized, validated), and duplicates within the request: a
/// later row with an external id or e-mail already seen is refused.
pub fn check_rows(rows: Vec<RowInput>) -> CheckedRows {
    let mut results: Vec<RowResult> = rows
        .iter()
        .map(|r| RowResult {
            row: r.label,
            external_id: r.external_id.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string),
            status: RowStatus::Error,
            id: None,
            errors: Vec::new(),
        })
        .collect();
    let mut candidates = Vec::new();
    let mut seen_external = HashSet::new();
    let mut seen_email = HashSet::new();
    for (i, input) in rows.into_iter().enumerate() {
        let mut row = match input.row {
            Ok(row) => row,
            Err(errors) => {
                results[i].errors = errors;
                continue;
            }
        };
        row.normalize();
        if let Err(e) = row.validate() {
            results[i].errors = field_errors(e);
            continue;
        }
        if !seen_external.insert(row.external_id.clone()) {
            results[i].errors.push(FieldError::new("external_id", "duplicate", "appears in an earlier row"));
            continue;
        }
        if !seen_email.insert(row.email.clone()) {
            results[i].errors.push(FieldError::new("email", "duplicate", "appears in an earlier row"));
            continue;
        }
        candidates.push((i, row));
    }
    CheckedRows { results, candidates }
}

/// Decides every row. `new_id` names each person to create; `at` is their creation time.
pub fn plan_upsert(
    checked: CheckedRows,
    stored: &Stored,
    org_id: &str,
    at: NaiveDateTime,
    mut new_id: impl FnMut() -> String,
) -> UpsertPlan {
    let CheckedRows { mut results, candidates } = checked;
    let mut pending = Vec::new();
    for (index, row) in candidates {
        let current = stored.by_external_id.get(&row.external_id).cloned();
        if let Some(holder) = stored.by_email.get(&row.email)
            && Some(&holder.id) != current.as_ref().map(|p| &p.id)
        {
            results[index].errors.push(FieldError::new(
                "email",
                "taken",
                "another person of the organisation has this e-mail address",
            ));
            continue;
        }
        let id = current.as_ref().map(|p| p.id.clone()).unwrap_or_else(&mut new_id);
        pending.push(Pending { index, row, existing: current, id, manager_id: None });
    }
    resolve_managers(&mut pending, stored, &mut results);
    refuse_loops(&mut pending, stored, &mut results);

    let mut create = Vec::new();
    let mut update = Vec::new();
    for p in pending {
        match p.existing {
            None => {
                results[p.index].status = RowStatus::Created;
                results[p.index].id = Some(p.id.clone());
                create.push(Person {
                    external_id: Some(p.row.external_id),
                    department: p.row.department,
                    title: p.row.title,
                    manager_id: p.manager_id,
                    role: p.row.role.unwrap_or(Role::Member),
                    active: p.row.active.unwrap_or(true),
                    ..Person::new_member(p.id, org_id, p.row.email, p.row.display_name, at)
                });
            }
            Some(current) => {
                // The row is the whole truth for its fields, except an absent role or
                // active flag, which keeps the stored one.
                let change = UpdatePersonRequest {
                    external_id: None,
                    email: Some(p.row.email),
                    display_name: Some(p.row.display_name),
                    department: Some(p.row.department),
                    title: Some(p.row.title),
                    manager_id: Some(p.manager_id),
                    role: p.row.role,
                    active: p.row.active,
                    ..Default::default()
                };
                let next = change.apply_to(&current);
                results[p.index].id = Some(current.id.clone());
                if next == current {
                    results[p.index].status = RowStatus::Unchanged;
                } else {
                    results[p.index].status = RowStatus::Updated;
                    update.push((current, next));
                }
            }
        }
    }
    let create = managers_first(create);

    let listed: HashSet<&String> = results.iter().filter_map(|r| r.external_id.as_ref()).collect();
    let deactivate = stored
        .active
        .iter()
        .filter(|(_, external_id)| !listed.contains(external_id))
        .map(|(id, _)| id.clone())
        .collect();
    UpsertPlan { results, create, update, deactivate }
}

/// Managers: rows of this request, or people already stored (also when the manager's own
/// row in this request was refused).
fn resolve_managers(pending: &mut Vec<Pending>, stored: &Stored, results: &mut [RowResult]) {
    // A refused row cannot be anyone's manager, so refusals can cascade; repeat until stable.
    loop {
        let ids: HashMap<&String, &String> = pending.iter().map(|p| (&p.row.external_id, &p.id)).collect();
        let mut refused = Vec::new();
        let mut resolved = Vec::new();
        for (pos, p) in pending.iter().enumerate() {
            let Some(manager) = &p.row.manager_external_id else {
                resolved.push(None);
                continue;
            };
            if manager == &p.row.external_id {
                refused.push((
                    pos,
                    FieldError::new("manager_external_id", "self", "a person cannot be their own manager"),
                ));
                resolved.push(None);
            } else if let Some(id) =
                ids.get(manager).copied().or_else(|| stored.by_external_id.get(manager).map(|p| &p.id))
            {
                resolved.push(Some(id.clone()));
            } else {
                refused.push((
                    pos,
                    FieldError::new(
                        "manager_external_id",
                        "not_found",
                        "no person of the organisation has this external id",
                    ),
                ));
                resolved.push(None);
            }
        }
        for (p, manager_id) in pending.iter_mut().zip(resolved) {
            p.manager_id = manager_id;
        }
        if refused.is_empty() {
            return;
        }
        for (pos, error) in refused.into_iter().rev() {
            let p = pending.remove(pos);
            results[p.index].errors.push(error);
        }
    }
}

/// Refuses the rows that would close a loop in the management chain once applied,
/// repeating until none does.
fn refuse_loops(pending: &mut Vec<Pending>, stored: &Stored, results: &mut [RowResult]) {
    if !pending.iter().any(|p| p.manager_id.is_some()) {
        return;
    }
    // Nobody stored has a person this request creates as manager, so when every row is
    // new a loop can only run through the request's own rows.
    let all_new = pending.iter().all(|p| p.existing.is_none());
    loop {
        let mut links = if all_new { HashMap::new() } else { stored.links.clone() };
        for p in pending.iter() {
            match &p.manager_id {
                Some(m) => links.insert(p.id.clone(), m.clone()),
                None => links.remove(&p.id),
            };
        }
        let looped: Vec<usize> = pending
            .iter()
            .enumerate()
            .filter(|(_, p)| p.manager_id.as_ref().is_some_and(|m| chain_reaches(&links, m, &p.id)))
            .map(|(pos, _)| pos)
            .collect();
        if looped.is_empty() {
            return;
        }
        for pos in looped.into_iter().rev() {
            let p = pending.remove(pos);
            results[p.index].errors.push(FieldError::new(
                "manager_external_id",
                "cycle",
                "this manager reports, directly or not, to this person",
            ));
        }
    }
}

/// New people sorted by how many new managers stand above them, so that every inserted
/// row's manager is stored already.
fn managers_first(new: Vec<Person>) -> Vec<Person> {
    let by_id: HashMap<&str, &Person> = new.iter().map(|p| (p.id.as_str(), p)).collect();
    let depth = |person: &Person| {
        let mut depth = 0usize;
        let mut current = person;
        while let Some(manager) = current.manager_id.as_deref().and_then(|m| by_id.get(m)) {
            depth += 1;
            current = manager;
        }
        depth
    };
    let mut order: Vec<(usize, usize)> = new.iter().enumerate().map(|(pos, p)| (depth(p), pos)).collect();
    order.sort_unstable();
    let mut slots: Vec<Option<Person>> = new.into_iter().map(Some).collect();
    order.into_iter().filter_map(|(_, pos)| slots[pos].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).map(|t| t.naive_utc()).unwrap_or_default()
    }

    fn row(external_id: &str, manager: Option<&str>) -> PersonRow {
        PersonRow {
            external_id: external_id.into(),
            email: format!("{}@example.com", external_id.to_lowercase()),
            display_name: format!("Person {external_id}"),
            department: None,
            title: None,
            manager_external_id: manager.map(str::to_string),
            role: None,
            active: None,
        }
    }

    fn stored_person(id: &str, external_id: &str) -> Person {
        Person {
            id: id.into(),
            org_id: "org".into(),
            external_id: Some(external_id.into()),
            email: format!("{}@example.com", external_id.to_lowercase()),
            display_name: format!("Person {external_id}"),
            department: None,
            title: None,
            manager_id: None,
            role: Role::Member,
            active: true,
            version: 3,
            created_at: at(),
            updated_at: at(),
            user_name: None,
            employee_number: None,
            deprovisioned: false,
        }
    }

    fn stored(people: &[Person]) -> Stored {
        Stored {
            by_external_id: people.iter().map(|p| (p.external_id.clone().unwrap_or_default(), p.clone())).collect(),
            by_email: people.iter().map(|p| (p.email.clone(), p.clone())).collect(),
            ..Default::default()
        }
    }

    fn plan(rows: Vec<PersonRow>, stored: &Stored) -> UpsertPlan {
        let mut n = 0;
        let rows = rows.into_iter().enumerate().map(RowInput::from).collect();
        plan_upsert(check_rows(rows), stored, "org", at(), || {
            n += 1;
            format!("new-{n}")
        })
    }

    fn codes(result: &RowResult) -> Vec<(&str, &str)> {
        result.errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect()
    }

    #[test]
    fn new_rows_are_created_managers_first() {
        let plan = plan(vec![row("E-2", Some("E-1")), row("E-1", None)], &Stored::default());
        let statuses: Vec<RowStatus> = plan.results.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [RowStatus::Created, RowStatus::Created]);
        let order: Vec<Option<&str>> = plan.create.iter().map(|p| p.external_id.as_deref()).collect();
        assert_eq!(order, [Some("E-1"), Some("E-2")]);
        assert_eq!(plan.create[1].manager_id.as_deref(), Some(plan.create[0].id.as_str()));
        assert_eq!((plan.create[0].role, plan.create[0].active, plan.create[0].version), (Role::Member, true, 1));
        assert!(plan.update.is_empty() && plan.deactivate.is_empty());
    }

    #[test]
    fn a_changed_row_updates_and_an_identical_one_is_left_alone() {
        let stored = stored(&[stored_person("p1", "E-1"), stored_person("p2", "E-2")]);
        let mut changed = row("E-1", None);
        changed.title = Some("CTO".into());
        let plan = plan(vec![changed, row("E-2", None)], &stored);
        assert_eq!(plan.results[0].status, RowStatus::Updated);
        assert_eq!(plan.results[1].status, RowStatus::Unchanged);
        assert_eq!(plan.results[1].id.as_deref(), Some("p2"));
        let [(current, next)] = plan.update.as_slice() else { panic!("one update expected") };
        assert_eq!((current.id.as_str(), next.title.as_deref()), ("p1", Some("CTO")));
        // An absent role or active flag keeps the stored value; the version moves when written.
        assert_eq!((next.role, next.active, next.version), (Role::Member, true, 3));
        assert!(plan.create.is_empty());
    }

    #[test]
    fn a_repeated_external_id_refuses_the_later_row() {
        let mut again = row("E-1", None);
        again.email = "other@example.com".into();
        let plan = plan(vec![row("E-1", None), again], &Stored::default());
        assert_eq!(plan.results[0].status, RowStatus::Created);
        assert_eq!(plan.results[1].status, RowStatus::Error);
        assert_eq!(codes(&plan.results[1]), [("external_id", "duplicate")]);
        assert_eq!(plan.create.len(), 1);
    }

    #[test]
    fn a_loop_among_new_rows_refuses_every_row_in_it() {
        let plan = plan(vec![row("A", Some("B")), row("B", Some("A")), row("C", Some("C"))], &Stored::default());
        assert_eq!(codes(&plan.results[0]), [("manager_external_id", "cycle")]);
        assert_eq!(codes(&plan.results[1]), [("manager_external_id", "cycle")]);
        assert_eq!(codes(&plan.results[2]), [("manager_external_id", "self")]);
        assert!(plan.create.is_empty());
    }

    #[test]
    fn refused_rows_carry_their_reasons_and_cannot_manage_anyone() {
        let stored = stored(&[stored_person("p9", "E-9")]);
        let mut bad_email = row("E-1", None);
        bad_email.email = "not an address".into();
        let mut taken = row("E-3", None);
        taken.email = "e-9@example.com".into();
        let plan = plan(vec![bad_email, row("E-2", Some("E-1")), taken, row("E-4", Some("E-9"))], &stored);
        assert_eq!(codes(&plan.results[0]), [("email", "email")]);
        assert_eq!(codes(&plan.results[1]), [("manager_external_id", "not_found")]);
        assert_eq!(codes(&plan.results[2]), [("email", "taken")]);
        assert_eq!(plan.results[3].status, RowStatus::Created);
        assert_eq!(plan.create[0].manager_id.as_deref(), Some("p9"));
        assert!(plan.results[..3].iter().all(|r| r.status == RowStatus::Error && r.id.is_none()));
    }

    #[test]
    fn a_snapshot_deactivates_only_whom_it_leaves_out() {
        let mut stored = stored(&[stored_person("p1", "E-1")]);
        stored.active = vec![("p1".into(), "E-1".into()), ("p2".into(), "E-2".into())];
        let plan = plan(vec![row("E-1", None)], &stored);
        assert_eq!(plan.deactivate, ["p2"]);
    }
}
