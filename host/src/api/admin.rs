//! The instance admin's tools over HTTP: event deliveries that failed for good, and putting
//! them back in the queue (the same as `dvor events dead` / `dvor events replay`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Principal, SignedIn};
use crate::error::{AppError, ErrorBody};
use crate::events::{self, DeliveryRow};
use crate::http::AppState;
use crate::identity::now_ms;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dead_letters))
        .routes(routes!(replay))
}

fn require_instance_admin(me: &Principal) -> Result<(), AppError> {
    me.require_session()?;
    if me.authority().is_instance_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Это может только администратор экземпляра / Only the instance's admin may do this",
        ))
    }
}

/// Deliveries that failed every attempt, newest first (at most 1000).
#[utoipa::path(get, path = "/api/admin/events/dead", tag = "audit",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<DeliveryRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn dead_letters(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<axum::Json<Vec<DeliveryRow>>, AppError> {
    require_instance_admin(&me)?;
    Ok(axum::Json(
        events::dead_letters(state.runtime.shared().db.connection()).await?,
    ))
}

/// Put a dead delivery back in the queue.
#[utoipa::path(post, path = "/api/admin/events/{event}/replay/{plugin}", tag = "audit",
    params(("event" = String, Path, description = "The event's id"), ("plugin" = String, Path, description = "The subscriber")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn replay(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path((event, plugin)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    require_instance_admin(&me)?;
    let shared = state.runtime.shared();
    if !events::replay(shared.db.connection(), &event, &plugin, now_ms()).await? {
        return Err(AppError::not_found(
            "Нет такой несостоявшейся доставки / No such dead delivery",
        )
        .with_field("event"));
    }
    shared.events_committed.notify_waiters();
    tracing::info!(%event, %plugin, admin = %me.person.id, "dead delivery replayed");
    Ok(StatusCode::NO_CONTENT)
}
