//! Sign-in through an OpenID Connect provider: the authorization code flow with PKCE.
//!
//! [`start`] reads the provider's discovery document, keeps a random `state`, `nonce` and PKCE
//! verifier in `oidc_logins` and answers the provider's authorization URL. [`callback`] spends
//! the state (once, and only within [`LOGIN_TTL_MS`]), exchanges the code at the token
//! endpoint, checks the id_token against the provider's JWKS (signature, `iss`, `aud`, `exp`,
//! `nonce`), reads the person's names, phone and email from the id_token and the userinfo
//! endpoint, and signs the person in:
//!
//! 1. someone linked to the provider's subject in `oidc_links` is that person;
//! 2. else a verified phone that belongs to someone links the subject to them;
//! 3. else a new person is created (the provider must share the names).
//!
//! Every call to the provider happens before the database transaction opens; every write of a
//! callback happens in one transaction.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, Validation};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::config::OidcProviderConfig;
use super::people::{self, NewPerson, Person};
use super::{Identity, audit, phone, t};
use crate::error::AppError;
use crate::storage::Database;

/// How long a started sign-in may take before its callback is refused, in ms.
pub const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;

/// How long a provider's discovery document and keys are kept, in ms.
const CACHE_MS: i64 = 60 * 60 * 1000;

/// How long one request to a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(15);

/// The signature algorithms accepted for id_tokens (public-key ones only).
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A provider people may sign in with, as the sign-in page lists it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OidcProvider {
    /// Its id: the `<id>` of `[identity.oidc.<id>]` and of `/api/auth/oidc/{provider}/start`.
    pub id: String,
    /// The button's label in Russian.
    pub name_ru: String,
    /// The button's label in English.
    pub name_en: String,
}

/// The configured providers, by id.
pub fn providers(identity: &Identity) -> Vec<OidcProvider> {
    identity
        .config
        .oidc
        .iter()
        .map(|(id, provider)| OidcProvider {
            id: id.clone(),
            name_ru: provider.name_ru.clone(),
            name_en: provider.name_en.clone(),
        })
        .collect()
}

/// The config of a provider; 404 naming `provider` for an unknown one.
pub fn provider<'a>(identity: &'a Identity, id: &str) -> Result<&'a OidcProviderConfig, AppError> {
    identity.config.oidc.get(id).ok_or_else(|| {
        AppError::not_found(format!(
            "Нет такого способа входа: `{id}` / No such sign-in provider: `{id}`"
        ))
        .with_field("provider")
    })
}

/// Where the provider sends people back: `{public_url}/api/auth/oidc/{provider}/callback`.
pub fn redirect_uri(identity: &Identity, provider: &str) -> String {
    format!("{}/api/auth/oidc/{provider}/callback", identity.public_url)
}

/// A local path to return to after sign-in, percent-encoded: it must start with `/` and stay on
/// this host once a browser reads it (so not `//host`, `/\host` or the like) and hold no
/// control characters; anything else means `/`.
pub fn local_path(return_to: Option<&str>) -> String {
    const HOST: &str = "dvor.invalid";
    let Some(path) = return_to.filter(|p| {
        p.starts_with('/')
            && !p.starts_with("//")
            && p.len() <= 2000
            && !p.chars().any(char::is_control)
    }) else {
        return "/".to_owned();
    };
    let base = url::Url::parse(&format!("http://{HOST}/")).expect("a valid base URL");
    match base.join(path) {
        Ok(url)
            if url.host_str() == Some(HOST)
                && url.port().is_none()
                && url.username().is_empty() =>
        {
            url[url::Position::BeforePath..].to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Begin a sign-in with `provider`: remember the state, nonce and PKCE verifier, and answer
/// the provider's authorization URL to send the browser to.
pub async fn start(
    identity: &Identity,
    db: &Database,
    provider_id: &str,
    return_to: Option<&str>,
    now: i64,
) -> Result<String, AppError> {
    let config = provider(identity, provider_id)?;
    let discovery = discover(identity, config).await?;
    let state = random_token();
    let nonce = random_token();
    let verifier = random_token();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));

    let mut url = url::Url::parse(&discovery.authorization_endpoint).map_err(|e| {
        unavailable(
            config,
            format!(
                "bad authorization_endpoint `{}`: {e}",
                discovery.authorization_endpoint
            ),
        )
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", &redirect_uri(identity, provider_id))
        .append_pair("scope", &config.scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");

    let db = db.connection();
    let backend = db.get_database_backend();
    let stale = Query::delete()
        .from_table(t("oidc_logins"))
        .and_where(Expr::col(t("created")).lt(now - LOGIN_TTL_MS))
        .to_owned();
    db.execute(backend.build(&stale)).await?;
    let insert = Query::insert()
        .into_table(t("oidc_logins"))
        .columns(
            [
                "state",
                "provider",
                "nonce",
                "verifier",
                "return_to",
                "created",
            ]
            .map(t),
        )
        .values_panic([
            state.into(),
            provider_id.into(),
            nonce.into(),
            verifier.into(),
            local_path(return_to).into(),
            now.into(),
        ])
        .to_owned();
    db.execute(backend.build(&insert)).await?;
    Ok(url.into())
}

/// What the provider sent back to the callback.
#[derive(Clone, Debug, Default)]
pub struct CallbackParams<'a> {
    /// The authorization code.
    pub code: Option<&'a str>,
    /// The state [`start`] made.
    pub state: Option<&'a str>,
    /// The provider's error code, when it did not sign the person in.
    pub error: Option<&'a str>,
    /// The provider's explanation of `error`.
    pub error_description: Option<&'a str>,
    /// The issuer, when the provider names itself in the response (RFC 9207).
    pub iss: Option<&'a str>,
}

/// Who is at the other end of the callback.
#[derive(Clone, Debug)]
pub struct Device<'a> {
    /// The User-Agent, kept with the session.
    pub user_agent: Option<&'a str>,
    /// `ru` or `en`: the language of a person created now.
    pub locale: &'a str,
}

/// A finished sign-in.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The new session's token.
    pub token: String,
    /// Who signed in.
    pub person: Person,
    /// Whether the person was created now.
    pub created: bool,
    /// Whether the provider's account was linked to the person now.
    pub linked: bool,
    /// The local path to go to.
    pub return_to: String,
}

/// Finish a sign-in: check the provider's answer and sign the person in.
pub async fn callback(
    identity: &Identity,
    db: &Database,
    provider_id: &str,
    params: CallbackParams<'_>,
    device: Device<'_>,
    now: i64,
) -> Result<SignedIn, AppError> {
    let config = provider(identity, provider_id)?;
    let state = params
        .state
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .ok_or_else(stale_state)?;
    let login = find_login(db.connection(), state)
        .await?
        .filter(|login| login.provider == provider_id)
        .ok_or_else(stale_state)?;
    // From here on the state is spent whatever happens: on success by the transaction below,
    // on failure by `forget`.
    let claims = match answer_of(identity, config, provider_id, &login, &params, now).await {
        Ok(claims) => claims,
        Err(error) => {
            forget(db.connection(), state).await?;
            return Err(error);
        }
    };

    // A failure from here on (names missing, say) rolls the transaction back: spend the state
    // after it, so it cannot be tried again.
    let signed_in = sign_in(
        identity,
        db,
        config,
        provider_id,
        state,
        &login,
        claims,
        device,
        now,
    )
    .await;
    if signed_in.is_err() {
        forget(db.connection(), state).await?;
    }
    signed_in
}

/// Find, link or create the person and start their session, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn sign_in(
    identity: &Identity,
    db: &Database,
    config: &OidcProviderConfig,
    provider_id: &str,
    state: &str,
    login: &Login,
    claims: Claims,
    device: Device<'_>,
    now: i64,
) -> Result<SignedIn, AppError> {
    let phone = claims.verified_phone();
    let email = claims
        .profile
        .email
        .as_deref()
        .filter(|_| claims.profile.email_verified.as_ref().is_none_or(truthy))
        .and_then(|e| people::validate_email(e).ok());

    let tx = db.begin().await?;
    if spend(&tx, state).await? != 1 {
        // Another request with the same state got here first.
        return Err(stale_state());
    }
    let mut created = false;
    let mut linked_by = None;
    let mut person = match linked_person(&tx, provider_id, &claims.sub).await? {
        Some(person) => person,
        None => {
            let known = match &phone {
                Some(phone) => people::by_phone(&tx, phone).await?,
                None => None,
            };
            let person = match known {
                Some(person) => {
                    linked_by = Some("phone");
                    person
                }
                None => {
                    let (given_name, family_name) = names(config, &claims.profile)?;
                    created = true;
                    linked_by = Some("new");
                    people::create(
                        &tx,
                        NewPerson {
                            given_name,
                            family_name,
                            phone: phone.clone(),
                            email: email.clone(),
                            locale: if device.locale == "en" {
                                "en".into()
                            } else {
                                "ru".into()
                            },
                        },
                        now,
                    )
                    .await?
                }
            };
            link(&tx, provider_id, &claims.sub, &person.id, now).await?;
            audit::record(
                &tx,
                audit::Entry {
                    actor: Some(&person.id),
                    action: "oidc.linked",
                    person: Some(&person.id),
                    community: None,
                    details: serde_json::json!({
                        "provider": provider_id,
                        "subject": claims.sub,
                        "by": linked_by,
                    }),
                },
                now,
            )
            .await?;
            person
        }
    };
    if let Some(phone) = &phone
        && person.phone.as_deref() == Some(phone.as_str())
    {
        identity.phone_proven(&tx, &person, phone, now).await?;
    }
    let token = identity
        .start_session(&tx, &person, device.user_agent, now)
        .await?;
    // Re-read: the owners' register may have set the current address.
    if let Some(fresh) = people::by_id(&tx, &person.id).await? {
        person = fresh;
    }
    tx.commit().await?;
    Ok(SignedIn {
        token,
        person,
        created,
        linked: linked_by.is_some(),
        return_to: local_path(login.return_to.as_deref()),
    })
}

/// A sign-in [`start`] remembered.
#[derive(Clone, Debug, FromQueryResult)]
struct Login {
    provider: String,
    nonce: String,
    verifier: String,
    return_to: Option<String>,
    created: i64,
}

async fn find_login<C: ConnectionTrait>(db: &C, state: &str) -> Result<Option<Login>, DbErr> {
    let query = Query::select()
        .columns(["provider", "nonce", "verifier", "return_to", "created"].map(t))
        .from(t("oidc_logins"))
        .and_where(Expr::col(t("state")).eq(state))
        .to_owned();
    Login::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// Delete a remembered sign-in; how many rows went (1, or 0 if it was already spent).
async fn spend<C: ConnectionTrait>(db: &C, state: &str) -> Result<u64, DbErr> {
    let delete = Query::delete()
        .from_table(t("oidc_logins"))
        .and_where(Expr::col(t("state")).eq(state))
        .to_owned();
    Ok(db
        .execute(db.get_database_backend().build(&delete))
        .await?
        .rows_affected())
}

/// Spend a state after a failed callback, so it cannot be tried again.
async fn forget<C: ConnectionTrait>(db: &C, state: &str) -> Result<(), DbErr> {
    spend(db, state).await.map(drop)
}

/// The person linked to the provider's subject, if any (a link left by a deleted person is
/// dropped).
async fn linked_person<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    subject: &str,
) -> Result<Option<Person>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        person_id: String,
    }
    let backend = db.get_database_backend();
    let query = Query::select()
        .column(t("person_id"))
        .from(t("oidc_links"))
        .and_where(Expr::col(t("provider")).eq(provider))
        .and_where(Expr::col(t("subject")).eq(subject))
        .to_owned();
    let Some(row) = Row::find_by_statement(backend.build(&query))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if let Some(person) = people::by_id(db, &row.person_id).await? {
        return Ok(Some(person));
    }
    let stale = Query::delete()
        .from_table(t("oidc_links"))
        .and_where(Expr::col(t("provider")).eq(provider))
        .and_where(Expr::col(t("subject")).eq(subject))
        .to_owned();
    db.execute(backend.build(&stale)).await?;
    Ok(None)
}

async fn link<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    subject: &str,
    person_id: &str,
    now: i64,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(t("oidc_links"))
        .columns(["provider", "subject", "person_id", "created"].map(t))
        .values_panic([
            provider.into(),
            subject.into(),
            person_id.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(())
}

/// The names of a new person, as the provider shares them.
fn names(config: &OidcProviderConfig, profile: &Profile) -> Result<(String, String), AppError> {
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
    for (field, value) in [
        ("given_name", &profile.given_name),
        ("family_name", &profile.family_name),
    ] {
        if blank(value) {
            return Err(AppError::invalid(
                field,
                format!(
                    "{} не сообщил ваше {}: без имени и фамилии нельзя зарегистрироваться. Разрешите передачу имени или войдите по телефону / {} did not share your {} (`{field}`): a first name and a surname are required. Allow sharing your name or sign in by phone",
                    config.name_ru,
                    if field == "given_name" {
                        "имя (`given_name`)"
                    } else {
                        "фамилию (`family_name`)"
                    },
                    config.name_en,
                    if field == "given_name" {
                        "first name"
                    } else {
                        "surname"
                    },
                ),
            ));
        }
    }
    people::validate_names(
        profile.given_name.as_deref(),
        profile.family_name.as_deref(),
    )
}

/// What the provider says about the person.
#[derive(Clone, Debug, Default, Deserialize)]
struct Profile {
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    phone_number_verified: Option<Value>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<Value>,
}

impl Profile {
    /// Fill in from `other`, whose values win.
    fn merge(&mut self, other: Profile) {
        fn take<T>(mine: &mut Option<T>, theirs: Option<T>) {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
        take(&mut self.given_name, other.given_name);
        take(&mut self.family_name, other.family_name);
        take(&mut self.phone_number, other.phone_number);
        take(&mut self.phone_number_verified, other.phone_number_verified);
        take(&mut self.email, other.email);
        take(&mut self.email_verified, other.email_verified);
    }
}

/// The claims of an id_token this module reads (the library checks `iss`, `aud` and `exp`).
#[derive(Clone, Debug, Deserialize)]
struct IdClaims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    aud: Value,
    #[serde(default)]
    azp: Option<String>,
    #[serde(flatten)]
    profile: Profile,
}

/// The userinfo answer.
#[derive(Clone, Debug, Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(flatten)]
    profile: Profile,
}

/// Who the provider says signed in.
#[derive(Clone, Debug)]
struct Claims {
    sub: String,
    profile: Profile,
}

impl Claims {
    /// The phone number, normalised, if the provider says it is verified.
    fn verified_phone(&self) -> Option<String> {
        if !self
            .profile
            .phone_number_verified
            .as_ref()
            .is_some_and(truthy)
        {
            return None;
        }
        let number = self.profile.phone_number.as_deref()?;
        let normal = phone::normalize(number);
        if normal.is_none() {
            tracing::info!("an OpenID Connect provider sent a phone number that is not one");
        }
        normal
    }
}

/// `true` or `"true"`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Check the provider's answer and talk to the provider: the code for tokens, the id_token
/// against its keys, then userinfo.
async fn answer_of(
    identity: &Identity,
    config: &OidcProviderConfig,
    provider_id: &str,
    login: &Login,
    params: &CallbackParams<'_>,
    now: i64,
) -> Result<Claims, AppError> {
    if login.created + LOGIN_TTL_MS < now {
        return Err(stale_state());
    }
    if let Some(error) = params.error {
        let description = params
            .error_description
            .map(|d| d.chars().take(300).collect::<String>())
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        tracing::info!(
            provider = provider_id,
            error,
            "the provider refused a sign-in"
        );
        return Err(AppError::forbidden(format!(
            "{} не подтвердил вход: {error}{description}. Попробуйте ещё раз / {} did not confirm the sign-in: {error}{description}. Try again",
            config.name_ru, config.name_en
        )));
    }
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            AppError::invalid(
                "code",
                "Провайдер не передал код входа. Начните вход заново / The provider sent no sign-in code. Start again",
            )
        })?;
    let discovery = discover(identity, config).await?;
    if let Some(iss) = params.iss
        && iss != discovery.issuer
    {
        tracing::warn!(
            provider = provider_id,
            iss,
            "a callback named another issuer"
        );
        return Err(rejected("the `iss` of the callback is not the provider's"));
    }

    // The code for tokens.
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", login.verifier.as_str()),
    ];
    let redirect = redirect_uri(identity, provider_id);
    form.push(("redirect_uri", &redirect));
    let mut request = identity
        .http
        .post(&discovery.token_endpoint)
        .timeout(PROVIDER_TIMEOUT)
        .header(reqwest::header::ACCEPT, "application/json");
    match &config.client_secret {
        Some(secret) => {
            // RFC 6749 §2.3.1: both parts form-encoded, then Basic.
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            let (id, secret): (String, String) = (encode(&config.client_id), encode(secret));
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            request = request.header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"));
        }
        None => form.push(("client_id", config.client_id.as_str())),
    }
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(|e| unavailable(config, format!("token endpoint: {e}")))?;
    let status = response.status();
    let tokens: TokenAnswer = response
        .json()
        .await
        .map_err(|e| unavailable(config, format!("token endpoint answered {status}: {e}")))?;
    if let Some(error) = &tokens.error {
        let description = tokens.error_description.as_deref().unwrap_or_default();
        tracing::warn!(
            provider = provider_id,
            error,
            description,
            "the token endpoint refused the code"
        );
        return Err(AppError::invalid(
            "code",
            format!(
                "{} не принял код входа ({error}). Начните вход заново / {} did not accept the sign-in code ({error}). Start again",
                config.name_ru, config.name_en
            ),
        ));
    }
    if !status.is_success() {
        return Err(unavailable(
            config,
            format!("token endpoint answered {status}"),
        ));
    }
    let Some(id_token) = tokens.id_token else {
        return Err(rejected("the token endpoint sent no id_token"));
    };

    // The id_token.
    let header = jsonwebtoken::decode_header(&id_token)
        .map_err(|e| rejected(format!("the id_token cannot be read: {e}")))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(rejected(format!(
            "the id_token is signed with {:?}, which is not accepted",
            header.alg
        )));
    }
    let mut keys = jwks(identity, config, &discovery.jwks_uri, false).await?;
    if key_for(&keys, &header).is_none() {
        // The provider may have rotated its keys.
        keys = jwks(identity, config, &discovery.jwks_uri, true).await?;
    }
    let Some(jwk) = key_for(&keys, &header) else {
        return Err(rejected(format!(
            "no key of the provider matches the id_token (kid {:?})",
            header.kid
        )));
    };
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk)
        .map_err(|e| rejected(format!("the provider's key cannot be used: {e}")))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[&discovery.issuer]);
    validation.set_audience(&[&config.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<IdClaims>(&id_token, &key, &validation)
        .map_err(|e| rejected(format!("the id_token is not valid: {e}")))?
        .claims;
    if claims.nonce.as_deref() != Some(login.nonce.as_str()) {
        return Err(rejected("the id_token's nonce is not the one sent"));
    }
    if claims.aud.as_array().is_some_and(|a| a.len() > 1)
        && claims.azp.as_deref() != Some(config.client_id.as_str())
    {
        return Err(rejected(
            "the id_token has several audiences and azp is not us",
        ));
    }
    let mut profile = claims.profile;

    // Userinfo: what the id_token does not carry (providers put scope claims there).
    if let (Some(endpoint), Some(access_token)) =
        (&discovery.userinfo_endpoint, &tokens.access_token)
    {
        let response = identity
            .http
            .get(endpoint)
            .timeout(PROVIDER_TIMEOUT)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unavailable(config, format!("userinfo: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(unavailable(config, format!("userinfo answered {status}")));
        }
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            let info: UserInfo = response
                .json()
                .await
                .map_err(|e| unavailable(config, format!("userinfo: {e}")))?;
            if info.sub != claims.sub {
                return Err(rejected("userinfo is about another subject"));
            }
            profile.merge(info.profile);
        } else {
            tracing::info!(
                provider = provider_id,
                "userinfo is not plain JSON; only the id_token's claims are used"
            );
        }
    }
    Ok(Claims {
        sub: claims.sub,
        profile,
    })
}

/// The token endpoint's answer (or error).
#[derive(Debug, Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// The key an id_token names (by `kid`, or the only signing key of its kind).
fn key_for<'a>(keys: &'a JwkSet, header: &jsonwebtoken::Header) -> Option<&'a Jwk> {
    let fits = |jwk: &&Jwk| {
        let signs = matches!(
            jwk.common.public_key_use,
            None | Some(PublicKeyUse::Signature)
        );
        let kind = matches!(
            (&jwk.algorithm, header.alg),
            (
                AlgorithmParameters::RSA(_),
                Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::PS256
                    | Algorithm::PS384
                    | Algorithm::PS512
            ) | (
                AlgorithmParameters::EllipticCurve(_),
                Algorithm::ES256 | Algorithm::ES384
            ) | (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA)
        );
        signs && kind
    };
    match &header.kid {
        Some(kid) => keys
            .keys
            .iter()
            .filter(fits)
            .find(|jwk| jwk.common.key_id.as_deref() == Some(kid.as_str())),
        None => {
            let mut candidates = keys.keys.iter().filter(fits);
            match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    }
}

/// A provider's discovery document (the parts used here).
#[derive(Clone, Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
}

/// Fetched documents by URL, with when they were fetched.
type Cache<T> = LazyLock<Mutex<HashMap<String, (i64, Arc<T>)>>>;

static DISCOVERIES: Cache<Discovery> = LazyLock::new(Default::default);
static KEYS: Cache<JwkSet> = LazyLock::new(Default::default);

fn cached<T>(cache: &Cache<T>, url: &str, now: i64) -> Option<Arc<T>> {
    let cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .get(url)
        .filter(|(fetched, _)| now - fetched < CACHE_MS)
        .map(|(_, value)| value.clone())
}

fn keep<T>(cache: &Cache<T>, url: &str, value: T, now: i64) -> Arc<T> {
    let value = Arc::new(value);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(url.to_owned(), (now, value.clone()));
    value
}

/// The provider's discovery document (cached for an hour); its `issuer` must be the
/// configured one.
async fn discover(
    identity: &Identity,
    config: &OidcProviderConfig,
) -> Result<Arc<Discovery>, AppError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        config.issuer.trim_end_matches('/')
    );
    let now = super::now_ms();
    if let Some(discovery) = cached(&DISCOVERIES, &url, now) {
        return Ok(discovery);
    }
    let discovery: Discovery = fetch_json(identity, config, &url).await?;
    if discovery.issuer.trim_end_matches('/') != config.issuer.trim_end_matches('/') {
        return Err(unavailable(
            config,
            format!(
                "{url} names the issuer `{}`, not `{}`",
                discovery.issuer, config.issuer
            ),
        ));
    }
    Ok(keep(&DISCOVERIES, &url, discovery, now))
}

/// The provider's keys (cached for an hour unless `fresh`).
async fn jwks(
    identity: &Identity,
    config: &OidcProviderConfig,
    url: &str,
    fresh: bool,
) -> Result<Arc<JwkSet>, AppError> {
    let now = super::now_ms();
    if !fresh && let Some(keys) = cached(&KEYS, url, now) {
        return Ok(keys);
    }
    // Keys of kinds this library does not know are skipped, not fatal.
    #[derive(Deserialize)]
    struct RawSet {
        keys: Vec<Value>,
    }
    let raw: RawSet = fetch_json(identity, config, url).await?;
    let keys = raw
        .keys
        .into_iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
        .collect();
    Ok(keep(&KEYS, url, JwkSet { keys }, now))
}

async fn fetch_json<T: DeserializeOwned>(
    identity: &Identity,
    config: &OidcProviderConfig,
    url: &str,
) -> Result<T, AppError> {
    let response = identity
        .http
        .get(url)
        .timeout(PROVIDER_TIMEOUT)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| unavailable(config, format!("{url}: {e}")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(unavailable(config, format!("{url} answered {status}")));
    }
    response
        .json()
        .await
        .map_err(|e| unavailable(config, format!("{url}: {e}")))
}

/// 32 random bytes, base64url: states, nonces and PKCE verifiers (43 characters).
fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The state is unknown, spent or too old.
fn stale_state() -> AppError {
    AppError::invalid(
        "state",
        "Вход устарел или уже завершён. Начните вход заново / This sign-in has expired or was already completed. Start again",
    )
}

/// The provider cannot be reached or answers nonsense; the detail is logged.
fn unavailable(config: &OidcProviderConfig, detail: impl std::fmt::Display) -> AppError {
    tracing::warn!(issuer = %config.issuer, %detail, "an OpenID Connect provider failed");
    AppError::new(
        StatusCode::BAD_GATEWAY,
        "unavailable",
        format!(
            "{} сейчас не отвечает. Попробуйте позже или войдите по телефону / {} is not answering now. Try later or sign in by phone",
            config.name_ru, config.name_en
        ),
    )
}

/// The provider's answer fails a check; the detail is logged.
fn rejected(detail: impl std::fmt::Display) -> AppError {
    tracing::warn!(%detail, "an OpenID Connect answer was rejected");
    AppError::invalid(
        "code",
        "Ответ провайдера входа не прошёл проверку. Начните вход заново / The sign-in provider's answer failed verification. Start again",
    )
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            local_path(Some("/c/house-1?tab=votes#top")),
            "/c/house-1?tab=votes#top"
        );
        assert_eq!(
            local_path(Some("/поиск")),
            "/%D0%BF%D0%BE%D0%B8%D1%81%D0%BA"
        );
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example/",
            "evil",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }
}
