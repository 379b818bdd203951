//! The signed-in person: profile, addresses, sessions, API tokens, personal data.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{JsonBody, Principal, SignedIn};
use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::identity::people::{self, Person, ProfileChange};
use crate::identity::tokens::{self, CredentialInfo, Kind};
use crate::identity::{now_ms, personal_data};
use crate::runtime::Role;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, update_me, delete_me))
        .routes(routes!(switch_address))
        .routes(routes!(sessions))
        .routes(routes!(end_session))
        .routes(routes!(api_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(export))
}

/// A role as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoleView {
    /// `resident`, `owner`, `owner-unverified`, `snt-member`, `snt-non-member`, `chairman`,
    /// `board`, `operator`, `executor`, `moderator`, `official`, `admin`.
    pub name: String,
    /// Where it is held (covering the subtree); none for the instance's admin.
    pub community: Option<String>,
    /// The organization, for staff roles.
    pub organization: Option<String>,
}

impl From<&Role> for RoleView {
    fn from(role: &Role) -> Self {
        RoleView {
            name: role.name.clone(),
            community: role.community.clone(),
            organization: role.organization.clone(),
        }
    }
}

/// A place the person lives or owns in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Address {
    /// The community.
    pub community: String,
    /// Its name.
    pub name: String,
    /// Its kind (`house`, `snt`, …).
    pub kind: String,
    /// The person's roles there.
    pub roles: Vec<String>,
}

/// The signed-in person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The profile.
    pub person: Person,
    /// Every role they hold.
    pub roles: Vec<RoleView>,
    /// The places they live or own in; `person.current_community` is one of them.
    pub addresses: Vec<Address>,
    /// How this request is authenticated: `session` or `api`.
    pub credential: Kind,
}

pub(crate) fn addresses_of(me: &super::extract::Principal) -> Vec<Address> {
    let mut out: Vec<Address> = Vec::new();
    for role in &me.roles {
        if !matches!(
            role.name.as_str(),
            "resident" | "owner" | "owner-unverified" | "snt-member" | "snt-non-member"
        ) {
            continue;
        }
        let Some(id) = &role.community else { continue };
        let Some(community) = me.tree.get(id) else {
            continue;
        };
        match out.iter_mut().find(|a| &a.community == id) {
            Some(address) => {
                if !address.roles.contains(&role.name) {
                    address.roles.push(role.name.clone());
                }
            }
            None => out.push(Address {
                community: id.clone(),
                name: community.name.clone(),
                kind: community.kind.clone(),
                roles: vec![role.name.clone()],
            }),
        }
    }
    out
}

/// Who I am, what I hold, where I live.
#[utoipa::path(get, path = "/api/me", tag = "me", security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(SignedIn(me): SignedIn) -> Result<axum::Json<Me>, AppError> {
    me.require_scope("profile")?;
    Ok(axum::Json(Me {
        addresses: addresses_of(&me),
        roles: me.roles.iter().map(RoleView::from).collect(),
        credential: me.credential.kind,
        person: me.person,
    }))
}

/// Changes to my profile; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    /// First name (letters, spaces, hyphens, apostrophes).
    #[schema(max_length = 80)]
    pub given_name: Option<String>,
    /// Surname.
    #[schema(max_length = 80)]
    pub family_name: Option<String>,
    /// Email address; an empty string removes it.
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// Allow notifications by email (needs an address).
    pub email_enabled: Option<bool>,
    /// Allow notifications by SMS (needs a phone).
    pub sms_enabled: Option<bool>,
    #[schema(schema_with = locale_schema)]
    pub locale: Option<String>,
}

/// The languages of the interface.
pub const LOCALES: &[&str] = &["ru", "en"];

fn locale_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::input::enum_schema(LOCALES, true, "The interface language")
}

/// Change my name, email, channels or language.
#[utoipa::path(patch, path = "/api/me", tag = "me", request_body = ProfileUpdate,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Person), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "An API token: the profile is changed by the person"),
        (status = 422, body = ErrorBody, description = "A name that is not letters, an address that is not one, a channel without its address (the field says which)")))]
async fn update_me(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    JsonBody(update): JsonBody<ProfileUpdate>,
) -> Result<axum::Json<Person>, AppError> {
    me.require_session()?;
    Ok(axum::Json(update_profile(&state, &me, update).await?))
}

/// Apply a profile change of a signed-in person (the API's and the profile page's).
pub(crate) async fn update_profile(
    state: &AppState,
    me: &Principal,
    update: ProfileUpdate,
) -> Result<Person, AppError> {
    let mut change = ProfileChange::default();
    if update.given_name.is_some() || update.family_name.is_some() {
        let given = update
            .given_name
            .as_deref()
            .unwrap_or(&me.person.given_name);
        let family = update
            .family_name
            .as_deref()
            .unwrap_or(&me.person.family_name);
        change.names = Some(people::validate_names(Some(given), Some(family))?);
    }
    let mut email = me.person.email.clone();
    if let Some(text) = &update.email {
        crate::input::within("email", text, 254)?;
        email = if text.trim().is_empty() {
            None
        } else {
            Some(people::validate_email(text)?)
        };
        change.email = Some(email.clone());
    }
    if let Some(on) = update.email_enabled {
        if on && email.is_none() {
            return Err(AppError::unprocessable(
                "email_enabled",
                "Сначала укажите адрес почты / Give an email address first",
            ));
        }
        change.email_enabled = Some(on);
    } else if email.is_none() && me.person.email_enabled {
        change.email_enabled = Some(false);
    }
    if let Some(on) = update.sms_enabled {
        if on && me.person.phone.is_none() {
            return Err(AppError::unprocessable(
                "sms_enabled",
                "Нет номера телефона / There is no phone number",
            ));
        }
        change.sms_enabled = Some(on);
    }
    if let Some(locale) = update.locale.as_deref() {
        change.locale = Some(crate::input::one_of("locale", Some(locale), LOCALES)?.to_owned());
    }
    let db = state.runtime.shared().db.connection();
    people::update(db, &me.person.id, change).await?;
    let person = people::by_id(db, &me.person.id)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    Ok(person)
}

/// Which address to look at.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressChoice {
    /// A community among my addresses (`addresses` of `GET /api/me`).
    #[schema(value_type = String, required = true, min_length = 1)]
    pub community: Option<String>,
}

/// Switch between my addresses (the flat in town and the dacha in the SNT).
#[utoipa::path(put, path = "/api/me/address", tag = "me", request_body = AddressChoice,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Person), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Not one of my addresses (field `community`)")))]
async fn switch_address(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    JsonBody(choice): JsonBody<AddressChoice>,
) -> Result<axum::Json<Person>, AppError> {
    me.require_scope("profile")?;
    Ok(axum::Json(
        choose_address(&state, &me, choice.community).await?,
    ))
}

/// Make one of a person's addresses the current one (the API's and the profile page's).
pub(crate) async fn choose_address(
    state: &AppState,
    me: &Principal,
    community: Option<String>,
) -> Result<Person, AppError> {
    let community = community
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::invalid("community", "Выберите адрес / Choose an address"))?;
    if !addresses_of(me).iter().any(|a| a.community == community) {
        return Err(AppError::unprocessable(
            "community",
            "Это не ваш адрес: вступите в сообщество по приглашению / Not one of your addresses: join the community by invitation",
        ));
    }
    let db = state.runtime.shared().db.connection();
    people::update(
        db,
        &me.person.id,
        ProfileChange {
            current_community: Some(community),
            ..Default::default()
        },
    )
    .await?;
    let person = people::by_id(db, &me.person.id)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    Ok(person)
}

/// A session in the list, marked if it is the one asking.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// The session.
    #[serde(flatten)]
    pub session: CredentialInfo,
    /// Whether this request came with it.
    pub current: bool,
}

/// My signed-in devices.
#[utoipa::path(get, path = "/api/me/sessions", tag = "me", security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<SessionView>), (status = 401, body = ErrorBody)))]
async fn sessions(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<axum::Json<Vec<SessionView>>, AppError> {
    me.require_session()?;
    let list = tokens::list(
        state.runtime.shared().db.connection(),
        &me.person.id,
        Kind::Session,
        now_ms(),
    )
    .await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|session| SessionView {
                current: session.id == me.credential.credential_id,
                session,
            })
            .collect(),
    ))
}

/// Sign out one device.
#[utoipa::path(delete, path = "/api/me/sessions/{id}", tag = "me", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = String, Path, description = "The session's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn end_session(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    me.require_session()?;
    revoke_own(&state, &me.person.id, &id, Kind::Session).await
}

async fn revoke_own(
    state: &AppState,
    person: &str,
    id: &str,
    kind: Kind,
) -> Result<StatusCode, AppError> {
    let db = state.runtime.shared().db.connection();
    let now = now_ms();
    let owned = tokens::list(db, person, kind, now)
        .await?
        .iter()
        .any(|c| c.id == id);
    if !owned || !tokens::revoke(db, person, id, now).await? {
        return Err(AppError::not_found("Нет такого входа / No such sign-in").with_field("id"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// My API tokens.
#[utoipa::path(get, path = "/api/me/tokens", tag = "me", security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<CredentialInfo>), (status = 401, body = ErrorBody)))]
async fn api_tokens(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<axum::Json<Vec<CredentialInfo>>, AppError> {
    me.require_session()?;
    Ok(axum::Json(
        tokens::list(
            state.runtime.shared().db.connection(),
            &me.person.id,
            Kind::Api,
            now_ms(),
        )
        .await?,
    ))
}

/// A token to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What it is for (`Платёжный агент`).
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// What it may do: `profile`, `communities:read`, `members:write`, `roles:write`,
    /// `audit:read`, `plugins`, `plugin:<id>`. It never may more than its owner.
    #[schema(schema_with = scopes_schema, required = true)]
    pub scopes: Option<Vec<String>>,
    /// Days until it expires (1 to 3650); none for no expiry.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// A created token: the only time it is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenCreated {
    /// The token: `Authorization: Bearer dvt_…`.
    pub token: String,
    /// Its description.
    pub info: CredentialInfo,
}

/// Create an API token for an integration (a payment provider, an external system).
#[utoipa::path(post, path = "/api/me/tokens", tag = "me", request_body = NewToken,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = TokenCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "An API token: tokens are made by the person"),
        (status = 422, body = ErrorBody, description = "A name of spaces only (field `name`)")))]
async fn create_token(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    JsonBody(new): JsonBody<NewToken>,
) -> Result<(StatusCode, axum::Json<TokenCreated>), AppError> {
    me.require_session()?;
    let name = crate::input::required_text("name", new.name.as_deref(), 100)?;
    let scopes = new.scopes.unwrap_or_default();
    if scopes.is_empty() {
        return Err(AppError::invalid(
            "scopes",
            "Укажите хотя бы одно право / Give at least one scope",
        ));
    }
    if let Some((i, unknown)) = scopes
        .iter()
        .enumerate()
        .find(|(_, s)| !tokens::is_known_scope(s))
    {
        return Err(AppError::invalid(
            &format!("scopes[{i}]"),
            format!("Неизвестное право `{unknown}` / Unknown scope `{unknown}`"),
        ));
    }
    if new.expires_in_days == Some(0) || new.expires_in_days.is_some_and(|d| d > 3650) {
        return Err(AppError::invalid(
            "expires_in_days",
            "От 1 до 3650 дней / From 1 to 3650 days",
        ));
    }
    let now = now_ms();
    let expires = new.expires_in_days.map(|d| now + i64::from(d) * 86_400_000);
    let db = state.runtime.shared().db.connection();
    let credential = tokens::NewCredential {
        person_id: &me.person.id,
        kind: Kind::Api,
        name: Some(&name),
        scopes: &scopes,
        user_agent: None,
        expires,
    };
    let (token, id) = tokens::issue(db, credential, now).await?;
    let info = tokens::list(db, &me.person.id, Kind::Api, now)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| AppError::internal("a token just created is not listed"))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenCreated { token, info }),
    ))
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/me/tokens/{id}", tag = "me", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    me.require_session()?;
    revoke_own(&state, &me.person.id, &id, Kind::Api).await
}

/// Download everything the instance holds about me, as JSON.
#[utoipa::path(get, path = "/api/me/export", tag = "me", security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, description = "All my data", content_type = "application/json"), (status = 401, body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<Response, AppError> {
    me.require_session()?;
    let data =
        personal_data::export(state.runtime.shared().db.connection(), &me.person, now_ms()).await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"dvor-my-data.json\"",
        )],
        axum::Json(data),
    )
        .into_response())
}

/// Confirmation of a deletion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteConfirmation {
    #[schema(schema_with = confirmation_schema, required = true)]
    pub confirm: Option<bool>,
}

fn scopes_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(tokens::SCOPE_PATTERN)),
        )
        .min_items(Some(1))
        .description(Some(
            "What it may do: `profile`, `communities:read`, `members:write`, `roles:write`, \
             `audit:read`, `plugins`, `plugin:<id>`. It never may more than its owner.",
        ))
        .into()
}

fn confirmation_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Boolean)
        .enum_values(Some([true]))
        .description(Some("Must be true: the deletion cannot be undone"))
        .into()
}

/// Delete my account and my personal data.
#[utoipa::path(delete, path = "/api/me", tag = "me", request_body = DeleteConfirmation,
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Deleted; every sign-in ended"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn delete_me(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    JsonBody(confirmation): JsonBody<DeleteConfirmation>,
) -> Result<Response, AppError> {
    me.require_session()?;
    delete_account(&state, &me, confirmation.confirm).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            "dvor_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        )],
    )
        .into_response())
}

/// Delete a person's account and personal data, once they confirmed (the API's and the
/// profile page's); the caller clears the session cookie.
pub(crate) async fn delete_account(
    state: &AppState,
    me: &Principal,
    confirm: Option<bool>,
) -> Result<(), AppError> {
    if confirm != Some(true) {
        return Err(AppError::invalid(
            "confirm",
            "Подтвердите удаление: его нельзя отменить / Confirm the deletion: it cannot be undone",
        ));
    }
    let shared = state.runtime.shared();
    let now = now_ms();
    let tx = shared.db.begin().await?;
    let communities: Vec<String> = addresses_of(me).into_iter().map(|a| a.community).collect();
    personal_data::delete(&tx, &me.person, now).await?;
    for community in &communities {
        crate::identity::host_event(
            shared,
            &tx,
            "person.left",
            community,
            Some(&me.person.id),
            serde_json::json!({ "person_id": me.person.id, "deleted": true }),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    shared.events_committed.notify_waiters();
    Ok(())
}
