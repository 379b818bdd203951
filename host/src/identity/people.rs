//! People: who signed up, under what name, and how they may be reached.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::t;
use crate::error::AppError;

/// A person as the host stores them.
#[derive(Clone, Debug, FromQueryResult, Serialize, utoipa::ToSchema)]
pub struct Person {
    /// Stable id.
    pub id: String,
    /// First name.
    pub given_name: String,
    /// Surname.
    pub family_name: String,
    /// First name and surname, as shown to others.
    pub display_name: String,
    /// The phone number, `+7…` (none for people who signed in through OpenID Connect
    /// without one).
    pub phone: Option<String>,
    /// An email address for notifications.
    pub email: Option<String>,
    /// Whether the person allowed notifications by email.
    pub email_enabled: bool,
    /// Whether the person allowed notifications by SMS.
    pub sms_enabled: bool,
    /// `ru` or `en`.
    pub locale: String,
    /// The address (community) the person is looking at now.
    pub current_community: Option<String>,
    /// When they signed up, ms since the epoch.
    pub created: i64,
    /// The last day they used the app (instance time, `YYYY-MM-DD`).
    #[serde(skip)]
    pub active_day: Option<String>,
}

/// The columns of `people` a [`Person`] is read from.
pub(super) const COLUMNS: [&str; 12] = [
    "id",
    "given_name",
    "family_name",
    "display_name",
    "phone",
    "email",
    "email_enabled",
    "sms_enabled",
    "locale",
    "current_community",
    "created",
    "active_day",
];

/// Longest name part accepted, in characters as sent.
pub const MAX_NAME: usize = 80;

/// Check and tidy a first name and a surname; errors name the field: 400 when one is longer
/// than [`MAX_NAME`] as sent (what the OpenAPI document states), 422 for the rest.
pub fn validate_names(
    given: Option<&str>,
    family: Option<&str>,
) -> Result<(String, String), AppError> {
    let check = |field: &str, value: Option<&str>, what_ru: &str, what_en: &str| {
        if let Some(raw) = value {
            crate::input::within(field, raw, MAX_NAME)?;
        }
        let value = value
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        if value.is_empty() {
            return Err(AppError::unprocessable(
                field,
                format!(
                    "Укажите {what_ru}: обращения и голоса идут от известных людей / {what_en} is required: appeals and votes come from known people"
                ),
            ));
        }
        if !value
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
        {
            return Err(AppError::unprocessable(
                field,
                "Только буквы, пробел, дефис и апостроф / Letters, spaces, hyphens and apostrophes only",
            ));
        }
        Ok(value)
    };
    Ok((
        check("given_name", given, "имя", "The first name")?,
        check("family_name", family, "фамилию", "The surname")?,
    ))
}

/// One person by id.
pub async fn by_id<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<Person>, DbErr> {
    one(db, Expr::col(t("id")).eq(id)).await
}

/// The person with this (normalised) phone number.
pub async fn by_phone<C: ConnectionTrait>(db: &C, phone: &str) -> Result<Option<Person>, DbErr> {
    one(db, Expr::col(t("phone")).eq(phone)).await
}

/// The people who gave this e-mail address (compared without regard to case).
pub async fn with_email<C: ConnectionTrait>(db: &C, email: &str) -> Result<Vec<Person>, DbErr> {
    let query = Query::select()
        .columns(COLUMNS.map(t))
        .from(t("people"))
        .and_where(
            Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(t("email"))))
                .eq(email.trim().to_lowercase()),
        )
        .to_owned();
    Person::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

async fn one<C: ConnectionTrait>(
    db: &C,
    condition: sea_orm::sea_query::SimpleExpr,
) -> Result<Option<Person>, DbErr> {
    let query = Query::select()
        .columns(COLUMNS.map(t))
        .from(t("people"))
        .and_where(condition)
        .to_owned();
    Person::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// What a new person starts with.
#[derive(Clone, Debug)]
pub struct NewPerson {
    /// First name (validated).
    pub given_name: String,
    /// Surname (validated).
    pub family_name: String,
    /// The normalised phone, if known.
    pub phone: Option<String>,
    /// An email address, if known (from an OpenID Connect provider).
    pub email: Option<String>,
    /// `ru` or `en`.
    pub locale: String,
}

/// Store a new person.
pub async fn create<C: ConnectionTrait>(db: &C, new: NewPerson, now: i64) -> Result<Person, DbErr> {
    let person = Person {
        id: crate::events::new_id(now),
        display_name: format!("{} {}", new.given_name, new.family_name),
        given_name: new.given_name,
        family_name: new.family_name,
        phone: new.phone,
        email: new.email,
        email_enabled: false,
        sms_enabled: false,
        locale: new.locale,
        current_community: None,
        created: now,
        active_day: None,
    };
    let insert = Query::insert()
        .into_table(t("people"))
        .columns(COLUMNS.map(t))
        .values_panic([
            person.id.clone().into(),
            person.given_name.clone().into(),
            person.family_name.clone().into(),
            person.display_name.clone().into(),
            person.phone.clone().into(),
            person.email.clone().into(),
            person.email_enabled.into(),
            person.sms_enabled.into(),
            person.locale.clone().into(),
            person.current_community.clone().into(),
            person.created.into(),
            person.active_day.clone().into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(person)
}

/// Changes a person makes to their own profile; `None` leaves a value as it is.
#[derive(Clone, Debug, Default)]
pub struct ProfileChange {
    /// New first name and surname (validated together).
    pub names: Option<(String, String)>,
    /// A new email address (`Some(None)` removes it).
    pub email: Option<Option<String>>,
    /// Allow email notifications.
    pub email_enabled: Option<bool>,
    /// Allow SMS notifications.
    pub sms_enabled: Option<bool>,
    /// `ru` or `en`.
    pub locale: Option<String>,
    /// The current address.
    pub current_community: Option<String>,
}

/// Apply a profile change.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: &str,
    change: ProfileChange,
) -> Result<(), DbErr> {
    let mut update = Query::update();
    update
        .table(t("people"))
        .and_where(Expr::col(t("id")).eq(id));
    let mut any = false;
    if let Some((given, family)) = change.names {
        update.value(t("display_name"), format!("{given} {family}"));
        update.value(t("given_name"), given);
        update.value(t("family_name"), family);
        any = true;
    }
    if let Some(email) = change.email {
        update.value(t("email"), email);
        any = true;
    }
    if let Some(on) = change.email_enabled {
        update.value(t("email_enabled"), on);
        any = true;
    }
    if let Some(on) = change.sms_enabled {
        update.value(t("sms_enabled"), on);
        any = true;
    }
    if let Some(locale) = change.locale {
        update.value(t("locale"), locale);
        any = true;
    }
    if let Some(community) = change.current_community {
        update.value(t("current_community"), community);
        any = true;
    }
    if any {
        db.execute(db.get_database_backend().build(&update)).await?;
    }
    Ok(())
}

/// A plausible email address: one `@`, something on both sides, a dot in the domain.
pub fn validate_email(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    let ok = text.len() <= 254
        && text.parse::<lettre::Address>().is_ok()
        && text
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.'));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(AppError::unprocessable(
            "email",
            "Это не похоже на адрес почты / This does not look like an email address",
        ))
    }
}

/// Record that a person used the app on `day`; true if this is their first use that day (so
/// the host announces `person.active` once per person and day, across devices and replicas).
pub async fn mark_active<C: ConnectionTrait>(db: &C, id: &str, day: &str) -> Result<bool, DbErr> {
    let update = Query::update()
        .table(t("people"))
        .value(t("active_day"), day)
        .and_where(Expr::col(t("id")).eq(id))
        .and_where(
            Expr::col(t("active_day"))
                .is_null()
                .or(Expr::col(t("active_day")).ne(day)),
        )
        .to_owned();
    Ok(db
        .execute(db.get_database_backend().build(&update))
        .await?
        .rows_affected()
        == 1)
}
