//! Identity: who people are, how they sign in, what they may do where.
//!
//! - [`otp`]: sign-in by phone with a one-time code, and its limits.
//! - [`oidc`]: sign-in through an OpenID Connect provider (authorization code with PKCE).
//! - [`tokens`]: sessions and API tokens.
//! - [`people`], [`roles`], [`membership`], [`organizations`]: people, what they hold,
//!   and the organizations serving places.
//! - [`joining`]: invitations, join requests and the owners' register.
//! - [`personal_data`]: a person's export and the deletion of their account.
//! - [`audit`]: who changed roles and verification, when, and what.
//!
//! Services take a connection or transaction and return [`AppError`]s that name the field at
//! fault; HTTP handlers in [`crate::api`] stay thin.

pub mod audit;
pub mod config;
pub mod joining;
pub mod membership;
pub mod oidc;
pub mod organizations;
pub mod otp;
pub mod people;
pub mod personal_data;
pub mod phone;
pub mod roles;
pub mod sms;
pub mod tokens;

use sea_orm::sea_query::Alias;
use sea_orm::{ConnectionTrait, DbErr};

use self::config::{IdentityConfig, NotificationsConfig};
use self::people::Person;
use crate::error::AppError;

/// A table or column name.
pub(crate) fn t(name: &str) -> Alias {
    Alias::new(name)
}

/// The instant, ms since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The identity service: its config and the ways it reaches people.
#[derive(Debug)]
pub struct Identity {
    /// `[identity]`.
    pub config: IdentityConfig,
    /// `[notifications]`.
    pub notifications: NotificationsConfig,
    /// Where people reach the instance, without a trailing slash.
    pub public_url: String,
    /// Where SMS go.
    pub sms: sms::SmsGateway,
    /// Outbound HTTP (OpenID Connect providers, the SMS gateway).
    pub http: reqwest::Client,
}

impl Identity {
    /// The identity service of an instance config.
    pub fn new(config: &crate::config::Config, http: reqwest::Client) -> Self {
        Identity {
            sms: sms::SmsGateway::new(config.identity.sms.clone(), http.clone()),
            config: config.identity.clone(),
            notifications: config.notifications.clone(),
            public_url: config.public_url(),
            http,
        }
    }

    /// How long a session lasts without use, in ms.
    pub fn session_ms(&self) -> i64 {
        i64::from(self.config.session_days) * 86_400_000
    }

    /// Start a session for a person who just proved who they are; returns the token.
    pub async fn start_session<C: ConnectionTrait>(
        &self,
        db: &C,
        person: &Person,
        user_agent: Option<&str>,
        now: i64,
    ) -> Result<String, DbErr> {
        let (token, _) = tokens::issue(
            db,
            tokens::NewCredential {
                person_id: &person.id,
                kind: tokens::Kind::Session,
                name: None,
                scopes: &[],
                user_agent,
                expires: Some(now + self.session_ms()),
            },
            now,
        )
        .await?;
        Ok(token)
    }

    /// What follows from a proven phone number: owners' register rows become verified
    /// ownerships, and the configured admins get their role.
    pub async fn phone_proven<C: ConnectionTrait>(
        &self,
        db: &C,
        person: &Person,
        phone: &str,
        now: i64,
    ) -> Result<(), DbErr> {
        membership::claim_register(db, &person.id, phone, now).await?;
        if self.is_configured_admin(phone) {
            membership::grant(
                db,
                None,
                &person.id,
                "admin",
                membership::Place::Community(None),
                now,
            )
            .await?;
        }
        Ok(())
    }

    fn is_configured_admin(&self, phone: &str) -> bool {
        self.config
            .admins
            .iter()
            .any(|a| phone::normalize(a).as_deref() == Some(phone))
    }
}

/// Seed what the config says about identity: organizations and their areas.
pub async fn seed<C: ConnectionTrait>(
    db: &C,
    config: &crate::config::Config,
    now: i64,
) -> Result<(), DbErr> {
    organizations::seed(db, &config.organizations, now).await
}

/// The error for a person id that is not (or no longer) there.
pub fn no_such_person(field: &str) -> AppError {
    AppError::not_found("Нет такого человека / No such person").with_field(field)
}

/// Record an event of the host's own (`person.active`, `person.joined`, `person.left`) for
/// the plugins subscribed to it, inside the caller's transaction. Wake the dispatcher with
/// [`crate::runtime::Shared::events_committed`] after the commit.
pub async fn host_event<C: ConnectionTrait>(
    shared: &crate::runtime::Shared,
    db: &C,
    kind: &str,
    community: &str,
    actor: Option<&str>,
    payload: serde_json::Value,
    now: i64,
) -> Result<(), DbErr> {
    let subscribers = {
        let subscriptions = shared
            .subscriptions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        subscriptions.subscribers(kind, community, &shared.communities())
    };
    if subscribers.is_empty() {
        return Ok(());
    }
    let event = crate::events::NewEvent {
        kind: kind.to_owned(),
        source: "host".into(),
        community: community.to_owned(),
        actor: actor.map(str::to_owned),
        occurred: now,
        payload: payload.to_string(),
    };
    crate::events::record(db, &event, &subscribers, now).await?;
    Ok(())
}
