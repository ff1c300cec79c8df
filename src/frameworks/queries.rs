//! Reads of frameworks and their versions. Each takes the organisation's id, so no read
//! ever crosses organisations.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use diesel::prelude::*;

use super::{Competency, Framework, FrameworkResponse, FrameworkVersion, Question, VersionResponse};
use crate::db::DbConn;
use crate::db::schema::{competencies, framework_versions, frameworks, questions};
use crate::db_run;
use crate::error::AppError;
use crate::pagination::{Page, Window};

/// A framework of this organisation, or 404.
pub fn find_framework(conn: &mut DbConn, org_id: &str, id: &str) -> Result<Framework, AppError> {
    Ok(db_run!(conn, |c| frameworks::table
        .filter(frameworks::org_id.eq(org_id))
        .filter(frameworks::id.eq(id))
        .select(Framework::as_select())
        .first(c))?)
}

/// A framework with the list of its versions.
pub fn framework_response(conn: &mut DbConn, framework: Framework) -> Result<FrameworkResponse, AppError> {
    let versions: Vec<FrameworkVersion> = db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::framework_id.eq(&framework.id))
        .order(framework_versions::version.asc())
        .select(FrameworkVersion::as_select())
        .load(c))?;
    Ok(FrameworkResponse::new(framework, versions))
}

/// A framework of this organisation with its versions, or 404.
pub fn framework_by_id(conn: &mut DbConn, org_id: &str, id: &str) -> Result<FrameworkResponse, AppError> {
    let framework = find_framework(conn, org_id, id)?;
    framework_response(conn, framework)
}

/// One page of the organisation's frameworks, each with its versions.
pub fn framework_page(conn: &mut DbConn, org_id: &str, window: &Window) -> Result<Page<FrameworkResponse>, AppError> {
    let rows: Vec<Framework> = db_run!(conn, |c| {
        let mut q = frameworks::table
            .filter(frameworks::org_id.eq(org_id))
            .select(Framework::as_select())
            .order(frameworks::id.asc())
            .limit(window.fetch())
            .into_boxed();
        if let Some(after) = &window.after {
            q = q.filter(frameworks::id.gt(after));
        }
        q.load(c)
    })?;
    let page = window.page(rows, |f| &f.id, |f| f);
    let items = page.items.into_iter().map(|f| framework_response(conn, f)).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// The highest version number of a framework, if it has any version yet.
pub fn latest_version_number(conn: &mut DbConn, framework_id: &str) -> Result<Option<i32>, AppError> {
    Ok(db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::framework_id.eq(framework_id))
        .select(diesel::dsl::max(framework_versions::version))
        .first(c))?)
}

/// The newest version of a framework of this organisation, or 404.
pub fn latest_version_id(conn: &mut DbConn, org_id: &str, framework_id: &str) -> Result<String, AppError> {
    Ok(db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::org_id.eq(org_id))
        .filter(framework_versions::framework_id.eq(framework_id))
        .order(framework_versions::version.desc())
        .select(framework_versions::id)
        .first(c))?)
}

/// Version `number` of a framework of this organisation, whole, or 404.
pub fn version_by_number(
    conn: &mut DbConn,
    org_id: &str,
    framework_id: &str,
    number: i32,
) -> Result<Arc<VersionResponse>, AppError> {
    let version_id: String = db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::org_id.eq(org_id))
        .filter(framework_versions::framework_id.eq(framework_id))
        .filter(framework_versions::version.eq(number))
        .select(framework_versions::id)
        .first(c))?;
    load_version(conn, org_id, &version_id)
}

/// Versions never change once written, so each process keeps the ones it has read; the
/// questionnaire and every report need theirs. Bounded: cleared when full.
type VersionCache = HashMap<(String, String), Arc<VersionResponse>>;
static VERSIONS: LazyLock<RwLock<VersionCache>> = LazyLock::new(Default::default);
const CACHED_VERSIONS: usize = 256;

/// A framework version of this organisation, whole, or 404.
pub fn load_version(conn: &mut DbConn, org_id: &str, version_id: &str) -> Result<Arc<VersionResponse>, AppError> {
    let key = (org_id.to_string(), version_id.to_string());
    if let Some(found) = VERSIONS.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(Arc::clone(found));
    }
    let version: FrameworkVersion = db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::org_id.eq(org_id))
        .filter(framework_versions::id.eq(version_id))
        .select(FrameworkVersion::as_select())
        .first(c))?;
    let competency_rows: Vec<Competency> = db_run!(conn, |c| competencies::table
        .filter(competencies::version_id.eq(version_id))
        .order(competencies::position.asc())
        .select(Competency::as_select())
        .load(c))?;
    let question_rows: Vec<Question> = db_run!(conn, |c| questions::table
        .filter(questions::version_id.eq(version_id))
        .order(questions::position.asc())
        .select(Question::as_select())
        .load(c))?;
    let loaded = Arc::new(VersionResponse::from_rows(&version, &competency_rows, &question_rows));
    let mut cache = VERSIONS.write().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHED_VERSIONS {
        cache.clear();
    }
    cache.insert(key, Arc::clone(&loaded));
    Ok(loaded)
}

/// Whether this organisation has a framework version with this id.
pub fn version_exists(conn: &mut DbConn, org_id: &str, version_id: &str) -> Result<bool, AppError> {
    let found: i64 = db_run!(conn, |c| framework_versions::table
        .filter(framework_versions::org_id.eq(org_id))
        .filter(framework_versions::id.eq(version_id))
        .count()
        .get_result(c))?;
    Ok(found == 1)
}

/// The organisation's first framework, the one cycles use when none is named.
pub fn first_framework_id(conn: &mut DbConn, org_id: &str) -> Result<Option<String>, AppError> {
    Ok(db_run!(conn, |c| frameworks::table
        .filter(frameworks::org_id.eq(org_id))
        .order(frameworks::id.asc())
        .select(frameworks::id)
        .first::<String>(c)
        .optional())?)
}
