//! The HTTP face of coaching: each handler extracts the request, calls one operation and
//! shapes its answer into a response.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::amend::AmendRequest;
use super::create::{BatchCreateRequest, BatchCreateResponse, CreateRelationshipRequest};
use super::goals::{CheckInRequest, CheckInResponse, CreateGoalRequest, GoalResponse, UpdateGoalRequest};
use super::growth::GrowthResponse;
use super::list::ListRelationshipsQuery;
use super::mine::MyCoaching;
use super::picture;
use super::ratings::{CoachFeedback, RateSessionRequest, RatingRecorded};
use super::resources::{
    CreateResourceRequest, ListResourcesQuery, Recommendations, ResourceResponse, UpdateResourceRequest,
};
use super::respond::DeclineRequest;
use super::sessions::{
    ActionItemInput, ActionItemResponse, CreateSessionRequest, SessionResponse, UpdateActionItemRequest,
    UpdateSessionRequest,
};
use super::share::ShareRequest;
use super::suggest::{SuggestionRequest, SuggestionsResponse};
use super::transition::TransitionRequest;
use super::view::{RelationshipResponse, ShareResponse};
use super::{
    amend, create, goals, growth, list, mine, ratings, resources, respond, sessions, share, suggest, transition, view,
};
use crate::auth::principal::Principal;
use crate::error::{AppError, Errors, Problem};
use crate::http::if_match;
use crate::pagination::Page;
use crate::state::AppState;

fn session_with_etag(mut response: actix_web::HttpResponseBuilder, session: &SessionResponse) -> HttpResponse {
    response.insert_header((header::ETAG, session.etag())).insert_header(private()).json(session)
}

/// What only the members read: no shared cache may keep it.
fn private() -> (header::HeaderName, header::HeaderValue) {
    (header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"))
}

/// Sets up a coaching relationship: a pair (coach and coachee) or a circle of 3 to 6.
///
/// HR may set one up for any leaders; a leader may propose one they are a member of,
/// which counts as their acceptance of the agreement. It is `proposed` until every
/// member has accepted. Nobody coaches their own manager or a direct report unless HR
/// sends `override_reason` (audited). Without `agreement`, the starter agreement applies.
#[utoipa::path(
    tag = "coaching",
    request_body = CreateRelationshipRequest,
    responses(
        (status = 201, description = "Proposed", body = RelationshipResponse, headers(("location" = String))),
        Errors,
    ),
)]
#[post("/coaching/relationships", wrap = "crate::idempotency::Idempotent")]
pub async fn create_relationship(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateRelationshipRequest>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let created = state.db.run(move |conn| create::create_relationship(conn, &principal, input)).await?;
    let location = format!("/api/v1/coaching/relationships/{}", created.id);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(created))
}

/// Sets up several relationships in one call (HR), for example from chosen suggestions:
/// all of them or, when one fails, none, with the error naming which.
#[utoipa::path(
    tag = "coaching",
    request_body = BatchCreateRequest,
    responses((status = 201, description = "Proposed", body = BatchCreateResponse), Errors),
)]
#[post("/coaching/relationships/batch", wrap = "crate::idempotency::Idempotent")]
pub async fn create_relationships(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<BatchCreateRequest>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let created = state.db.run(move |conn| create::create_batch(conn, &principal, input)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Suggests coaching from a cycle's released results (HR): each leader's development
/// areas, blind spots first, met by peers whose others rate them among the strongest
/// there, preferring other departments, never within a reporting line. As one-way pairs
/// (at most `max_coachees_per_coach` each, one optimisation over the organisation),
/// reciprocal pairs, or circles around a shared development area (`shape`; README,
/// "Match suggestions"). Deterministic for the same input and seed. Nothing is stored:
/// create the chosen ones with their `relationships` bodies.
#[utoipa::path(
    tag = "coaching",
    params(("cycle_id" = String, Path, description = "The cycle's id")),
    request_body = SuggestionRequest,
    responses(
        (status = 200, description = "Suggestions", body = SuggestionsResponse),
        (status = 409, description = "The cycle is not closed yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/cycles/{cycle_id}/coaching/suggestions")]
pub async fn suggest_coaching(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<SuggestionRequest>,
) -> Result<web::Json<SuggestionsResponse>, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    Ok(web::Json(state.db.run(move |conn| suggest::suggest(conn, &principal, &id, input)).await?))
}

/// Pages through relationships: HR sees the organisation's, with filters; a leader, their own.
#[utoipa::path(
    tag = "coaching",
    params(ListRelationshipsQuery),
    responses((status = 200, description = "A page of relationships", body = Page<RelationshipResponse>), Errors),
)]
#[get("/coaching/relationships")]
pub async fn list_relationships(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListRelationshipsQuery>,
) -> Result<web::Json<Page<RelationshipResponse>>, AppError> {
    let query = query.into_inner();
    Ok(web::Json(state.db.run(move |conn| list::list_relationships(conn, &principal, query)).await?))
}

/// One relationship, for its members and HR. Shares are listed (which report, which
/// competencies), never their content; sessions are counted, never shown.
#[utoipa::path(
    tag = "coaching",
    params(("relationship_id" = String, Path, description = "The relationship's id")),
    responses((status = 200, description = "The relationship", body = RelationshipResponse), Errors),
)]
#[get("/coaching/relationships/{relationship_id}")]
pub async fn get_relationship(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<RelationshipResponse>, AppError> {
    let id = path.into_inner();
    Ok(web::Json(state.db.run(move |conn| view::get_relationship(conn, &principal, &id)).await?))
}

/// Changes a proposed relationship's agreement or focus, as a member or HR. Every member
/// accepts again (the member who changed it, by changing it).
#[utoipa::path(
    tag = "coaching",
    params(("relationship_id" = String, Path, description = "The relationship's id")),
    request_body = AmendRequest,
    responses(
        (status = 200, description = "Changed", body = RelationshipResponse),
        (status = 409, description = "The relationship is not proposed", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[patch("/coaching/relationships/{relationship_id}")]
pub async fn amend_relationship(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<AmendRequest>,
) -> Result<web::Json<RelationshipResponse>, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    Ok(web::Json(state.db.run(move |conn| amend::amend(conn, &principal, &id, input)).await?))
}

/// The caller accepts the agreement; the last acceptance makes the relationship active.
#[utoipa::path(
    tag = "coaching",
    params(("relationship_id" = String, Path, description = "The relationship's id")),
    responses(
        (status = 200, description = "Accepted", body = RelationshipResponse),
        (status = 409, description = "The relationship is not proposed", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/coaching/relationships/{relationship_id}/accept")]
pub async fn accept_agreement(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<RelationshipResponse>, AppError> {
    let id = path.into_inner();
    Ok(web::Json(state.db.run(move |conn| respond::accept(conn, &principal, &id)).await?))
}

/// The caller declines a proposed relationship, which then does not start.
#[utoipa::path(
    tag = "coaching",
    params(("relationship_id" = String, Path, description = "The relationship's id")),
    request_body = DeclineRequest,
    responses(
        (status = 200, description = "Declined", body = RelationshipResponse),
        (status = 409, description = "The relationship is not proposed", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/coaching/relationships/{relationship_id}/decline")]
pub async fn decline_relationship(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<DeclineRequest>,
) -> Result<web::Json<RelationshipResponse>, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    Ok(web::Json(state.db.run(move |conn| respond::decline(conn, &principal, &id, input)).await?))
}

/// Pauses, resumes or ends a relationship, as a member or HR. Ending it takes back every
/// share made to it.
#[utoipa::path(
    tag = "coaching",
    params(("relationship_id" = String, Path, description = "The relationship's id")),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "Changed", body = RelationshipResponse),
        (status = 409, description = "Not allowed from the current status", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/coaching/relationships/{relationship_id}/transitions")]
pub async fn transition_relationship(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<TransitionRequest>,
) -> Result<web::Json<RelationshipResponse>, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    Ok(web::Json(state.db.run(move |conn| transition::transition(conn, &principal, &id, input)).await?))
}

/// Shares the caller's released report, whole or chosen competencies, with the other
/// members of the relationship, who then read it at the report route. Replaces what the
/// caller shared of the same report with this relationship before.
#[utoipa::path(
    tag = "coaching",
    params(("relationship_id" = String, Path, description = "The relationship's id")),
    request_body = ShareRequest,
    responses(
        (status = 201, description = "Shared", body = ShareResponse),
        (status = 409, description = "The report is not released, or the relationship is over", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/coaching/relationships/{relationship_id}/shares", wrap = "crate::idempotency::Idempotent")]
pub async fn share_report(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ShareRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    let shared = state.db.run(move |conn| share::share(conn, &principal, &id, input)).await?;
    Ok(HttpResponse::Created().json(shared))
}

/// Takes a share back, at once: its readers get 404 from then on. Only its subject may.
#[utoipa::path(
    tag = "coaching",
    params(("share_id" = String, Path, description = "The share's id")),
    responses((status = 204, description = "Revoked"), Errors),
)]
#[delete("/coaching/shares/{share_id}")]
pub async fn revoke_share(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state.db.run(move |conn| share::revoke(conn, &principal, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Records a session of an active relationship, with its agenda, notes and action
/// items. Members only: what was said is sealed and shown to them alone.
#[utoipa::path(
    tag = "coaching",
    params(("relationship_id" = String, Path, description = "The relationship's id")),
    request_body = CreateSessionRequest,
    responses(
        (status = 201, description = "Recorded", body = SessionResponse, headers(("etag" = String))),
        (status = 409, description = "The relationship is not active", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/coaching/relationships/{relationship_id}/sessions")]
pub async fn create_session(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<CreateSessionRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    let session = state.db.run(move |conn| sessions::create_session(conn, &principal, &id, input)).await?;
    Ok(session_with_etag(HttpResponse::Created(), &session))
}

/// The relationship's sessions, latest first, for its members only (404 to anyone else, HR included).
#[utoipa::path(
    tag = "coaching",
    params(("relationship_id" = String, Path, description = "The relationship's id")),
    responses((status = 200, description = "Sessions", body = Vec<SessionResponse>), Errors),
)]
#[get("/coaching/relationships/{relationship_id}/sessions")]
pub async fn list_sessions(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let list = state.db.run(move |conn| sessions::list_sessions(conn, &principal, &id)).await?;
    Ok(HttpResponse::Ok().insert_header(private()).json(list))
}

/// One session, for the relationship's members only.
#[utoipa::path(
    tag = "coaching",
    params(("session_id" = String, Path, description = "The session's id")),
    responses((status = 200, description = "The session", body = SessionResponse, headers(("etag" = String))), Errors),
)]
#[get("/coaching/sessions/{session_id}")]
pub async fn get_session(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let session = state.db.run(move |conn| sessions::get_session(conn, &principal, &id)).await?;
    Ok(session_with_etag(HttpResponse::Ok(), &session))
}

/// Changes a session's date, agenda or notes. Send `If-Match` with the ETag you read (412 if it moved on).
#[utoipa::path(
    tag = "coaching",
    params(
        ("session_id" = String, Path, description = "The session's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = UpdateSessionRequest,
    responses((status = 200, description = "Updated", body = SessionResponse, headers(("etag" = String))), Errors),
)]
#[patch("/coaching/sessions/{session_id}")]
pub async fn update_session(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdateSessionRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, tag, input) = (path.into_inner(), if_match(&req), body.into_inner());
    let session =
        state.db.run(move |conn| sessions::update_session(conn, &principal, &id, tag.as_deref(), input)).await?;
    Ok(session_with_etag(HttpResponse::Ok(), &session))
}

/// Adds an action item, owned by a member, to a session.
#[utoipa::path(
    tag = "coaching",
    params(("session_id" = String, Path, description = "The session's id")),
    request_body = ActionItemInput,
    responses((status = 201, description = "The session with the item", body = SessionResponse), Errors),
)]
#[post("/coaching/sessions/{session_id}/action-items")]
pub async fn add_action_item(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ActionItemInput>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    let session = state.db.run(move |conn| sessions::add_action_item(conn, &principal, &id, input)).await?;
    Ok(session_with_etag(HttpResponse::Created(), &session))
}

/// Marks an action item done or not done, or changes its wording or due date.
#[utoipa::path(
    tag = "coaching",
    params(("action_item_id" = String, Path, description = "The action item's id")),
    request_body = UpdateActionItemRequest,
    responses((status = 200, description = "Updated", body = ActionItemResponse), Errors),
)]
#[patch("/coaching/action-items/{action_item_id}")]
pub async fn update_action_item(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdateActionItemRequest>,
) -> Result<web::Json<ActionItemResponse>, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    Ok(web::Json(state.db.run(move |conn| sessions::update_action_item(conn, &principal, &id, input)).await?))
}

/// The caller says how useful a session they took part in was (once). The rating is
/// about the session's coaches, who see only an aggregate that at least three coachees
/// stand behind.
#[utoipa::path(
    tag = "coaching",
    params(("session_id" = String, Path, description = "The session's id")),
    request_body = RateSessionRequest,
    responses(
        (status = 201, description = "Recorded", body = RatingRecorded),
        (status = 409, description = "Already rated, or not held yet", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/coaching/sessions/{session_id}/rating")]
pub async fn rate_session(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RateSessionRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    let recorded = state.db.run(move |conn| ratings::rate_session(conn, &principal, &id, input)).await?;
    Ok(HttpResponse::Created().json(recorded))
}

/// How useful the caller's coachees found their sessions, withheld until at least three
/// different coachees stand behind the figures.
#[utoipa::path(
    tag = "coaching",
    responses((status = 200, description = "The caller's aggregate as a coach", body = CoachFeedback), Errors),
)]
#[get("/me/coaching/feedback")]
pub async fn my_coach_feedback(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<CoachFeedback>, AppError> {
    Ok(web::Json(state.db.run(move |conn| ratings::my_feedback(conn, &principal)).await?))
}

/// The caller's coaching at a glance: their relationships that are not over, the
/// agreements waiting for their acceptance, sessions to come and the action items they own.
#[utoipa::path(tag = "coaching", responses((status = 200, description = "The overview", body = MyCoaching), Errors))]
#[get("/me/coaching")]
pub async fn my_coaching(principal: Principal, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let overview = state.db.run(move |conn| mine::my_coaching(conn, &principal)).await?;
    Ok(HttpResponse::Ok().insert_header(private()).json(overview))
}

fn goal_with_etag(mut response: actix_web::HttpResponseBuilder, goal: &GoalResponse) -> HttpResponse {
    response.insert_header((header::ETAG, goal.etag())).insert_header(private()).json(goal)
}

/// A leader sets themselves a development goal tied to a competency, optionally shared
/// with some of their relationships. Private: HR and admins never read goals.
#[utoipa::path(
    tag = "coaching",
    params(("person_id" = String, Path, description = "The leader's person id (the caller)")),
    request_body = CreateGoalRequest,
    responses((status = 201, description = "Created", body = GoalResponse, headers(("etag" = String))), Errors),
)]
#[post("/people/{person_id}/goals")]
pub async fn create_goal(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<CreateGoalRequest>,
) -> Result<HttpResponse, AppError> {
    let (person_id, input) = (path.into_inner(), body.into_inner());
    let goal = state.db.run(move |conn| goals::create_goal(conn, &principal, &person_id, input)).await?;
    Ok(goal_with_etag(HttpResponse::Created(), &goal))
}

/// A leader's goals the caller may see: all for the leader, the shared ones for fellow
/// members of those relationships, none for anyone else (HR included).
#[utoipa::path(
    tag = "coaching",
    params(("person_id" = String, Path, description = "The leader's person id")),
    responses((status = 200, description = "Goals", body = Vec<GoalResponse>), Errors),
)]
#[get("/people/{person_id}/goals")]
pub async fn list_goals(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let person_id = path.into_inner();
    let list = state.db.run(move |conn| goals::list_goals(conn, &principal, &person_id)).await?;
    Ok(HttpResponse::Ok().insert_header(private()).json(list))
}

/// One goal, for its leader and those it is shared with.
#[utoipa::path(
    tag = "coaching",
    params(("goal_id" = String, Path, description = "The goal's id")),
    responses((status = 200, description = "The goal", body = GoalResponse, headers(("etag" = String))), Errors),
)]
#[get("/goals/{goal_id}")]
pub async fn get_goal(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let goal = state.db.run(move |conn| goals::get_goal(conn, &principal, &id)).await?;
    Ok(goal_with_etag(HttpResponse::Ok(), &goal))
}

/// The leader changes their goal: words, status, due date, with whom it is shared.
#[utoipa::path(
    tag = "coaching",
    params(
        ("goal_id" = String, Path, description = "The goal's id"),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read"),
    ),
    request_body = UpdateGoalRequest,
    responses((status = 200, description = "Updated", body = GoalResponse, headers(("etag" = String))), Errors),
)]
#[patch("/goals/{goal_id}")]
pub async fn update_goal(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdateGoalRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, tag, input) = (path.into_inner(), if_match(&req), body.into_inner());
    let goal = state.db.run(move |conn| goals::update_goal(conn, &principal, &id, tag.as_deref(), input)).await?;
    Ok(goal_with_etag(HttpResponse::Ok(), &goal))
}

/// The leader records progress (0 to 100) on an open goal, with a note.
#[utoipa::path(
    tag = "coaching",
    params(("goal_id" = String, Path, description = "The goal's id")),
    request_body = CheckInRequest,
    responses(
        (status = 201, description = "Recorded", body = CheckInResponse),
        (status = 409, description = "The goal is not open", body = Problem, content_type = "application/problem+json"),
        Errors,
    ),
)]
#[post("/goals/{goal_id}/check-ins")]
pub async fn check_in(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<CheckInRequest>,
) -> Result<HttpResponse, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    let recorded = state.db.run(move |conn| goals::check_in(conn, &principal, &id, input)).await?;
    Ok(HttpResponse::Created().insert_header(private()).json(recorded))
}

/// A goal's check-ins, oldest first, for whoever may see the goal.
#[utoipa::path(
    tag = "coaching",
    params(("goal_id" = String, Path, description = "The goal's id")),
    responses((status = 200, description = "Check-ins", body = Vec<CheckInResponse>), Errors),
)]
#[get("/goals/{goal_id}/check-ins")]
pub async fn list_check_ins(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let list = state.db.run(move |conn| goals::list_check_ins(conn, &principal, &id)).await?;
    Ok(HttpResponse::Ok().insert_header(private()).json(list))
}

/// The organisation's library for coaches, tagged by competency, starting with the
/// starter set for new coaches. For everyone signed in, and clients with a coaching scope.
#[utoipa::path(
    tag = "coaching",
    params(ListResourcesQuery),
    responses((status = 200, description = "A page of resources", body = Page<ResourceResponse>), Errors),
)]
#[get("/coaching/resources")]
pub async fn list_resources(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ListResourcesQuery>,
) -> Result<web::Json<Page<ResourceResponse>>, AppError> {
    let query = query.into_inner();
    Ok(web::Json(state.db.run(move |conn| resources::list_resources(conn, &principal, query)).await?))
}

/// HR adds a resource: a link, a text or both, tagged by competency.
#[utoipa::path(
    tag = "coaching",
    request_body = CreateResourceRequest,
    responses((status = 201, description = "Added", body = ResourceResponse), Errors),
)]
#[post("/coaching/resources", wrap = "crate::idempotency::Idempotent")]
pub async fn create_resource(
    principal: Principal,
    state: web::Data<AppState>,
    body: web::Json<CreateResourceRequest>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let created = state.db.run(move |conn| resources::create_resource(conn, &principal, input)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// HR changes a resource.
#[utoipa::path(
    tag = "coaching",
    params(("resource_id" = String, Path, description = "The resource's id")),
    request_body = UpdateResourceRequest,
    responses((status = 200, description = "Updated", body = ResourceResponse), Errors),
)]
#[patch("/coaching/resources/{resource_id}")]
pub async fn update_resource(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<UpdateResourceRequest>,
) -> Result<web::Json<ResourceResponse>, AppError> {
    let (id, input) = (path.into_inner(), body.into_inner());
    Ok(web::Json(state.db.run(move |conn| resources::update_resource(conn, &principal, &id, input)).await?))
}

/// HR removes a resource.
#[utoipa::path(
    tag = "coaching",
    params(("resource_id" = String, Path, description = "The resource's id")),
    responses((status = 204, description = "Removed"), Errors),
)]
#[delete("/coaching/resources/{resource_id}")]
pub async fn delete_resource(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    state.db.run(move |conn| resources::delete_resource(conn, &principal, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Resources for the caller's development areas in their latest released report (blind
/// spots first), then the starter guides for coaching a peer, each with why.
#[utoipa::path(
    tag = "coaching",
    responses((status = 200, description = "Recommendations", body = Recommendations), Errors),
)]
#[get("/me/recommendations")]
pub async fn my_recommendations(principal: Principal, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let found = state.db.run(move |conn| resources::my_recommendations(conn, &principal)).await?;
    Ok(HttpResponse::Ok().insert_header(private()).json(found))
}

/// A leader's growth over cycles: per competency, the "all others" mean in each cycle the
/// caller may see (the leader: released ones; HR: every closed one; a coach: those shared
/// with them, shared competencies only), with significant changes flagged and the goals
/// the caller may see laid over it.
#[utoipa::path(
    tag = "coaching",
    params(("person_id" = String, Path, description = "The leader's person id")),
    responses((status = 200, description = "Growth over cycles", body = GrowthResponse), Errors),
)]
#[get("/people/{person_id}/growth")]
pub async fn person_growth(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (_, found) = growth::growth(&state.db, principal, path.into_inner()).await?;
    Ok(HttpResponse::Ok().insert_header(private()).json(found))
}

/// A leader's growth over cycles as an SVG picture: one small chart per competency, a
/// point per cycle, significant changes marked, goals on the time axis, every figure in
/// `<title>` and `<desc>`. The same access as the JSON.
#[utoipa::path(
    tag = "coaching",
    params(("person_id" = String, Path, description = "The leader's person id")),
    responses((status = 200, description = "An SVG image", body = String, content_type = "image/svg+xml"), Errors),
)]
#[get("/people/{person_id}/growth.svg")]
pub async fn person_growth_svg(
    principal: Principal,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let svg = picture::growth_svg(&state.db, principal, path.into_inner()).await?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").insert_header(private()).body(svg))
}
