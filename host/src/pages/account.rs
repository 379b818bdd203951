//! A person's own pages: signing in by phone code or OpenID Connect (a new phone gives its
//! name: that is signing up), the profile with addresses, data export and deletion, the
//! inbox, and the language choice.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use super::tree::{self, FieldExt};
use super::{
    Visitor, draw, form_with_error, local_path_or, percent_encode, redirect_with_notice,
    signed_out, value_of, with_cookie,
};
use crate::api::extract::ClientInfo;
use crate::error::AppError;
use crate::http::{AppState, Refill};
use crate::identity::now_ms;
use crate::identity::otp::{self, Verify};
use crate::runtime::latest::dvor::plugin::ui::{Block, Cell, FieldKind, Page, Tone};

type Pairs = Vec<(String, String)>;

/// The sign-in code's field: on the host's pages the renderer gives it a numeric keyboard and
/// the phone's SMS autofill ([`crate::web::ONE_TIME_CODE_FIELD`]).
const ONE_TIME_CODE_FIELD: &str = crate::web::ONE_TIME_CODE_FIELD;

/// The longest name part the name fields take, as the server checks it.
const NAME_CHARS: u32 = crate::identity::people::MAX_NAME as u32;

// ---------------------------------------------------------------------------------------------
// Signing in

/// The phone step: a phone field, and the OpenID Connect providers as links.
fn phone_step(state: &AppState, v: &Visitor, next: &str) -> Page {
    let mut sections = vec![tree::plain(vec![
        Block::Paragraph(
            v.tr(
                "Введите номер телефона: придёт СМС с кодом. Если вы здесь впервые, после кода мы спросим ваше имя.",
                "Enter your phone number: a text message with a code will come. If you are new here, we will ask your name after the code.",
            )
            .to_owned(),
        ),
        tree::form(
            "send_code",
            v.tr("Получить код", "Get a code"),
            vec![
                tree::field("phone", v.tr("Номер телефона", "Phone number"), FieldKind::Phone)
                    .required()
                    .help(v.tr("Например, +7 900 123-45-67", "For example, +7 900 123-45-67")),
                tree::hidden("next", next),
            ],
        ),
    ])];
    let providers = crate::identity::oidc::providers(&state.identity);
    if !providers.is_empty() {
        sections.push(tree::section(
            v.tr("Или войдите через", "Or sign in with"),
            vec![Block::Links(
                providers
                    .iter()
                    .map(|p| {
                        let mut link = tree::link(
                            format!("api/auth/oidc/{}/start", p.id),
                            if v.locale == "en" && !p.name_en.is_empty() {
                                &p.name_en
                            } else {
                                &p.name_ru
                            },
                        );
                        link.query = vec![("return_to".to_owned(), next.to_owned())];
                        link
                    })
                    .collect(),
            )],
        ));
    }
    tree::page(v.tr("Вход", "Sign in"), sections)
}

/// The code step: which number the code went to, the code field, a new phone's name and
/// consent, and asking for a new code (the script counts down to when it may be asked).
fn code_step(v: &Visitor, phone: &str, next: &str, new_person: bool) -> Page {
    let mut fields = vec![
        tree::text(
            ONE_TIME_CODE_FIELD,
            v.tr("Код из СМС", "The code from the text message"),
            7,
        )
        .required()
        .help(v.tr("Шесть цифр", "Six digits")),
    ];
    if new_person {
        fields.push(tree::text("given_name", v.tr("Имя", "First name"), NAME_CHARS).required());
        fields.push(tree::text("family_name", v.tr("Фамилия", "Surname"), NAME_CHARS).required());
        fields.push(
            tree::field(
                "consent",
                v.tr(
                    "Я согласен(на) на обработку моих персональных данных",
                    "I consent to the processing of my personal data",
                ),
                FieldKind::Checkbox,
            )
            .required()
            .help(v.tr(
                "По закону 152-ФЗ. Имя, фамилия и телефон нужны, чтобы управляющая компания, администрация и соседи знали, от кого заявка, обращение или голос; телефон видят только те, кто ведёт ваше дело. Отозвать согласие можно, удалив аккаунт в профиле.",
                "Under Russian law 152-FZ. Your name and phone let the management company, the administration and neighbours know whose request, appeal or vote it is; only those handling your case see the phone. Withdraw the consent by deleting the account in your profile.",
            )),
        );
    }
    fields.push(tree::hidden("phone", phone));
    fields.push(tree::hidden("next", next));
    fields.push(tree::hidden("new", if new_person { "1" } else { "" }));
    let number = crate::identity::phone::normalize(phone)
        .map(|p| crate::identity::phone::pretty(&p))
        .unwrap_or_else(|| phone.to_owned());
    let lead = if new_person {
        format!(
            "{} {number}. {}",
            v.tr("Мы отправили код на номер", "We sent a code to"),
            v.tr(
                "Вы здесь впервые: укажите имя и фамилию — так вас увидят соседи и управляющая компания.",
                "You are new here: give your first name and surname, as neighbours and the management company will see them.",
            )
        )
    } else {
        format!(
            "{} {number}.",
            v.tr("Мы отправили код на номер", "We sent a code to")
        )
    };
    tree::page(
        if new_person {
            v.tr("Регистрация", "Sign up")
        } else {
            v.tr("Вход", "Sign in")
        },
        vec![
            tree::plain(vec![
                Block::Paragraph(lead),
                tree::form("verify", v.tr("Войти", "Sign in"), fields),
            ]),
            tree::section(
                v.tr("Код не пришёл?", "No code?"),
                vec![
                    Block::Buttons(vec![tree::button(
                        "send_code",
                        v.tr("Получить новый код", "Get a new code"),
                        &[("phone", phone), ("next", next)],
                    )]),
                    Block::Links(vec![{
                        let mut again =
                            tree::link("signin", v.tr("Другой номер", "Another number"));
                        again.query = vec![("next".to_owned(), next.to_owned())];
                        again
                    }]),
                ],
            ),
        ],
    )
}

/// When a new code may be asked for: a line the script counts down, keeping the button
/// «Получить новый код» disabled until then (without script the server refuses an early ask).
fn resend_timer(v: &Visitor, seconds: u64) -> String {
    format!(
        "<p class=\"muted small resend\" data-resend-in=\"{seconds}\" aria-live=\"polite\">{} <span class=\"resend-s\">{seconds}</span> {}</p>",
        v.tr(
            "Новый код можно получить через",
            "You can get a new code in"
        ),
        v.tr("с.", "s."),
    )
}

/// `GET /signin`.
pub async fn signin_page(
    State(state): State<AppState>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
) -> Response {
    let v = Visitor::of(&state, &headers, &query).await;
    let next = local_path_or(value_of(&query, "next"), "/me").to_owned();
    if v.principal.is_some() {
        return Redirect::to(&next).into_response();
    }
    let page = phone_step(&state, &v, &next);
    let notice = value_of(&query, "notice");
    draw(&state, &v, "signin", &page, notice, Refill::default()).await
}

/// `POST /signin?action=send_code|verify`.
pub async fn signin_action(
    State(state): State<AppState>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
    client: ClientInfo,
    posted: super::PostedForm,
) -> Result<Response, AppError> {
    let form = posted.values;
    let v = Visitor::of(&state, &headers, &query).await;
    let next = local_path_or(value_of(&form, "next"), "/me").to_owned();
    let db = &state.runtime.shared().db;
    match value_of(&query, "action") {
        Some("send_code") => {
            let phone = value_of(&form, "phone");
            match otp::send_code(&state.identity, db, phone, &client.ip, now_ms()).await {
                Ok(sent) => {
                    let page = code_step(&v, phone.unwrap_or(""), &next, !sent.registered);
                    let timer = resend_timer(&v, sent.resend_after_s);
                    Ok(super::draw_with_footer(&state, &v, "signin", &page, &timer).await)
                }
                Err(error) => {
                    let page = phone_step(&state, &v, &next);
                    form_with_error(&state, &v, "signin", &page, ("send_code", &form), error).await
                }
            }
        }
        Some("verify") => {
            let phone = value_of(&form, "phone").unwrap_or("");
            // People type the code with spaces ("123 456"); the API takes the six digits.
            let code: Option<String> =
                value_of(&form, "code").map(|c| c.chars().filter(|c| !c.is_whitespace()).collect());
            let verified = otp::verify_code(
                &state.identity,
                db,
                Verify {
                    phone: Some(phone),
                    code: code.as_deref(),
                    given_name: value_of(&form, "given_name"),
                    family_name: value_of(&form, "family_name"),
                    // The sign-up form asks; an unticked box is not sent at all.
                    consent: (value_of(&form, "new") == Some("1"))
                        .then(|| value_of(&form, "consent") == Some("true")),
                    locale: &v.locale,
                    ip: &client.ip,
                    user_agent: client.user_agent.as_deref(),
                },
                now_ms(),
            )
            .await;
            match verified {
                Ok(signed_in) => {
                    let cookie = crate::api::auth::session_cookie(&state, &signed_in.token);
                    let notice = if signed_in.created {
                        v.tr(
                            "Добро пожаловать! Откройте приглашение своего дома или СНТ, чтобы вступить.",
                            "Welcome! Open the invitation of your house or garden cooperative to join.",
                        )
                    } else {
                        v.tr("Вы вошли", "You are signed in")
                    };
                    Ok(with_cookie(redirect_with_notice(&next, notice), cookie))
                }
                Err(error) => {
                    // A name missing for a new phone shows the name fields.
                    let new_person = value_of(&form, "new") == Some("1")
                        || matches!(error.field(), Some("given_name" | "family_name"));
                    let page = code_step(&v, phone, &next, new_person);
                    form_with_error(&state, &v, "signin", &page, ("verify", &form), error).await
                }
            }
        }
        _ => Err(AppError::invalid(
            "action",
            "Нет такого действия / No such action",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The profile

fn profile(state: &AppState, v: &Visitor) -> Option<Page> {
    let me = v.principal.as_ref()?;
    let person = &me.person;
    let addresses = crate::api::me::addresses_of(me);
    let tree_now = state.runtime.shared().communities();
    let mut sections = vec![tree::section(
        v.tr("Личные данные", "Personal details"),
        vec![
            tree::fields(vec![
                (
                    v.tr("Имя", "Name").to_owned(),
                    tree::cell(&person.display_name),
                ),
                (
                    v.tr("Телефон", "Phone").to_owned(),
                    person.phone.as_deref().map_or(Cell::Empty, tree::cell),
                ),
            ]),
            tree::form(
                "save_profile",
                v.tr("Сохранить", "Save"),
                vec![
                    tree::text("given_name", v.tr("Имя", "First name"), NAME_CHARS)
                        .required()
                        .value(&person.given_name),
                    tree::text("family_name", v.tr("Фамилия", "Surname"), NAME_CHARS)
                        .required()
                        .value(&person.family_name),
                    tree::field(
                        "email",
                        v.tr("Электронная почта", "Email"),
                        FieldKind::Email,
                    )
                    .value(person.email.clone().unwrap_or_default()),
                    tree::field(
                        "email_enabled",
                        v.tr(
                            "Присылать уведомления на почту",
                            "Send notifications by email",
                        ),
                        FieldKind::Checkbox,
                    )
                    .value(person.email_enabled.to_string()),
                    tree::field(
                        "sms_enabled",
                        v.tr(
                            "Срочные уведомления по СМС",
                            "Urgent notifications by text message",
                        ),
                        FieldKind::Checkbox,
                    )
                    .value(person.sms_enabled.to_string()),
                    tree::select(
                        "locale",
                        v.tr("Язык", "Language"),
                        &[("ru", "Русский"), ("en", "English")],
                    )
                    .value(&person.locale),
                ],
            ),
        ],
    )];
    let rows = addresses
        .iter()
        .map(|a| {
            let current = person.current_community.as_deref() == Some(a.community.as_str());
            let mut actions = Vec::new();
            if !current {
                actions.push(tree::button(
                    "choose_address",
                    v.tr("Сделать текущим", "Make current"),
                    &[("community", &a.community)],
                ));
            }
            let address = tree_now
                .get(&a.community)
                .and_then(|c| c.address.clone())
                .unwrap_or_default();
            tree::row(
                vec![
                    Cell::Link(tree::link(
                        format!("c/{}", percent_encode(&a.community)),
                        &a.name,
                    )),
                    tree::cell(address),
                    tree::cell(
                        a.roles
                            .iter()
                            .map(|r| role_label(r, &v.locale))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    if current {
                        Cell::Badge(crate::runtime::latest::dvor::plugin::ui::Badge {
                            label: v.tr("текущий", "current").to_owned(),
                            tone: Tone::Success,
                        })
                    } else {
                        Cell::Empty
                    },
                ],
                actions,
            )
        })
        .collect::<Vec<_>>();
    let places = if rows.is_empty() {
        tree::empty(
            v.tr("Адресов пока нет", "No addresses yet"),
            v.tr(
                "Откройте ссылку или QR-код приглашения своего дома или СНТ — его дают председатель или управляющая компания.",
                "Open the invitation link or QR code of your house or garden cooperative: the chairman or the management company gives it.",
            ),
            None,
        )
    } else {
        tree::table(
            &[
                (v.tr("Место", "Place"), false),
                (v.tr("Адрес", "Address"), false),
                (v.tr("Кто вы там", "Your roles"), false),
                (v.tr("Текущий", "Current"), false),
            ],
            rows,
            "",
        )
    };
    sections.push(tree::section(
        v.tr("Мои адреса", "My addresses"),
        vec![places],
    ));
    sections.push(tree::section(
        v.tr("Мои данные", "My data"),
        vec![
            Block::Links(vec![tree::link(
                "api/me/export",
                v.tr("Скачать все мои данные (JSON)", "Download all my data (JSON)"),
            )]),
            tree::confirmed_form(
                "delete_account",
                v.tr("Удалить аккаунт", "Delete my account"),
                v.tr(
                    "Аккаунт и личные данные будут удалены, все входы завершены. Это нельзя отменить.",
                    "The account and personal data will be deleted and every sign-in ended. This cannot be undone.",
                ),
                Vec::new(),
            ),
        ],
    ));
    sections.push(tree::plain(vec![Block::Buttons(vec![tree::button(
        "sign_out",
        v.tr("Выйти", "Sign out"),
        &[],
    )])]));
    Some(tree::page(v.tr("Профиль", "Profile"), sections))
}

/// A role's name for people.
pub(crate) fn role_label(role: &str, locale: &str) -> String {
    let (ru, en) = match role {
        "resident" => ("житель", "resident"),
        "owner" => ("собственник", "owner"),
        "owner-unverified" => ("собственник (не подтверждён)", "owner (unverified)"),
        "snt-member" => ("член СНТ", "member"),
        "snt-non-member" => ("садовод без членства", "non-member gardener"),
        "chairman" => ("председатель", "chairman"),
        "board" => ("правление", "board"),
        "operator" => ("оператор", "operator"),
        "executor" => ("исполнитель", "executor"),
        "official" => ("должностное лицо", "official"),
        "moderator" => ("модератор", "moderator"),
        "admin" => ("администратор", "administrator"),
        other => (other, other),
    };
    if locale == "en" { en } else { ru }.to_owned()
}

/// `GET /me`.
pub async fn profile_page(
    State(state): State<AppState>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
) -> Response {
    let v = Visitor::of(&state, &headers, &query).await;
    if let Err(to_sign_in) = v.signed_in("/me") {
        return to_sign_in.into_response();
    }
    let page = profile(&state, &v).expect("signed in");
    draw(
        &state,
        &v,
        "me",
        &page,
        value_of(&query, "notice"),
        Refill::default(),
    )
    .await
}

/// The cookie that keeps a language choice for a year.
fn language_cookie(locale: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "dvor_lang={locale}; Path=/; SameSite=Lax; Max-Age=31536000"
    ))
    .expect("a locale is header-safe")
}

/// `POST /me?action=save_profile|choose_address|delete_account|sign_out`.
pub async fn profile_action(
    State(state): State<AppState>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
    posted: super::PostedForm,
) -> Result<Response, AppError> {
    let form = posted.values;
    let v = Visitor::of(&state, &headers, &query).await;
    let me = match v.signed_in("/me") {
        Ok(me) => me,
        Err(to_sign_in) => return Ok(to_sign_in.into_response()),
    };
    let page = profile(&state, &v).expect("signed in");
    match value_of(&query, "action") {
        Some("save_profile") => {
            let update = crate::api::me::ProfileUpdate {
                given_name: value_of(&form, "given_name").map(str::to_owned),
                family_name: value_of(&form, "family_name").map(str::to_owned),
                email: value_of(&form, "email").map(str::to_owned),
                email_enabled: Some(value_of(&form, "email_enabled") == Some("true")),
                sms_enabled: Some(value_of(&form, "sms_enabled") == Some("true")),
                locale: value_of(&form, "locale").map(str::to_owned),
            };
            match crate::api::me::update_profile(&state, me, update).await {
                Ok(person) => {
                    let notice = if person.locale == "en" {
                        "Saved"
                    } else {
                        "Сохранено"
                    };
                    Ok(with_cookie(
                        redirect_with_notice("/me", notice),
                        language_cookie(&person.locale),
                    ))
                }
                Err(error) => {
                    form_with_error(&state, &v, "me", &page, ("save_profile", &form), error).await
                }
            }
        }
        Some("choose_address") => {
            crate::api::me::choose_address(
                &state,
                me,
                value_of(&form, "community").map(str::to_owned),
            )
            .await?;
            let to = format!(
                "/c/{}",
                percent_encode(value_of(&form, "community").unwrap_or(""))
            );
            Ok(Redirect::to(&to).into_response())
        }
        Some("delete_account") => {
            me.require_session()?;
            crate::api::me::delete_account(
                &state,
                me,
                Some(value_of(&form, "confirm") == Some("1")),
            )
            .await?;
            Ok(signed_out(redirect_with_notice(
                "/",
                v.tr("Аккаунт удалён", "The account is deleted"),
            )))
        }
        Some("sign_out") => {
            crate::identity::tokens::revoke(
                state.runtime.shared().db.connection(),
                &me.person.id,
                &me.credential.credential_id,
                now_ms(),
            )
            .await?;
            Ok(signed_out(redirect_with_notice(
                "/",
                v.tr("Вы вышли", "You are signed out"),
            )))
        }
        _ => Err(AppError::invalid(
            "action",
            "Нет такого действия / No such action",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The inbox

async fn inbox(state: &AppState, v: &Visitor) -> Result<Page, AppError> {
    let me = v.principal.as_ref().expect("signed in");
    let items =
        crate::inbox::list(state.runtime.shared().db.connection(), &me.person.id, 100).await?;
    let en = v.locale == "en";
    let pick = |ru: &str, en_text: &str| -> String {
        if en && !en_text.trim().is_empty() || ru.trim().is_empty() {
            en_text.to_owned()
        } else {
            ru.to_owned()
        }
    };
    let unread = items.iter().filter(|i| i.read_at.is_none()).count();
    let rows = items
        .iter()
        .map(|item| {
            let title = pick(&item.title_ru, &item.title_en);
            let title_cell = match item
                .link
                .as_deref()
                .filter(|l| l.starts_with('/') && !l.starts_with("//"))
            {
                Some(link) => Cell::Link(tree::link_to_path(link, title)),
                None => tree::cell(title),
            };
            let mut row = tree::row(
                vec![
                    title_cell,
                    tree::cell(pick(&item.body_ru, &item.body_en)),
                    Cell::Datetime(item.created),
                    Cell::Badge(crate::runtime::latest::dvor::plugin::ui::Badge {
                        label: if item.read_at.is_none() {
                            v.tr("новое", "new")
                        } else {
                            v.tr("прочитано", "read")
                        }
                        .to_owned(),
                        tone: if item.read_at.is_none() {
                            Tone::Info
                        } else {
                            Tone::Neutral
                        },
                    }),
                ],
                if item.read_at.is_none() {
                    vec![tree::button(
                        "mark_read",
                        v.tr("Прочитано", "Mark read"),
                        &[("id", &item.id)],
                    )]
                } else {
                    Vec::new()
                },
            );
            if item.urgency == "high" && item.read_at.is_none() {
                row.tone = Tone::Warning;
            }
            row
        })
        .collect::<Vec<_>>();
    let mut blocks = Vec::new();
    if unread > 0 {
        blocks.push(Block::Buttons(vec![tree::button(
            "mark_all_read",
            v.tr("Отметить все прочитанными", "Mark all read"),
            &[],
        )]));
    }
    blocks.push(if rows.is_empty() {
        tree::empty(
            v.tr("Уведомлений нет", "No notifications"),
            v.tr(
                "Здесь появятся ответы на заявки и обращения, счета и новости ваших мест.",
                "Answers to your requests and appeals, bills and news of your places will appear here.",
            ),
            None,
        )
    } else {
        tree::table(
            &[
                (v.tr("Что", "What"), false),
                (v.tr("Подробно", "Details"), false),
                (v.tr("Когда", "When"), false),
                (v.tr("Статус", "Status"), false),
            ],
            rows,
            "",
        )
    });
    Ok(tree::page(
        v.tr("Уведомления", "Notifications"),
        vec![tree::plain(blocks)],
    ))
}

/// `GET /inbox`.
pub async fn inbox_page(
    State(state): State<AppState>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let v = Visitor::of(&state, &headers, &query).await;
    if let Err(to_sign_in) = v.signed_in("/inbox") {
        return Ok(to_sign_in.into_response());
    }
    let page = inbox(&state, &v).await?;
    Ok(draw(
        &state,
        &v,
        "inbox",
        &page,
        value_of(&query, "notice"),
        Refill::default(),
    )
    .await)
}

/// `POST /inbox?action=mark_read|mark_all_read`.
pub async fn inbox_action(
    State(state): State<AppState>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
    posted: super::PostedForm,
) -> Result<Response, AppError> {
    let form = posted.values;
    let v = Visitor::of(&state, &headers, &query).await;
    let me = match v.signed_in("/inbox") {
        Ok(me) => me,
        Err(to_sign_in) => return Ok(to_sign_in.into_response()),
    };
    let db = state.runtime.shared().db.connection();
    match value_of(&query, "action") {
        Some("mark_read") => {
            crate::inbox::mark_read(
                db,
                &me.person.id,
                value_of(&form, "id").unwrap_or(""),
                now_ms(),
            )
            .await?;
        }
        Some("mark_all_read") => {
            crate::inbox::mark_all_read(db, &me.person.id, now_ms()).await?;
        }
        _ => {
            return Err(AppError::invalid(
                "action",
                "Нет такого действия / No such action",
            ));
        }
    }
    Ok(Redirect::to("/inbox").into_response())
}

// ---------------------------------------------------------------------------------------------
// The language

/// `GET /lang/{ru|en}?back=/path`: remember the choice and go back.
pub async fn choose_language(
    Path(locale): Path<String>,
    Query(query): Query<Pairs>,
) -> Result<Response, AppError> {
    if !matches!(locale.as_str(), "ru" | "en") {
        return Err(AppError::invalid("locale", "`ru` или `en` / `ru` or `en`"));
    }
    let back = local_path_or(value_of(&query, "back"), "/");
    Ok(with_cookie(
        Redirect::to(back).into_response(),
        language_cookie(&locale),
    ))
}
