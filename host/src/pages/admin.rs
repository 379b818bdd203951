//! Administration in a browser: the plugins and where they run, the places a person manages
//! with their units, members and join requests to verify, the organizations, and invitations.
//! Each page shows only what the person may manage; the actions go through the same checks as
//! the API.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::tree::{self, FieldExt};
use super::{
    Visitor, draw, form_with_error, manages_something, percent_encode, redirect_with_notice,
    value_of,
};
use crate::api::joining::ApprovalInput;
use crate::error::AppError;
use crate::http::{AppState, Refill};
use crate::identity::joining::{self, RequestFilter};
use crate::runtime::latest::dvor::plugin::ui::{Block, Cell, FieldKind, Page, Tone};

type Pairs = Vec<(String, String)>;

fn not_yours(v: &Visitor) -> AppError {
    AppError::forbidden(v.tr(
        "Эта страница — для администраторов, председателей, правлений и операторов",
        "This page is for admins, chairmen, boards and operators",
    ))
}

/// A kind of place, unit or organization for people.
fn kind_label(kind: &str, locale: &str) -> String {
    let (ru, en) = match kind {
        "region" => ("регион", "region"),
        "municipality" => ("муниципалитет", "municipality"),
        "settlement" => ("населённый пункт", "settlement"),
        "district" => ("район", "district"),
        "house" => ("дом", "house"),
        "snt" => ("СНТ", "garden cooperative"),
        "village" => ("посёлок", "village"),
        "yard" => ("двор", "yard"),
        "apartment" => ("квартира", "flat"),
        "plot" => ("участок", "plot"),
        "non-residential" => ("нежилое помещение", "non-residential"),
        "management-company" => ("управляющая компания", "management company"),
        "hoa" => ("ТСЖ", "homeowners' association"),
        "supplier" => ("поставщик услуг", "utility supplier"),
        "business" => ("бизнес", "business"),
        "government" => ("орган власти", "government"),
        "snt-board" => ("правление СНТ", "cooperative board"),
        other => (other, other),
    };
    if locale == "en" { en } else { ru }.to_owned()
}

/// A badge cell of a table on the admin pages.
pub(super) fn badge(label: &str, tone: Tone) -> Cell {
    Cell::Badge(crate::runtime::latest::dvor::plugin::ui::Badge {
        label: label.to_owned(),
        tone,
    })
}

/// `GET /admin`: the plugins, the places the person manages, the organizations.
pub async fn overview_page(
    State(state): State<AppState>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let v = Visitor::of(&state, &headers, &query).await;
    let me = match v.signed_in("/admin") {
        Ok(me) => me,
        Err(to_sign_in) => return Ok(to_sign_in.into_response()),
    };
    if !manages_something(me) {
        return Err(not_yours(&v));
    }
    let authority = me.authority();
    let shared = state.runtime.shared();
    let places = shared.communities();
    let mut sections = Vec::new();

    let managed: Vec<_> = places
        .roots()
        .into_iter()
        .flat_map(|root| std::iter::once(root).chain(places.descendants(&root.id, None)))
        .filter(|c| authority.manages_members_of(&c.id) || authority.handles_cases_in(&c.id))
        .collect();
    let rows = managed
        .iter()
        .map(|c| {
            tree::row(
                vec![
                    Cell::Link(tree::link(
                        format!("admin/c/{}", percent_encode(&c.id)),
                        &c.name,
                    )),
                    tree::cell(kind_label(&c.kind, &v.locale)),
                    tree::cell(c.address.clone().unwrap_or_default()),
                ],
                Vec::new(),
            )
        })
        .collect();
    sections.push(tree::section(
        v.tr("Места", "Places"),
        vec![tree::table(
            &[
                (v.tr("Место", "Place"), false),
                (v.tr("Вид", "Kind"), false),
                (v.tr("Адрес", "Address"), false),
            ],
            rows,
            v.tr("Вы не управляете ни одним местом", "You manage no place"),
        )],
    ));

    let plugin_rows = state
        .runtime
        .plugins()
        .values()
        .map(|p| {
            tree::row(
                vec![
                    tree::cell(if v.locale == "en" && !p.manifest.name.en.is_empty() {
                        &p.manifest.name.en
                    } else {
                        &p.manifest.name.ru
                    }),
                    tree::cell(p.id()),
                    tree::cell(p.manifest.version.to_string()),
                    tree::cell(p.contract.to_string()),
                    tree::cell(p.enabled_for.join(", ")),
                    badge(v.tr("работает", "running"), Tone::Success),
                ],
                Vec::new(),
            )
        })
        .collect();
    sections.push(tree::section(
        v.tr("Плагины", "Plugins"),
        vec![tree::table(
            &[
                (v.tr("Плагин", "Plugin"), false),
                ("id", false),
                (v.tr("Версия", "Version"), false),
                (v.tr("Контракт", "Contract"), false),
                (v.tr("Включён для", "Enabled for"), false),
                (v.tr("Статус", "Status"), false),
            ],
            plugin_rows,
            v.tr("Плагинов нет", "No plugins"),
        )],
    ));

    let organizations = crate::identity::organizations::list(shared.db.connection()).await?;
    let org_rows = organizations
        .iter()
        .map(|o| {
            tree::row(
                vec![
                    tree::cell(&o.name),
                    tree::cell(kind_label(&o.kind, &v.locale)),
                    tree::cell(
                        o.serves
                            .iter()
                            .map(|c| places.get(c).map_or(c.clone(), |c| c.name.clone()))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ],
                Vec::new(),
            )
        })
        .collect();
    sections.push(tree::section(
        v.tr("Организации", "Organizations"),
        vec![tree::table(
            &[
                (v.tr("Организация", "Organization"), false),
                (v.tr("Вид", "Kind"), false),
                (v.tr("Обслуживает", "Serves"), false),
            ],
            org_rows,
            v.tr("Организаций нет", "No organizations"),
        )],
    ));
    let page = tree::page(v.tr("Управление", "Administration"), sections);
    Ok(draw(
        &state,
        &v,
        "admin",
        &page,
        value_of(&query, "notice"),
        Refill::default(),
    )
    .await)
}

/// The page of one managed place.
async fn place_page(state: &AppState, v: &Visitor, community: &str) -> Result<Page, AppError> {
    let me = v.principal.as_ref().expect("signed in");
    let shared = state.runtime.shared();
    let places = shared.communities();
    let place = places
        .get(community)
        .ok_or_else(|| AppError::not_found(format!("no community `{community}`")))?;
    let authority = me.authority();
    let manages_members = authority.manages_members_of(community);
    if !manages_members && !authority.handles_cases_in(community) {
        return Err(not_yours(v));
    }
    let db = shared.db.connection();
    let mut sections = Vec::new();

    if manages_members {
        let pending = joining::join_requests(
            db,
            &RequestFilter {
                communities: Some(vec![community.to_owned()]),
                status: Some("pending".to_owned()),
                limit: 100,
                ..Default::default()
            },
        )
        .await?;
        let mut rows = Vec::new();
        for request in &pending {
            let who = crate::identity::people::by_id(db, &request.person_id)
                .await?
                .map(|p| p.display_name)
                .unwrap_or_default();
            let mut actions = vec![tree::button(
                "approve",
                v.tr("Принять", "Approve"),
                &[("id", &request.id)],
            )];
            if request.claims_ownership {
                actions.push(tree::button(
                    "approve_verified",
                    v.tr(
                        "Принять, собственность подтверждена",
                        "Approve, ownership verified",
                    ),
                    &[("id", &request.id)],
                ));
            }
            rows.push(tree::row(
                vec![
                    tree::cell(who),
                    tree::cell(request.unit_number.clone().unwrap_or_default()),
                    if request.claims_ownership {
                        badge(v.tr("собственник", "owner"), Tone::Info)
                    } else {
                        badge(v.tr("житель", "resident"), Tone::Neutral)
                    },
                    tree::cell(request.note.clone().unwrap_or_default()),
                    Cell::Datetime(request.created),
                ],
                actions,
            ));
        }
        let mut blocks = vec![tree::table(
            &[
                (v.tr("Кто", "Who"), false),
                (v.tr("Номер", "Unit"), false),
                (v.tr("Как", "As"), false),
                (v.tr("Комментарий", "Note"), false),
                (v.tr("Когда", "When"), false),
            ],
            rows,
            v.tr("Новых заявок нет", "No new requests"),
        )];
        if !pending.is_empty() {
            blocks.push(tree::form(
                "reject",
                v.tr("Отклонить заявку", "Reject a request"),
                vec![
                    tree::select(
                        "id",
                        v.tr("Заявка", "Request"),
                        &pending
                            .iter()
                            .map(|r| (r.id.as_str(), r.unit_number.as_deref().unwrap_or("—")))
                            .collect::<Vec<_>>(),
                    )
                    .required(),
                    tree::field(
                        "reason",
                        v.tr(
                            "Причина (её увидит человек)",
                            "The reason (the person sees it)",
                        ),
                        FieldKind::Multiline(1000),
                    )
                    .required(),
                ],
            ));
        }
        sections.push(tree::section(
            v.tr("Заявки на вступление", "Requests to join"),
            blocks,
        ));
        sections.push(tree::section(
            v.tr("Приглашения", "Invitations"),
            vec![
                Block::Paragraph(
                    v.tr(
                        "Ссылка и QR-код для жителей: распечатайте листовку и повесьте у входа.",
                        "A link and a QR code for residents: print the leaflet and put it up at the entrance.",
                    )
                    .to_owned(),
                ),
                tree::form(
                    "invite",
                    v.tr("Создать приглашение", "Make an invitation"),
                    vec![
                        tree::field(
                            "expires_in_days",
                            v.tr("Действует дней", "Valid for days"),
                            FieldKind::Number(0),
                        )
                        .value("30"),
                    ],
                ),
            ],
        ));
    }

    if manages_members {
        sections.extend(super::staff::sections(state, v, me, community).await?);
    }

    if crate::announcements::may_publish(&authority, community) {
        let published = crate::announcements::published_at(db, community, 20).await?;
        let now = crate::identity::now_ms();
        let rows = published
            .iter()
            .map(|a| {
                let current = a.until.is_none_or(|until| until > now);
                tree::row(
                    vec![
                        tree::cell(&a.title),
                        Cell::Datetime(a.created),
                        a.until.map_or(Cell::Empty, Cell::Date),
                        if current {
                            badge(v.tr("показывается", "shown"), Tone::Success)
                        } else {
                            badge(v.tr("истекло", "expired"), Tone::Neutral)
                        },
                    ],
                    vec![tree::button(
                        "take_down",
                        v.tr("Снять", "Take down"),
                        &[("id", &a.id)],
                    )],
                )
            })
            .collect();
        sections.push(tree::section(
            v.tr("Объявления", "Announcements"),
            vec![
                tree::form(
                    "announce",
                    v.tr("Опубликовать", "Publish"),
                    vec![
                        tree::text("title", v.tr("Заголовок", "Title"), 200).required(),
                        tree::field("text", v.tr("Текст", "Text"), FieldKind::Multiline(4000))
                            .required(),
                        tree::field(
                            "until",
                            v.tr("Показывать до", "Show until"),
                            FieldKind::Date,
                        )
                        .help(v.tr(
                            "Включительно. Пусто — пока не снимете.",
                            "Inclusive. Empty: until you take it down.",
                        )),
                    ],
                ),
                tree::table(
                    &[
                        (v.tr("Заголовок", "Title"), false),
                        (v.tr("Опубликовано", "Published"), false),
                        (v.tr("До", "Until"), false),
                        (v.tr("Статус", "Status"), false),
                    ],
                    rows,
                    v.tr("Объявлений нет", "No announcements"),
                ),
            ],
        ));
    }

    let mut unit_rows = Vec::new();
    for unit in crate::directory::units(db, community).await? {
        unit_rows.push(tree::row(
            vec![
                tree::cell(&unit.number),
                tree::cell(kind_label(&unit.kind, &v.locale)),
                Cell::Decimal(crate::runtime::latest::dvor::plugin::types::Decimal {
                    value: unit.area_centi_m2 as i64,
                    scale: 2,
                }),
            ],
            Vec::new(),
        ));
    }
    let mut unit_blocks = vec![tree::table(
        &[
            (v.tr("Номер", "Number"), false),
            (v.tr("Вид", "Kind"), false),
            (v.tr("Площадь, м²", "Area, m²"), true),
        ],
        unit_rows,
        v.tr("Помещений нет", "No units"),
    )];
    if authority.is_admin_of(community) {
        unit_blocks.push(Block::Heading(
            v.tr("Добавить или изменить", "Add or change").to_owned(),
        ));
        unit_blocks.push(tree::form(
            "save_unit",
            v.tr("Сохранить", "Save"),
            vec![
                tree::text("number", v.tr("Номер", "Number"), 20).required(),
                tree::select(
                    "kind",
                    v.tr("Вид", "Kind"),
                    &[
                        ("apartment", v.tr("Квартира", "Flat")),
                        ("plot", v.tr("Участок", "Plot")),
                        (
                            "non-residential",
                            v.tr("Нежилое помещение", "Non-residential"),
                        ),
                    ],
                )
                .required(),
                tree::field(
                    "area",
                    v.tr("Площадь, м²", "Area, m²"),
                    FieldKind::Number(2),
                )
                .required(),
                tree::text(
                    "cadastral_number",
                    v.tr("Кадастровый номер", "Cadastral number"),
                    40,
                ),
            ],
        ));
    }
    sections.push(tree::section(
        v.tr("Помещения и участки", "Units"),
        unit_blocks,
    ));

    let members = crate::api::communities::members(state, community, None, 200).await?;
    let member_rows = members
        .iter()
        .map(|m| {
            tree::row(
                vec![
                    tree::cell(&m.display_name),
                    tree::cell(m.phone.clone().unwrap_or_default()),
                    tree::cell(
                        m.roles
                            .iter()
                            .map(|r| super::account::role_label(&r.name, &v.locale))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ],
                Vec::new(),
            )
        })
        .collect();
    sections.push(tree::section(
        v.tr("Люди", "People"),
        vec![tree::table(
            &[
                (v.tr("Имя", "Name"), false),
                (v.tr("Телефон", "Phone"), false),
                (v.tr("Роли", "Roles"), false),
            ],
            member_rows,
            v.tr("Пока никого", "Nobody yet"),
        )],
    ));
    let mut page = tree::page(place.name.clone(), sections);
    page.breadcrumbs = vec![tree::link("admin", v.tr("Управление", "Administration"))];
    Ok(page)
}

/// `GET /admin/c/{community}`.
pub async fn community_page(
    State(state): State<AppState>,
    Path(community): Path<String>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let v = Visitor::of(&state, &headers, &query).await;
    let route = format!("admin/c/{community}");
    if let Err(to_sign_in) = v.signed_in(&format!("/{route}")) {
        return Ok(to_sign_in.into_response());
    }
    let page = place_page(&state, &v, &community).await?;
    Ok(draw(
        &state,
        &v,
        &route,
        &page,
        value_of(&query, "notice"),
        Refill::default(),
    )
    .await)
}

/// `POST /admin/c/{community}?action=approve|approve_verified|reject|invite|grant_role|
/// remove_role|revoke_invitation|…`.
pub async fn community_action(
    State(state): State<AppState>,
    Path(community): Path<String>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
    posted: super::PostedForm,
) -> Result<Response, AppError> {
    let form = posted.values;
    let v = Visitor::of(&state, &headers, &query).await;
    let route = format!("admin/c/{community}");
    let here = format!("/admin/c/{}", percent_encode(&community));
    let me = match v.signed_in(&here) {
        Ok(me) => me,
        Err(to_sign_in) => return Ok(to_sign_in.into_response()),
    };
    let id = value_of(&form, "id").unwrap_or("");
    let staff_action = match value_of(&query, "action") {
        Some(action) => super::staff::act(&state, &v, me, &community, action, &form, &here).await,
        None => None,
    };
    let outcome = if let Some(outcome) = staff_action {
        outcome
    } else {
        match value_of(&query, "action") {
            Some(action @ ("approve" | "approve_verified")) => crate::api::joining::approve(
                &state,
                me,
                id,
                &ApprovalInput {
                    verify_ownership: Some(action == "approve_verified"),
                    share: None,
                },
            )
            .await
            .map(|_| {
                redirect_with_notice(&here, v.tr("Заявка принята", "The request is approved"))
            }),
            Some("reject") => {
                crate::api::joining::reject(&state, me, id, value_of(&form, "reason"))
                    .await
                    .map(|_| {
                        redirect_with_notice(
                            &here,
                            v.tr("Заявка отклонена", "The request is rejected"),
                        )
                    })
            }
            Some("announce") => {
                let input = crate::api::announcements::AnnouncementInput {
                    title: value_of(&form, "title").map(str::to_owned),
                    text: value_of(&form, "text").map(str::to_owned),
                    // A date field left empty is no end date.
                    until: value_of(&form, "until")
                        .filter(|d| !d.is_empty())
                        .map(str::to_owned),
                };
                crate::api::announcements::publish(&state, me, &community, &input)
                    .await
                    .map(|_| {
                        redirect_with_notice(
                            &here,
                            v.tr("Объявление опубликовано", "The announcement is published"),
                        )
                    })
            }
            Some("take_down") => crate::api::announcements::take_down(&state, me, &community, id)
                .await
                .map(|()| {
                    redirect_with_notice(
                        &here,
                        v.tr("Объявление снято", "The announcement is taken down"),
                    )
                }),
            Some("save_unit") => {
                let number = value_of(&form, "number").unwrap_or("").trim().to_owned();
                let input = crate::api::communities::UnitInput {
                    kind: value_of(&form, "kind").map(str::to_owned),
                    // The page takes a decimal comma as people type it.
                    area: value_of(&form, "area").map(|a| a.trim().replace(',', ".")),
                    cadastral_number: value_of(&form, "cadastral_number")
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned),
                };
                crate::api::communities::put_unit(&state, me, &community, &number, input)
                    .await
                    .map(|unit| {
                        redirect_with_notice(
                            &here,
                            &format!("{} {}", v.tr("Сохранено:", "Saved:"), unit.number),
                        )
                    })
            }
            Some("invite") => {
                let days = match value_of(&form, "expires_in_days").map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(text) => text.parse::<u32>().map(Some).map_err(|_| {
                        AppError::invalid(
                            "expires_in_days",
                            "Введите число дней / Enter a number of days",
                        )
                    }),
                };
                match days {
                    Ok(days) => crate::api::joining::invite(&state, me, &community, days)
                        .await
                        .map(|invitation| {
                            Redirect::to(&format!("/join/{}", invitation.id)).into_response()
                        }),
                    Err(error) => Err(error),
                }
            }
            _ => Err(AppError::invalid(
                "action",
                "Нет такого действия / No such action",
            )),
        }
    };
    match outcome {
        Ok(response) => Ok(response),
        Err(error) => {
            let page = place_page(&state, &v, &community).await?;
            form_with_error(
                &state,
                &v,
                &route,
                &page,
                (value_of(&query, "action").unwrap_or(""), &form),
                error,
            )
            .await
        }
    }
}
