//! Who may do what: client scopes and user roles, checked per route.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A permission a service client holds. A new organisation's first client holds all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    #[serde(rename = "people:read")]
    PeopleRead,
    #[serde(rename = "people:write")]
    PeopleWrite,
    #[serde(rename = "cycles:read")]
    CyclesRead,
    #[serde(rename = "cycles:write")]
    CyclesWrite,
    #[serde(rename = "reports:read")]
    ReportsRead,
    #[serde(rename = "analytics:read")]
    AnalyticsRead,
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    #[serde(rename = "tokens:mint")]
    TokensMint,
    #[serde(rename = "clients:write")]
    ClientsWrite,
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "scim")]
    Scim,
    #[serde(rename = "coaching:read")]
    CoachingRead,
    #[serde(rename = "coaching:write")]
    CoachingWrite,
}

impl Scope {
    pub const ALL: [Scope; 13] = [
        Scope::PeopleRead,
        Scope::PeopleWrite,
        Scope::CyclesRead,
        Scope::CyclesWrite,
        Scope::ReportsRead,
        Scope::AnalyticsRead,
        Scope::WebhooksWrite,
        Scope::TokensMint,
        Scope::ClientsWrite,
        Scope::AuditRead,
        Scope::Scim,
        Scope::CoachingRead,
        Scope::CoachingWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PeopleRead => "people:read",
            Scope::PeopleWrite => "people:write",
            Scope::CyclesRead => "cycles:read",
            Scope::CyclesWrite => "cycles:write",
            Scope::ReportsRead => "reports:read",
            Scope::AnalyticsRead => "analytics:read",
            Scope::WebhooksWrite => "webhooks:write",
            Scope::TokensMint => "tokens:mint",
            Scope::ClientsWrite => "clients:write",
            Scope::AuditRead => "audit:read",
            Scope::Scim => "scim",
            Scope::CoachingRead => "coaching:read",
            Scope::CoachingWrite => "coaching:write",
        }
    }

    /// Parses a space-separated scope string (RFC 6749 §3.3).
    pub fn parse_list(list: &str) -> Result<Vec<Scope>, String> {
        let mut scopes: Vec<Scope> = list.split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }

    pub fn join(scopes: &[Scope]) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| format!("unknown scope `{s}`"))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a person may do in the frontend.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    Default,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// HR: runs cycles, manages people and clients, reads every report.
    Admin,
    /// Reads organisation-wide anonymised aggregates.
    Analyst,
    /// Every leader: answers surveys, reads their own reports, coaches.
    #[default]
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Member => "member",
        }
    }
}

crate::stored_as_text!(Role);

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "analyst" => Ok(Role::Analyst),
            "member" => Ok(Role::Member),
            other => Err(format!("unknown role `{other}` (admin, analyst or member)")),
        }
    }
}

/// An action a route performs, granted to clients by scope and to users by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadPeople,
    WritePeople,
    ManageClients,
    MintUserTokens,
    ReadAudit,
    /// Frameworks, cycles, participants and progress.
    ReadCycles,
    /// Create and run cycles and frameworks; approve any nomination.
    ManageCycles,
    /// Who takes part in a cycle, all nominations and everyone's progress.
    ReadCycleDetails,
    /// Every growth report of the organisation (a subject reads their own once released).
    ReadReports,
    /// Every coaching relationship, which shares exist (not their content), never a
    /// session's agenda or notes.
    ReadCoaching,
    /// Organisation-wide aggregates: analytics views and exports, never a person's figures.
    ReadAnalytics,
    /// Set up coaching relationships for others, end or pause any of them, and let a
    /// leader coach their manager or a direct report (with a reason, audited).
    ManageCoaching,
    /// Provision people through SCIM 2.0 (`/scim/v2`): an identity provider's client.
    Provision,
    /// Register webhook endpoints, rotate their secrets, read their delivery logs.
    ManageWebhooks,
}

impl Permission {
    /// Any one of these scopes grants the permission to a client.
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Permission::ReadPeople => &[Scope::PeopleRead, Scope::PeopleWrite],
            Permission::WritePeople => &[Scope::PeopleWrite],
            Permission::ManageClients => &[Scope::ClientsWrite],
            Permission::MintUserTokens => &[Scope::TokensMint],
            Permission::ReadAudit => &[Scope::AuditRead],
            Permission::ReadCycles => &[Scope::CyclesRead, Scope::CyclesWrite],
            Permission::ManageCycles => &[Scope::CyclesWrite],
            Permission::ReadCycleDetails => &[Scope::CyclesRead, Scope::CyclesWrite],
            Permission::ReadReports => &[Scope::ReportsRead],
            Permission::ReadCoaching => &[Scope::CoachingRead, Scope::CoachingWrite],
            Permission::ManageCoaching => &[Scope::CoachingWrite],
            Permission::ReadAnalytics => &[Scope::AnalyticsRead],
            Permission::Provision => &[Scope::Scim],
            Permission::ManageWebhooks => &[Scope::WebhooksWrite],
        }
    }

    /// The roles that grant the permission to a person.
    pub fn roles(self) -> &'static [Role] {
        match self {
            // Leaders look colleagues up to nominate raters and coaches.
            Permission::ReadPeople => &[Role::Admin, Role::Analyst, Role::Member],
            Permission::WritePeople
            | Permission::ManageClients
            | Permission::ReadAudit
            | Permission::ManageCycles
            | Permission::ReadCycleDetails
            | Permission::ReadReports
            | Permission::ReadCoaching
            | Permission::ManageCoaching
            | Permission::ManageWebhooks => &[Role::Admin],
            // Everyone sees which cycles and questions exist; what they may see inside a
            // cycle is decided per route (their own nominations, their reports' progress).
            Permission::ReadCycles => &[Role::Admin, Role::Analyst, Role::Member],
            Permission::ReadAnalytics => &[Role::Admin, Role::Analyst],
            // Minting and provisioning are for server-side clients only.
            Permission::MintUserTokens | Permission::Provision => &[],
        }
    }
}

/// Whether a route is about one person's feedback or coaching: reports, growth, goals,
/// coaching and its suggestions.
pub fn personal_route(pattern: &str) -> bool {
    const PREFIXES: [&str; 7] = [
        "/api/v1/coaching",
        "/api/v1/goals",
        "/api/v1/me/coaching",
        "/api/v1/me/reports",
        "/api/v1/me/recommendations",
        "/api/v1/cycles/{cycle_id}/reports",
        "/api/v1/cycles/{cycle_id}/coaching",
    ];
    PREFIXES.iter().any(|p| pattern.starts_with(p))
        || (pattern.starts_with("/api/v1/people/{person_id}/")
            && (pattern.ends_with("/growth") || pattern.ends_with("/goals")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lists_parse_sorted_and_deduplicated() {
        let scopes = Scope::parse_list("people:write  people:read people:write").unwrap();
        assert_eq!(scopes, vec![Scope::PeopleRead, Scope::PeopleWrite]);
        assert_eq!(Scope::join(&scopes), "people:read people:write");
        assert!(Scope::parse_list("people:read root").unwrap_err().contains("root"));
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
            assert_eq!(serde_json::to_value(scope).unwrap(), scope.as_str());
        }
    }
}
