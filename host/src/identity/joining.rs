//! Joining a community: invitations (a link, a QR code and a printable leaflet), join requests
//! that a chairman, the board, an operator or an admin decides, and the owners' register, whose
//! rows become verified ownerships as soon as their phone numbers sign up.
//!
//! Every function takes the caller's transaction and writes its audit entries there; the
//! caller checked that the actor may make the change. Events of the host (`person.joined`) are
//! recorded in the same transaction: wake the dispatcher after the commit.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use sea_orm::sea_query::{Expr, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;
use serde_json::json;

use super::audit::{self, Entry};
use super::membership::{self, OwnershipChange, Place, UnitChange};
use super::{people, roles, t};
use crate::error::AppError;
use crate::inbox::{self, NewNotification};
use crate::runtime::Shared;

/// The longest note a person may add to a request, and the longest rejection reason.
pub const MAX_TEXT: usize = 1000;
/// The longest owner's name in the register.
pub const MAX_NAME: usize = 200;
/// The most rows one register import may have.
pub const MAX_REGISTER_ROWS: usize = 50_000;

/// Where notifications of the host itself come from.
const SOURCE: &str = "dvor";

// ---------------------------------------------------------------------------------------------
// Invitations

/// An invitation to join a community.
#[derive(Clone, Debug, FromQueryResult, Serialize, utoipa::ToSchema)]
pub struct Invitation {
    /// The invitation's id: a long random URL-safe token, part of the link.
    pub id: String,
    /// The community it invites to.
    pub community_id: String,
    /// Who made it.
    pub created_by: String,
    /// When, ms since the epoch.
    pub created: i64,
    /// When it stops working, ms since the epoch; none: never.
    pub expires: Option<i64>,
    /// When it was revoked, ms since the epoch.
    pub revoked: Option<i64>,
    /// How many requests were made with it.
    pub uses: i32,
}

impl Invitation {
    /// Whether it still lets people ask to join.
    pub fn is_valid(&self, now: i64) -> bool {
        self.revoked.is_none() && self.expires.is_none_or(|e| e > now)
    }
}

const INVITATION_COLUMNS: [&str; 7] = [
    "id",
    "community_id",
    "created_by",
    "created",
    "expires",
    "revoked",
    "uses",
];

/// A new invitation id: 32 random bytes, base64url without padding (43 characters).
pub fn new_invitation_id() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` looks like an invitation id (so that nothing else reaches the database).
pub fn is_invitation_id(id: &str) -> bool {
    (16..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Make an invitation to `community`, with its audit entry.
pub async fn create_invitation<C: ConnectionTrait>(
    db: &C,
    actor: &str,
    community: &str,
    expires: Option<i64>,
    now: i64,
) -> Result<Invitation, DbErr> {
    let invitation = Invitation {
        id: new_invitation_id(),
        community_id: community.to_owned(),
        created_by: actor.to_owned(),
        created: now,
        expires,
        revoked: None,
        uses: 0,
    };
    let insert = Query::insert()
        .into_table(t("invitations"))
        .columns(INVITATION_COLUMNS.map(t))
        .values_panic([
            invitation.id.clone().into(),
            invitation.community_id.clone().into(),
            invitation.created_by.clone().into(),
            now.into(),
            expires.into(),
            Option::<i64>::None.into(),
            0i32.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    audit::record(
        db,
        Entry {
            actor: Some(actor),
            action: "invitation.created",
            person: None,
            community: Some(community),
            details: json!({ "invitation": short(&invitation.id), "expires": expires }),
        },
        now,
    )
    .await?;
    Ok(invitation)
}

/// The start of an invitation id: enough to tell invitations apart in the audit log without
/// writing a working link into it.
fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// One invitation by id.
pub async fn invitation<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<Invitation>, DbErr> {
    if !is_invitation_id(id) {
        return Ok(None);
    }
    let query = Query::select()
        .columns(INVITATION_COLUMNS.map(t))
        .from(t("invitations"))
        .and_where(Expr::col(t("id")).eq(id))
        .to_owned();
    Invitation::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// The invitations to a community, newest first.
pub async fn invitations_to<C: ConnectionTrait>(
    db: &C,
    community: &str,
) -> Result<Vec<Invitation>, DbErr> {
    let query = Query::select()
        .columns(INVITATION_COLUMNS.map(t))
        .from(t("invitations"))
        .and_where(Expr::col(t("community_id")).eq(community))
        .order_by(t("created"), Order::Desc)
        .to_owned();
    Invitation::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// Revoke an invitation (nothing happens if it was revoked already).
pub async fn revoke_invitation<C: ConnectionTrait>(
    db: &C,
    actor: &str,
    invitation: &Invitation,
    now: i64,
) -> Result<(), DbErr> {
    let update = Query::update()
        .table(t("invitations"))
        .value(t("revoked"), now)
        .and_where(Expr::col(t("id")).eq(&invitation.id))
        .and_where(Expr::col(t("revoked")).is_null())
        .to_owned();
    let changed = db
        .execute(db.get_database_backend().build(&update))
        .await?
        .rows_affected();
    if changed > 0 {
        audit::record(
            db,
            Entry {
                actor: Some(actor),
                action: "invitation.revoked",
                person: None,
                community: Some(&invitation.community_id),
                details: json!({ "invitation": short(&invitation.id), "uses": invitation.uses }),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Join requests

/// A request to join a community.
#[derive(Clone, Debug, FromQueryResult, Serialize, utoipa::ToSchema)]
pub struct JoinRequest {
    /// Its id (sortable by time; the pagination cursor).
    pub id: String,
    /// Who asks.
    pub person_id: String,
    /// Where to.
    pub community_id: String,
    /// The flat or plot they name.
    pub unit_number: Option<String>,
    /// Whether they say they own it.
    pub claims_ownership: bool,
    /// The invitation they followed.
    pub invitation_id: Option<String>,
    /// What they added.
    pub note: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// When they asked, ms since the epoch.
    pub created: i64,
    /// Who decided; none while pending, and when the instance approved at once (a verified
    /// owner).
    pub decided_by: Option<String>,
    /// When it was decided.
    pub decided: Option<i64>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

const REQUEST_COLUMNS: [&str; 12] = [
    "id",
    "person_id",
    "community_id",
    "unit_number",
    "claims_ownership",
    "invitation_id",
    "note",
    "status",
    "created",
    "decided_by",
    "decided",
    "reason",
];

/// The statuses a request can have.
pub const STATUSES: [&str; 3] = ["pending", "approved", "rejected"];

/// One request by id.
pub async fn join_request<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<Option<JoinRequest>, DbErr> {
    let query = Query::select()
        .columns(REQUEST_COLUMNS.map(t))
        .from(t("join_requests"))
        .and_where(Expr::col(t("id")).eq(id))
        .to_owned();
    JoinRequest::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// Which requests to list.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    /// Only requests to these communities, if given.
    pub communities: Option<Vec<String>>,
    /// Only this person's requests.
    pub person: Option<String>,
    /// Only requests with this status.
    pub status: Option<String>,
    /// Only requests after this id.
    pub after: Option<String>,
    /// At most this many.
    pub limit: u64,
}

/// Requests, oldest first (the order they should be decided in).
pub async fn join_requests<C: ConnectionTrait>(
    db: &C,
    filter: &RequestFilter,
) -> Result<Vec<JoinRequest>, DbErr> {
    let mut query = Query::select();
    query
        .columns(REQUEST_COLUMNS.map(t))
        .from(t("join_requests"))
        .order_by(t("id"), Order::Asc)
        .limit(filter.limit);
    if let Some(communities) = &filter.communities {
        query.and_where(Expr::col(t("community_id")).is_in(communities.iter().cloned()));
    }
    if let Some(person) = &filter.person {
        query.and_where(Expr::col(t("person_id")).eq(person));
    }
    if let Some(status) = &filter.status {
        query.and_where(Expr::col(t("status")).eq(status));
    }
    if let Some(after) = &filter.after {
        query.and_where(Expr::col(t("id")).gt(after));
    }
    JoinRequest::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// What a person asks for when they follow an invitation.
#[derive(Clone, Debug)]
pub struct Application<'a> {
    /// Who asks.
    pub person: &'a str,
    /// The community.
    pub community: &'a str,
    /// The flat or plot, checked against the community's units.
    pub unit_number: Option<&'a str>,
    /// Whether they say they own it (needs the unit).
    pub claims_ownership: bool,
    /// The invitation followed (its `uses` is counted).
    pub invitation: Option<&'a str>,
    /// A note for whoever decides.
    pub note: Option<&'a str>,
}

/// Ask to join. A person who already holds a verified ownership there (from the register, or
/// verified by a manager) is approved at once; otherwise the request waits, and the place's
/// managers are told. Errors name the field: `unit_number`, `claims_ownership`, `note`; a
/// pending request to the same place is a conflict.
pub async fn apply<C: ConnectionTrait>(
    shared: &Shared,
    db: &C,
    application: Application<'_>,
    now: i64,
) -> Result<JoinRequest, AppError> {
    let community = application.community;
    if let Some(raw) = application.unit_number {
        crate::input::within("unit_number", raw, 20)?;
    }
    let number = application
        .unit_number
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let unit_number = match number {
        Some(number) => {
            if !membership::valid_unit_number(number) {
                return Err(AppError::unprocessable(
                    "unit_number",
                    "Номер помещения: до 20 символов, без «/» / The unit number: up to 20 characters, no `/`",
                ));
            }
            if membership::unit_by_number(db, community, number)
                .await?
                .is_none()
            {
                return Err(AppError::unprocessable(
                    "unit_number",
                    format!(
                        "Здесь нет помещения № {number}. Проверьте номер или оставьте поле пустым и напишите о нём в примечании / There is no unit {number} here. Check the number, or leave it empty and mention it in the note"
                    ),
                ));
            }
            Some(number.to_owned())
        }
        None if application.claims_ownership => {
            return Err(AppError::unprocessable(
                "unit_number",
                "Укажите номер квартиры или участка, которым вы владеете / Give the number of the flat or plot you own",
            ));
        }
        None => None,
    };
    let note = clean_text(application.note, "note")?;
    let pending = join_requests(
        db,
        &RequestFilter {
            communities: Some(vec![community.to_owned()]),
            person: Some(application.person.to_owned()),
            status: Some("pending".into()),
            after: None,
            limit: 1,
        },
    )
    .await?;
    if !pending.is_empty() {
        return Err(AppError::conflict(
            "Ваша заявка сюда уже ждёт решения / Your request to join here is already waiting for a decision",
        ));
    }
    let tree = shared.communities();
    let verified_owner = owns_verified_in(db, &tree, application.person, community).await?;
    if !verified_owner && !application.claims_ownership {
        let resident = roles::grants_of(db, application.person)
            .await?
            .iter()
            .any(|g| g.role == "resident" && g.community_id.as_deref() == Some(community));
        if resident {
            return Err(AppError::conflict(
                "Вы уже состоите в этом сообществе / You already belong to this community",
            ));
        }
    }
    let request = JoinRequest {
        id: crate::events::new_id(now),
        person_id: application.person.to_owned(),
        community_id: community.to_owned(),
        unit_number,
        claims_ownership: application.claims_ownership,
        invitation_id: application.invitation.map(str::to_owned),
        note,
        status: "pending".into(),
        created: now,
        decided_by: None,
        decided: None,
        reason: None,
    };
    let insert = Query::insert()
        .into_table(t("join_requests"))
        .columns(REQUEST_COLUMNS.map(t))
        .values_panic([
            request.id.clone().into(),
            request.person_id.clone().into(),
            request.community_id.clone().into(),
            request.unit_number.clone().into(),
            request.claims_ownership.into(),
            request.invitation_id.clone().into(),
            request.note.clone().into(),
            request.status.clone().into(),
            now.into(),
            Option::<String>::None.into(),
            Option::<i64>::None.into(),
            Option::<String>::None.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    if let Some(invitation) = application.invitation {
        let count = Query::update()
            .table(t("invitations"))
            .value(t("uses"), Expr::col(t("uses")).add(1))
            .and_where(Expr::col(t("id")).eq(invitation))
            .to_owned();
        db.execute(db.get_database_backend().build(&count)).await?;
    }
    audit::record(
        db,
        Entry {
            actor: Some(application.person),
            action: "join.requested",
            person: Some(application.person),
            community: Some(community),
            details: json!({
                "request": request.id,
                "unit": request.unit_number,
                "claims_ownership": request.claims_ownership,
            }),
        },
        now,
    )
    .await?;
    if verified_owner {
        return approve(shared, db, None, &request, Approval::default(), now).await;
    }
    tell_managers(shared, db, &request, now).await?;
    Ok(request)
}

/// A note or a reason: at most [`MAX_TEXT`] characters as sent; trimmed, none if empty.
fn clean_text(text: Option<&str>, field: &str) -> Result<Option<String>, AppError> {
    crate::input::optional_text(field, text, MAX_TEXT)
}

/// Whether `person` holds a verified ownership of a unit in `community` or below it.
async fn owns_verified_in<C: ConnectionTrait>(
    db: &C,
    tree: &crate::communities::Communities,
    person: &str,
    community: &str,
) -> Result<bool, DbErr> {
    #[derive(FromQueryResult)]
    struct Owned {
        community_id: String,
        verified: bool,
    }
    let query = Query::select()
        .column((t("units"), t("community_id")))
        .column((t("ownerships"), t("verified")))
        .from(t("ownerships"))
        .inner_join(
            t("units"),
            Expr::col((t("units"), t("id"))).equals((t("ownerships"), t("unit_id"))),
        )
        .and_where(Expr::col((t("ownerships"), t("person_id"))).eq(person))
        .to_owned();
    Ok(
        Owned::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .iter()
            .any(|o| o.verified && tree.is_within(&o.community_id, community)),
    )
}

/// A person's ownership of a unit: `(share, verified)`.
async fn ownership<C: ConnectionTrait>(
    db: &C,
    person: &str,
    unit: &str,
) -> Result<Option<((u32, u32), bool)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Held {
        share_numerator: i32,
        share_denominator: i32,
        verified: bool,
    }
    let query = Query::select()
        .columns(["share_numerator", "share_denominator", "verified"].map(t))
        .from(t("ownerships"))
        .and_where(Expr::col(t("person_id")).eq(person))
        .and_where(Expr::col(t("unit_id")).eq(unit))
        .to_owned();
    Ok(
        Held::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?
            .map(|h| {
                (
                    (
                        h.share_numerator.max(1) as u32,
                        h.share_denominator.max(1) as u32,
                    ),
                    h.verified,
                )
            }),
    )
}

/// Tell the people who manage a place (its chairman and board, here or above, and the
/// operators of organizations serving it) that a request waits.
async fn tell_managers<C: ConnectionTrait>(
    shared: &Shared,
    db: &C,
    request: &JoinRequest,
    now: i64,
) -> Result<(), DbErr> {
    let tree = shared.communities();
    let places: Vec<String> = tree
        .ancestors(&request.community_id)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    let organizations: Vec<String> = roles::organization_areas(db)
        .await?
        .into_iter()
        .filter(|(_, served)| served.iter().any(|s| places.contains(s)))
        .map(|(org, _)| org)
        .collect();
    let managers: Vec<String> = roles::grants_in(db, &places, &organizations)
        .await?
        .into_iter()
        .filter(|g| matches!(g.role.as_str(), "chairman" | "board" | "operator"))
        .map(|g| g.person_id)
        .filter(|p| p != &request.person_id)
        .collect();
    if managers.is_empty() {
        return Ok(());
    }
    let name = people::by_id(db, &request.person_id)
        .await?
        .map(|p| p.display_name)
        .unwrap_or_default();
    let place = place_name(&tree, &request.community_id);
    let unit = request
        .unit_number
        .as_deref()
        .map(|n| (format!(", № {n}"), format!(", no. {n}")))
        .unwrap_or_default();
    let note = NewNotification {
        source: SOURCE.into(),
        title: (
            "Новая заявка на вступление".into(),
            "A new join request".into(),
        ),
        body: (
            format!("{name} просит принять в «{place}»{}.", unit.0),
            format!("{name} asks to join “{place}”{}.", unit.1),
        ),
        link: Some(format!("/c/{}", request.community_id)),
        urgency: "normal",
    };
    inbox::deliver(db, &managers, &note, now).await?;
    Ok(())
}

fn place_name(tree: &crate::communities::Communities, id: &str) -> String {
    tree.get(id)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

/// How a manager approves a request.
#[derive(Clone, Debug, Default)]
pub struct Approval {
    /// Verify the claimed ownership (the manager saw the documents).
    pub verify_ownership: bool,
    /// The share of the claimed unit, if the manager knows it.
    pub share: Option<(u32, u32)>,
}

/// Mark a pending request decided; a conflict if it was decided already.
async fn decide<C: ConnectionTrait>(
    db: &C,
    actor: Option<&str>,
    request: &JoinRequest,
    status: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<JoinRequest, AppError> {
    let update = Query::update()
        .table(t("join_requests"))
        .value(t("status"), status)
        .value(t("decided_by"), actor.map(str::to_owned))
        .value(t("decided"), now)
        .value(t("reason"), reason.map(str::to_owned))
        .and_where(Expr::col(t("id")).eq(&request.id))
        .and_where(Expr::col(t("status")).eq("pending"))
        .to_owned();
    let changed = db
        .execute(db.get_database_backend().build(&update))
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(AppError::conflict(
            "Заявка уже рассмотрена / The request has already been decided",
        ));
    }
    Ok(JoinRequest {
        status: status.to_owned(),
        decided_by: actor.map(str::to_owned),
        decided: Some(now),
        reason: reason.map(str::to_owned),
        ..request.clone()
    })
}

/// Approve a request: the person becomes a resident, and their claimed unit is recorded as
/// theirs (verified if the manager says so; a verified ownership is never downgraded). With
/// the audit entry, the `person.joined` event and a notification to the person when a manager
/// decided (`actor`). Errors name `verify_ownership` or `share` when there is no claimed unit.
pub async fn approve<C: ConnectionTrait>(
    shared: &Shared,
    db: &C,
    actor: Option<&str>,
    request: &JoinRequest,
    approval: Approval,
    now: i64,
) -> Result<JoinRequest, AppError> {
    let claimed = request
        .unit_number
        .as_deref()
        .filter(|_| request.claims_ownership);
    if claimed.is_none() {
        if approval.verify_ownership {
            return Err(AppError::unprocessable(
                "verify_ownership",
                "Заявитель не называл себя собственником: подтверждать нечего / The person did not claim ownership: there is nothing to verify",
            ));
        }
        if approval.share.is_some() {
            return Err(AppError::unprocessable(
                "share",
                "Доля указывается только для собственника / A share is given only for an owner",
            ));
        }
    }
    let decided = decide(db, actor, request, "approved", None, now).await?;
    let person = &request.person_id;
    let community = &request.community_id;
    let (_, joined) = membership::grant(
        db,
        actor,
        person,
        "resident",
        Place::Community(Some(community)),
        now,
    )
    .await?;
    let mut recorded = None;
    if let Some(number) = claimed {
        let unit = membership::unit_by_number(db, community, number)
            .await?
            .ok_or_else(|| {
                AppError::conflict(format!(
                    "Помещения № {number} больше нет: отклоните заявку с объяснением / Unit {number} no longer exists: reject the request with a reason"
                ))
            })?;
        let held = ownership(db, person, &unit.id).await?;
        let verified = approval.verify_ownership || held.is_some_and(|(_, v)| v);
        let share = approval.share.or(held.map(|(s, _)| s)).unwrap_or((1, 1));
        if held != Some((share, verified)) {
            membership::set_ownership(
                db,
                actor,
                OwnershipChange {
                    person,
                    unit: &unit,
                    share,
                    verified,
                    source: if approval.verify_ownership {
                        "manager"
                    } else {
                        "claim"
                    },
                },
                now,
            )
            .await?;
        }
        recorded = Some((unit.number.clone(), share, verified));
    }
    audit::record(
        db,
        Entry {
            actor,
            action: "join.approved",
            person: Some(person),
            community: Some(community),
            details: json!({
                "request": request.id,
                "unit": recorded.as_ref().map(|r| &r.0),
                "share": recorded.as_ref().map(|r| format!("{}/{}", r.1.0, r.1.1)),
                "verified": recorded.as_ref().map(|r| r.2),
                "automatic": actor.is_none(),
            }),
        },
        now,
    )
    .await?;
    if joined {
        crate::identity::host_event(
            shared,
            db,
            "person.joined",
            community,
            actor,
            json!({ "person_id": person }),
            now,
        )
        .await?;
    }
    if people::by_id(db, person)
        .await?
        .is_some_and(|p| p.current_community.is_none())
    {
        people::update(
            db,
            person,
            people::ProfileChange {
                current_community: Some(community.clone()),
                ..Default::default()
            },
        )
        .await?;
    }
    if actor.is_some() {
        let place = place_name(&shared.communities(), community);
        let (ru, en) = match &recorded {
            Some((number, (n, d), true)) => (
                format!(
                    " Собственность помещения № {number} подтверждена{}.",
                    share_ru(*n, *d)
                ),
                format!(
                    " Your ownership of unit {number} is verified{}.",
                    share_en(*n, *d)
                ),
            ),
            Some((number, _, false)) => (
                format!(
                    " Собственность помещения № {number} записана со слов и ещё не подтверждена документами."
                ),
                format!(
                    " Your ownership of unit {number} is recorded as you stated it, not yet verified by documents."
                ),
            ),
            None => Default::default(),
        };
        let note = NewNotification {
            source: SOURCE.into(),
            title: ("Заявка одобрена".into(), "Request approved".into()),
            body: (
                format!("Вас приняли в «{place}».{ru}"),
                format!("You have joined “{place}”.{en}"),
            ),
            link: Some(format!("/c/{community}")),
            urgency: "normal",
        };
        inbox::deliver(db, std::slice::from_ref(person), &note, now).await?;
    }
    Ok(decided)
}

fn share_ru(n: u32, d: u32) -> String {
    if n == d {
        String::new()
    } else {
        format!(", доля {n}/{d}")
    }
}

fn share_en(n: u32, d: u32) -> String {
    if n == d {
        String::new()
    } else {
        format!(", share {n}/{d}")
    }
}

/// Reject a request with a reason (required: field `reason`), with the audit entry and a
/// notification to the person.
pub async fn reject<C: ConnectionTrait>(
    shared: &Shared,
    db: &C,
    actor: &str,
    request: &JoinRequest,
    reason: Option<&str>,
    now: i64,
) -> Result<JoinRequest, AppError> {
    let why =
        "Объясните человеку, почему заявка отклонена / Tell the person why the request is rejected";
    if reason.is_none_or(str::is_empty) {
        return Err(AppError::invalid("reason", why));
    }
    let reason =
        clean_text(reason, "reason")?.ok_or_else(|| AppError::unprocessable("reason", why))?;
    let decided = decide(db, Some(actor), request, "rejected", Some(&reason), now).await?;
    audit::record(
        db,
        Entry {
            actor: Some(actor),
            action: "join.rejected",
            person: Some(&request.person_id),
            community: Some(&request.community_id),
            details: json!({ "request": request.id, "reason": reason }),
        },
        now,
    )
    .await?;
    let place = place_name(&shared.communities(), &request.community_id);
    let note = NewNotification {
        source: SOURCE.into(),
        title: ("Заявка отклонена".into(), "Request rejected".into()),
        body: (
            format!("Заявку на вступление в «{place}» отклонили. Причина: {reason}"),
            format!("Your request to join “{place}” was rejected. The reason: {reason}"),
        ),
        link: None,
        urgency: "normal",
    };
    inbox::deliver(db, std::slice::from_ref(&request.person_id), &note, now).await?;
    Ok(decided)
}

// ---------------------------------------------------------------------------------------------
// The owners' register

/// One thing wrong with a register file: the line (1 is the header) and the column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The line in the file, counting the header as 1.
    pub line: u64,
    /// The column (`unit`, `name`, `phone`, `share`, `area`), or `body` for the whole file.
    pub field: String,
    /// What is wrong, Russian first, then ` / ` and English.
    pub message: String,
}

impl Problem {
    fn new(line: u64, field: &str, message: impl Into<String>) -> Self {
        Problem {
            line,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// A register row that passed the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterRow {
    /// Its line in the file.
    pub line: u64,
    /// The unit's number.
    pub unit: String,
    /// The owner's full name.
    pub name: String,
    /// The phone, normalised.
    pub phone: String,
    /// The share.
    pub share: (u32, u32),
    /// The unit's area in hundredths of m², if given.
    pub area_centi_m2: Option<i64>,
}

/// The columns of a register file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    Unit,
    Name,
    Phone,
    Share,
    Area,
}

impl Column {
    const ALL: [Column; 5] = [
        Column::Unit,
        Column::Name,
        Column::Phone,
        Column::Share,
        Column::Area,
    ];

    fn of(header: &str) -> Option<Column> {
        let header = header
            .trim()
            .trim_end_matches(['*', ':'])
            .trim()
            .to_lowercase();
        let header = header.split(['(', ',']).next().unwrap_or_default().trim();
        match header {
            "unit" | "number" | "помещение" | "квартира" | "участок" | "номер" | "№" => {
                Some(Column::Unit)
            }
            "name" | "full name" | "owner" | "фио" | "ф.и.о." | "ф. и. о." | "собственник" => {
                Some(Column::Name)
            }
            "phone" | "телефон" | "тел." => Some(Column::Phone),
            "share" | "доля" => Some(Column::Share),
            "area" | "площадь" => Some(Column::Area),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Column::Unit => "unit",
            Column::Name => "name",
            Column::Phone => "phone",
            Column::Share => "share",
            Column::Area => "area",
        }
    }

    fn russian(self) -> &'static str {
        match self {
            Column::Unit => "помещение",
            Column::Name => "фио",
            Column::Phone => "телефон",
            Column::Share => "доля",
            Column::Area => "площадь",
        }
    }

    fn required(self) -> bool {
        matches!(self, Column::Unit | Column::Name | Column::Phone)
    }
}

/// The separator a file uses: the most frequent of `;`, `,` and tab on its first line.
fn separator_of(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first.chars().filter(|&x| x == c).count();
    let (semicolons, commas, tabs) = (count(';'), count(','), count('\t'));
    if tabs > semicolons && tabs > commas {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// Read a register file: UTF-8 (a BOM is allowed), separated by commas or semicolons, with a
/// header row naming the columns `unit, name, phone, share, area` (or `помещение, фио,
/// телефон, доля, площадь`) in any order; `share` and `area` may be left out. Every problem
/// is reported, each with its line and column.
pub fn parse_register(bytes: &[u8]) -> Result<Vec<RegisterRow>, Vec<Problem>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let line = 1 + bytes[..error.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            return Err(vec![Problem::new(
                line,
                "body",
                "Файл не в кодировке UTF-8: сохраните его как «CSV UTF-8» / The file is not UTF-8: save it as “CSV UTF-8”",
            )]);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(vec![Problem::new(
            1,
            "body",
            "Файл пуст / The file is empty",
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator_of(text))
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text);
    let mut columns: Option<BTreeMap<Column, usize>> = None;
    let mut problems = Vec::new();
    let mut rows: Vec<RegisterRow> = Vec::new();
    let mut seen: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut areas: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = lines.at(error.position().map_or(0, |p| p.byte()));
                problems.push(Problem::new(
                    line,
                    "body",
                    format!("Строка не разобрана: {error} / The line could not be read: {error}"),
                ));
                break;
            }
        };
        let line = lines.at(record.position().map_or(0, |p| p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let Some(columns) = &columns else {
            match header_of(&record, line) {
                Ok(found) => columns = Some(found),
                Err(mut found) => {
                    problems.append(&mut found);
                    return Err(problems);
                }
            }
            continue;
        };
        if rows.len() + problems.len() >= MAX_REGISTER_ROWS {
            problems.push(Problem::new(
                line,
                "body",
                format!(
                    "Не больше {MAX_REGISTER_ROWS} строк за раз: разделите файл / At most {MAX_REGISTER_ROWS} rows at a time: split the file"
                ),
            ));
            break;
        }
        let cell = |column: Column| {
            columns
                .get(&column)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
        };
        let before = problems.len();
        let unit = cell(Column::Unit);
        if unit.is_empty() {
            problems.push(Problem::new(
                line,
                "unit",
                "Укажите номер квартиры или участка / Give the flat or plot number",
            ));
        } else if !membership::valid_unit_number(unit) {
            problems.push(Problem::new(
                line,
                "unit",
                "Номер: до 20 символов, без «/» / The number: up to 20 characters, no `/`",
            ));
        }
        let name = cell(Column::Name)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            problems.push(Problem::new(
                line,
                "name",
                "Укажите ФИО собственника / Give the owner's full name",
            ));
        } else if name.chars().count() > MAX_NAME {
            problems.push(Problem::new(
                line,
                "name",
                format!("ФИО не длиннее {MAX_NAME} символов / At most {MAX_NAME} characters"),
            ));
        }
        let phone = super::phone::normalize(cell(Column::Phone));
        if phone.is_none() {
            problems.push(Problem::new(
                line,
                "phone",
                if cell(Column::Phone).is_empty() {
                    "Укажите телефон собственника / Give the owner's phone number"
                } else {
                    "Телефон вида +7 999 123-45-67 / A phone number such as +7 999 123-45-67"
                },
            ));
        }
        let share = match cell(Column::Share) {
            "" => Some((1, 1)),
            text => membership::parse_share(text),
        };
        if share.is_none() {
            problems.push(Problem::new(
                line,
                "share",
                "Доля: 1, 1/2, 1/3 (пусто — целиком) / The share: 1, 1/2, 1/3 (empty: the whole unit)",
            ));
        }
        let area = match cell(Column::Area) {
            "" => Some(None),
            text => crate::config::Area::parse(&text.replace(',', "."))
                .filter(|a| a.centi_m2 > 0)
                .map(|a| Some(a.centi_m2)),
        };
        if area.is_none() {
            problems.push(Problem::new(
                line,
                "area",
                "Площадь в м², например 54.3 или 54,3 / The area in m², such as 54.3",
            ));
        }
        if problems.len() > before {
            continue;
        }
        let (Some(phone), Some(share), Some(area)) = (phone, share, area) else {
            continue;
        };
        if let Some(first) = seen.insert((unit.to_owned(), phone.clone()), line) {
            problems.push(Problem::new(
                line,
                "phone",
                format!(
                    "Этот телефон уже указан для помещения № {unit} в строке {first} / This phone is already given for unit {unit} on line {first}"
                ),
            ));
            continue;
        }
        if let Some(area) = area {
            match areas.get(unit) {
                Some(&(other, first)) if other != area => {
                    problems.push(Problem::new(
                        line,
                        "area",
                        format!(
                            "Площадь помещения № {unit} здесь другая, чем в строке {first} / The area of unit {unit} differs from line {first}"
                        ),
                    ));
                    continue;
                }
                Some(_) => {}
                None => {
                    areas.insert(unit.to_owned(), (area, line));
                }
            }
        }
        rows.push(RegisterRow {
            line,
            unit: unit.to_owned(),
            name,
            phone,
            share,
            area_centi_m2: area,
        });
    }
    if columns.is_none() && problems.is_empty() {
        problems.push(Problem::new(
            1,
            "body",
            "Нет строки заголовка / There is no header row",
        ));
    }
    problems.extend(shares_over_one(&rows));
    if problems.is_empty() && rows.is_empty() {
        problems.push(Problem::new(
            2,
            "body",
            "В файле нет ни одной строки с собственником / The file has no owner rows",
        ));
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(problems)
    }
}

/// The line a record starts on, from the byte offset the CSV reader gives (which may point at
/// the line break before the record: with `\r\n`, or after blank lines).
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first character at or after `byte` that is not a line break; offsets
    /// must not go back.
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = (byte as usize).clamp(self.offset, self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        self.line += self.bytes[self.offset..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.offset = start;
        self.line
    }
}

/// Find the columns in a header row.
fn header_of(
    record: &csv::StringRecord,
    line: u64,
) -> Result<BTreeMap<Column, usize>, Vec<Problem>> {
    let mut columns = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, header) in record.iter().enumerate() {
        let Some(column) = Column::of(header) else {
            continue;
        };
        if columns.insert(column, i).is_some() {
            problems.push(Problem::new(
                line,
                column.name(),
                format!(
                    "Столбец «{}» указан дважды / The `{}` column appears twice",
                    column.russian(),
                    column.name()
                ),
            ));
        }
    }
    for column in Column::ALL {
        if column.required() && !columns.contains_key(&column) {
            problems.push(Problem::new(
                line,
                column.name(),
                format!(
                    "Нет столбца «{}» ({}) в первой строке: нужны unit, name, phone, а share и area — по желанию / The header row lacks `{}`: unit, name and phone are required, share and area optional",
                    column.russian(),
                    column.name(),
                    column.name()
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(problems)
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The units whose shares in the file add up to more than the whole unit, reported on the
/// line of each unit's last row.
fn shares_over_one(rows: &[RegisterRow]) -> Vec<Problem> {
    let mut sums: BTreeMap<&str, (u128, u128, u64)> = BTreeMap::new();
    for row in rows {
        let (n, d) = (u128::from(row.share.0), u128::from(row.share.1));
        let entry = sums.entry(&row.unit).or_insert((0, 1, row.line));
        let numerator = entry.0 * d + n * entry.1;
        let denominator = entry.1 * d;
        let divisor = gcd(numerator, denominator).max(1);
        *entry = (numerator / divisor, denominator / divisor, row.line);
    }
    sums.into_iter()
        .filter(|(_, (n, d, _))| n > d)
        .map(|(unit, (n, d, line))| {
            Problem::new(
                line,
                "share",
                format!(
                    "Доли помещения № {unit} в сумме больше целого ({n}/{d}) / The shares of unit {unit} add up to more than the whole ({n}/{d})"
                ),
            )
        })
        .collect()
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Rows stored (new or updated).
    pub rows: u32,
    /// Units that did not exist and were made.
    pub units_created: u32,
    /// Ownerships verified right away, for people already signed up with those phones.
    pub owners_verified_now: u32,
}

/// Why an import wrote nothing.
#[derive(Debug)]
pub enum ImportError {
    /// Rows that do not fit what the database holds (a new unit without its area).
    Problems(Vec<Problem>),
    /// The database failed.
    Db(DbErr),
}

impl From<DbErr> for ImportError {
    fn from(error: DbErr) -> Self {
        ImportError::Db(error)
    }
}

/// Store register rows for `community`: units that do not exist are made (plots in an SNT,
/// apartments elsewhere) with their area, rows are stored (a row for the same unit and phone is
/// updated), and rows whose phone belongs to someone already signed up are claimed at once.
/// Nothing is written if a new unit has no area: drop the transaction on an error.
pub async fn import_register<C: ConnectionTrait>(
    shared: &Shared,
    db: &C,
    actor: &str,
    community: &str,
    rows: &[RegisterRow],
    now: i64,
) -> Result<ImportSummary, ImportError> {
    let tree = shared.communities();
    let in_snt = tree.ancestors(community).iter().any(|c| c.kind == "snt");
    let kind = if in_snt { "plot" } else { "apartment" };
    let mut areas: BTreeMap<&str, i64> = BTreeMap::new();
    for row in rows {
        if let Some(area) = row.area_centi_m2 {
            areas.entry(&row.unit).or_insert(area);
        }
    }
    let mut units = BTreeMap::new();
    let mut missing = Vec::new();
    for row in rows {
        if units.contains_key(&row.unit) {
            continue;
        }
        let existing = membership::unit_by_number(db, community, &row.unit).await?;
        let area = areas.get(row.unit.as_str()).copied();
        if existing.is_none() && area.is_none() {
            missing.push(Problem::new(
                row.line,
                "area",
                format!(
                    "Помещения № {} ещё нет: укажите его площадь / Unit {} does not exist yet: give its area",
                    row.unit, row.unit
                ),
            ));
        }
        units.insert(row.unit.clone(), (existing, area));
    }
    if !missing.is_empty() {
        return Err(ImportError::Problems(missing));
    }
    let mut summary = ImportSummary::default();
    let mut saved = BTreeMap::new();
    for (number, (existing, area)) in units {
        let unit = match existing {
            Some(unit) => unit,
            None => {
                summary.units_created += 1;
                membership::save_unit(
                    db,
                    Some(actor),
                    UnitChange {
                        community,
                        number: &number,
                        kind,
                        area_centi_m2: area.unwrap_or_default(),
                        cadastral_number: None,
                    },
                    now,
                )
                .await?
            }
        };
        saved.insert(number, unit);
    }
    #[derive(FromQueryResult)]
    struct Stored {
        id: i64,
        claimed_by: Option<String>,
    }
    for row in rows {
        let unit = &saved[&row.unit];
        let query = Query::select()
            .columns(["id", "claimed_by"].map(t))
            .from(t("owner_register"))
            .and_where(Expr::col(t("unit_id")).eq(&unit.id))
            .and_where(Expr::col(t("phone")).eq(&row.phone))
            .to_owned();
        let stored = Stored::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?;
        let share = (row.share.0 as i32, row.share.1 as i32);
        match stored {
            Some(stored) => {
                let update = Query::update()
                    .table(t("owner_register"))
                    .value(t("full_name"), row.name.clone())
                    .value(t("share_numerator"), share.0)
                    .value(t("share_denominator"), share.1)
                    .value(t("imported"), now)
                    .value(t("imported_by"), actor)
                    .and_where(Expr::col(t("id")).eq(stored.id))
                    .to_owned();
                db.execute(db.get_database_backend().build(&update)).await?;
                // A claimed row already made its ownership: keep it in step with the register.
                if let Some(owner) = stored.claimed_by
                    && people::by_id(db, &owner).await?.is_some()
                {
                    let held = ownership(db, &owner, &unit.id).await?;
                    if held != Some((row.share, true)) {
                        if !held.is_some_and(|(_, verified)| verified) {
                            summary.owners_verified_now += 1;
                        }
                        membership::set_ownership(
                            db,
                            Some(actor),
                            OwnershipChange {
                                person: &owner,
                                unit,
                                share: row.share,
                                verified: true,
                                source: "register",
                            },
                            now,
                        )
                        .await?;
                    }
                }
            }
            None => {
                let insert = Query::insert()
                    .into_table(t("owner_register"))
                    .columns(
                        [
                            "community_id",
                            "unit_id",
                            "full_name",
                            "phone",
                            "share_numerator",
                            "share_denominator",
                            "imported",
                            "imported_by",
                            "claimed_by",
                        ]
                        .map(t),
                    )
                    .values_panic([
                        community.into(),
                        unit.id.clone().into(),
                        row.name.clone().into(),
                        row.phone.clone().into(),
                        share.0.into(),
                        share.1.into(),
                        now.into(),
                        actor.into(),
                        Option::<String>::None.into(),
                    ])
                    .to_owned();
                db.execute(db.get_database_backend().build(&insert)).await?;
            }
        }
        summary.rows += 1;
    }
    let phones: BTreeSet<&str> = rows.iter().map(|r| r.phone.as_str()).collect();
    for phone in phones {
        let Some(person) = people::by_phone(db, phone).await? else {
            continue;
        };
        let was_resident = is_resident(db, &person.id, community).await?;
        summary.owners_verified_now +=
            membership::claim_register(db, &person.id, phone, now).await?;
        if !was_resident && is_resident(db, &person.id, community).await? {
            crate::identity::host_event(
                shared,
                db,
                "person.joined",
                community,
                Some(actor),
                json!({ "person_id": person.id }),
                now,
            )
            .await?;
        }
    }
    audit::record(
        db,
        Entry {
            actor: Some(actor),
            action: "register.imported",
            person: None,
            community: Some(community),
            details: json!({
                "rows": summary.rows,
                "units_created": summary.units_created,
                "owners_verified_now": summary.owners_verified_now,
            }),
        },
        now,
    )
    .await?;
    Ok(summary)
}

async fn is_resident<C: ConnectionTrait>(
    db: &C,
    person: &str,
    community: &str,
) -> Result<bool, DbErr> {
    Ok(roles::grants_of(db, person)
        .await?
        .iter()
        .any(|g| g.role == "resident" && g.community_id.as_deref() == Some(community)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(problems: &[Problem]) -> Vec<(u64, &str)> {
        problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect()
    }

    #[test]
    fn a_register_reads_in_any_column_order_with_either_separator_and_a_bom() {
        let english = "phone,unit,name,area,share\n+7 999 111-22-33,12,Иван  Петров,54.3,1/2\n";
        let rows = parse_register(english.as_bytes()).unwrap();
        assert_eq!(
            rows,
            vec![RegisterRow {
                line: 2,
                unit: "12".into(),
                name: "Иван Петров".into(),
                phone: "+79991112233".into(),
                share: (1, 2),
                area_centi_m2: Some(5430),
            }]
        );
        let russian =
            "\u{feff}Помещение;ФИО;Телефон;Доля;Площадь\r\n12;Иван Петров;89991112233;1/2;54,3\r\n";
        assert_eq!(parse_register(russian.as_bytes()).unwrap(), rows);
        let blank_lines = "\n\nunit,name,phone\r\n\r\n12,Иван Петров,+79991112233\r\n\n\n13,\"Пётр\r\nПетров\",+79991112234\n14,Анна,bad\n";
        let problems = parse_register(blank_lines.as_bytes()).unwrap_err();
        assert_eq!(lines(&problems), vec![(10, "phone")]);
        let without_optional = "unit,name,phone\n12,Иван Петров,+79991112233\n";
        let rows = parse_register(without_optional.as_bytes()).unwrap();
        assert_eq!(rows[0].share, (1, 1));
        assert_eq!(rows[0].area_centi_m2, None);
    }

    #[test]
    fn every_bad_cell_is_reported_with_its_line_and_column() {
        let text = "unit,name,phone,share,area\n\
                    12,Иван Петров,+79991112233,1/2,54.3\n\
                    ,Пётр,+79991112234,,\n\
                    14,Анна,12345,3/2,много\n\
                    12,Иван Петров,+79991112233,1/2,54.3\n\
                    15,Ольга,+79991112235,1/2,40\n\
                    15,Олег,+79991112236,2/3,40\n";
        let problems = parse_register(text.as_bytes()).unwrap_err();
        assert_eq!(
            lines(&problems),
            vec![
                (3, "unit"),
                (4, "phone"),
                (4, "share"),
                (4, "area"),
                (5, "phone"),
                (7, "share"),
            ]
        );
        assert!(problems.iter().all(|p| p.message.contains(" / ")));
    }

    #[test]
    fn a_missing_column_or_a_foreign_encoding_is_named() {
        let problems = parse_register("unit;name\n12;Иван\n".as_bytes()).unwrap_err();
        assert_eq!(lines(&problems), vec![(1, "phone")]);
        let mut cp1251 = b"unit,name,phone\n12,".to_vec();
        cp1251.extend([0xc8, 0xe2, 0xe0, 0xed]);
        let problems = parse_register(&cp1251).unwrap_err();
        assert_eq!(lines(&problems), vec![(2, "body")]);
        assert_eq!(
            lines(&parse_register(b"  \n").unwrap_err()),
            vec![(1, "body")]
        );
        assert_eq!(
            lines(&parse_register(b"unit,name,phone\n").unwrap_err()),
            vec![(2, "body")]
        );
    }

    #[test]
    fn invitation_ids_are_long_and_url_safe() {
        let id = new_invitation_id();
        assert_eq!(id.len(), 43);
        assert!(is_invitation_id(&id));
        assert_ne!(id, new_invitation_id());
        assert!(!is_invitation_id("short"));
        assert!(!is_invitation_id("../../etc/passwd/../../../../x"));
    }
}
