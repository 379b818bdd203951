//! Granting and revoking roles; recording and verifying ownership.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{JsonBody, Principal, SignedIn};
use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::identity::membership::{self, OwnershipChange, Place};
use crate::identity::roles::{self, COMMUNITY_ROLES, DERIVED_ROLES, Grant, ORGANIZATION_ROLES};
use crate::identity::{host_event, now_ms, people};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(community_roles))
        .routes(routes!(grant_role))
        .routes(routes!(revoke_role))
        .routes(routes!(set_owner, remove_owner))
}

/// The role grants of a place: held in its subtree or in organizations serving it.
#[utoipa::path(get, path = "/api/communities/{community}/roles", tag = "roles",
    params(("community" = String, Path, description = "The community's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<Grant>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn community_roles(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<Grant>>, AppError> {
    me.require_scope("communities:read")?;
    Ok(axum::Json(grants_of_place(&state, &me, &id).await?))
}

/// The role grants bearing on place `id` (the API's and the admin page's): held in its subtree
/// or in organizations serving it or a place around it.
pub(crate) async fn grants_of_place(
    state: &AppState,
    me: &Principal,
    id: &str,
) -> Result<Vec<Grant>, AppError> {
    let id = id.to_owned();
    let tree = state.runtime.shared().communities();
    if tree.get(&id).is_none() {
        return Err(AppError::not_found("Нет такого места / No such place").with_field("community"));
    }
    if !me.authority().manages_members_of(&id) {
        return Err(AppError::forbidden(
            "Роли видят администраторы, председатель, правление и операторы / Roles are for admins, the chairman, the board and operators",
        ));
    }
    let db = state.runtime.shared().db.connection();
    let mut subtree: Vec<String> = tree
        .descendants(&id, None)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    subtree.push(id.clone());
    let organizations: Vec<String> = roles::organization_areas(db)
        .await?
        .into_iter()
        .filter(|(_, areas)| {
            areas
                .iter()
                .any(|a| tree.is_within(&id, a) || tree.is_within(a, &id))
        })
        .map(|(org, _)| org)
        .collect();
    Ok(roles::grants_in(db, &subtree, &organizations).await?)
}

/// A role to grant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// Who: a person's id.
    #[schema(value_type = String, required = true, min_length = 1)]
    pub person: Option<String>,
    #[schema(schema_with = grantable_role_schema, required = true)]
    pub role: Option<String>,
    /// The community, for community roles (none with `admin`: the instance's admin).
    pub community: Option<String>,
    /// The organization, for staff roles.
    pub organization: Option<String>,
}

fn grantable_role_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let roles: Vec<&str> = COMMUNITY_ROLES
        .iter()
        .chain(ORGANIZATION_ROLES.iter())
        .copied()
        .collect();
    crate::input::enum_schema(
        &roles,
        false,
        "`resident`, `snt-member`, `chairman`, `board`, `moderator`, `admin` (in a community); \
         `operator`, `executor`, `official` (in an organization)",
    )
}

/// A grant made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Granted {
    /// The grant's id.
    pub id: i64,
    /// False if the person already held the role there.
    pub created: bool,
}

async fn check_place(
    state: &AppState,
    me: &Principal,
    role: &str,
    community: Option<&str>,
    organization: Option<&str>,
) -> Result<(), AppError> {
    let tree = &me.tree;
    let authority = me.authority();
    if COMMUNITY_ROLES.contains(&role) {
        if organization.is_some() {
            return Err(AppError::unprocessable(
                "organization",
                format!(
                    "Роль `{role}` даётся в сообществе, не в организации / `{role}` is held in a community, not an organization"
                ),
            ));
        }
        match community {
            Some(c) if tree.get(c).is_none() => {
                Err(AppError::not_found("Нет такого места / No such place").with_field("community"))
            }
            Some(c) if authority.may_grant_in_community(role, c) => Ok(()),
            Some(_) => Err(AppError::forbidden(format!(
                "Вы не можете давать роль `{role}` здесь / You may not grant `{role}` here"
            ))),
            None if role == "admin" && authority.is_instance_admin() => Ok(()),
            None if role == "admin" => Err(AppError::forbidden(
                "Администратора экземпляра назначает администратор экземпляра / Only the instance's admin appoints instance admins",
            )),
            None => Err(AppError::unprocessable(
                "community",
                "Укажите сообщество / Give the community",
            )),
        }
    } else if ORGANIZATION_ROLES.contains(&role) {
        let Some(organization) = organization else {
            return Err(AppError::unprocessable(
                "organization",
                format!("Роль `{role}` даётся в организации / `{role}` is held in an organization"),
            ));
        };
        if community.is_some() {
            return Err(AppError::unprocessable(
                "community",
                "Сотрудник служит там, где служит его организация / Staff serve where their organization serves",
            ));
        }
        let areas = roles::organization_areas(state.runtime.shared().db.connection()).await?;
        let Some(served) = areas.get(organization) else {
            let exists =
                crate::identity::organizations::list(state.runtime.shared().db.connection())
                    .await?
                    .iter()
                    .any(|o| o.id == organization);
            return if exists && authority.is_instance_admin() {
                Ok(())
            } else if exists {
                Err(AppError::forbidden(
                    "Эта организация пока ничего не обслуживает / This organization serves nothing yet",
                ))
            } else {
                Err(
                    AppError::not_found("Нет такой организации / No such organization")
                        .with_field("organization"),
                )
            };
        };
        if authority.may_grant_in_organization(role, organization, served) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "Вы не можете давать роль `{role}` в этой организации / You may not grant `{role}` in this organization"
            )))
        }
    } else if DERIVED_ROLES.contains(&role) {
        Err(AppError::invalid(
            "role",
            "Собственность записывается как собственность, не как роль / Ownership is recorded as ownership, not as a role",
        ))
    } else {
        Err(AppError::invalid(
            "role",
            format!("Неизвестная роль `{role}` / Unknown role `{role}`"),
        ))
    }
}

/// Grant a role.
#[utoipa::path(post, path = "/api/roles", tag = "roles", request_body = GrantRequest,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Granted, description = "The person held the role there already"), (status = 201, body = Granted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A community role with an organization, a staff role without one, or a role without its place (the field says which)")))]
async fn grant_role(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    JsonBody(request): JsonBody<GrantRequest>,
) -> Result<(StatusCode, axum::Json<Granted>), AppError> {
    me.require_scope("roles:write")?;
    let granted = grant(&state, &me, request).await?;
    Ok((
        if granted.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        axum::Json(granted),
    ))
}

/// Grant a role as `me` (the API's and the admin page's), with its audit entry.
pub(crate) async fn grant(
    state: &AppState,
    me: &Principal,
    request: GrantRequest,
) -> Result<Granted, AppError> {
    let person = request
        .person
        .filter(|p| !p.is_empty())
        .ok_or_else(|| AppError::invalid("person", "Кому? / To whom?"))?;
    let role = request
        .role
        .filter(|r| !r.is_empty())
        .ok_or_else(|| AppError::invalid("role", "Какую роль? / Which role?"))?;
    check_place(
        state,
        me,
        &role,
        request.community.as_deref(),
        request.organization.as_deref(),
    )
    .await?;
    let shared = state.runtime.shared();
    let now = now_ms();
    let tx = shared.db.begin().await?;
    if people::by_id(&tx, &person).await?.is_none() {
        return Err(crate::identity::no_such_person("person"));
    }
    let place = match &request.organization {
        Some(org) => Place::Organization(org),
        None => Place::Community(request.community.as_deref()),
    };
    let (id, created) =
        membership::grant(&tx, Some(&me.person.id), &person, &role, place, now).await?;
    if created && role == "resident" {
        let community = request.community.as_deref().unwrap_or_default();
        host_event(
            shared,
            &tx,
            "person.joined",
            community,
            Some(&me.person.id),
            serde_json::json!({ "person_id": person }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    shared.events_committed.notify_waiters();
    Ok(Granted { id, created })
}

/// Revoke a role grant (by the same people who may grant it).
#[utoipa::path(delete, path = "/api/roles/{id}", tag = "roles",
    params(("id" = i64, Path, description = "The grant's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The instance's admin revoking their own admin role")))]
async fn revoke_role(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    me.require_scope("roles:write")?;
    revoke(&state, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke grant `id` as `me` (the API's and the admin page's), with its audit entry.
pub(crate) async fn revoke(state: &AppState, me: &Principal, id: i64) -> Result<(), AppError> {
    let shared = state.runtime.shared();
    let Some(grant) = roles::grant_by_id(shared.db.connection(), id).await? else {
        return Err(AppError::not_found("Нет такой роли / No such grant").with_field("id"));
    };
    check_place(
        state,
        me,
        &grant.role,
        grant.community_id.as_deref(),
        grant.organization_id.as_deref(),
    )
    .await?;
    if grant.role == "admin" && grant.community_id.is_none() && grant.person_id == me.person.id {
        return Err(AppError::conflict(
            "Нельзя снять с себя роль администратора экземпляра / You cannot revoke your own instance admin role",
        ));
    }
    let now = now_ms();
    let tx = shared.db.begin().await?;
    membership::revoke(&tx, Some(&me.person.id), &grant, now).await?;
    if grant.role == "resident"
        && let Some(community) = &grant.community_id
    {
        host_event(
            shared,
            &tx,
            "person.left",
            community,
            Some(&me.person.id),
            serde_json::json!({ "person_id": grant.person_id }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    shared.events_committed.notify_waiters();
    Ok(())
}

/// An ownership to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnershipInput {
    /// The share, `1` or `1/2`, at most 1; default the whole unit.
    #[schema(pattern = "^[0-9]{1,7}(/[0-9]{1,7})?$")]
    pub share: Option<String>,
    /// Whether the ownership is verified (by documents or the register); default true.
    pub verified: Option<bool>,
}

/// Record or verify that a person owns a share of a unit (the place's managers).
#[utoipa::path(put, path = "/api/communities/{community}/units/{number}/owners/{person}", tag = "roles", request_body = OwnershipInput,
    params(("community" = String, Path, description = "The community"), ("number" = String, Path, description = "The unit's number"), ("person" = String, Path, description = "The owner")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A share that is zero or more than the whole (field `share`)")))]
async fn set_owner(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path((community, number, person)): Path<(String, String, String)>,
    JsonBody(input): JsonBody<OwnershipInput>,
) -> Result<StatusCode, AppError> {
    me.require_scope("members:write")?;
    if !me.authority().manages_members_of(&community) {
        return Err(AppError::forbidden(
            "Собственников подтверждают председатель, правление, оператор или администратор / Owners are verified by the chairman, the board, an operator or an admin",
        ));
    }
    let share = match input.share.as_deref() {
        None => (1, 1),
        Some(text) => membership::checked_share("share", text)?,
    };
    let shared = state.runtime.shared();
    let now = now_ms();
    let tx = shared.db.begin().await?;
    let unit = membership::unit_by_number(&tx, &community, &number)
        .await?
        .ok_or_else(|| {
            AppError::not_found("Нет такого помещения / No such unit").with_field("number")
        })?;
    if people::by_id(&tx, &person).await?.is_none() {
        return Err(crate::identity::no_such_person("person"));
    }
    let verified = input.verified.unwrap_or(true);
    membership::set_ownership(
        &tx,
        Some(&me.person.id),
        OwnershipChange {
            person: &person,
            unit: &unit,
            share,
            verified,
            source: "manager",
        },
        now,
    )
    .await?;
    let (_, joined) = membership::grant(
        &tx,
        Some(&me.person.id),
        &person,
        "resident",
        Place::Community(Some(&community)),
        now,
    )
    .await?;
    if joined {
        host_event(
            shared,
            &tx,
            "person.joined",
            &community,
            Some(&me.person.id),
            serde_json::json!({ "person_id": person }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    shared.events_committed.notify_waiters();
    Ok(StatusCode::NO_CONTENT)
}

/// Remove an ownership record.
#[utoipa::path(delete, path = "/api/communities/{community}/units/{number}/owners/{person}", tag = "roles",
    params(("community" = String, Path, description = "The community"), ("number" = String, Path, description = "The unit's number"), ("person" = String, Path, description = "The owner")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_owner(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path((community, number, person)): Path<(String, String, String)>,
) -> Result<StatusCode, AppError> {
    me.require_scope("members:write")?;
    if !me.authority().manages_members_of(&community) {
        return Err(AppError::forbidden(
            "Собственников меняют председатель, правление, оператор или администратор / Owners are changed by the chairman, the board, an operator or an admin",
        ));
    }
    let shared = state.runtime.shared();
    let tx = shared.db.begin().await?;
    let unit = membership::unit_by_number(&tx, &community, &number)
        .await?
        .ok_or_else(|| {
            AppError::not_found("Нет такого помещения / No such unit").with_field("number")
        })?;
    if !membership::remove_ownership(&tx, Some(&me.person.id), &person, &unit, now_ms()).await? {
        return Err(
            AppError::not_found("Такой собственности нет / No such ownership").with_field("person"),
        );
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
