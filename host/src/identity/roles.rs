//! Roles: what people may do where.
//!
//! Some roles are granted (stored in `role_grants`), some follow from facts: a verified
//! ownership of a unit makes its holder an `owner` where the unit is (`owner-unverified`
//! until a chairman or operator verifies it), and a verified owner of a plot in an SNT
//! who is not a member is an `snt-non-member` there. Staff roles are held in an
//! organization and bear on every community subtree that organization serves.
//!
//! A role held in a community covers its whole subtree; an `admin` with no community is the
//! instance's admin.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::t;
use crate::communities::Communities;
use crate::runtime::Role;
use crate::storage::StatementText;

/// Roles held in a community.
pub const COMMUNITY_ROLES: [&str; 6] = [
    "resident",
    "snt-member",
    "chairman",
    "board",
    "moderator",
    "admin",
];
/// Roles held in an organization.
pub const ORGANIZATION_ROLES: [&str; 3] = ["operator", "executor", "official"];
/// Roles that follow from ownership and are never granted directly.
pub const DERIVED_ROLES: [&str; 3] = ["owner", "owner-unverified", "snt-non-member"];

/// A stored grant.
#[derive(Clone, Debug, FromQueryResult, Serialize, utoipa::ToSchema)]
pub struct Grant {
    /// The grant's id (to revoke it).
    pub id: i64,
    /// Whose.
    pub person_id: String,
    /// The role.
    pub role: String,
    /// The community, for community roles (none with `admin`: the whole instance).
    pub community_id: Option<String>,
    /// The organization, for staff roles.
    pub organization_id: Option<String>,
    /// When, ms since the epoch.
    pub created: i64,
}

/// A person's stored grants.
pub async fn grants_of<C: ConnectionTrait>(db: &C, person: &str) -> Result<Vec<Grant>, DbErr> {
    let query = Query::select()
        .columns(
            [
                "id",
                "person_id",
                "role",
                "community_id",
                "organization_id",
                "created",
            ]
            .map(t),
        )
        .from(t("role_grants"))
        .and_where(Expr::col(t("person_id")).eq(person))
        .order_by(t("id"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    Grant::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// One grant by id.
pub async fn grant_by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Grant>, DbErr> {
    let query = Query::select()
        .columns(
            [
                "id",
                "person_id",
                "role",
                "community_id",
                "organization_id",
                "created",
            ]
            .map(t),
        )
        .from(t("role_grants"))
        .and_where(Expr::col(t("id")).eq(id))
        .to_owned();
    Grant::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// The grants held in communities of a subtree or in organizations serving it.
pub async fn grants_in<C: ConnectionTrait>(
    db: &C,
    communities: &[String],
    organizations: &[String],
) -> Result<Vec<Grant>, DbErr> {
    let query = Query::select()
        .columns(
            [
                "id",
                "person_id",
                "role",
                "community_id",
                "organization_id",
                "created",
            ]
            .map(t),
        )
        .from(t("role_grants"))
        .cond_where(
            Expr::col(t("community_id"))
                .is_in(communities.iter().cloned())
                .or(Expr::col(t("organization_id")).is_in(organizations.iter().cloned())),
        )
        .order_by(t("id"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    Grant::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// The communities each organization serves.
pub async fn organization_areas<C: ConnectionTrait>(
    db: &C,
) -> Result<BTreeMap<String, Vec<String>>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        organization_id: String,
        community_id: String,
    }
    let query = Query::select()
        .columns(["organization_id", "community_id"].map(t))
        .from(t("organization_areas"))
        .to_owned();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in Row::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?
    {
        out.entry(row.organization_id)
            .or_default()
            .push(row.community_id);
    }
    Ok(out)
}

/// Every role a person holds, granted and derived, with staff roles spread over the
/// communities their organization serves.
pub async fn effective_roles<C: ConnectionTrait>(
    db: &C,
    person: &str,
    tree: &Communities,
) -> Result<Vec<Role>, DbErr> {
    // Every request of a signed-in person asks this, so the grants (with the areas of the
    // organizations they are held in) and the ownerships come in one statement.
    #[derive(FromQueryResult)]
    struct Held {
        /// 0 for a grant, 1 for an ownership.
        origin: i32,
        grant_id: i64,
        role: Option<String>,
        community_id: Option<String>,
        organization_id: Option<String>,
        /// A community the grant's organization serves.
        area: Option<String>,
        verified: Option<bool>,
    }
    static TEXT: StatementText = StatementText::new();
    let statement = TEXT.with_values(
        db.get_database_backend(),
        vec![person.into(), person.into()],
        || {
            let grants = Query::select()
                .expr_as(Expr::cust("0"), t("origin"))
                .expr_as(Expr::col((t("role_grants"), t("id"))), t("grant_id"))
                .expr_as(Expr::col((t("role_grants"), t("role"))), t("role"))
                .expr_as(
                    Expr::col((t("role_grants"), t("community_id"))),
                    t("community_id"),
                )
                .expr_as(
                    Expr::col((t("role_grants"), t("organization_id"))),
                    t("organization_id"),
                )
                .expr_as(
                    Expr::col((t("organization_areas"), t("community_id"))),
                    t("area"),
                )
                .expr_as(Expr::cust("NULL"), t("verified"))
                .from(t("role_grants"))
                .left_join(
                    t("organization_areas"),
                    Expr::col((t("organization_areas"), t("organization_id")))
                        .equals((t("role_grants"), t("organization_id"))),
                )
                .and_where(Expr::col((t("role_grants"), t("person_id"))).eq(person))
                .to_owned();
            let ownerships = Query::select()
                .expr(Expr::cust("1"))
                .expr(Expr::cust("0"))
                .expr(Expr::cust("NULL"))
                .column((t("units"), t("community_id")))
                .expr(Expr::cust("NULL"))
                .expr(Expr::cust("NULL"))
                .column((t("ownerships"), t("verified")))
                .from(t("ownerships"))
                .inner_join(
                    t("units"),
                    Expr::col((t("units"), t("id"))).equals((t("ownerships"), t("unit_id"))),
                )
                .and_where(Expr::col((t("ownerships"), t("person_id"))).eq(person))
                .to_owned();
            let mut query = grants;
            query.union(sea_orm::sea_query::UnionType::All, ownerships);
            query
        },
    );
    let mut held = Held::find_by_statement(statement).all(db).await?;
    // Grants in the order they were made, then ownerships (a stable sort keeps the rest).
    held.sort_by_key(|h| (h.origin, h.grant_id));
    let mut roles = Vec::new();
    for grant in held.iter().filter(|h| h.origin == 0) {
        let Some(name) = &grant.role else { continue };
        match (&grant.organization_id, &grant.area) {
            // Staff: the role bears on every community the organization serves.
            (Some(org), Some(area)) => roles.push(Role {
                name: name.clone(),
                community: Some(area.clone()),
                organization: Some(org.clone()),
            }),
            (Some(_), None) => {}
            (None, _) => roles.push(Role {
                name: name.clone(),
                community: grant.community_id.clone(),
                organization: None,
            }),
        }
    }
    for owned in held.iter().filter(|h| h.origin == 1) {
        let Some(community_id) = &owned.community_id else {
            continue;
        };
        let verified = owned.verified.unwrap_or(false);
        let name = if verified {
            "owner"
        } else {
            "owner-unverified"
        };
        let role = Role {
            name: name.into(),
            community: Some(community_id.clone()),
            organization: None,
        };
        if !roles.contains(&role) {
            roles.push(role);
        }
        let in_snt = tree
            .ancestors(community_id)
            .into_iter()
            .rev()
            .find(|c| c.kind == "snt");
        if let (true, Some(snt)) = (verified, in_snt) {
            let member = roles.iter().any(|r| {
                r.name == "snt-member"
                    && r.community
                        .as_deref()
                        .is_some_and(|c| tree.is_within(&snt.id, c))
            });
            let role = Role {
                name: "snt-non-member".into(),
                community: Some(snt.id.clone()),
                organization: None,
            };
            if !member && !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    Ok(roles)
}

/// The roles among `roles` that bear on a call about `community`: held there or above it (or
/// instance-wide), which cover all of it, and held inside its subtree, which cover part of it
/// (a moderator of one house, seen from the town's page). Each keeps its community, so a
/// plugin can tell them apart; `has-role` counts only the first kind.
pub fn bearing_on(roles: &[Role], community: &str, tree: &Communities) -> Vec<Role> {
    roles
        .iter()
        .filter(|r| {
            r.community.as_deref().is_none_or(|held| {
                tree.is_within(community, held) || tree.is_within(held, community)
            })
        })
        .cloned()
        .collect()
}

/// What a set of roles allows, asked of a community.
#[derive(Clone, Copy, Debug)]
pub struct Authority<'a> {
    roles: &'a [Role],
    tree: &'a Communities,
}

impl<'a> Authority<'a> {
    /// The authority of `roles` in `tree`.
    pub fn new(roles: &'a [Role], tree: &'a Communities) -> Self {
        Authority { roles, tree }
    }

    /// Whether `role` is held in `community` or above it.
    pub fn holds(&self, role: &str, community: &str) -> bool {
        self.roles.iter().any(|r| {
            r.name == role
                && r.community
                    .as_deref()
                    .is_none_or(|held| self.tree.is_within(community, held))
        })
    }

    /// The instance's admin.
    pub fn is_instance_admin(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r.name == "admin" && r.community.is_none())
    }

    /// An admin of the instance or of a subtree containing `community`.
    pub fn is_admin_of(&self, community: &str) -> bool {
        self.holds("admin", community)
    }

    /// May approve joins, verify owners, import the register and hand out invitations:
    /// admins, the chairman and board, and operators of an organization serving the place.
    pub fn manages_members_of(&self, community: &str) -> bool {
        ["admin", "chairman", "board", "operator"]
            .iter()
            .any(|role| self.holds(role, community))
    }

    /// Handles people's cases there, and so may see their phone numbers: the member
    /// managers, executors, moderators and officials.
    pub fn handles_cases_in(&self, community: &str) -> bool {
        [
            "admin",
            "chairman",
            "board",
            "operator",
            "executor",
            "moderator",
            "official",
        ]
        .iter()
        .any(|role| self.holds(role, community))
    }

    /// Belongs there: a resident, an owner, or anyone handling cases.
    pub fn belongs_to(&self, community: &str) -> bool {
        ["resident", "owner", "owner-unverified", "snt-member"]
            .iter()
            .any(|role| self.holds(role, community))
            || self.handles_cases_in(community)
    }

    /// May grant `role` in `community` (community roles): admins any; the chairman the
    /// roles of their own people.
    pub fn may_grant_in_community(&self, role: &str, community: &str) -> bool {
        if role == "admin" {
            return self.is_admin_of(community);
        }
        self.is_admin_of(community)
            || (self.holds("chairman", community)
                && matches!(role, "resident" | "snt-member" | "board" | "moderator"))
    }

    /// May grant `role` in an organization serving `areas`: admins of every area; an operator
    /// of the same organization may add executors.
    pub fn may_grant_in_organization(
        &self,
        role: &str,
        organization: &str,
        areas: &[String],
    ) -> bool {
        let admin_everywhere = !areas.is_empty() && areas.iter().all(|c| self.is_admin_of(c));
        admin_everywhere
            || self.is_instance_admin()
            || (role == "executor"
                && self.roles.iter().any(|r| {
                    r.name == "operator" && r.organization.as_deref() == Some(organization)
                }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::config::{OrganizationConfig, OrganizationKind};
    use crate::identity::membership::{self, OwnershipChange, Place, UnitChange};
    use crate::identity::organizations;
    use crate::identity::people::{self, NewPerson};
    use crate::storage::testing::{insert_community, test_databases};

    #[tokio::test]
    async fn a_person_holds_their_grants_staff_roles_over_every_area_served_and_what_their_ownerships_make_them()
     {
        for (engine, db) in test_databases().await {
            insert_community(&db, "town", None, "settlement").await;
            insert_community(&db, "house-1", Some("town"), "house").await;
            insert_community(&db, "house-2", Some("town"), "house").await;
            insert_community(&db, "snt", Some("town"), "snt").await;
            let tx = db.begin().await.unwrap();
            let organization = |id: &str, serves: &[&str]| OrganizationConfig {
                id: id.into(),
                name: format!("Организация {id}"),
                kind: OrganizationKind::ManagementCompany,
                serves: serves.iter().map(|s| s.to_string()).collect(),
            };
            organizations::seed(
                &tx,
                &[
                    organization("uk", &["house-1", "house-2"]),
                    organization("idle", &[]),
                ],
                0,
            )
            .await
            .unwrap();
            let person = people::create(
                &tx,
                NewPerson {
                    given_name: "Анна".into(),
                    family_name: "Петрова".into(),
                    phone: Some("+79990000001".into()),
                    email: None,
                    locale: "ru".into(),
                },
                0,
            )
            .await
            .unwrap();
            for place in [
                Place::Community(Some("house-1")),
                Place::Organization("uk"),
                Place::Organization("idle"),
            ] {
                let role = match place {
                    Place::Community(_) => "resident",
                    Place::Organization(_) => "operator",
                };
                membership::grant(&tx, None, &person.id, role, place, 0)
                    .await
                    .unwrap();
            }
            // A verified flat in house-1, an unverified one in house-2, a verified plot in the
            // SNT where she is not a member.
            for (community, number, kind, verified) in [
                ("house-1", "5", "apartment", true),
                ("house-2", "7", "apartment", false),
                ("snt", "12", "plot", true),
            ] {
                membership::save_unit(
                    &tx,
                    None,
                    UnitChange {
                        community,
                        number,
                        kind,
                        area_centi_m2: 5000,
                        cadastral_number: None,
                    },
                    0,
                )
                .await
                .unwrap();
                let unit = membership::unit(&tx, &format!("{community}/{number}"))
                    .await
                    .unwrap()
                    .unwrap();
                membership::set_ownership(
                    &tx,
                    None,
                    OwnershipChange {
                        person: &person.id,
                        unit: &unit,
                        share: (1, 1),
                        verified,
                        source: "test",
                    },
                    0,
                )
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();

            let tree = Communities::load(db.connection()).await.unwrap();
            let roles = effective_roles(db.reader(), &person.id, &tree)
                .await
                .unwrap();
            let mut held: Vec<String> = roles
                .iter()
                .map(|r| {
                    format!(
                        "{}@{}{}",
                        r.name,
                        r.community.as_deref().unwrap_or("-"),
                        r.organization
                            .as_deref()
                            .map(|o| format!(" for {o}"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            assert_eq!(
                held[0], "resident@house-1",
                "{engine}: grants come first, as made"
            );
            held.sort();
            assert_eq!(
                held,
                [
                    "operator@house-1 for uk",
                    "operator@house-2 for uk",
                    "owner-unverified@house-2",
                    "owner@house-1",
                    "owner@snt",
                    "resident@house-1",
                    "snt-non-member@snt",
                ],
                "{engine}"
            );
        }
    }
}
