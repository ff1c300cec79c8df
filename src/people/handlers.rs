use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{
    MAX_EMAIL, MAX_TEXT, Person, PersonResponse, check_email_free, check_external_id_free, check_manager, clean,
    clean_email, clean_optional, find,
};
use crate::auth::access::{Permission, Role};
use crate::auth::principal::Principal;
use crate::db::schema::people;
use crate::db::{DbConn, new_id, now};
use crate::db_run;
use crate::error::{AppError, Problem, validate};
use crate::events::{self, Event};
use crate::http::{check_if_match, if_match};
use crate::nullable::nullable;
use crate::pagination::{Page, Window};
use crate::state::AppState;

fn with_etag(mut response: actix_web::HttpResponseBuilder, person: &Person) -> HttpResponse {
    response.insert_header((header::ETAG, person.etag())).json(PersonResponse::from(person))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_id": "E-1042",
    "email": "ada.lovelace@example.com",
    "display_name": "Ada Lovelace",
    "department": "Engineering",
    "title": "VP Engineering",
    "role": "member"
}))]
pub struct CreatePersonRequest {
    /// The HR system's id; unique in the organisation.
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub external_id: Option<String>,
    /// Unique in the organisation, compared case-insensitively.
    #[validate(email, length(max = MAX_EMAIL))]
    pub email: String,
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub display_name: String,
    #[validate(length(max = MAX_TEXT))]
    pub department: Option<String>,
    #[validate(length(max = MAX_TEXT))]
    pub title: Option<String>,
    /// Id of the person's manager, in the same organisation.
    pub manager_id: Option<String>,
    /// Default `member`.
    #[serde(default)]
    pub role: Role,
    /// Default `true`.
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

impl CreatePersonRequest {
    fn normalize(&mut self) {
        self.external_id = clean_optional(self.external_id.as_deref());
        self.email = clean_email(&self.email);
        self.display_name = clean(&self.display_name);
        self.department = clean_optional(self.department.as_deref());
        self.title = clean_optional(self.title.as_deref());
        self.manager_id = clean_optional(self.manager_id.as_deref());
    }
}

/// Adds a person to the directory.
#[utoipa::path(
    tag = "people",
    request_body = CreatePersonRequest,
    responses(
        (status = 201, description = "Created", body = PersonResponse,
         headers(("etag" = String, description = "Version tag for `If-Match`"), ("location" = String))),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/people")]
pub async fn create_person(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreatePersonRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::WritePeople)?;
    let mut body = body.into_inner();
    body.normalize();
    validate(&body)?;
    let person = state
        .db
        .transaction(move |conn| {
            let org_id = principal.org_id.clone();
            check_email_free(conn, &org_id, &body.email, None)?;
            if let Some(external_id) = &body.external_id {
                check_external_id_free(conn, &org_id, external_id, None)?;
            }
            if let Some(manager_id) = &body.manager_id {
                check_manager(conn, &org_id, None, manager_id)?;
            }
            let at = now();
            let person = Person {
                id: new_id(),
                org_id,
                external_id: body.external_id,
                email: body.email,
                display_name: body.display_name,
                department: body.department,
                title: body.title,
                manager_id: body.manager_id,
                role: body.role.as_str().to_string(),
                active: body.active,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            db_run!(conn, |c| diesel::insert_into(people::table).values(&person).execute(c))?;
            let created = Event::PersonCreated { person_id: person.id.clone(), email: person.email.clone() };
            events::record(conn, &principal, created)?;
            Ok(person)
        })
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/people/{}", person.id)));
    Ok(with_etag(response, &person))
}

/// One person of the directory.
#[utoipa::path(
    tag = "people",
    params(("person_id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "The person", body = PersonResponse,
         headers(("etag" = String, description = "Version tag for `If-Match`"))),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/people/{person_id}")]
pub async fn get_person(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::ReadPeople)?;
    let id = path.into_inner();
    let person = state.db.run(move |conn| find(conn, &principal.org_id, &id)).await?;
    Ok(with_etag(HttpResponse::Ok(), &person))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPeopleQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only people of this department (exact match).
    pub department: Option<String>,
    /// Only active (`true`) or deactivated (`false`) people.
    pub active: Option<bool>,
    /// Only people whose name or e-mail contains this text, case-insensitively.
    pub q: Option<String>,
    /// Only the direct reports of this person.
    pub manager_id: Option<String>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape character.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// Pages through the directory in creation order, with filters.
#[utoipa::path(
    tag = "people",
    params(ListPeopleQuery),
    responses(
        (status = 200, description = "A page of people", body = Page<PersonResponse>),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/people")]
pub async fn list_people(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListPeopleQuery>,
) -> Result<web::Json<Page<PersonResponse>>, AppError> {
    principal.require(Permission::ReadPeople)?;
    let query = query.into_inner();
    let window = Window::parse(query.limit, query.cursor.as_deref())?;
    let fetch = window.clone();
    let rows = state
        .db
        .run(move |conn| {
            let pattern = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(like_pattern);
            Ok(db_run!(conn, |c| {
                let mut q = people::table
                    .filter(people::org_id.eq(&principal.org_id))
                    .select(Person::as_select())
                    .order(people::id.asc())
                    .limit(fetch.fetch())
                    .into_boxed();
                if let Some(after) = &fetch.after {
                    q = q.filter(people::id.gt(after));
                }
                if let Some(department) = &query.department {
                    q = q.filter(people::department.eq(department));
                }
                if let Some(active) = query.active {
                    q = q.filter(people::active.eq(active));
                }
                if let Some(manager_id) = &query.manager_id {
                    q = q.filter(people::manager_id.eq(manager_id));
                }
                if let Some(pattern) = &pattern {
                    q = q.filter(
                        lower(people::display_name)
                            .like(pattern)
                            .escape('\\')
                            .or(people::email.like(pattern).escape('\\')),
                    );
                }
                q.load::<Person>(c)
            })?)
        })
        .await?;
    Ok(web::Json(window.page(rows, |p| &p.id, |p| PersonResponse::from(&p))))
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "CTO", "department": "Engineering", "manager_id": null}))]
pub struct UpdatePersonRequest {
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = MAX_TEXT))]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[validate(email, length(max = MAX_EMAIL))]
    pub email: Option<String>,
    #[validate(length(min = 1, max = MAX_TEXT))]
    pub display_name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = MAX_TEXT))]
    #[schema(value_type = Option<String>)]
    pub department: Option<Option<String>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = MAX_TEXT))]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub manager_id: Option<Option<String>>,
    pub role: Option<Role>,
    /// `false` deactivates the person; their history stays.
    pub active: Option<bool>,
}

impl UpdatePersonRequest {
    fn normalize(&mut self) {
        let clean_nullable = |v: &Option<Option<String>>| v.as_ref().map(|inner| clean_optional(inner.as_deref()));
        self.external_id = clean_nullable(&self.external_id);
        self.department = clean_nullable(&self.department);
        self.title = clean_nullable(&self.title);
        self.manager_id = clean_nullable(&self.manager_id);
        self.email = self.email.as_deref().map(clean_email);
        self.display_name = self.display_name.as_deref().map(clean);
    }
}

/// Applies a change to a stored person, with its checks, version bump and audit entry.
fn apply_update(
    conn: &mut DbConn,
    principal: &Principal,
    id: &str,
    if_match: Option<String>,
    change: UpdatePersonRequest,
    event: fn(String, Vec<&'static str>) -> Event,
) -> Result<Person, AppError> {
    let org_id = principal.org_id.as_str();
    let current = find(conn, org_id, id)?;
    check_if_match(if_match.as_deref(), &current.etag(), "person")?;
    let mut next = current.clone();
    if let Some(email) = change.email {
        if email != current.email {
            check_email_free(conn, org_id, &email, Some(id))?;
        }
        next.email = email;
    }
    if let Some(external_id) = change.external_id {
        if let Some(value) = &external_id
            && current.external_id.as_ref() != Some(value)
        {
            check_external_id_free(conn, org_id, value, Some(id))?;
        }
        next.external_id = external_id;
    }
    if let Some(manager_id) = change.manager_id {
        if let Some(value) = &manager_id
            && current.manager_id.as_ref() != Some(value)
        {
            check_manager(conn, org_id, Some(id), value)?;
        }
        next.manager_id = manager_id;
    }
    if let Some(name) = change.display_name {
        next.display_name = name;
    }
    if let Some(department) = change.department {
        next.department = department;
    }
    if let Some(title) = change.title {
        next.title = title;
    }
    if let Some(role) = change.role {
        next.role = role.as_str().to_string();
    }
    if let Some(active) = change.active {
        next.active = active;
    }
    if next == current {
        return Ok(current);
    }
    next.version = current.version + 1;
    next.updated_at = now();
    let updated = db_run!(conn, |c| diesel::update(
        people::table.filter(people::id.eq(id)).filter(people::version.eq(current.version))
    )
    .set((
        people::external_id.eq(&next.external_id),
        people::email.eq(&next.email),
        people::display_name.eq(&next.display_name),
        people::department.eq(&next.department),
        people::title.eq(&next.title),
        people::manager_id.eq(&next.manager_id),
        people::role.eq(&next.role),
        people::active.eq(next.active),
        people::version.eq(next.version),
        people::updated_at.eq(next.updated_at),
    ))
    .execute(c))?;
    if updated == 0 {
        return Err(AppError::conflict("concurrent_update", "The person was changed at the same moment; retry."));
    }
    let changed = changed_fields(&current, &next);
    events::record(conn, principal, event(next.id.clone(), changed))?;
    Ok(next)
}

fn changed_fields(before: &Person, after: &Person) -> Vec<&'static str> {
    [
        ("external_id", before.external_id != after.external_id),
        ("email", before.email != after.email),
        ("display_name", before.display_name != after.display_name),
        ("department", before.department != after.department),
        ("title", before.title != after.title),
        ("manager_id", before.manager_id != after.manager_id),
        ("role", before.role != after.role),
        ("active", before.active != after.active),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}

/// Changes some of a person's fields. Send `If-Match` with the ETag you read to avoid
/// overwriting someone else's change (412 if it moved on).
#[utoipa::path(
    tag = "people",
    params(
        ("person_id" = String, Path, description = "The person's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = UpdatePersonRequest,
    responses(
        (status = 200, description = "Updated", body = PersonResponse,
         headers(("etag" = String, description = "Version tag for `If-Match`"))),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/people/{person_id}")]
pub async fn update_person(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdatePersonRequest>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::WritePeople)?;
    let mut body = body.into_inner();
    body.normalize();
    validate(&body)?;
    let id = path.into_inner();
    let tag = if_match(&req);
    let person = state
        .db
        .transaction(move |conn| {
            apply_update(conn, &principal, &id, tag, body, |person_id, changed| Event::PersonUpdated {
                person_id,
                changed,
            })
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &person))
}

/// Deactivates a person. They keep their history (cycles, reports, coaching), can no
/// longer receive user tokens, and can be reactivated with `PATCH {"active": true}`.
#[utoipa::path(
    tag = "people",
    params(
        ("person_id" = String, Path, description = "The person's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    responses(
        (status = 200, description = "Deactivated", body = PersonResponse,
         headers(("etag" = String, description = "Version tag for `If-Match`"))),
        (status = "4XX", description = "Error", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/people/{person_id}/deactivate")]
pub async fn deactivate_person(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    principal.require(Permission::WritePeople)?;
    let id = path.into_inner();
    let tag = if_match(&req);
    let change = UpdatePersonRequest { active: Some(false), ..Default::default() };
    let person = state
        .db
        .transaction(move |conn| {
            apply_update(conn, &principal, &id, tag, change, |person_id, changed| Event::PersonDeactivated {
                person_id,
                changed,
            })
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &person))
}
