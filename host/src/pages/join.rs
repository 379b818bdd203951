//! Joining a house or an SNT in a browser: the invitation link (or its QR code) leads here
//! through the printed leaflet; a signed-out person signs in (or up) first and comes back.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::tree::{self, FieldExt};
use super::{Visitor, draw, form_with_error, redirect_with_notice, value_of};
use crate::api::joining::AcceptInput;
use crate::error::AppError;
use crate::http::{AppState, Refill};
use crate::identity::{joining, now_ms};
use crate::runtime::latest::dvor::plugin::ui::{Block, FieldKind, Page};

type Pairs = Vec<(String, String)>;

/// The join form for the place of invitation `id`, or why there is none.
async fn join_form(state: &AppState, v: &Visitor, id: &str) -> Result<Page, AppError> {
    let shared = state.runtime.shared();
    let invitation = if joining::is_invitation_id(id) {
        joining::invitation(shared.db.connection(), id).await?
    } else {
        None
    };
    let tree_now = shared.communities();
    let place = invitation
        .as_ref()
        .filter(|i| i.is_valid(now_ms()))
        .and_then(|i| tree_now.get(&i.community_id));
    let Some(place) = place else {
        return Ok(tree::page(
            v.tr("Приглашение не действует", "The invitation is not valid"),
            vec![tree::plain(vec![tree::empty(
                v.tr("Приглашение не действует", "The invitation is not valid"),
                v.tr(
                    "Его отозвали, срок истёк или ссылка неполная. Попросите новое у председателя или в управляющей компании.",
                    "It was revoked, has expired, or the link is incomplete. Ask the chairman or the management company for a new one.",
                ),
                None,
            )])],
        ));
    };
    let unit_label = match place.kind.as_str() {
        "snt" | "village" => v.tr("Номер участка", "Plot number"),
        "house" | "yard" => v.tr("Номер квартиры или помещения", "Flat or premises number"),
        _ => v.tr("Номер квартиры или участка", "Flat or plot number"),
    };
    let mut blocks = Vec::new();
    if let Some(address) = &place.address {
        blocks.push(Block::Paragraph(address.clone()));
    }
    blocks.push(Block::Paragraph(
        v.tr(
            "Заявку подтвердит председатель или управляющая компания. Собственники из реестра подтверждаются сразу.",
            "The chairman or the management company confirms the request. Owners from the register are confirmed at once.",
        )
        .to_owned(),
    ));
    blocks.push(tree::form(
        "apply",
        v.tr("Отправить заявку", "Send the request"),
        vec![
            tree::text("unit_number", unit_label, 20),
            tree::field(
                "claims_ownership",
                v.tr("Я собственник", "I am an owner"),
                FieldKind::Checkbox,
            ),
            tree::field(
                "note",
                v.tr("Комментарий для председателя", "A note for the chairman"),
                FieldKind::Multiline(1000),
            )
            .help(v.tr(
                "Например: «живу с 2019 года, собственник — мама»",
                "For example: \"I have lived here since 2019; my mother is the owner\"",
            )),
        ],
    ));
    Ok(tree::page(
        format!("{} {}", v.tr("Вступить:", "Join:"), place.name),
        vec![tree::plain(blocks)],
    ))
}

/// `GET /join/{id}/apply`.
pub async fn apply_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let v = Visitor::of(&state, &headers, &query).await;
    let route = format!("join/{id}/apply");
    if let Err(to_sign_in) = v.signed_in(&format!("/{route}")) {
        return Ok(to_sign_in.into_response());
    }
    let page = join_form(&state, &v, &id).await?;
    Ok(draw(&state, &v, &route, &page, None, Refill::default()).await)
}

/// `POST /join/{id}/apply?action=apply`.
pub async fn apply_action(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<Pairs>,
    headers: HeaderMap,
    posted: super::PostedForm,
) -> Result<Response, AppError> {
    let form = posted.values;
    let v = Visitor::of(&state, &headers, &query).await;
    let route = format!("join/{id}/apply");
    let me = match v.signed_in(&format!("/{route}")) {
        Ok(me) => me,
        Err(to_sign_in) => return Ok(to_sign_in.into_response()),
    };
    let input = AcceptInput {
        unit_number: value_of(&form, "unit_number").map(str::to_owned),
        claims_ownership: Some(value_of(&form, "claims_ownership") == Some("true")),
        note: value_of(&form, "note")
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned),
    };
    match crate::api::joining::accept(&state, me, &id, &input).await {
        Ok(request) => {
            let notice = if request.status == "approved" {
                v.tr(
                    "Вы вступили: адрес добавлен в профиль",
                    "You have joined: the address is in your profile",
                )
            } else {
                v.tr(
                    "Заявка отправлена: мы сообщим, когда её рассмотрят",
                    "The request is sent: we will tell you when it is decided",
                )
            };
            Ok(redirect_with_notice("/me", notice))
        }
        Err(error) => {
            let page = join_form(&state, &v, &id).await?;
            form_with_error(&state, &v, &route, &page, ("apply", &form), error).await
        }
    }
}
