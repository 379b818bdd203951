//! Notifications beyond the inbox: the email and SMS a notification becomes, queued in
//! `outbound_messages` in the transaction that stores it, and the [`sender`] that delivers them.
//!
//! Channel choice has two halves:
//!
//! - **The person's**, decided when the notification is stored ([`queue`]): an email for a
//!   person who gave an address and allowed email; an SMS for a person with a phone who allowed
//!   SMS, and only for `high` urgency. The text is written then, in the person's language.
//! - **The instance's**, decided when the message is due ([`sender`]): an email is sent only if
//!   `[notifications.email]` is configured, an SMS only if `notifications.sms_for_urgent` is on.
//!   A message the instance will not send is marked `failed` with the reason, never retried.
//!
//! The split lets [`crate::inbox::deliver`] queue messages from anywhere it is called (a
//! plugin's call, the joining flow) with nothing but a connection. For the same reason the
//! stored text does not know the instance's public URL: it carries [`PUBLIC_URL`], which the
//! sender replaces with the URL when it sends.

pub mod email;
pub mod sender;

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::inbox::NewNotification;

pub use sender::run_sender;

/// Stands for the instance's public URL in stored message text; the sender fills it in.
pub const PUBLIC_URL: &str = "{public_url}";

/// The longest notification text an SMS carries, in characters (the title and the link come
/// on top).
const SMS_TEXT_CHARS: usize = 160;

/// How a message reaches a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// By email, through `[notifications.email]`.
    Email,
    /// By SMS, through `[identity.sms]`.
    Sms,
}

impl Channel {
    /// The stored name (`email` or `sms`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    /// The channel of a stored name.
    pub fn parse(name: &str) -> Option<Channel> {
        match name {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// How a person may be reached, as their profile says.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Reach {
    /// The person's id.
    pub id: String,
    /// Their email address.
    pub email: Option<String>,
    /// Whether they allowed email.
    pub email_enabled: bool,
    /// Their phone, `+7…`.
    pub phone: Option<String>,
    /// Whether they allowed SMS.
    pub sms_enabled: bool,
    /// `ru` or `en`.
    pub locale: String,
}

/// The channels (and addresses) the person allowed for a notification of `urgency`.
pub fn channels(reach: &Reach, urgency: &str) -> Vec<(Channel, String)> {
    let mut out = Vec::new();
    if reach.email_enabled
        && let Some(email) = reach.email.as_deref().filter(|e| !e.trim().is_empty())
    {
        out.push((Channel::Email, email.to_owned()));
    }
    if urgency == "high"
        && reach.sms_enabled
        && let Some(phone) = reach.phone.as_deref().filter(|p| !p.trim().is_empty())
    {
        out.push((Channel::Sms, phone.to_owned()));
    }
    out
}

/// A message's text: a subject (the email's; the notification's title for an SMS) and a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    /// The subject.
    pub subject: String,
    /// The body, with [`PUBLIC_URL`] where the instance's URL goes.
    pub body: String,
}

/// Whether a locale is English (anything else reads Russian).
fn english(locale: &str) -> bool {
    locale == "en"
}

/// One of a pair `(ru, en)` in `locale`, falling back to the other when it is empty.
fn pick<'a>(pair: &'a (String, String), locale: &str) -> &'a str {
    let (first, second) = if english(locale) {
        (&pair.1, &pair.0)
    } else {
        (&pair.0, &pair.1)
    };
    if first.trim().is_empty() {
        second
    } else {
        first
    }
}

/// The absolute form of a notification's link (a web UI path), with [`PUBLIC_URL`].
fn absolute_link(note: &NewNotification) -> Option<String> {
    note.link
        .as_deref()
        .filter(|l| l.starts_with('/'))
        .map(|l| format!("{PUBLIC_URL}{l}"))
}

/// The email a notification becomes for a person speaking `locale`.
pub fn email_text(note: &NewNotification, locale: &str) -> Text {
    let en = english(locale);
    let mut body = pick(&note.body, locale).trim_end().to_owned();
    if let Some(link) = absolute_link(note) {
        let open = if en { "Open" } else { "Открыть" };
        body.push_str(&format!("\n\n{open}: {link}"));
    }
    let footer = if en {
        format!(
            "You get this email because you allowed notifications by email. Turn them off in your profile at {PUBLIC_URL}"
        )
    } else {
        format!(
            "Вы получили это письмо, потому что включили уведомления по почте. Отключить их можно в профиле: {PUBLIC_URL}"
        )
    };
    body.push_str(&format!("\n\n-- \n{footer}\n"));
    Text {
        subject: one_line(pick(&note.title, locale)),
        body,
    }
}

/// The SMS a notification becomes for a person speaking `locale`: the title, the text cut to
/// [`SMS_TEXT_CHARS`] characters, and the link.
pub fn sms_text(note: &NewNotification, locale: &str) -> Text {
    let title = one_line(pick(&note.title, locale));
    let text = one_line(pick(&note.body, locale));
    let mut body = if text.is_empty() {
        title.clone()
    } else {
        format!("{title}: {}", cut(&text, SMS_TEXT_CHARS))
    };
    if let Some(link) = absolute_link(note) {
        body.push(' ');
        body.push_str(&link);
    }
    Text {
        subject: title,
        body,
    }
}

/// Text on one line, whitespace collapsed (a subject header must not break).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `chars` characters, with an ellipsis when cut.
fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(chars.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Queue the email and SMS for notifications just stored, in the same transaction:
/// `stored` pairs each notification's id with its recipient. Returns how many messages were
/// queued.
pub async fn queue<C: ConnectionTrait>(
    db: &C,
    stored: &[(String, String)],
    note: &NewNotification,
    now: i64,
) -> Result<u32, DbErr> {
    let mut queued = 0;
    for chunk in stored.chunks(500) {
        let people = Query::select()
            .columns(
                [
                    "id",
                    "email",
                    "email_enabled",
                    "phone",
                    "sms_enabled",
                    "locale",
                ]
                .map(Alias::new),
            )
            .from(Alias::new("people"))
            .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().map(|(_, p)| p.clone())))
            .to_owned();
        let reach = Reach::find_by_statement(db.get_database_backend().build(&people))
            .all(db)
            .await?;
        let mut insert = Query::insert()
            .into_table(Alias::new("outbound_messages"))
            .columns(
                [
                    "id",
                    "notification_id",
                    "person_id",
                    "channel",
                    "address",
                    "subject",
                    "body",
                    "status",
                    "attempts",
                    "next_attempt",
                    "last_error",
                    "created",
                ]
                .map(Alias::new),
            )
            .to_owned();
        let mut any = false;
        for (notification, person) in chunk {
            let Some(reach) = reach.iter().find(|r| &r.id == person) else {
                continue;
            };
            for (channel, address) in channels(reach, note.urgency) {
                let text = match channel {
                    Channel::Email => email_text(note, &reach.locale),
                    Channel::Sms => sms_text(note, &reach.locale),
                };
                insert.values_panic([
                    crate::events::new_id(now).into(),
                    notification.clone().into(),
                    person.clone().into(),
                    channel.as_str().into(),
                    address.into(),
                    text.subject.into(),
                    text.body.into(),
                    "pending".into(),
                    0i32.into(),
                    // Due at once by the sender's clock, whatever clock the caller runs on.
                    now.min(crate::identity::now_ms()).into(),
                    Option::<String>::None.into(),
                    now.into(),
                ]);
                any = true;
                queued += 1;
            }
        }
        if any {
            db.execute(db.get_database_backend().build(&insert)).await?;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(urgency: &'static str, link: Option<&str>) -> NewNotification {
        NewNotification {
            source: "test".into(),
            title: ("Отключат воду".into(), "Water goes off".into()),
            body: (
                "Завтра с 10 до 14 часов.".into(),
                "Tomorrow from 10 to 14.".into(),
            ),
            link: link.map(str::to_owned),
            urgency,
        }
    }

    fn reach(email: bool, sms: bool) -> Reach {
        Reach {
            id: "p".into(),
            email: Some("anna@example.org".into()),
            email_enabled: email,
            phone: Some("+79990001122".into()),
            sms_enabled: sms,
            locale: "ru".into(),
        }
    }

    #[test]
    fn channels_follow_the_persons_choice_and_urgency() {
        assert!(channels(&reach(false, false), "high").is_empty());
        assert_eq!(
            channels(&reach(true, true), "normal"),
            vec![(Channel::Email, "anna@example.org".to_owned())]
        );
        assert_eq!(
            channels(&reach(false, true), "high"),
            vec![(Channel::Sms, "+79990001122".to_owned())]
        );
        let mut no_address = reach(true, true);
        no_address.email = None;
        no_address.phone = None;
        assert!(channels(&no_address, "high").is_empty());
    }

    #[test]
    fn text_is_in_the_persons_language_with_an_absolute_link() {
        let ru = email_text(&note("normal", Some("/c/house-1")), "ru");
        assert_eq!(ru.subject, "Отключат воду");
        assert!(
            ru.body.starts_with("Завтра с 10 до 14 часов."),
            "{}",
            ru.body
        );
        assert!(
            ru.body.contains("Открыть: {public_url}/c/house-1"),
            "{}",
            ru.body
        );
        let en = email_text(&note("normal", None), "en");
        assert_eq!(en.subject, "Water goes off");
        assert!(!en.body.contains("Open:"), "{}", en.body);
        let sms = sms_text(&note("high", Some("/c/house-1")), "ru");
        assert_eq!(
            sms.body,
            "Отключат воду: Завтра с 10 до 14 часов. {public_url}/c/house-1"
        );
    }

    #[test]
    fn an_empty_translation_falls_back_and_long_sms_are_cut() {
        let mut only_ru = note("high", None);
        only_ru.title.1 = String::new();
        assert_eq!(email_text(&only_ru, "en").subject, "Отключат воду");
        only_ru.body.0 = "д".repeat(500);
        let sms = sms_text(&only_ru, "ru");
        assert_eq!(
            sms.body.chars().count(),
            "Отключат воду: ".chars().count() + SMS_TEXT_CHARS
        );
        assert!(sms.body.ends_with('…'));
    }
}
