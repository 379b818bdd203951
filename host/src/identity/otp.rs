//! Sign-in by phone: a six-digit one-time code sent by SMS.
//!
//! A code lives `otp.ttl_s` seconds, is stored as a salted SHA-256, and survives
//! `otp.max_attempts` wrong guesses. Sending is limited per phone (a cooldown between codes
//! and a count per hour) and per IP address (a count per hour). `otp.lockout_after_failures`
//! wrong codes for one phone within an hour lock that phone for `otp.lockout_minutes`:
//! neither sending nor checking codes works until the lockout ends.
//!
//! Six digits are a million codes; with five guesses per code and the lockout, guessing a
//! code for someone else's phone takes about a hundred thousand hours.

use sea_orm::sea_query::{Expr, Func, OnConflict, Order, Query};
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
    /// `ru` or `en`, for a new person.
    pub locale: &'a str,
    /// The client's address.
    pub ip: &'a str,
    /// The client's User-Agent.
    pub user_agent: Option<&'a str>,
}

fn code_hash(challenge: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{challenge}:{code}").as_bytes()))
}

fn parse_phone(text: Option<&str>) -> Result<String, AppError> {
    let text = text.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(AppError::invalid(
            "phone",
            "Укажите номер телефона / The phone number is required",
        ));
    }
    phone::normalize(text).ok_or_else(|| {
        AppError::invalid(
            "phone",
            "Это не номер мобильного телефона: например, +7 999 123-45-67 / Not a mobile phone number: for example, +7 999 123-45-67",
        )
    })
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

async fn count_since<C: ConnectionTrait>(
    db: &C,
    column: &str,
    value: &str,
    since: i64,
) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        n: i64,
    }
    let query = Query::select()
        .expr_as(Func::count(Expr::col(t("id"))), t("n"))
        .from(t("otp_challenges"))
        .and_where(Expr::col(t(column)).eq(value))
        .and_where(Expr::col(t("created")).gt(since))
        .to_owned();
    Ok(
        Row::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?
            .map_or(0, |r| r.n),
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
    let phone = parse_phone(phone_text)?;
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
    if count_since(&tx, "phone", &phone, now - HOUR_MS).await?
        >= i64::from(limits.sends_per_phone_per_hour)
    {
        return Err(AppError::limited(
            "На этот номер отправлено слишком много кодов. Попробуйте через час / Too many codes were sent to this number. Try again in an hour",
            3600,
        )
        .with_field("phone"));
    }
    if count_since(&tx, "ip", ip, now - HOUR_MS).await? >= i64::from(limits.sends_per_ip_per_hour) {
        return Err(AppError::limited(
            "С этого адреса запрошено слишком много кодов. Попробуйте через час / Too many codes were requested from this address. Try again in an hour",
            3600,
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
    let phone = parse_phone(input.phone)?;
    let code = input.code.map(str::trim).unwrap_or_default();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid(
            "code",
            "Код — это 6 цифр из SMS / The code is the 6 digits from the SMS",
        ));
    }
    let limits = &identity.config.otp;
    let tx = db.begin().await?;
    let lock_key = format!("phone:{phone}");
    if let Some(until) = lockout_until(&tx, &lock_key, now).await? {
        return Err(locked_error(until, now));
    }
    let no_code = || {
        AppError::invalid(
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
    if challenge.attempts as u32 >= limits.max_attempts {
        return Err(AppError::invalid(
            "code",
            "Слишком много попыток для этого кода. Запросите новый / Too many tries for this code. Ask for a new one",
        ));
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
        let left = limits
            .max_attempts
            .saturating_sub(challenge.attempts as u32 + 1);
        return Err(AppError::invalid(
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
