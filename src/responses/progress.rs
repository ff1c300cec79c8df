use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::InvitationStatus;
use crate::anonymity::Relationship;
use crate::auth::access::Permission;
use crate::auth::principal::{Actor, Principal};
use crate::cycles::{CycleState, find_cycle};
use crate::db::DbConn;
use crate::db::schema::{invitations, participants, people};
use crate::db_run;
use crate::error::AppError;
use crate::pagination::{Page, Window};

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupProgress {
    pub relationship: Relationship,
    pub invited: i64,
    pub submitted: i64,
    pub declined: i64,
    /// Not answered yet (including those who saved a draft).
    pub pending: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PendingRater {
    pub invitation_id: String,
    pub rater_id: String,
    pub display_name: String,
    pub relationship: Relationship,
    /// `pending`, or `started` when a draft is saved.
    pub status: String,
}

/// One participant's progress: counts and who to chase, never what anyone answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectProgress {
    pub subject_id: String,
    pub display_name: String,
    pub groups: Vec<GroupProgress>,
    pub pending_raters: Vec<PendingRater>,
}

/// Subject, invitation, rater, rater's name, relationship, status.
type InvitationRow = (String, String, String, String, Relationship, InvitationStatus);

/// Who has answered and whom to chase, per participant and relationship: HR sees every
/// participant, a manager their direct reports; subjects see nothing of their own cycle's
/// answers before it closes, so they are refused.
pub fn progress(
    conn: &mut DbConn,
    principal: &Principal,
    cycle_id: &str,
    window: &Window,
) -> Result<Page<SubjectProgress>, AppError> {
    let managed_by = if principal.can(Permission::ReadCycleDetails) {
        None
    } else if let Actor::User { person_id, .. } = &principal.actor {
        Some(person_id.clone())
    } else {
        return Err(AppError::Forbidden("Progress is for HR and for the participants' managers.".into()));
    };
    let cycle = find_cycle(conn, &principal.org_id, cycle_id)?;
    let subjects: Vec<(String, String, String)> = db_run!(conn, |c| {
        let mut q = participants::table
            .inner_join(people::table)
            .filter(participants::cycle_id.eq(&cycle.id))
            .select((participants::id, participants::subject_id, people::display_name))
            .order(participants::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(manager) = &managed_by {
            q = q.filter(people::manager_id.eq(manager));
        }
        if let Some(after) = &window.after {
            q = q.filter(participants::id.gt(after));
        }
        q.load(c)
    })?;
    if managed_by.is_some() && subjects.is_empty() && window.after.is_none() {
        return Err(AppError::Forbidden("Progress is for HR and for the participants' managers.".into()));
    }
    let page = window.page(subjects, |s| &s.0, |(_, id, name)| (id, name));
    let ids: Vec<&String> = page.items.iter().map(|(id, _)| id).collect();
    let rows: Vec<InvitationRow> = if cycle.state < CycleState::Collecting {
        Vec::new()
    } else {
        db_run!(conn, |c| invitations::table
            .inner_join(people::table.on(people::id.eq(invitations::rater_id)))
            .filter(invitations::cycle_id.eq(&cycle.id))
            .filter(invitations::subject_id.eq_any(&ids))
            .order(invitations::id.asc())
            .select((
                invitations::subject_id,
                invitations::id,
                invitations::rater_id,
                people::display_name,
                invitations::relationship,
                invitations::status,
            ))
            .load(c))?
    };
    let mut by_subject: BTreeMap<&str, Vec<&InvitationRow>> = BTreeMap::new();
    for row in &rows {
        by_subject.entry(row.0.as_str()).or_default().push(row);
    }
    let items = page
        .items
        .iter()
        .map(|(subject_id, name)| {
            let mut groups: BTreeMap<Relationship, GroupProgress> = BTreeMap::new();
            let mut pending_raters = Vec::new();
            for (_, invitation_id, rater_id, rater_name, relationship, status) in
                by_subject.get(subject_id.as_str()).into_iter().flatten()
            {
                let relationship = *relationship;
                let group = groups.entry(relationship).or_insert_with(|| GroupProgress {
                    relationship,
                    invited: 0,
                    submitted: 0,
                    declined: 0,
                    pending: 0,
                });
                group.invited += 1;
                match status {
                    InvitationStatus::Submitted => group.submitted += 1,
                    InvitationStatus::Declined => group.declined += 1,
                    InvitationStatus::Pending | InvitationStatus::Started => {
                        group.pending += 1;
                        pending_raters.push(PendingRater {
                            invitation_id: invitation_id.clone(),
                            rater_id: rater_id.clone(),
                            display_name: rater_name.clone(),
                            relationship,
                            status: status.to_string(),
                        });
                    }
                }
            }
            SubjectProgress {
                subject_id: subject_id.clone(),
                display_name: name.clone(),
                groups: groups.into_values().collect(),
                pending_raters,
            }
        })
        .collect();
    Ok(Page { items, next_cursor: page.next_cursor })
}
