//! Changes to who holds what: role grants and ownerships. Each change writes its audit entry
//! in the same transaction; the caller checked that the actor may make it.

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde_json::json;

use super::audit::{self, Entry};
use super::roles::Grant;
use super::t;
use crate::error::AppError;

/// Where a role is held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place<'a> {
    /// A community (and its subtree); `None` only for the instance's admin.
    Community(Option<&'a str>),
    /// An organization.
    Organization(&'a str),
}

/// Grant `role` to `person` unless they hold it there already; returns the grant's id and
/// whether it is new.
pub async fn grant<C: ConnectionTrait>(
    db: &C,
    actor: Option<&str>,
    person: &str,
    role: &str,
    place: Place<'_>,
    now: i64,
) -> Result<(i64, bool), DbErr> {
    let (community, organization) = match place {
        Place::Community(c) => (c, None),
        Place::Organization(o) => (None, Some(o)),
    };
    let existing = super::roles::grants_of(db, person)
        .await?
        .into_iter()
        .find(|g| {
            g.role == role
                && g.community_id.as_deref() == community
                && g.organization_id.as_deref() == organization
        });
    if let Some(existing) = existing {
        return Ok((existing.id, false));
    }
    let insert = Query::insert()
        .into_table(t("role_grants"))
        .columns(
            [
                "person_id",
                "role",
                "community_id",
                "organization_id",
                "created",
            ]
            .map(t),
        )
        .values_panic([
            person.into(),
            role.into(),
            community.map(str::to_owned).into(),
            organization.map(str::to_owned).into(),
            now.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    let id = super::roles::grants_of(db, person)
        .await?
        .into_iter()
        .filter(|g| {
            g.role == role
                && g.community_id.as_deref() == community
                && g.organization_id.as_deref() == organization
        })
        .map(|g| g.id)
        .max()
        .unwrap_or_default();
    audit::record(
        db,
        Entry {
            actor,
            action: "role.granted",
            person: Some(person),
            community,
            details: json!({ "grant": id, "role": role, "organization": organization }),
        },
        now,
    )
    .await?;
    Ok((id, true))
}

/// Revoke a grant.
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    actor: Option<&str>,
    grant: &Grant,
    now: i64,
) -> Result<(), DbErr> {
    let delete = Query::delete()
        .from_table(t("role_grants"))
        .and_where(Expr::col(t("id")).eq(grant.id))
        .to_owned();
    db.execute(db.get_database_backend().build(&delete)).await?;
    audit::record(
        db,
        Entry {
            actor,
            action: "role.revoked",
            person: Some(&grant.person_id),
            community: grant.community_id.as_deref(),
            details: json!({
                "grant": grant.id,
                "role": grant.role,
                "organization": grant.organization_id,
            }),
        },
        now,
    )
    .await
}

/// A unit with the community it is in.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize, utoipa::ToSchema)]
pub struct UnitRef {
    /// The unit's id.
    pub id: String,
    /// Its community.
    pub community_id: String,
    /// Its number (`12`, `Н1`, plot `45`).
    pub number: String,
    /// `apartment`, `plot`, `premises`.
    pub kind: String,
    /// Area in hundredths of a square metre.
    pub area_centi_m2: i64,
    /// Cadastral number.
    pub cadastral_number: Option<String>,
}

/// A unit by id.
pub async fn unit<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<UnitRef>, DbErr> {
    let query = Query::select()
        .columns(
            [
                "id",
                "community_id",
                "number",
                "kind",
                "area_centi_m2",
                "cadastral_number",
            ]
            .map(t),
        )
        .from(t("units"))
        .and_where(Expr::col(t("id")).eq(id))
        .to_owned();
    UnitRef::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// A unit by its community and number.
pub async fn unit_by_number<C: ConnectionTrait>(
    db: &C,
    community: &str,
    number: &str,
) -> Result<Option<UnitRef>, DbErr> {
    let query = Query::select()
        .columns(
            [
                "id",
                "community_id",
                "number",
                "kind",
                "area_centi_m2",
                "cadastral_number",
            ]
            .map(t),
        )
        .from(t("units"))
        .and_where(Expr::col(t("community_id")).eq(community))
        .and_where(Expr::col(t("number")).eq(number))
        .to_owned();
    UnitRef::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// An ownership to record.
#[derive(Clone, Debug)]
pub struct OwnershipChange<'a> {
    /// The owner.
    pub person: &'a str,
    /// The unit.
    pub unit: &'a UnitRef,
    /// The share, numerator and denominator (`1/2`).
    pub share: (u32, u32),
    /// Whether it is verified (by documents, the register or a manager).
    pub verified: bool,
    /// How it was established: `register`, `manager`, `claim`.
    pub source: &'a str,
}

/// Record or update an ownership, with its audit entry.
pub async fn set_ownership<C: ConnectionTrait>(
    db: &C,
    actor: Option<&str>,
    change: OwnershipChange<'_>,
    now: i64,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(t("ownerships"))
        .columns(
            [
                "person_id",
                "unit_id",
                "share_numerator",
                "share_denominator",
                "verified",
            ]
            .map(t),
        )
        .values_panic([
            change.person.into(),
            change.unit.id.clone().into(),
            (change.share.0 as i32).into(),
            (change.share.1 as i32).into(),
            change.verified.into(),
        ])
        .on_conflict(
            OnConflict::columns(["person_id", "unit_id"].map(t))
                .update_columns(["share_numerator", "share_denominator", "verified"].map(t))
                .to_owned(),
        )
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    audit::record(
        db,
        Entry {
            actor,
            action: if change.verified {
                "ownership.verified"
            } else {
                "ownership.claimed"
            },
            person: Some(change.person),
            community: Some(&change.unit.community_id),
            details: json!({
                "unit": change.unit.id,
                "number": change.unit.number,
                "share": format!("{}/{}", change.share.0, change.share.1),
                "area_m2": format!("{}.{:02}", change.unit.area_centi_m2 / 100, change.unit.area_centi_m2 % 100),
                "source": change.source,
            }),
        },
        now,
    )
    .await
}

/// Remove an ownership; false if there was none.
pub async fn remove_ownership<C: ConnectionTrait>(
    db: &C,
    actor: Option<&str>,
    person: &str,
    unit: &UnitRef,
    now: i64,
) -> Result<bool, DbErr> {
    let delete = Query::delete()
        .from_table(t("ownerships"))
        .and_where(Expr::col(t("person_id")).eq(person))
        .and_where(Expr::col(t("unit_id")).eq(&unit.id))
        .to_owned();
    let removed = db
        .execute(db.get_database_backend().build(&delete))
        .await?
        .rows_affected()
        > 0;
    if removed {
        audit::record(
            db,
            Entry {
                actor,
                action: "ownership.removed",
                person: Some(person),
                community: Some(&unit.community_id),
                details: json!({ "unit": unit.id, "number": unit.number }),
            },
            now,
        )
        .await?;
    }
    Ok(removed)
}

/// A share sent in a request: 400 unless written `n` or `n/d` in digits (the document's
/// pattern, up to seven digits each), 422 when it is zero or more than the whole.
pub fn checked_share(field: &str, text: &str) -> Result<(u32, u32), AppError> {
    let written = match text.split_once('/') {
        Some((n, d)) => [n, d].iter().all(|p| is_digits(p, 7)),
        None => is_digits(text, 7),
    };
    if !written {
        return Err(AppError::invalid(
            field,
            "Доля: `1`, `1/2`, `1/3` / The share: `1`, `1/2`, `1/3`",
        ));
    }
    parse_share(text).ok_or_else(|| {
        AppError::unprocessable(
            field,
            "Доля больше нуля и не больше целого: `1`, `1/2`, `1/3` / A share is more than zero and at most the whole: `1`, `1/2`, `1/3`",
        )
    })
}

/// 1 to `max` ASCII digits.
fn is_digits(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// Parse a share written `1` or `1/2` (integers only, spaces allowed around them): none
/// unless it is more than zero and at most the whole.
pub fn parse_share(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (n, d) = match text.split_once('/') {
        Some((n, d)) => (n.trim().parse().ok()?, d.trim().parse().ok()?),
        None => (text.parse().ok()?, 1),
    };
    (n >= 1 && d >= 1 && n <= d && d <= 1_000_000).then_some((n, d))
}

/// Turn a person's owners'-register rows into verified ownerships and residence: called
/// whenever a phone number is proven (a sign-up or sign-in by code), and when the register is
/// imported for people already signed up. Returns how many rows were claimed.
pub async fn claim_register<C: ConnectionTrait>(
    db: &C,
    person: &str,
    phone: &str,
    now: i64,
) -> Result<u32, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        unit_id: String,
        share_numerator: i32,
        share_denominator: i32,
    }
    let query = Query::select()
        .columns(["id", "unit_id", "share_numerator", "share_denominator"].map(t))
        .from(t("owner_register"))
        .and_where(Expr::col(t("phone")).eq(phone))
        .and_where(Expr::col(t("claimed_by")).is_null())
        .to_owned();
    let rows = Row::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    let mut claimed = 0;
    for row in rows {
        let Some(unit) = unit(db, &row.unit_id).await? else {
            continue;
        };
        set_ownership(
            db,
            None,
            OwnershipChange {
                person,
                unit: &unit,
                share: (
                    row.share_numerator.max(1) as u32,
                    row.share_denominator.max(1) as u32,
                ),
                verified: true,
                source: "register",
            },
            now,
        )
        .await?;
        grant(
            db,
            None,
            person,
            "resident",
            Place::Community(Some(&unit.community_id)),
            now,
        )
        .await?;
        let mark = Query::update()
            .table(t("owner_register"))
            .value(t("claimed_by"), person)
            .and_where(Expr::col(t("id")).eq(row.id))
            .to_owned();
        db.execute(db.get_database_backend().build(&mark)).await?;
        let person_row = super::people::by_id(db, person).await?;
        if person_row.is_some_and(|p| p.current_community.is_none()) {
            super::people::update(
                db,
                person,
                super::people::ProfileChange {
                    current_community: Some(unit.community_id.clone()),
                    ..Default::default()
                },
            )
            .await?;
        }
        claimed += 1;
    }
    Ok(claimed)
}

/// A unit to create or update, keyed by community and number.
#[derive(Clone, Debug)]
pub struct UnitChange<'a> {
    /// The community.
    pub community: &'a str,
    /// The number (`12`, `45а`); no `/`.
    pub number: &'a str,
    /// `apartment`, `plot` or `non-residential`.
    pub kind: &'a str,
    /// Area in hundredths of m².
    pub area_centi_m2: i64,
    /// Cadastral number.
    pub cadastral_number: Option<&'a str>,
}

/// Check a unit number: 1–20 characters, no `/`.
pub fn valid_unit_number(number: &str) -> bool {
    let number = number.trim();
    !number.is_empty()
        && number.chars().count() <= 20
        && !number.contains('/')
        && number == number.trim()
}

/// Create or update a unit, with an audit entry; returns it.
pub async fn save_unit<C: ConnectionTrait>(
    db: &C,
    actor: Option<&str>,
    change: UnitChange<'_>,
    now: i64,
) -> Result<UnitRef, DbErr> {
    let id = format!("{}/{}", change.community, change.number);
    let insert = Query::insert()
        .into_table(t("units"))
        .columns(
            [
                "id",
                "community_id",
                "number",
                "kind",
                "area_centi_m2",
                "cadastral_number",
            ]
            .map(t),
        )
        .values_panic([
            id.clone().into(),
            change.community.into(),
            change.number.into(),
            change.kind.into(),
            change.area_centi_m2.into(),
            change.cadastral_number.map(str::to_owned).into(),
        ])
        .on_conflict(
            OnConflict::column(t("id"))
                .update_columns(["kind", "area_centi_m2", "cadastral_number"].map(t))
                .to_owned(),
        )
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    audit::record(
        db,
        Entry {
            actor,
            action: "unit.saved",
            person: None,
            community: Some(change.community),
            details: json!({
                "unit": id,
                "kind": change.kind,
                "area_centi_m2": change.area_centi_m2,
                "cadastral_number": change.cadastral_number,
            }),
        },
        now,
    )
    .await?;
    unit(db, &id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("unit {id} after saving it")))
}
