//! The inbox: the signed-in person's notifications, newest first, and marking them read.
//!
//! Only the person's own notifications are reachable: another person's id is answered as if it
//! did not exist. API tokens need the `profile` scope.

use axum::extract::{Path, Query, State};
use sea_orm::sea_query::{Alias, Expr, Order};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::SignedIn;
use super::page::{Page, PageQuery};
use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::identity::now_ms;
use crate::inbox::InboxItem;

/// The routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
}

fn t(name: &str) -> Alias {
    Alias::new(name)
}

/// A notification as the inbox shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    /// Its id.
    pub id: String,
    /// The plugin that sent it (`host` for the host's own).
    pub source: String,
    /// The title in the caller's language.
    pub title: String,
    /// The text in the caller's language.
    pub body: String,
    /// The title in Russian.
    pub title_ru: String,
    /// The title in English.
    pub title_en: String,
    /// The text in Russian.
    pub body_ru: String,
    /// The text in English.
    pub body_en: String,
    /// A web UI path it leads to.
    pub link: Option<String>,
    /// `low`, `normal` or `high`.
    pub urgency: String,
    /// When it was sent, ms since the epoch.
    pub created: i64,
    /// When it was read; none while unread.
    pub read_at: Option<i64>,
}

impl NotificationView {
    fn new(item: InboxItem, locale: &str) -> Self {
        let pick = |ru: &str, en: &str| {
            if locale == "en" && !en.trim().is_empty() || ru.trim().is_empty() {
                en.to_owned()
            } else {
                ru.to_owned()
            }
        };
        NotificationView {
            title: pick(&item.title_ru, &item.title_en),
            body: pick(&item.body_ru, &item.body_en),
            id: item.id,
            source: item.source,
            title_ru: item.title_ru,
            title_en: item.title_en,
            body_ru: item.body_ru,
            body_en: item.body_en,
            link: item.link,
            urgency: item.urgency,
            created: item.created,
            read_at: item.read_at,
        }
    }
}

/// Which notifications.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// How many are unread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    /// Unread notifications.
    pub unread: u64,
}

/// How many were marked read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// Notifications that were unread and are read now.
    pub marked: u64,
}

/// My notifications, newest first.
#[utoipa::path(get, path = "/api/me/notifications", tag = "notifications", params(InboxQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Page<NotificationView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Query(query): Query<InboxQuery>,
) -> Result<axum::Json<Page<NotificationView>>, AppError> {
    me.require_scope("profile")?;
    let page = PageQuery {
        cursor: query.cursor.clone(),
        limit: query.limit,
    };
    let limit = page.limit()?;
    let before = page.cursor_str()?;
    let mut select = crate::inbox::own_notifications(&me.person.id);
    if query.unread == Some(true) {
        select.and_where(Expr::col(t("read_at")).is_null());
    }
    if let Some(before) = before {
        select.and_where(Expr::col(t("id")).lt(before));
    }
    // Ids begin with the time they were made: by id is by time, and unique.
    select
        .order_by(t("id"), Order::Desc)
        .limit(u64::from(limit) + 1);
    let db = state.runtime.shared().db.connection();
    let items = InboxItem::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await?;
    let locale = me.person.locale.as_str();
    let page = Page::from_overfetch(items, limit, |item| item.id.clone());
    Ok(axum::Json(Page {
        items: page
            .items
            .into_iter()
            .map(|item| NotificationView::new(item, locale))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// How many of my notifications are unread.
#[utoipa::path(get, path = "/api/me/notifications/unread-count", tag = "notifications",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody)))]
async fn unread_count(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<axum::Json<UnreadCount>, AppError> {
    me.require_scope("profile")?;
    let db = state.runtime.shared().db.connection();
    let count = crate::inbox::unread_count(db, &me.person.id).await?;
    Ok(axum::Json(UnreadCount { unread: count }))
}

/// Mark one of my notifications read (it stays read if it already was).
#[utoipa::path(post, path = "/api/me/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path, description = "The notification's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = NotificationView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<NotificationView>, AppError> {
    me.require_scope("profile")?;
    let db = state.runtime.shared().db.connection();
    let item = crate::inbox::mark_read(db, &me.person.id, &id, now_ms())
        .await?
        .ok_or_else(|| {
            AppError::not_found("Нет такого уведомления / No such notification").with_field("id")
        })?;
    Ok(axum::Json(NotificationView::new(item, &me.person.locale)))
}

/// Mark all my notifications read.
#[utoipa::path(post, path = "/api/me/notifications/read-all", tag = "notifications",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Marked), (status = 401, body = ErrorBody)))]
async fn mark_all_read(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<axum::Json<Marked>, AppError> {
    me.require_scope("profile")?;
    let db = state.runtime.shared().db.connection();
    let marked = crate::inbox::mark_all_read(db, &me.person.id, now_ms()).await?;
    Ok(axum::Json(Marked { marked }))
}
