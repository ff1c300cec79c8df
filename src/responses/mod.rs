//! What raters do: invitations, drafts, submission and decline, and the storage that
//! keeps answers unlinkable from the people who gave them.
//!
//! A submission adds the answers to their group's answer set (`store`), which holds the
//! cycle, the subject and the relationship only, as counts and sorted comments, and
//! deletes the draft, in the same transaction that marks the invitation submitted. Sets
//! and drafts are sealed under the answer key (`crate::sealing`). Closing the cycle turns
//! the sets into results (`reports::close_cycle`) and destroys them in one transaction,
//! so neither row order nor the engine's transaction ids (PostgreSQL's `xmin`) line up
//! with when each rater submitted.
//!
//! One file per operation: `links` (HR issues and revokes invitation links), `draft`,
//! `submit` and `decline` (what raters do), `invitations` (the listing reads), `queries`
//! (the reads and writes they share), and `handlers`, which only translate HTTP to those
//! calls. This file keeps the types and what other domains call: [`invite`],
//! [`open_invitations`], [`close_answers`] and [`seal_unsealed`].

pub mod answers;
mod decline;
mod draft;
mod handlers;
mod invitations;
mod links;
mod progress;
mod queries;
mod rater;
pub mod store;
mod submit;
mod unsealed;

pub use rater::Rater;
pub use submit::{Submission, Submissions, submit_batch};
pub use unsealed::seal_unsealed;

/// The routes of invitations, answering and progress.
pub fn routes(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(handlers::cycle_progress)
        .service(handlers::list_cycle_invitations)
        .service(handlers::issue_invitation_link)
        .service(handlers::revoke_invitation_link)
        .service(handlers::my_invitations)
        .service(handlers::get_invitation)
        .service(handlers::save_draft)
        .service(handlers::submit_invitation)
        .service(handlers::decline_invitation);
}

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::anonymity::Relationship;
use crate::cycles::{Cycle, NominationStatus};
// `invitations` names the listing module here; the table goes by `schema::invitations`.
use crate::db::schema::{self, nominations, participants};
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::AppError;
use crate::events::{self, Event};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = schema::invitations)]
pub struct Invitation {
    pub id: String,
    pub org_id: String,
    pub cycle_id: String,
    pub subject_id: String,
    pub rater_id: String,
    pub relationship: Relationship,
    pub status: InvitationStatus,
    pub token_hash: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    /// A draft is saved.
    Started,
    Submitted,
    Declined,
}

impl InvitationStatus {
    pub const ALL: [InvitationStatus; 4] = [Self::Pending, Self::Started, Self::Submitted, Self::Declined];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Started => "started",
            Self::Submitted => "submitted",
            Self::Declined => "declined",
        }
    }

    /// Not yet answered or declined.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Started)
    }
}

crate::stored_as_text!(InvitationStatus, "invitation status");

/// An invitation as HR and the rater see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationResponse {
    pub id: String,
    pub cycle_id: String,
    pub cycle_name: String,
    pub subject_id: String,
    pub subject_name: String,
    pub rater_id: String,
    pub relationship: Relationship,
    pub status: InvitationStatus,
    /// Whether an invitation link (`rt_inv_…` token) is in force.
    pub has_link: bool,
    pub created_at: DateTime<Utc>,
}

impl InvitationResponse {
    pub fn new(invitation: Invitation, cycle_name: String, subject_name: String) -> Self {
        Self {
            relationship: invitation.relationship,
            status: invitation.status,
            has_link: invitation.token_hash.is_some() && invitation.status.is_open(),
            id: invitation.id,
            cycle_id: invitation.cycle_id,
            cycle_name,
            subject_id: invitation.subject_id,
            subject_name,
            rater_id: invitation.rater_id,
            created_at: invitation.created_at.and_utc(),
        }
    }
}

// What a rater's draft, submission or decline answers. No doc comment: it would become
// the schema's description and change the published contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationState {
    pub invitation_id: String,
    pub status: InvitationStatus,
}

fn new_invitation(
    cycle: &Cycle,
    subject_id: &str,
    rater_id: &str,
    relationship: Relationship,
    at: NaiveDateTime,
) -> Invitation {
    Invitation {
        id: new_id(),
        org_id: cycle.org_id.clone(),
        cycle_id: cycle.id.clone(),
        subject_id: subject_id.to_string(),
        rater_id: rater_id.to_string(),
        relationship,
        status: InvitationStatus::Pending,
        token_hash: None,
        created_at: at,
    }
}

/// Invites one approved rater of a cycle that is collecting.
pub fn invite(
    conn: &mut DbConn,
    cycle: &Cycle,
    subject_id: &str,
    rater_id: &str,
    relationship: Relationship,
) -> Result<(), AppError> {
    let invitation = new_invitation(cycle, subject_id, rater_id, relationship, now());
    db_run!(conn, |c| diesel::insert_into(schema::invitations::table).values(&invitation).execute(c))?;
    store::create_sets(conn, &cycle.org_id, &cycle.id, &[(subject_id, relationship)])?;
    announce(conn, &[invitation])
}

/// When collecting starts: one invitation per approved rater and one self-assessment per
/// participant. Returns how many were created.
pub fn open_invitations(conn: &mut DbConn, cycle: &Cycle) -> Result<usize, AppError> {
    let at = now();
    let subjects: Vec<String> = db_run!(conn, |c| participants::table
        .filter(participants::cycle_id.eq(&cycle.id))
        .select(participants::subject_id)
        .load(c))?;
    let approved: Vec<(String, String, Relationship)> = db_run!(conn, |c| nominations::table
        .filter(nominations::cycle_id.eq(&cycle.id))
        .filter(nominations::status.eq(NominationStatus::Approved))
        .select((nominations::subject_id, nominations::rater_id, nominations::relationship))
        .load(c))?;
    let mut rows: Vec<Invitation> =
        subjects.iter().map(|s| new_invitation(cycle, s, s, Relationship::Myself, at)).collect();
    for (subject_id, rater_id, relationship) in &approved {
        rows.push(new_invitation(cycle, subject_id, rater_id, *relationship, at));
    }
    for chunk in rows.chunks(500) {
        db_run!(conn, |c| diesel::insert_into(schema::invitations::table).values(chunk).execute(c))?;
    }
    let mut groups: Vec<(&str, Relationship)> = rows.iter().map(|i| (i.subject_id.as_str(), i.relationship)).collect();
    groups.sort_unstable();
    groups.dedup();
    store::create_sets(conn, &cycle.org_id, &cycle.id, &groups)?;
    announce(conn, &rows)?;
    Ok(rows.len())
}

/// Tells webhooks of new invitations, so that the HR system can send each rater a link.
fn announce(conn: &mut DbConn, invitations: &[Invitation]) -> Result<(), AppError> {
    let Some(org_id) = invitations.first().map(|i| i.org_id.clone()) else { return Ok(()) };
    let created: Vec<Event> = invitations
        .iter()
        .map(|i| Event::InvitationCreated {
            cycle_id: i.cycle_id.clone(),
            invitation_id: i.id.clone(),
            subject_id: i.subject_id.clone(),
            rater_id: i.rater_id.clone(),
            relationship: i.relationship.as_str(),
        })
        .collect();
    Ok(events::record_by_system(conn, &org_id, &created)?)
}

/// When a cycle closes: drafts are discarded and links stop working. The answer sets are
/// then turned into the cycle's results by `reports::close_cycle`.
pub fn close_answers(conn: &mut DbConn, cycle: &Cycle) -> Result<(), AppError> {
    use crate::db::schema::response_drafts;
    let of_cycle = schema::invitations::table.filter(schema::invitations::cycle_id.eq(&cycle.id));
    db_run!(conn, |c| diesel::delete(
        response_drafts::table.filter(response_drafts::invitation_id.eq_any(of_cycle.select(schema::invitations::id)))
    )
    .execute(c))?;
    db_run!(conn, |c| diesel::update(of_cycle.filter(schema::invitations::token_hash.is_not_null()))
        .set(schema::invitations::token_hash.eq(None::<String>))
        .execute(c))?;
    Ok(())
}
