//! Announcements over the API: anyone reads a place's current ones (its own and those of the
//! places around it); its managers publish and take them down.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{JsonBody, Principal, SignedIn};
use crate::announcements::{self, Announcement, NewAnnouncement};
use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::identity::now_ms;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(current, publish_one))
        .routes(routes!(take_down_one))
}

fn no_such_place() -> AppError {
    AppError::not_found("Нет такого места / No such place").with_field("community")
}

fn not_a_manager() -> AppError {
    AppError::forbidden(
        "Объявления публикуют те, кто управляет местом / Announcements are published by those who manage the place",
    )
}

/// The announcements shown on a place's page, newest first.
#[utoipa::path(get, path = "/api/communities/{community}/announcements", tag = "communities",
    params(("community" = String, Path, description = "The community's id")),
    responses((status = 200, body = Vec<Announcement>), (status = 404, body = ErrorBody)))]
async fn current(
    State(state): State<AppState>,
    Path(community): Path<String>,
) -> Result<axum::Json<Vec<Announcement>>, AppError> {
    let shared = state.runtime.shared();
    let tree = shared.communities();
    tree.get(&community).ok_or_else(no_such_place)?;
    Ok(axum::Json(
        announcements::current_for(shared.db.connection(), &tree, &community, now_ms(), 50).await?,
    ))
}

/// A new announcement.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementInput {
    /// The title, up to 200 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// The text, up to 4000 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 4000)]
    pub text: Option<String>,
    /// The last day it is shown, `YYYY-MM-DD` (instance time), today or later; none: until
    /// taken down.
    #[schema(format = Date)]
    pub until: Option<String>,
}

/// Publish an announcement for a place; its people are told in their inbox.
#[utoipa::path(post, path = "/api/communities/{community}/announcements", tag = "communities",
    request_body = AnnouncementInput,
    params(("community" = String, Path, description = "The community's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = Announcement), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A title or text of spaces only, or an end date already past (the field says which)")))]
async fn publish_one(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(community): Path<String>,
    JsonBody(input): JsonBody<AnnouncementInput>,
) -> Result<(StatusCode, axum::Json<Announcement>), AppError> {
    me.require_scope("members:write")?;
    let published = publish(&state, &me, &community, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(published)))
}

/// Publish as `me` (the API's and the admin page's): the checks, then one transaction.
pub(crate) async fn publish(
    state: &AppState,
    me: &Principal,
    community: &str,
    input: &AnnouncementInput,
) -> Result<Announcement, AppError> {
    let shared = state.runtime.shared();
    let tree = shared.communities();
    tree.get(community).ok_or_else(no_such_place)?;
    if !announcements::may_publish(&me.authority(), community) {
        return Err(not_a_manager());
    }
    let until = match input.until.as_deref() {
        None => None,
        Some(date) => Some(announcements::last_moment_of(
            date,
            state.utc_offset_minutes,
        )?),
    };
    let tx = shared.db.begin().await?;
    let published = announcements::publish(
        &tx,
        &tree,
        NewAnnouncement {
            community,
            title: input.title.as_deref().unwrap_or(""),
            text: input.text.as_deref().unwrap_or(""),
            author: &me.person.id,
            until,
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(published)
}

/// Take an announcement down.
#[utoipa::path(delete, path = "/api/communities/{community}/announcements/{id}", tag = "communities",
    params(("community" = String, Path, description = "The community's id"), ("id" = String, Path, description = "The announcement's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Taken down"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn take_down_one(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path((community, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    me.require_scope("members:write")?;
    take_down(&state, &me, &community, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take down as `me` (the API's and the admin page's); 404 when the place has no such one.
pub(crate) async fn take_down(
    state: &AppState,
    me: &Principal,
    community: &str,
    id: &str,
) -> Result<(), AppError> {
    let shared = state.runtime.shared();
    shared
        .communities()
        .get(community)
        .ok_or_else(no_such_place)?;
    if !announcements::may_publish(&me.authority(), community) {
        return Err(not_a_manager());
    }
    if announcements::take_down(shared.db.connection(), community, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("Нет такого объявления / No such announcement").with_field("id"))
    }
}
