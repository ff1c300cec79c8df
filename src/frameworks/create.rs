//! Creating a framework: the request's rules, the framework with its first version, the
//! audit entry, in one transaction.

use diesel::prelude::*;

use super::queries::framework_response;
use super::version::insert_version;
use super::{CreateFrameworkRequest, Framework, FrameworkResponse, VersionInput, VersionResponse};
use crate::auth::principal::Principal;
use crate::db::schema::frameworks;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, validate};
use crate::events::{self, Event};

/// A framework request that passed its checks; only [`NewFramework::parse`] makes one.
pub struct NewFramework {
    name: String,
    description: String,
    content: VersionInput,
}

impl NewFramework {
    /// The name is trimmed before its length is checked, so a blank name is refused.
    pub fn parse(mut request: CreateFrameworkRequest) -> Result<Self, AppError> {
        request.name = request.name.trim().to_string();
        validate(&request)?;
        let content = VersionInput { competencies: request.competencies };
        content.check()?;
        Ok(Self { name: request.name, description: request.description, content })
    }
}

/// Creates a framework of the caller's organisation with its first version.
pub fn create(conn: &mut DbConn, principal: &Principal, new: NewFramework) -> Result<FrameworkResponse, AppError> {
    conn.transaction(|conn| {
        let (framework, _) = insert_framework(conn, &principal.org_id, &new.name, &new.description, &new.content)?;
        let created = Event::FrameworkCreated { framework_id: framework.id.clone(), name: framework.name.clone() };
        events::record(conn, principal, created)?;
        framework_response(conn, framework)
    })
}

/// Writes a framework with its first version; no audit entry (seeding and a new
/// organisation's default framework use it directly).
pub fn insert_framework(
    conn: &mut DbConn,
    org_id: &str,
    name: &str,
    description: &str,
    content: &VersionInput,
) -> Result<(Framework, VersionResponse), AppError> {
    let framework = Framework {
        id: new_id(),
        org_id: org_id.to_string(),
        name: name.trim().to_string(),
        description: description.trim().to_string(),
        created_at: now(),
    };
    db_run!(conn, |c| diesel::insert_into(frameworks::table).values(&framework).execute(c))?;
    let version = insert_version(conn, org_id, &framework.id, content)?;
    Ok((framework, version))
}
