//! What happened, as a type: every administrative change and every report read is one
//! [`Event`], recorded by [`record`] in the same transaction as the change itself.
//!
//! An event becomes a row of the audit log and, when an endpoint of the organisation
//! subscribes to what it announces, the webhook messages and deliveries of the outbox
//! ([`outbox`]): a change and its notification commit or roll back together.

pub mod outbox;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use chrono::NaiveDateTime;

use crate::auth::principal::Principal;
use crate::db::batch::Batcher;
use crate::db::schema::audit_events;
use crate::db::{DbConn, DbPool, new_id, now};
use crate::db_run;
use crate::error::AppError;

/// One change worth recording. Fields are plain values, so that every domain can name its
/// events here without this module depending on any of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    OrganizationCreated {
        org_id: String,
        name: String,
        admin_client_id: String,
    },
    /// `scopes` as stored: space separated.
    ClientCreated {
        id: String,
        name: String,
        scopes: String,
    },
    ClientRevoked {
        id: String,
        client_id: String,
    },
    UserTokenMinted {
        person_id: String,
        ttl_seconds: u64,
    },
    PersonCreated {
        person_id: String,
        email: String,
    },
    PersonUpdated {
        person_id: String,
        changed: Vec<&'static str>,
    },
    PersonDeactivated {
        person_id: String,
        changed: Vec<&'static str>,
    },
    PeopleBulkUpserted {
        source: &'static str,
        created: usize,
        updated: usize,
        deactivated: usize,
        refused: usize,
    },
    FrameworkCreated {
        framework_id: String,
        name: String,
    },
    FrameworkVersionCreated {
        framework_id: String,
        version: i32,
        version_id: String,
    },
    CycleCreated {
        cycle_id: String,
        name: String,
    },
    CycleUpdated {
        cycle_id: String,
        changed: Vec<&'static str>,
    },
    CycleStateChanged {
        cycle_id: String,
        from: &'static str,
        to: &'static str,
        effect: Option<StateChangeEffect>,
    },
    ParticipantsAdded {
        cycle_id: String,
        subject_ids: Vec<String>,
    },
    ParticipantsRemoved {
        cycle_id: String,
        subject_ids: Vec<String>,
    },
    NominationCreated {
        cycle_id: String,
        nomination_id: String,
        subject_id: String,
        rater_id: String,
        relationship: &'static str,
        status: &'static str,
        /// Why HR named a manager rater the directory does not.
        override_reason: Option<String>,
    },
    NominationDecided {
        cycle_id: String,
        nomination_id: String,
        status: &'static str,
    },
    /// Announced to webhooks only: the audit log has the state change or the nomination
    /// that made the invitation.
    InvitationCreated {
        cycle_id: String,
        invitation_id: String,
        subject_id: String,
        rater_id: String,
        relationship: &'static str,
    },
    /// Announced to webhooks only: a rater who has not answered, as the cycle's end nears.
    InvitationReminder {
        cycle_id: String,
        invitation_id: String,
        subject_id: String,
        rater_id: String,
        relationship: &'static str,
        ends_at: chrono::DateTime<chrono::Utc>,
        hours_before_end: u32,
    },
    /// Announced to webhooks only, once an hour at most: how many answers each subject
    /// whose count changed now has. Nothing finer than the hour, nothing of any rater.
    ResponsesCounted {
        cycle_id: String,
        /// The previous count's hour; `None` for the cycle's first.
        period_start: Option<chrono::DateTime<chrono::Utc>>,
        period_end: chrono::DateTime<chrono::Utc>,
        /// Answers in the whole cycle, and how many of them came in this period.
        submitted: i64,
        submitted_in_period: i64,
        /// (subject id, answers about them) for the subjects whose count changed.
        subjects: Vec<(String, i64)>,
    },
    InvitationLinkIssued {
        cycle_id: String,
        invitation_id: String,
    },
    InvitationLinkRevoked {
        cycle_id: String,
        invitation_id: String,
    },
    /// `share_ids`: the shares a coach read it through; empty for HR and the subject.
    ReportRead {
        cycle_id: String,
        subject_id: String,
        share_ids: Vec<String>,
    },
    ReportsReleased {
        cycle_id: String,
        subject_ids: Vec<String>,
    },
    CoachingRelationshipCreated {
        relationship_id: String,
        kind: &'static str,
        member_ids: Vec<String>,
        /// Why HR let a leader coach their manager or a direct report.
        override_reason: Option<String>,
    },
    /// A proposed relationship's agreement or focus changed; every acceptance but the
    /// editor's starts over.
    CoachingRelationshipAmended {
        relationship_id: String,
        changed: Vec<&'static str>,
    },
    CoachingAgreementAccepted {
        relationship_id: String,
        person_id: String,
        /// Whether this acceptance, the last one missing, made the relationship active.
        activated: bool,
    },
    CoachingRelationshipStatusChanged {
        relationship_id: String,
        from: &'static str,
        to: &'static str,
        reason: Option<String>,
    },
    /// `competency_keys`: `None` for the whole report.
    ReportShared {
        relationship_id: String,
        share_id: String,
        cycle_id: String,
        subject_id: String,
        competency_keys: Option<Vec<String>>,
    },
    ReportShareRevoked {
        relationship_id: String,
        share_id: String,
    },
    AnalyticsSettingsChanged {
        min_cell: i32,
    },
    WebhookEndpointCreated {
        endpoint_id: String,
        url: String,
        event_types: Vec<WebhookEvent>,
    },
    WebhookEndpointUpdated {
        endpoint_id: String,
        changed: Vec<&'static str>,
    },
    WebhookEndpointDeleted {
        endpoint_id: String,
    },
    /// The old secret keeps signing for `grace_seconds`.
    WebhookSecretRotated {
        endpoint_id: String,
        grace_seconds: u32,
    },
    /// The service stopped delivering to an endpoint (it answered 410 Gone).
    WebhookEndpointDisabled {
        endpoint_id: String,
        reason: String,
    },
    WebhookRedeliveryRequested {
        endpoint_id: String,
        delivery_id: String,
    },
}

/// What webhooks announce: the event types an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub enum WebhookEvent {
    /// A cycle moved to another state.
    #[serde(rename = "cycle.state_changed")]
    CycleStateChanged,
    /// A rater (or the subject, for their self-assessment) was invited: fetch a link
    /// for the invitation and send it.
    #[serde(rename = "invitation.created")]
    InvitationCreated,
    /// An invitation is still open as the cycle's end nears.
    #[serde(rename = "invitation.reminder")]
    InvitationReminder,
    /// Answers arrived in a cycle during an hour: counts only.
    #[serde(rename = "response.submitted")]
    ResponseSubmitted,
    /// A subject can read their report.
    #[serde(rename = "report.released")]
    ReportReleased,
    #[serde(rename = "coaching.relationship_created")]
    CoachingRelationshipCreated,
    #[serde(rename = "coaching.agreement_accepted")]
    CoachingAgreementAccepted,
    #[serde(rename = "person.deactivated")]
    PersonDeactivated,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 8] = [
        Self::CycleStateChanged,
        Self::InvitationCreated,
        Self::InvitationReminder,
        Self::ResponseSubmitted,
        Self::ReportReleased,
        Self::CoachingRelationshipCreated,
        Self::CoachingAgreementAccepted,
        Self::PersonDeactivated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CycleStateChanged => "cycle.state_changed",
            Self::InvitationCreated => "invitation.created",
            Self::InvitationReminder => "invitation.reminder",
            Self::ResponseSubmitted => "response.submitted",
            Self::ReportReleased => "report.released",
            Self::CoachingRelationshipCreated => "coaching.relationship_created",
            Self::CoachingAgreementAccepted => "coaching.agreement_accepted",
            Self::PersonDeactivated => "person.deactivated",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// What a state change did besides changing the state, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChangeEffect {
    InvitationsOpened(usize),
    AnswersSealed(usize),
    ReportsReleased(usize),
}

impl Event {
    /// The stable name of the event, as the audit log and webhooks show it.
    pub fn action(&self) -> &'static str {
        match self {
            Event::OrganizationCreated { .. } => "organization.created",
            Event::ClientCreated { .. } => "client.created",
            Event::ClientRevoked { .. } => "client.revoked",
            Event::UserTokenMinted { .. } => "user_token.minted",
            Event::PersonCreated { .. } => "person.created",
            Event::PersonUpdated { .. } => "person.updated",
            Event::PersonDeactivated { .. } => "person.deactivated",
            Event::PeopleBulkUpserted { .. } => "people.bulk_upserted",
            Event::FrameworkCreated { .. } => "framework.created",
            Event::FrameworkVersionCreated { .. } => "framework.version_created",
            Event::CycleCreated { .. } => "cycle.created",
            Event::CycleUpdated { .. } => "cycle.updated",
            Event::CycleStateChanged { .. } => "cycle.state_changed",
            Event::ParticipantsAdded { .. } => "cycle.participants_added",
            Event::ParticipantsRemoved { .. } => "cycle.participants_removed",
            Event::NominationCreated { .. } => "nomination.created",
            Event::NominationDecided { .. } => "nomination.decided",
            Event::InvitationCreated { .. } => "invitation.created",
            Event::InvitationReminder { .. } => "invitation.reminder",
            Event::ResponsesCounted { .. } => "response.submitted",
            Event::InvitationLinkIssued { .. } => "invitation.link_issued",
            Event::InvitationLinkRevoked { .. } => "invitation.link_revoked",
            Event::ReportRead { .. } => "report.read",
            Event::ReportsReleased { .. } => "reports.released",
            Event::CoachingRelationshipCreated { .. } => "coaching.relationship_created",
            Event::CoachingRelationshipAmended { .. } => "coaching.relationship_amended",
            Event::CoachingAgreementAccepted { .. } => "coaching.agreement_accepted",
            Event::CoachingRelationshipStatusChanged { .. } => "coaching.relationship_status_changed",
            Event::ReportShared { .. } => "report.shared",
            Event::ReportShareRevoked { .. } => "report.share_revoked",
            Event::AnalyticsSettingsChanged { .. } => "analytics.settings_changed",
            Event::WebhookEndpointCreated { .. } => "webhook_endpoint.created",
            Event::WebhookEndpointUpdated { .. } => "webhook_endpoint.updated",
            Event::WebhookEndpointDeleted { .. } => "webhook_endpoint.deleted",
            Event::WebhookSecretRotated { .. } => "webhook_endpoint.secret_rotated",
            Event::WebhookEndpointDisabled { .. } => "webhook_endpoint.disabled",
            Event::WebhookRedeliveryRequested { .. } => "webhook_delivery.redelivery_requested",
        }
    }

    /// The kind and id of what the event is about.
    pub fn target(&self) -> (&'static str, Option<&str>) {
        match self {
            Event::OrganizationCreated { org_id, .. } => ("organization", Some(org_id)),
            Event::ClientCreated { id, .. } | Event::ClientRevoked { id, .. } => ("client", Some(id)),
            Event::UserTokenMinted { person_id, .. }
            | Event::PersonCreated { person_id, .. }
            | Event::PersonUpdated { person_id, .. }
            | Event::PersonDeactivated { person_id, .. } => ("person", Some(person_id)),
            Event::PeopleBulkUpserted { .. } => ("person", None),
            Event::FrameworkCreated { framework_id, .. } | Event::FrameworkVersionCreated { framework_id, .. } => {
                ("framework", Some(framework_id))
            }
            Event::CycleCreated { cycle_id, .. }
            | Event::CycleUpdated { cycle_id, .. }
            | Event::CycleStateChanged { cycle_id, .. }
            | Event::ParticipantsAdded { cycle_id, .. }
            | Event::ParticipantsRemoved { cycle_id, .. }
            | Event::NominationCreated { cycle_id, .. }
            | Event::NominationDecided { cycle_id, .. }
            | Event::InvitationCreated { cycle_id, .. }
            | Event::InvitationReminder { cycle_id, .. }
            | Event::ResponsesCounted { cycle_id, .. }
            | Event::InvitationLinkIssued { cycle_id, .. }
            | Event::InvitationLinkRevoked { cycle_id, .. }
            | Event::ReportRead { cycle_id, .. }
            | Event::ReportsReleased { cycle_id, .. } => ("cycle", Some(cycle_id)),
            Event::CoachingRelationshipCreated { relationship_id, .. }
            | Event::CoachingRelationshipAmended { relationship_id, .. }
            | Event::CoachingAgreementAccepted { relationship_id, .. }
            | Event::CoachingRelationshipStatusChanged { relationship_id, .. }
            | Event::ReportShared { relationship_id, .. }
            | Event::ReportShareRevoked { relationship_id, .. } => ("coaching_relationship", Some(relationship_id)),
            Event::AnalyticsSettingsChanged { .. } => ("analytics_settings", None),
            Event::WebhookEndpointCreated { endpoint_id, .. }
            | Event::WebhookEndpointUpdated { endpoint_id, .. }
            | Event::WebhookEndpointDeleted { endpoint_id }
            | Event::WebhookSecretRotated { endpoint_id, .. }
            | Event::WebhookEndpointDisabled { endpoint_id, .. }
            | Event::WebhookRedeliveryRequested { endpoint_id, .. } => ("webhook_endpoint", Some(endpoint_id)),
        }
    }

    /// The event's particulars, beyond its name and target.
    pub fn details(&self) -> Value {
        match self {
            Event::OrganizationCreated { name, admin_client_id, .. } => {
                json!({ "name": name, "admin_client_id": admin_client_id })
            }
            Event::ClientCreated { name, scopes, .. } => json!({ "name": name, "scopes": scopes }),
            Event::ClientRevoked { client_id, .. } => json!({ "client_id": client_id }),
            Event::UserTokenMinted { ttl_seconds, .. } => json!({ "ttl_seconds": ttl_seconds }),
            Event::PersonCreated { email, .. } => json!({ "email": email }),
            Event::PersonUpdated { changed, .. }
            | Event::PersonDeactivated { changed, .. }
            | Event::CycleUpdated { changed, .. }
            | Event::CoachingRelationshipAmended { changed, .. }
            | Event::WebhookEndpointUpdated { changed, .. } => json!({ "changed": changed }),
            Event::PeopleBulkUpserted { source, created, updated, deactivated, refused } => json!({
                "source": source, "created": created, "updated": updated,
                "deactivated": deactivated, "refused": refused,
            }),
            Event::FrameworkCreated { name, .. } => json!({ "name": name }),
            Event::FrameworkVersionCreated { version, version_id, .. } => {
                json!({ "version": version, "version_id": version_id })
            }
            Event::CycleCreated { name, .. } => json!({ "name": name }),
            Event::CycleStateChanged { from, to, effect, .. } => {
                let mut details = json!({ "from": from, "to": to });
                let (key, count) = match effect {
                    Some(StateChangeEffect::InvitationsOpened(n)) => ("invitations", json!(n)),
                    Some(StateChangeEffect::AnswersSealed(n)) => ("answers", json!(n)),
                    Some(StateChangeEffect::ReportsReleased(n)) => ("reports_released", json!(n)),
                    None => return details,
                };
                details[key] = count;
                details
            }
            Event::ParticipantsAdded { subject_ids, .. }
            | Event::ParticipantsRemoved { subject_ids, .. }
            | Event::ReportsReleased { subject_ids, .. } => json!({ "subject_ids": subject_ids }),
            Event::NominationCreated {
                nomination_id,
                subject_id,
                rater_id,
                relationship,
                status,
                override_reason,
                ..
            } => {
                let mut details = json!({
                    "nomination_id": nomination_id, "subject_id": subject_id, "rater_id": rater_id,
                    "relationship": relationship, "status": status,
                });
                if let Some(reason) = override_reason {
                    details["override_reason"] = json!(reason);
                }
                details
            }
            Event::NominationDecided { nomination_id, status, .. } => {
                json!({ "nomination_id": nomination_id, "status": status })
            }
            Event::InvitationLinkIssued { invitation_id, .. } | Event::InvitationLinkRevoked { invitation_id, .. } => {
                json!({ "invitation_id": invitation_id })
            }
            Event::ReportRead { subject_id, share_ids, .. } if share_ids.is_empty() => {
                json!({ "subject_id": subject_id })
            }
            Event::ReportRead { subject_id, share_ids, .. } => {
                json!({ "subject_id": subject_id, "share_ids": share_ids })
            }
            Event::CoachingRelationshipCreated { kind, member_ids, override_reason, .. } => {
                let mut details = json!({ "kind": kind, "member_ids": member_ids });
                if let Some(reason) = override_reason {
                    details["override_reason"] = json!(reason);
                }
                details
            }
            Event::CoachingAgreementAccepted { person_id, activated, .. } => {
                json!({ "person_id": person_id, "activated": activated })
            }
            Event::CoachingRelationshipStatusChanged { from, to, reason, .. } => {
                json!({ "from": from, "to": to, "reason": reason })
            }
            Event::ReportShared { share_id, cycle_id, subject_id, competency_keys, .. } => json!({
                "share_id": share_id, "cycle_id": cycle_id, "subject_id": subject_id,
                "competency_keys": competency_keys,
            }),
            Event::ReportShareRevoked { share_id, .. } => json!({ "share_id": share_id }),
            Event::AnalyticsSettingsChanged { min_cell } => json!({ "min_cell": min_cell }),
            Event::InvitationCreated { invitation_id, subject_id, rater_id, relationship, .. } => json!({
                "invitation_id": invitation_id, "subject_id": subject_id, "rater_id": rater_id,
                "relationship": relationship,
            }),
            Event::InvitationReminder {
                invitation_id,
                subject_id,
                rater_id,
                relationship,
                ends_at,
                hours_before_end,
                ..
            } => json!({
                "invitation_id": invitation_id, "subject_id": subject_id, "rater_id": rater_id,
                "relationship": relationship, "ends_at": ends_at, "hours_before_end": hours_before_end,
            }),
            Event::ResponsesCounted { period_start, period_end, submitted, submitted_in_period, subjects, .. } => {
                let subjects: Vec<Value> =
                    subjects.iter().map(|(id, n)| json!({ "subject_id": id, "submitted": n })).collect();
                json!({
                    "period_start": period_start, "period_end": period_end, "submitted": submitted,
                    "submitted_in_period": submitted_in_period, "subjects": subjects,
                })
            }
            Event::WebhookEndpointCreated { url, event_types, .. } => json!({ "url": url, "event_types": event_types }),
            Event::WebhookEndpointDeleted { .. } => json!({}),
            Event::WebhookSecretRotated { grace_seconds, .. } => json!({ "grace_seconds": grace_seconds }),
            Event::WebhookEndpointDisabled { reason, .. } => json!({ "reason": reason }),
            Event::WebhookRedeliveryRequested { delivery_id, .. } => json!({ "delivery_id": delivery_id }),
        }
    }

    /// Whether the audit log keeps it. Every event is audited but those made for webhooks
    /// alone: the invitations a state change or a nomination makes (the audit entry of
    /// that change counts them), reminders and counts of answers.
    fn audited(&self) -> bool {
        !matches!(
            self,
            Event::InvitationCreated { .. } | Event::InvitationReminder { .. } | Event::ResponsesCounted { .. }
        )
    }

    /// What webhooks announce of it: each message's type and data. Nothing here names a
    /// rater's answer or when they gave it.
    pub fn notices(&self) -> Vec<(WebhookEvent, Value)> {
        let notice = |kind, data: Value| vec![(kind, data)];
        // The audit details, with the cycle they are about.
        let of_cycle = |kind, cycle_id: &str| {
            let mut data = self.details();
            data["cycle_id"] = json!(cycle_id);
            notice(kind, data)
        };
        match self {
            Event::CycleStateChanged { cycle_id, .. } => of_cycle(WebhookEvent::CycleStateChanged, cycle_id),
            Event::InvitationCreated { cycle_id, .. } => of_cycle(WebhookEvent::InvitationCreated, cycle_id),
            Event::InvitationReminder { cycle_id, .. } => of_cycle(WebhookEvent::InvitationReminder, cycle_id),
            Event::ResponsesCounted { cycle_id, .. } => of_cycle(WebhookEvent::ResponseSubmitted, cycle_id),
            Event::ReportsReleased { cycle_id, subject_ids } => subject_ids
                .iter()
                .map(|s| (WebhookEvent::ReportReleased, json!({ "cycle_id": cycle_id, "subject_id": s })))
                .collect(),
            Event::CoachingRelationshipCreated { relationship_id, kind, member_ids, .. } => notice(
                WebhookEvent::CoachingRelationshipCreated,
                json!({ "relationship_id": relationship_id, "kind": kind, "member_ids": member_ids }),
            ),
            Event::CoachingAgreementAccepted { relationship_id, person_id, activated } => notice(
                WebhookEvent::CoachingAgreementAccepted,
                json!({ "relationship_id": relationship_id, "person_id": person_id, "activated": activated }),
            ),
            Event::PersonDeactivated { person_id, .. } => {
                notice(WebhookEvent::PersonDeactivated, json!({ "person_id": person_id }))
            }
            _ => Vec::new(),
        }
    }
}

/// Records what the caller did, inside the caller's transaction.
pub fn record(conn: &mut DbConn, principal: &Principal, event: Event) -> Result<(), diesel::result::Error> {
    write(conn, &principal.org_id, &principal.audit_name(), std::slice::from_ref(&event))
}

/// Records what the service did on its own (no caller: the first start, a command, a
/// state change's side effects, the webhook worker).
pub fn record_by_system(conn: &mut DbConn, org_id: &str, events: &[Event]) -> Result<(), diesel::result::Error> {
    write(conn, org_id, "system", events)
}

fn write(conn: &mut DbConn, org_id: &str, actor: &str, events: &[Event]) -> Result<(), diesel::result::Error> {
    let at = now();
    let entries: Vec<Entry> =
        events.iter().filter(|e| e.audited()).map(|event| Entry::new(org_id, actor, event, at)).collect();
    insert_entries(conn, &entries)?;
    outbox::enqueue(conn, org_id, events, at)
}

/// One row of the audit log, made before it is written.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct Entry {
    id: String,
    org_id: String,
    actor: String,
    action: String,
    target_type: String,
    target_id: Option<String>,
    details: String,
    created_at: NaiveDateTime,
}

impl Entry {
    fn new(org_id: &str, actor: &str, event: &Event, at: NaiveDateTime) -> Self {
        let (target_type, target_id) = event.target();
        Self {
            id: new_id(),
            org_id: org_id.to_string(),
            actor: actor.to_string(),
            action: event.action().to_string(),
            target_type: target_type.to_string(),
            target_id: target_id.map(str::to_string),
            details: event.details().to_string(),
            created_at: at,
        }
    }
}

fn insert_entries(conn: &mut DbConn, entries: &[Entry]) -> Result<(), diesel::result::Error> {
    for chunk in entries.chunks(500) {
        db_run!(conn, |c| diesel::insert_into(audit_events::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// The audit entries of reads, written in batches: the entries of reads that arrive
/// together commit in one transaction, and each read is answered once its entry is
/// durable ([`crate::db::batch`]).
#[derive(Clone)]
pub struct ReadLog(Batcher<Entry>);

/// The most entries one batch writes: more than the reads a pool can serve at once.
const MOST_READS_IN_A_BATCH: usize = 256;

impl ReadLog {
    pub fn start(db: DbPool) -> std::io::Result<Self> {
        Batcher::start("audit-read-log", db, MOST_READS_IN_A_BATCH, |conn, entries| {
            insert_entries(conn, entries)?;
            Ok(entries.iter().map(|_| Ok(())).collect())
        })
        .map(Self)
    }

    /// Records that the caller read something (an event that announces nothing to
    /// webhooks); returns once the entry is durable, which is when the read may be answered.
    pub async fn record(&self, principal: &Principal, read: Event) -> Result<(), AppError> {
        debug_assert!(read.audited() && read.notices().is_empty(), "a read is audited and announces nothing");
        self.0.commit(Entry::new(&principal.org_id, &principal.audit_name(), &read, now())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_change_names_what_it_did() {
        let event = Event::CycleStateChanged {
            cycle_id: "c".into(),
            from: "collecting",
            to: "closed",
            effect: Some(StateChangeEffect::AnswersSealed(12)),
        };
        assert_eq!(event.action(), "cycle.state_changed");
        assert_eq!(event.target(), ("cycle", Some("c")));
        assert_eq!(event.details(), json!({ "from": "collecting", "to": "closed", "answers": 12 }));
        let plain = Event::CycleStateChanged { cycle_id: "c".into(), from: "draft", to: "nominating", effect: None };
        assert_eq!(plain.details(), json!({ "from": "draft", "to": "nominating" }));
    }
}
