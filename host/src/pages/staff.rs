//! The staff of a place on its admin page: who holds which staff role there (granted to a person
//! found by name, phone or e-mail, removed after a confirmation), and the invitations sent to
//! join it (made when, by whom, for what, how many asked with it and were accepted, until when,
//! revoked after a confirmation). Every change goes through the API's own functions, so the same
//! checks and the same audit entries apply.

use std::collections::BTreeMap;

use super::account::role_label;
use super::tree::{self, FieldExt};
use super::{Visitor, redirect_with_notice, value_of};
use crate::api::extract::Principal;
use crate::api::roles::GrantRequest;
use crate::error::AppError;
use crate::http::AppState;
use crate::identity::joining::{self, RequestFilter};
use crate::identity::people::{self, Person};
use crate::identity::roles::{self, Authority};
use crate::runtime::latest::dvor::plugin::ui::{Block, Cell, Section, Tone};
use axum::response::Response;

/// Community roles of staff, in the order the form offers them (residents and members join
/// through requests and the register, not here).
const STAFF_COMMUNITY_ROLES: [&str; 4] = ["chairman", "board", "moderator", "admin"];

/// Roles the page lists as staff: everything granted but living there.
fn is_staff_role(role: &str) -> bool {
    !matches!(role, "resident" | "snt-member")
}

/// `Оператор`, from `оператор`: a label that starts a line.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// What may be granted at `community` by this visitor: `(value, label)`, a value being a role
/// (`chairman`) or a role in an organization (`operator@org`).
async fn grantable(
    state: &AppState,
    v: &Visitor,
    authority: &Authority<'_>,
    community: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let shared = state.runtime.shared();
    let places = shared.communities();
    let db = shared.db.connection();
    let mut out = Vec::new();
    let is_snt = places.get(community).is_some_and(|c| c.kind == "snt");
    for role in STAFF_COMMUNITY_ROLES
        .iter()
        .chain(is_snt.then_some(&"snt-member"))
    {
        if authority.may_grant_in_community(role, community) {
            out.push((
                (*role).to_owned(),
                capitalized(&role_label(role, &v.locale)),
            ));
        }
    }
    let areas = roles::organization_areas(db).await?;
    for organization in crate::identity::organizations::list(db).await? {
        let Some(served) = areas.get(&organization.id) else {
            continue;
        };
        if !served
            .iter()
            .any(|a| places.is_within(community, a) || places.is_within(a, community))
        {
            continue;
        }
        let staff: &[&str] = if organization.kind == "government" {
            &["official"]
        } else {
            &["operator", "executor"]
        };
        for role in staff {
            if authority.may_grant_in_organization(role, &organization.id, served) {
                out.push((
                    format!("{role}@{}", organization.id),
                    format!(
                        "{} — {}",
                        capitalized(&role_label(role, &v.locale)),
                        organization.name
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// The person a manager means by what they typed: a phone, an e-mail, or the name of someone
/// of the place. Errors name the field `who` and say what to type instead.
async fn find_person(
    state: &AppState,
    v: &Visitor,
    community: &str,
    typed: &str,
) -> Result<Person, AppError> {
    let typed = typed.trim();
    let db = state.runtime.shared().db.connection();
    let unknown = || {
        AppError::unprocessable(
            "who",
            v.tr(
                "Такого человека не нашлось. Введите его телефон или e-mail; человек должен хотя бы раз войти в dvor",
                "Nobody found. Enter their phone or e-mail; the person must have signed in to dvor once",
            ),
        )
    };
    if typed.is_empty() {
        return Err(AppError::invalid(
            "who",
            v.tr(
                "Введите имя, телефон или e-mail",
                "Enter a name, a phone or an e-mail",
            ),
        ));
    }
    if typed.contains('@') {
        let mut found = people::with_email(db, typed).await?;
        return match found.len() {
            0 => Err(unknown()),
            1 => Ok(found.remove(0)),
            _ => Err(AppError::unprocessable(
                "who",
                v.tr(
                    "Этот e-mail указали несколько человек — введите телефон",
                    "Several people gave this e-mail: enter the phone",
                ),
            )),
        };
    }
    if typed.chars().any(|c| c.is_ascii_digit()) {
        let Some(phone) = crate::identity::phone::normalize(typed) else {
            return Err(AppError::unprocessable(
                "who",
                v.tr(
                    "Это не номер телефона: например, +7 900 555-01-02",
                    "Not a phone number: for example, +7 900 555-01-02",
                ),
            ));
        };
        return people::by_phone(db, &phone).await?.ok_or_else(unknown);
    }
    // A name: among the people of the place (neighbours are found by name, others by phone).
    let wanted = typed.to_lowercase();
    let members = crate::api::communities::members(state, community, None, 200).await?;
    let named = |m: &&crate::api::communities::PersonView| {
        let name = m.display_name.to_lowercase();
        let reversed = name.split_whitespace().rev().collect::<Vec<_>>().join(" ");
        name == wanted || reversed == wanted
    };
    let mut matches: Vec<_> = members.iter().filter(named).collect();
    if matches.is_empty() {
        matches = members
            .iter()
            .filter(|m| m.display_name.to_lowercase().contains(&wanted))
            .collect();
    }
    match matches.as_slice() {
        [] => Err(unknown()),
        [one] => people::by_id(db, &one.id).await?.ok_or_else(unknown),
        many => Err(AppError::unprocessable(
            "who",
            format!(
                "{} {} — {}",
                v.tr("Нашлось несколько:", "Several found:"),
                many.iter()
                    .map(|m| m.display_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                v.tr("введите телефон", "enter the phone"),
            ),
        )),
    }
}

/// The "staff" and "invitations sent" sections of a place's admin page, for those who manage
/// its members.
pub async fn sections(
    state: &AppState,
    v: &Visitor,
    me: &Principal,
    community: &str,
) -> Result<Vec<Section>, AppError> {
    let authority = me.authority();
    let shared = state.runtime.shared();
    let places = shared.communities();
    let db = shared.db.connection();
    let organizations: BTreeMap<String, crate::identity::organizations::Organization> =
        crate::identity::organizations::list(db)
            .await?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
    let areas = roles::organization_areas(db).await?;
    let mut names = Names::default();

    let mut rows = Vec::new();
    for grant in crate::api::roles::grants_of_place(state, me, community).await? {
        if !is_staff_role(&grant.role) {
            continue;
        }
        let who = names.of(db, v, &grant.person_id).await?;
        let role = capitalized(&role_label(&grant.role, &v.locale));
        let (role, place, may_remove) = match (&grant.organization_id, &grant.community_id) {
            (Some(org), _) => (
                format!(
                    "{role} — {}",
                    organizations.get(org).map_or(org.as_str(), |o| &o.name)
                ),
                areas
                    .get(org)
                    .map(|served| {
                        served
                            .iter()
                            .map(|c| places.get(c).map_or(c.clone(), |c| c.name.clone()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                areas.get(org).is_some_and(|served| {
                    authority.may_grant_in_organization(&grant.role, org, served)
                }),
            ),
            (None, Some(c)) => (
                role,
                places.get(c).map_or(c.clone(), |c| c.name.clone()),
                authority.may_grant_in_community(&grant.role, c),
            ),
            (None, None) => (
                role,
                v.tr("весь экземпляр", "the whole instance").to_owned(),
                authority.is_instance_admin() && grant.person_id != me.person.id,
            ),
        };
        let id = grant.id.to_string();
        let actions = if may_remove {
            let mut button = tree::button(
                "remove_role",
                v.tr("Снять роль", "Remove the role"),
                &[("id", &id)],
            );
            button.confirm = Some(format!(
                "{} «{role}» — {who}?",
                v.tr("Снять роль", "Remove the role")
            ));
            button.tone = Tone::Danger;
            vec![button]
        } else {
            Vec::new()
        };
        rows.push(tree::row(
            vec![
                tree::cell(who),
                tree::cell(role),
                tree::cell(place),
                Cell::Date(grant.created),
            ],
            actions,
        ));
    }
    let mut staff_blocks = vec![tree::table(
        &[
            (v.tr("Кто", "Who"), false),
            (v.tr("Роль", "Role"), false),
            (v.tr("Где", "Where"), false),
            (v.tr("С", "Since"), false),
        ],
        rows,
        v.tr("Сотрудников пока нет", "No staff yet"),
    )];
    let offered = grantable(state, v, &authority, community).await?;
    if !offered.is_empty() {
        staff_blocks.push(Block::Heading(v.tr("Дать роль", "Grant a role").to_owned()));
        staff_blocks.push(tree::form(
            "grant_role",
            v.tr("Дать роль", "Grant the role"),
            vec![
                tree::text("who", v.tr("Кто", "Who"), 200)
                    .required()
                    .help(v.tr(
                        "Имя человека этого места, телефон или e-mail",
                        "The name of someone of this place, a phone or an e-mail",
                    )),
                tree::select(
                    "role",
                    v.tr("Роль", "Role"),
                    &offered
                        .iter()
                        .map(|(value, label)| (value.as_str(), label.as_str()))
                        .collect::<Vec<_>>(),
                )
                .required(),
            ],
        ));
    }

    let requests = joining::join_requests(
        db,
        &RequestFilter {
            communities: Some(vec![community.to_owned()]),
            limit: 200,
            ..Default::default()
        },
    )
    .await?;
    let now = crate::identity::now_ms();
    let mut invitation_rows = Vec::new();
    for invitation in joining::invitations_to(db, community).await? {
        let asked = requests
            .iter()
            .filter(|r| r.invitation_id.as_deref() == Some(invitation.id.as_str()));
        let accepted = asked.clone().filter(|r| r.status == "approved").count();
        let asked = asked
            .count()
            .max(usize::try_from(invitation.uses).unwrap_or(0));
        let status = if invitation.revoked.is_some() {
            super::admin::badge(v.tr("отозвано", "revoked"), Tone::Neutral)
        } else if invitation.is_valid(now) {
            super::admin::badge(v.tr("действует", "valid"), Tone::Success)
        } else {
            super::admin::badge(v.tr("истекло", "expired"), Tone::Neutral)
        };
        let mut actions = Vec::new();
        if invitation.is_valid(now) {
            let mut button = tree::button(
                "revoke_invitation",
                v.tr("Отозвать", "Revoke"),
                &[("id", &invitation.id)],
            );
            button.confirm = Some(
                v.tr(
                    "Отозвать приглашение? Ссылка и листовка перестанут работать.",
                    "Revoke the invitation? The link and the leaflet stop working.",
                )
                .to_owned(),
            );
            button.tone = Tone::Danger;
            actions.push(button);
        }
        let mut row = tree::row(
            vec![
                Cell::Datetime(invitation.created),
                tree::cell(names.of(db, v, &invitation.created_by).await?),
                tree::cell(v.tr(
                    "всем по ссылке и QR-коду — житель",
                    "anyone with the link or QR code: resident",
                )),
                invitation
                    .expires
                    .map_or_else(|| tree::cell(v.tr("бессрочно", "no end")), Cell::Date),
                tree::cell(format!(
                    "{} {asked}, {} {accepted}",
                    v.tr("заявок", "requests"),
                    v.tr("принято", "accepted")
                )),
                status,
            ],
            actions,
        );
        if invitation.is_valid(now) {
            row.link = Some(tree::link(
                format!("join/{}", invitation.id),
                v.tr("Листовка", "Leaflet"),
            ));
        }
        invitation_rows.push(row);
    }
    let invitations = tree::section(
        v.tr("Отправленные приглашения", "Invitations sent"),
        vec![tree::table(
            &[
                (v.tr("Создано", "Made"), false),
                (v.tr("Кем", "By"), false),
                (v.tr("Кому и роль", "To whom, as"), false),
                (v.tr("Действует до", "Valid until"), false),
                (v.tr("Вступили", "Joined"), false),
                (v.tr("Статус", "Status"), false),
            ],
            invitation_rows,
            v.tr("Приглашений ещё не было", "No invitations yet"),
        )],
    );
    Ok(vec![
        tree::section(v.tr("Сотрудники и роли", "Staff and roles"), staff_blocks),
        invitations,
    ])
}

/// People's names, each looked up once per page.
#[derive(Default)]
struct Names(BTreeMap<String, String>);

impl Names {
    async fn of<C: sea_orm::ConnectionTrait>(
        &mut self,
        db: &C,
        v: &Visitor,
        id: &str,
    ) -> Result<String, AppError> {
        if let Some(name) = self.0.get(id) {
            return Ok(name.clone());
        }
        let name = people::by_id(db, id)
            .await?
            .map_or_else(|| v.tr("удалён", "deleted").to_owned(), |p| p.display_name);
        self.0.insert(id.to_owned(), name.clone());
        Ok(name)
    }
}

/// The page's staff actions: `grant_role`, `remove_role`, `revoke_invitation`; `None` for any
/// other action. Removing and revoking need the ticked confirmation.
pub async fn act(
    state: &AppState,
    v: &Visitor,
    me: &Principal,
    community: &str,
    action: &str,
    form: &[(String, String)],
    here: &str,
) -> Option<Result<Response, AppError>> {
    let confirmed = || {
        if value_of(form, "confirm") == Some("1") {
            Ok(())
        } else {
            Err(AppError::invalid(
                "confirm",
                v.tr("Подтвердите действие галочкой", "Confirm with the checkbox"),
            ))
        }
    };
    let id = value_of(form, "id").unwrap_or("");
    Some(match action {
        "grant_role" => grant(state, v, me, community, form, here).await,
        "remove_role" => match (confirmed(), id.parse::<i64>()) {
            (Err(e), _) => Err(e),
            (Ok(()), Err(_)) => Err(AppError::invalid(
                "id",
                v.tr("Нет такой роли", "No such grant"),
            )),
            (Ok(()), Ok(grant)) => crate::api::roles::revoke(state, me, grant)
                .await
                .map(|()| redirect_with_notice(here, v.tr("Роль снята", "The role is removed"))),
        },
        "revoke_invitation" => match confirmed() {
            Err(e) => Err(e),
            Ok(()) => crate::api::joining::revoke(state, me, id).await.map(|()| {
                redirect_with_notice(
                    here,
                    v.tr("Приглашение отозвано", "The invitation is revoked"),
                )
            }),
        },
        _ => return None,
    })
}

async fn grant(
    state: &AppState,
    v: &Visitor,
    me: &Principal,
    community: &str,
    form: &[(String, String)],
    here: &str,
) -> Result<Response, AppError> {
    let person = find_person(state, v, community, value_of(form, "who").unwrap_or("")).await?;
    let chosen = value_of(form, "role").unwrap_or("");
    let offered = grantable(state, v, &me.authority(), community).await?;
    let Some((_, label)) = offered.iter().find(|(value, _)| value == chosen) else {
        return Err(AppError::invalid(
            "role",
            v.tr("Выберите роль из списка", "Choose a role from the list"),
        ));
    };
    let (role, organization) = match chosen.split_once('@') {
        Some((role, organization)) => (role, Some(organization.to_owned())),
        None => (chosen, None),
    };
    let granted = crate::api::roles::grant(
        state,
        me,
        GrantRequest {
            person: Some(person.id.clone()),
            role: Some(role.to_owned()),
            community: organization.is_none().then(|| community.to_owned()),
            organization,
        },
    )
    .await?;
    let said = if granted.created {
        v.tr("Роль дана", "The role is granted")
    } else {
        v.tr(
            "Эта роль у человека уже есть",
            "The person holds this role already",
        )
    };
    Ok(redirect_with_notice(
        here,
        &format!("{said}: {} — {label}", person.display_name),
    ))
}
