//! Read-only queries over units, owners and people for the contract's `directory` interface.

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::inbox::escape_like;
use crate::runtime::latest::dvor::plugin::directory::{
    OrganizationInfo, Ownership, PersonInfo, Unit,
};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[derive(FromQueryResult)]
struct UnitRow {
    id: String,
    community_id: String,
    number: String,
    kind: String,
    area_centi_m2: i64,
    cadastral_number: Option<String>,
    entrance: Option<String>,
    floor: Option<i32>,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Self {
        Unit {
            id: r.id,
            community: r.community_id,
            number: r.number,
            kind: r.kind,
            area_centi_m2: r.area_centi_m2.max(0) as u64,
            cadastral_number: r.cadastral_number,
            entrance: r.entrance,
            floor: r.floor,
        }
    }
}

const UNIT_COLUMNS: [&str; 8] = [
    "id",
    "community_id",
    "number",
    "kind",
    "area_centi_m2",
    "cadastral_number",
    "entrance",
    "floor",
];

/// The units of a community (the caller checked the scope).
pub async fn units<C: ConnectionTrait>(db: &C, community: &str) -> Result<Vec<Unit>, DbErr> {
    let query = Query::select()
        .columns(UNIT_COLUMNS.map(a))
        .from(a("units"))
        .and_where(Expr::col(a("community_id")).eq(community))
        .order_by(a("id"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    Ok(
        UnitRow::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .map(Unit::from)
            .collect(),
    )
}

fn in_scope(path: &str) -> sea_orm::sea_query::SimpleExpr {
    Expr::col((a("communities"), a("path"))).like(format!("{}%", escape_like(path)))
}

/// The owners of a unit inside the scope.
pub async fn owners<C: ConnectionTrait>(
    db: &C,
    path: &str,
    unit: &str,
) -> Result<Vec<Ownership>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        person_id: String,
        unit_id: String,
        share_numerator: i32,
        share_denominator: i32,
        verified: bool,
    }
    let o = a("ownerships");
    let query = Query::select()
        .columns(
            [
                "person_id",
                "unit_id",
                "share_numerator",
                "share_denominator",
                "verified",
            ]
            .map(|c| (o.clone(), a(c))),
        )
        .from(o.clone())
        .inner_join(
            a("units"),
            Expr::col((o.clone(), a("unit_id"))).equals((a("units"), a("id"))),
        )
        .inner_join(
            a("communities"),
            Expr::col((a("units"), a("community_id"))).equals((a("communities"), a("id"))),
        )
        .and_where(Expr::col((o, a("unit_id"))).eq(unit))
        .and_where(in_scope(path))
        .to_owned();
    Ok(
        Row::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .map(|r| Ownership {
                person_id: r.person_id,
                unit_id: r.unit_id,
                share_numerator: r.share_numerator.max(0) as u32,
                share_denominator: r.share_denominator.max(1) as u32,
                verified: r.verified,
            })
            .collect(),
    )
}

/// The units a person owns inside the scope.
pub async fn units_of<C: ConnectionTrait>(
    db: &C,
    path: &str,
    person: &str,
) -> Result<Vec<Unit>, DbErr> {
    let u = a("units");
    let query = Query::select()
        .columns(UNIT_COLUMNS.map(|c| (u.clone(), a(c))))
        .from(u.clone())
        .inner_join(
            a("ownerships"),
            Expr::col((a("ownerships"), a("unit_id"))).equals((u.clone(), a("id"))),
        )
        .inner_join(
            a("communities"),
            Expr::col((u.clone(), a("community_id"))).equals((a("communities"), a("id"))),
        )
        .and_where(Expr::col((a("ownerships"), a("person_id"))).eq(person))
        .and_where(in_scope(path))
        .to_owned();
    Ok(
        UnitRow::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .map(Unit::from)
            .collect(),
    )
}

/// A person who holds a role or owns a unit inside the scope; the phone only for people
/// handling cases.
pub async fn person<C: ConnectionTrait>(
    db: &C,
    path: &str,
    id: &str,
    with_phone: bool,
) -> Result<Option<PersonInfo>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: String,
        display_name: String,
        phone: Option<String>,
    }
    let p = a("people");
    let g = a("role_grants");
    let query = Query::select()
        .distinct()
        .columns(["id", "display_name", "phone"].map(|c| (p.clone(), a(c))))
        .from(p.clone())
        .inner_join(
            g.clone(),
            Expr::col((g.clone(), a("person_id"))).equals((p.clone(), a("id"))),
        )
        .join(
            sea_orm::sea_query::JoinType::InnerJoin,
            a("communities"),
            sea_orm::sea_query::Cond::any()
                .add(Expr::col((g.clone(), a("community_id"))).equals((a("communities"), a("id"))))
                // Staff: the places their organization serves.
                .add(
                    Expr::col((a("communities"), a("id"))).in_subquery(
                        Query::select()
                            .column(a("community_id"))
                            .from(a("organization_areas"))
                            .and_where(
                                Expr::col((a("organization_areas"), a("organization_id")))
                                    .equals((g, a("organization_id"))),
                            )
                            .to_owned(),
                    ),
                ),
        )
        .and_where(Expr::col((p, a("id"))).eq(id))
        .and_where(in_scope(path))
        .to_owned();
    let mut found = Row::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await?;
    if found.is_none() && !units_of(db, path, id).await?.is_empty() {
        // An owner of a unit in scope is a person of the place too, with or without a grant.
        let query = Query::select()
            .columns(["id", "display_name", "phone"].map(a))
            .from(a("people"))
            .and_where(Expr::col(a("id")).eq(id))
            .to_owned();
        found = Row::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?;
    }
    Ok(found.map(|r| PersonInfo {
        id: r.id,
        display_name: r.display_name,
        phone: if with_phone { r.phone } else { None },
    }))
}

/// The people holding `role` in any of `communities` (a community and its ancestors), or
/// holding it in an organization that serves any of them; with `organization`, only those who
/// hold it in that organization.
pub async fn people_with_role_at<C: ConnectionTrait>(
    db: &C,
    communities: &[String],
    role: &str,
    organization: Option<&str>,
) -> Result<Vec<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        person_id: String,
    }
    let mut query = Query::select();
    if let Some(organization) = organization {
        query.and_where(Expr::col(a("organization_id")).eq(organization));
    }
    let query = query
        .distinct()
        .column(a("person_id"))
        .from(a("role_grants"))
        .and_where(Expr::col(a("role")).eq(role))
        .cond_where(
            sea_orm::sea_query::Cond::any()
                .add(Expr::col(a("community_id")).is_in(communities.iter().map(String::as_str)))
                // Staff roles are held in an organization and bear where it serves.
                .add(
                    Expr::col(a("organization_id")).in_subquery(
                        Query::select()
                            .column(a("organization_id"))
                            .from(a("organization_areas"))
                            .and_where(
                                Expr::col(a("community_id"))
                                    .is_in(communities.iter().map(String::as_str)),
                            )
                            .to_owned(),
                    ),
                ),
        )
        .to_owned();
    Ok(
        Row::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.person_id)
            .collect(),
    )
}

/// The organizations serving any of `communities` (a community and its ancestors), of `kind`
/// if given, by name.
pub async fn organizations_serving<C: ConnectionTrait>(
    db: &C,
    communities: &[String],
    kind: Option<&str>,
) -> Result<Vec<OrganizationInfo>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: String,
        name: String,
        kind: String,
    }
    #[derive(FromQueryResult)]
    struct Area {
        organization_id: String,
        community_id: String,
    }
    let mut query = Query::select();
    if let Some(kind) = kind {
        query.and_where(Expr::col(a("kind")).eq(kind));
    }
    let query = query
        .columns(["id", "name", "kind"].map(a))
        .from(a("organizations"))
        .and_where(
            Expr::col(a("id")).in_subquery(
                Query::select()
                    .column(a("organization_id"))
                    .from(a("organization_areas"))
                    .and_where(
                        Expr::col(a("community_id")).is_in(communities.iter().map(String::as_str)),
                    )
                    .to_owned(),
            ),
        )
        .order_by(a("name"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    let backend = db.get_database_backend();
    let rows = Row::find_by_statement(backend.build(&query))
        .all(db)
        .await?;
    let areas = Query::select()
        .columns(["organization_id", "community_id"].map(a))
        .from(a("organization_areas"))
        .and_where(Expr::col(a("organization_id")).is_in(rows.iter().map(|r| r.id.as_str())))
        .order_by(a("community_id"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    let areas = Area::find_by_statement(backend.build(&areas))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| OrganizationInfo {
            serves: areas
                .iter()
                .filter(|area| area.organization_id == r.id)
                .map(|area| area.community_id.clone())
                .collect(),
            id: r.id,
            name: r.name,
            kind: r.kind,
        })
        .collect())
}
