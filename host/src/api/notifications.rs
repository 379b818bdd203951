//! Routes of this area (being written).

use utoipa_axum::router::OpenApiRouter;

use crate::http::AppState;

/// The routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
