//! Sign-in by phone: a six-digit one-time code sent by SMS.
//!
//! Codes go only to numbers in `identity.phone_plan` (Russian mobile numbers by default). A
//! code lives `otp.ttl_s` seconds, is stored as a salted SHA-256, and survives
//! `otp.max_attempts` wrong guesses: after that many the right code still signs in, one more
//! wrong guess kills it. Sending is limited per phone (a cooldown between codes and a count
//! per hour) and per IP address (a count per hour); a refusal's `Retry-After` is when the
//! oldest send in the hour leaves it. `otp.lockout_after_failures` wrong codes for one phone
//! within an hour lock that phone for `otp.lockout_minutes`: neither sending nor checking
//! codes works until the lockout ends.
//!
//! Six digits are a million codes; with five guesses per code and the lockout, guessing a
//! code for someone else's phone takes about a hundred thousand hours.

use sea_orm::sea_query::{Expr, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use sha2::{Digest as _, Sha256};

use super::people::{self, NewPerson, Person};
use super::{Identity, phone, t};
use crate::error::AppError;
use crate::storage::Database;

const HOUR_MS: i64 = 3_600_000;

/// What a sent code's requester learns.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CodeSent {
    /// The phone the code went to, masked.
    pub phone: String,
    /// Seconds the code stays valid.
    pub expires_in_s: u64,
    /// Seconds before another code may be asked for.
    pub resend_after_s: u64,
    /// Whether a person with this phone exists (a new one must give their name).
    pub registered: bool,
}

/// A successful sign-in.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The session token.
    pub token: String,
    /// Who signed in.
    pub person: Person,
    /// Whether the person was created by this sign-in.
    pub created: bool,
}

/// What a code check brings.
#[derive(Clone, Debug, Default)]
pub struct Verify<'a> {
    /// The phone as typed.
    pub phone: Option<&'a str>,
    /// The code as typed.
    pub code: Option<&'a str>,
    /// A new person's first name.
    pub given_name: Option<&'a str>,
    /// A new person's surname.
    pub family_name: Option<&'a str>,
    /// A new person's consent to the processing of their personal data (152-ФЗ): `false`
    /// refuses signing up, `true` is recorded in the audit log with its time; none when the
    /// client did not ask (an older API client).
    pub consent: Option<bool>,
    /// `ru` or `en`, for a new person.
    pub locale: &'a str,
    /// The client's address.
    pub ip: &'a str,
    /// The client's User-Agent.
    pub user_agent: Option<&'a str>,
}

/// The audit log's name for a person's consent to the processing of their personal data.
pub const CONSENT_ACTION: &str = "personal_data.consent";

/// Which wording of the consent the person agreed to (the sign-up page's text).
pub const CONSENT_VERSION: &str = "2026-12-02";

fn code_hash(challenge: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{challenge}:{code}").as_bytes()))
}

/// The phone a sign-in is for, in normal form: 400 when it is missing or not written as the
/// document says, 422 when it is no phone number or not one that receives codes.
fn parse_phone(identity: &Identity, text: Option<&str>) -> Result<String, AppError> {
    let text = text.unwrap_or_default();
    if text.is_empty() {
        return Err(AppError::invalid(
            "phone",
            "Укажите номер телефона / The phone number is required",
        ));
    }
    if !phone::written_well(text) {
        return Err(AppError::invalid(
            "phone",
            format!(
                "Номер пишется цифрами, можно с пробелами, дефисами, скобками и «+» в начале, до {max} знаков: например, +7 999 123-45-67 / Write the number in digits, with spaces, hyphens, brackets and a leading `+` if you like, up to {max} characters: for example, +7 999 123-45-67",
                max = phone::MAX_WRITTEN
            ),
        ));
    }
    let normal = phone::normalize(text).ok_or_else(|| {
        AppError::unprocessable(
            "phone",
            "Это не номер телефона: например, +7 999 123-45-67 / Not a phone number: for example, +7 999 123-45-67",
        )
    })?;
    let plan = &identity.config.phone_plan;
    if !phone::in_plan(&normal, plan) {
        let accepted = plan.join(", ");
        return Err(AppError::unprocessable(
            "phone",
            format!(
                "На этот номер не отправить СМС с кодом: вход — по номеру мобильного телефона ({accepted}). Городские и другие номера не подходят / No sign-in code can be sent to this number: sign in with a mobile number ({accepted}); landlines and other numbers cannot receive it"
            ),
        ));
    }
    Ok(normal)
}

async fn lockout_until<C: ConnectionTrait>(
    db: &C,
    key: &str,
    now: i64,
) -> Result<Option<i64>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        until: i64,
    }
    let query = Query::select()
        .column(t("until"))
        .from(t("auth_lockouts"))
        .and_where(Expr::col(t("key")).eq(key))
        .to_owned();
    Ok(
        Row::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?
            .map(|r| r.until)
            .filter(|until| *until > now),
    )
}

fn locked_error(until: i64, now: i64) -> AppError {
    let seconds = ((until - now) / 1000).max(1) as u64;
    let minutes = seconds.div_ceil(60);
    AppError::limited(
        format!("Слишком много неверных кодов. Вход с этим номером заблокирован на {minutes} мин. / Too many wrong codes. Sign-in with this number is locked for {minutes} min."),
        seconds,
    )
    .with_field("phone")
}

/// When `limit` sends per hour for `column = value` free up again: none if fewer than `limit`
/// were sent in the hour before `now`, else the moment the oldest send that keeps the count at
/// the limit leaves the hour.
async fn hour_frees_at<C: ConnectionTrait>(
    db: &C,
    column: &str,
    value: &str,
    limit: u32,
    now: i64,
) -> Result<Option<i64>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        created: i64,
    }
    let query = Query::select()
        .column(t("created"))
        .from(t("otp_challenges"))
        .and_where(Expr::col(t(column)).eq(value))
        .and_where(Expr::col(t("created")).gt(now - HOUR_MS))
        .order_by(t("created"), Order::Desc)
        .limit(u64::from(limit))
        .to_owned();
    let newest = Row::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    // The `limit` newest sends of the hour: the oldest of them must leave it before another.
    Ok((newest.len() >= limit as usize)
        .then(|| newest.last().map(|r| r.created + HOUR_MS))
        .flatten())
}

/// A refusal for an hourly limit, with `Retry-After` until `frees_at`.
fn hourly_limit(frees_at: i64, now: i64, ru: &str, en: &str) -> AppError {
    let seconds = ((frees_at - now) as u64).div_ceil(1000).max(1);
    let minutes = seconds.div_ceil(60);
    AppError::limited(
        format!("{ru}. Попробуйте через {minutes} мин. / {en}. Try again in {minutes} min."),
        seconds,
    )
}

#[derive(FromQueryResult)]
struct Challenge {
    id: String,
    code_hash: String,
    created: i64,
    expires: i64,
    attempts: i32,
    consumed: Option<i64>,
}

async fn latest_challenge<C: ConnectionTrait>(
    db: &C,
    phone: &str,
) -> Result<Option<Challenge>, DbErr> {
    let query = Query::select()
        .columns(
            [
                "id",
                "code_hash",
                "created",
                "expires",
                "attempts",
                "consumed",
            ]
            .map(t),
        )
        .from(t("otp_challenges"))
        .and_where(Expr::col(t("phone")).eq(phone))
        .order_by(t("created"), Order::Desc)
        .order_by(t("id"), Order::Desc)
        .limit(1)
        .to_owned();
    Challenge::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// Send a code to a phone, within the limits.
pub async fn send_code(
    identity: &Identity,
    db: &Database,
    phone_text: Option<&str>,
    ip: &str,
    now: i64,
) -> Result<CodeSent, AppError> {
    let phone = parse_phone(identity, phone_text)?;
    let limits = &identity.config.otp;
    let tx = db.begin().await?;
    if let Some(until) = lockout_until(&tx, &format!("phone:{phone}"), now).await? {
        return Err(locked_error(until, now));
    }
    if let Some(last) = latest_challenge(&tx, &phone).await? {
        let ready_at = last.created + limits.resend_cooldown_s as i64 * 1000;
        if ready_at > now {
            let wait = ((ready_at - now) / 1000).max(1) as u64;
            return Err(AppError::limited(
                format!("Новый код можно запросить через {wait} с / A new code can be requested in {wait} s"),
                wait,
            )
            .with_field("phone"));
        }
    }
    if let Some(frees_at) =
        hour_frees_at(&tx, "phone", &phone, limits.sends_per_phone_per_hour, now).await?
    {
        return Err(hourly_limit(
            frees_at,
            now,
            "На этот номер отправлено слишком много кодов",
            "Too many codes were sent to this number",
        )
        .with_field("phone"));
    }
    if let Some(frees_at) = hour_frees_at(&tx, "ip", ip, limits.sends_per_ip_per_hour, now).await? {
        return Err(hourly_limit(
            frees_at,
            now,
            "С этого адреса запрошено слишком много кодов",
            "Too many codes were requested from this address",
        ));
    }
    let id = crate::events::new_id(now);
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let insert = Query::insert()
        .into_table(t("otp_challenges"))
        .columns(
            [
                "id",
                "phone",
                "ip",
                "code_hash",
                "created",
                "expires",
                "attempts",
            ]
            .map(t),
        )
        .values_panic([
            id.clone().into(),
            phone.clone().into(),
            ip.into(),
            code_hash(&id, &code).into(),
            now.into(),
            (now + limits.ttl_s as i64 * 1000).into(),
            0.into(),
        ])
        .to_owned();
    tx.execute(tx.get_database_backend().build(&insert)).await?;
    let registered = people::by_phone(&tx, &phone).await?.is_some();
    tx.commit().await?;

    let minutes = limits.ttl_s.div_ceil(60);
    let text =
        format!("Код для входа в Двор: {code}. Действует {minutes} мин. Никому его не сообщайте.");
    if let Err(error) = identity.sms.send(&phone, &text).await {
        tracing::warn!(%error, phone = %phone::mask(&phone), "sending a sign-in code failed");
        let delete = Query::delete()
            .from_table(t("otp_challenges"))
            .and_where(Expr::col(t("id")).eq(&id))
            .to_owned();
        let conn = db.connection();
        conn.execute(conn.get_database_backend().build(&delete))
            .await?;
        return Err(AppError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Не удалось отправить SMS. Попробуйте ещё раз чуть позже / The SMS could not be sent. Try again a little later",
        ));
    }
    Ok(CodeSent {
        phone: phone::mask(&phone),
        expires_in_s: limits.ttl_s,
        resend_after_s: limits.resend_cooldown_s,
        registered,
    })
}

/// Check a code; on success sign the person in (creating them, with their name, if new).
pub async fn verify_code(
    identity: &Identity,
    db: &Database,
    input: Verify<'_>,
    now: i64,
) -> Result<SignedIn, AppError> {
    let phone = parse_phone(identity, input.phone)?;
    let code = input.code.unwrap_or_default();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid(
            "code",
            "Код — это 6 цифр из SMS / The code is the 6 digits from the SMS",
        ));
    }
    for (field, name) in [
        ("given_name", input.given_name),
        ("family_name", input.family_name),
    ] {
        if let Some(name) = name {
            crate::input::within(field, name, people::MAX_NAME)?;
        }
    }
    let limits = &identity.config.otp;
    let tx = db.begin().await?;
    let lock_key = format!("phone:{phone}");
    if let Some(until) = lockout_until(&tx, &lock_key, now).await? {
        return Err(locked_error(until, now));
    }
    let no_code = || {
        AppError::unprocessable(
            "code",
            "Код истёк или не запрашивался. Запросите новый / The code has expired or was never requested. Ask for a new one",
        )
    };
    let Some(challenge) = latest_challenge(&tx, &phone).await? else {
        return Err(no_code());
    };
    if challenge.consumed.is_some() || challenge.expires <= now {
        return Err(no_code());
    }
    // A code survives `max_attempts` wrong guesses; the one after them killed it.
    let too_many = || {
        AppError::unprocessable(
            "code",
            "Слишком много неверных попыток для этого кода. Запросите новый / Too many wrong tries for this code. Ask for a new one",
        )
    };
    if challenge.attempts as u32 > limits.max_attempts {
        return Err(too_many());
    }
    if code_hash(&challenge.id, code) != challenge.code_hash {
        let bump = Query::update()
            .table(t("otp_challenges"))
            .value(t("attempts"), Expr::col(t("attempts")).add(1))
            .and_where(Expr::col(t("id")).eq(&challenge.id))
            .to_owned();
        tx.execute(tx.get_database_backend().build(&bump)).await?;
        let failures = recent_failures(&tx, &phone, now).await?;
        if failures >= i64::from(limits.lockout_after_failures) {
            let until = now + limits.lockout_minutes as i64 * 60_000;
            let lock = Query::insert()
                .into_table(t("auth_lockouts"))
                .columns(["key", "until", "reason"].map(t))
                .values_panic([lock_key.clone().into(), until.into(), "wrong codes".into()])
                .on_conflict(
                    OnConflict::column(t("key"))
                        .update_columns(["until", "reason"].map(t))
                        .to_owned(),
                )
                .to_owned();
            tx.execute(tx.get_database_backend().build(&lock)).await?;
            tx.commit().await?;
            tracing::warn!(phone = %phone::mask(&phone), ip = %input.ip, "phone locked after wrong codes");
            return Err(locked_error(until, now));
        }
        tx.commit().await?;
        let wrong = challenge.attempts as u32 + 1;
        if wrong > limits.max_attempts {
            return Err(too_many());
        }
        // Tries the code still takes: the wrong guesses it survives, and the right one.
        let left = limits.max_attempts - wrong + 1;
        return Err(AppError::unprocessable(
            "code",
            format!("Неверный код. Осталось попыток: {left} / Wrong code. Tries left: {left}"),
        ));
    }

    let (person, created) = match people::by_phone(&tx, &phone).await? {
        Some(person) => (person, false),
        None => {
            // The code stays valid: the person can add their name and send it again.
            let (given_name, family_name) =
                people::validate_names(input.given_name, input.family_name)?;
            if input.consent == Some(false) {
                return Err(AppError::unprocessable(
                    "consent",
                    "Без согласия на обработку персональных данных зарегистрироваться нельзя / Signing up needs your consent to the processing of personal data",
                ));
            }
            let person = people::create(
                &tx,
                NewPerson {
                    given_name,
                    family_name,
                    phone: Some(phone.clone()),
                    email: None,
                    locale: if input.locale == "en" {
                        "en".into()
                    } else {
                        "ru".into()
                    },
                },
                now,
            )
            .await?;
            if input.consent == Some(true) {
                super::audit::record(
                    &tx,
                    super::audit::Entry {
                        actor: Some(&person.id),
                        action: CONSENT_ACTION,
                        person: Some(&person.id),
                        community: None,
                        details: serde_json::json!({ "law": "152-ФЗ", "text": CONSENT_VERSION }),
                    },
                    now,
                )
                .await?;
            }
            (person, true)
        }
    };
    let consume = Query::update()
        .table(t("otp_challenges"))
        .value(t("consumed"), now)
        .and_where(Expr::col(t("id")).eq(&challenge.id))
        .to_owned();
    tx.execute(tx.get_database_backend().build(&consume))
        .await?;
    identity.phone_proven(&tx, &person, &phone, now).await?;
    let token = identity
        .start_session(&tx, &person, input.user_agent, now)
        .await?;
    // Re-read: the register may have set the current address.
    let person = people::by_id(&tx, &person.id).await?.unwrap_or(person);
    tx.commit().await?;
    Ok(SignedIn {
        token,
        person,
        created,
    })
}

/// Wrong codes for a phone within the last hour.
async fn recent_failures<C: ConnectionTrait>(db: &C, phone: &str, now: i64) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        n: Option<i64>,
    }
    let query = Query::select()
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(attempts), 0) AS BIGINT)"),
            t("n"),
        )
        .from(t("otp_challenges"))
        .and_where(Expr::col(t("phone")).eq(phone))
        .and_where(Expr::col(t("created")).gt(now - HOUR_MS))
        .to_owned();
    Ok(
        Row::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?
            .and_then(|r| r.n)
            .unwrap_or(0),
    )
}
