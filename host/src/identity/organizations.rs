//! Organizations that serve the community tree, seeded from `[[organizations]]`.

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::config::OrganizationConfig;
use super::t;

/// An organization.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Organization {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `management-company`, `hoa`, `supplier`, `business`, `government` or `snt-board`.
    pub kind: String,
    /// The community subtrees it serves.
    pub serves: Vec<String>,
}

/// Insert or update the configured organizations and make their served areas exactly what the
/// config says.
pub async fn seed<C: ConnectionTrait>(
    db: &C,
    organizations: &[OrganizationConfig],
    now: i64,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for organization in organizations {
        let insert = Query::insert()
            .into_table(t("organizations"))
            .columns(["id", "name", "kind", "created"].map(t))
            .values_panic([
                organization.id.clone().into(),
                organization.name.clone().into(),
                organization.kind.as_str().into(),
                now.into(),
            ])
            .on_conflict(
                OnConflict::column(t("id"))
                    .update_columns(["name", "kind"].map(t))
                    .to_owned(),
            )
            .to_owned();
        db.execute(backend.build(&insert)).await?;
        let clear = Query::delete()
            .from_table(t("organization_areas"))
            .and_where(Expr::col(t("organization_id")).eq(&organization.id))
            .to_owned();
        db.execute(backend.build(&clear)).await?;
        for community in &organization.serves {
            let insert = Query::insert()
                .into_table(t("organization_areas"))
                .columns(["organization_id", "community_id"].map(t))
                .values_panic([organization.id.clone().into(), community.clone().into()])
                .to_owned();
            db.execute(backend.build(&insert)).await?;
        }
    }
    Ok(())
}

/// Every organization, by id.
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<Organization>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: String,
        name: String,
        kind: String,
    }
    let query = Query::select()
        .columns(["id", "name", "kind"].map(t))
        .from(t("organizations"))
        .order_by(t("id"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    let areas = super::roles::organization_areas(db).await?;
    Ok(
        Row::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .map(|r| Organization {
                serves: areas.get(&r.id).cloned().unwrap_or_default(),
                id: r.id,
                name: r.name,
                kind: r.kind,
            })
            .collect(),
    )
}
