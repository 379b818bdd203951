//! Reading the audit log.

use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::SignedIn;
use super::page::Page;
use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::identity::audit::{self, AuditEntry, Filter};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read_audit))
}

/// Which entries.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// A community: entries in its subtree (needs its admin). Without it, the whole instance
    /// (needs the instance admin).
    pub community: Option<String>,
    /// Only entries about or by this person.
    pub person: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Who changed roles, ownership and verification, when, and what; newest first.
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Page<AuditEntry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such community (field `community`)"),
        (status = 422, body = ErrorBody, description = "A cursor that is no cursor of the log (field `cursor`)")))]
async fn read_audit(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<Page<AuditEntry>>, AppError> {
    me.require_scope("audit:read")?;
    let page = super::page::PageQuery {
        cursor: query.cursor.clone(),
        limit: query.limit,
    };
    let limit = page.limit()?;
    let before = page.cursor_i64()?;
    let tree = state.runtime.shared().communities();
    let communities = match &query.community {
        Some(id) => {
            if tree.get(id).is_none() {
                return Err(
                    AppError::not_found("Нет такого места / No such place").with_field("community")
                );
            }
            if !me.authority().is_admin_of(id) {
                return Err(AppError::forbidden(
                    "Журнал читает администратор / The log is for admins",
                ));
            }
            let mut ids: Vec<String> = tree
                .descendants(id, None)
                .into_iter()
                .map(|c| c.id.clone())
                .collect();
            ids.push(id.clone());
            Some(ids)
        }
        None => {
            if !me.authority().is_instance_admin() {
                return Err(AppError::forbidden(
                    "Журнал всего экземпляра читает его администратор / The instance's log is for its admin",
                ));
            }
            None
        }
    };
    let entries = audit::list(
        state.runtime.shared().db.connection(),
        &Filter {
            communities,
            person: query.person,
            before,
            limit: u64::from(limit) + 1,
        },
    )
    .await?;
    Ok(axum::Json(Page::from_overfetch(entries, limit, |e| {
        e.id.to_string()
    })))
}
