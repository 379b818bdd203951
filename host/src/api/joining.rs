//! Joining a community: invitations with their QR code and printable leaflet, join requests
//! and their decisions, and the owners' register import. The work is done in
//! [`crate::identity::joining`]; these handlers check who asks and keep every write in one
//! transaction.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::communities::CommunityView;
use super::extract::{JsonBody, Principal, SignedIn};
use super::page::{Page, PageQuery};
use crate::communities::Community;
use crate::error::{AppError, ErrorBody};
use crate::http::{AppState, html, locale_of};
use crate::identity::joining::{
    self, Application, Approval, ImportError, ImportSummary, Invitation, JoinRequest, Problem,
    RequestFilter,
};
use crate::identity::{membership, now_ms, people};
use crate::web;

/// The routes of joining: the API, the leaflet page and its stylesheet.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_invitation, list_invitations))
        .routes(routes!(get_invitation, revoke_invitation))
        .routes(routes!(invitation_qr))
        .routes(routes!(accept_invitation))
        .routes(routes!(community_requests))
        .routes(routes!(my_requests))
        .routes(routes!(approve_request))
        .routes(routes!(reject_request))
        .routes(routes!(import_register))
        .route("/join/{id}", get(leaflet))
        .route(LEAFLET_CSS_PATH, get(leaflet_stylesheet))
}

/// The longest an invitation may last, in days.
const MAX_INVITATION_DAYS: u32 = 3650;

fn no_such_place() -> AppError {
    AppError::not_found("Нет такого места / No such place").with_field("community")
}

fn no_such_invitation() -> AppError {
    AppError::not_found("Нет такого приглашения / No such invitation").with_field("id")
}

fn expired_invitation() -> AppError {
    AppError::new(
        StatusCode::GONE,
        "expired",
        "Приглашение отозвано или истекло: попросите новое у председателя или управляющей компании / The invitation was revoked or has expired: ask the chairman or the management company for a new one",
    )
    .with_field("id")
}

fn not_a_manager() -> AppError {
    AppError::forbidden(
        "Это делают председатель, правление, оператор управляющей компании или администратор / This is for the chairman, the board, an operator of the management company or an admin",
    )
}

/// The community `id` in the tree, or 404.
fn community_of(tree: &crate::communities::Communities, id: &str) -> Result<Community, AppError> {
    tree.get(id).cloned().ok_or_else(no_such_place)
}

// ---------------------------------------------------------------------------------------------
// Invitations

/// Where an invitation leads: the join link (also the leaflet to print) and its QR code.
fn links(state: &AppState, id: &str) -> (String, String) {
    let base = &state.identity.public_url;
    (
        format!("{base}/join/{id}"),
        format!("{base}/api/invitations/{id}/qr.svg"),
    )
}

/// An invitation as its managers see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    /// The invitation's id (a long random token).
    pub id: String,
    /// The community it invites to.
    pub community: String,
    /// Who made it.
    pub created_by: String,
    /// When, ms since the epoch.
    pub created: i64,
    /// When it stops working; none: never.
    pub expires: Option<i64>,
    /// When it was revoked.
    pub revoked: Option<i64>,
    /// How many requests were made with it.
    pub uses: i32,
    /// Whether it still works.
    pub valid: bool,
    /// The link to follow (the QR code encodes it).
    pub url: String,
    /// The QR code, SVG.
    pub qr_svg_url: String,
    /// The printable A4 leaflet (Russian; `?lang=en` for English).
    pub leaflet_url: String,
}

impl InvitationView {
    fn of(state: &AppState, invitation: Invitation, now: i64) -> Self {
        let (url, qr_svg_url) = links(state, &invitation.id);
        InvitationView {
            valid: invitation.is_valid(now),
            leaflet_url: url.clone(),
            url,
            qr_svg_url,
            id: invitation.id,
            community: invitation.community_id,
            created_by: invitation.created_by,
            created: invitation.created,
            expires: invitation.expires,
            revoked: invitation.revoked,
            uses: invitation.uses,
        }
    }
}

/// An invitation to make.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    /// Days until it stops working (1 to 3650); none: it works until revoked.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// Make an invitation to a place (its managers): a link, a QR code and a leaflet to print.
#[utoipa::path(post, path = "/api/communities/{community}/invitations", tag = "joining", request_body = InvitationInput,
    params(("community" = String, Path, description = "The community's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = InvitationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn create_invitation(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(community): Path<String>,
    JsonBody(input): JsonBody<InvitationInput>,
) -> Result<(StatusCode, axum::Json<InvitationView>), AppError> {
    me.require_scope("members:write")?;
    let invitation = invite(&state, &me, &community, input.expires_in_days).await?;
    let now = now_ms();
    Ok((
        StatusCode::CREATED,
        axum::Json(InvitationView::of(&state, invitation, now)),
    ))
}

/// Make an invitation to `community` as `me` (the API's and the admin page's).
pub(crate) async fn invite(
    state: &AppState,
    me: &Principal,
    community: &str,
    expires_in_days: Option<u32>,
) -> Result<joining::Invitation, AppError> {
    community_of(&me.tree, community)?;
    if !me.authority().manages_members_of(community) {
        return Err(not_a_manager());
    }
    let now = now_ms();
    let expires = match expires_in_days {
        None => None,
        Some(days) if (1..=MAX_INVITATION_DAYS).contains(&days) => {
            Some(now + i64::from(days) * 86_400_000)
        }
        Some(_) => {
            return Err(AppError::invalid(
                "expires_in_days",
                format!(
                    "От 1 до {MAX_INVITATION_DAYS} дней / From 1 to {MAX_INVITATION_DAYS} days"
                ),
            ));
        }
    };
    let shared = state.runtime.shared();
    let tx = shared.db.begin().await?;
    let invitation =
        joining::create_invitation(&tx, &me.person.id, community, expires, now).await?;
    tx.commit().await?;
    Ok(invitation)
}

/// The invitations to a place, newest first (its managers).
#[utoipa::path(get, path = "/api/communities/{community}/invitations", tag = "joining",
    params(("community" = String, Path, description = "The community's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<InvitationView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_invitations(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(community): Path<String>,
) -> Result<axum::Json<Vec<InvitationView>>, AppError> {
    community_of(&me.tree, &community)?;
    me.require_scope("members:write")?;
    if !me.authority().manages_members_of(&community) {
        return Err(not_a_manager());
    }
    let now = now_ms();
    let invitations =
        joining::invitations_to(state.runtime.shared().db.connection(), &community).await?;
    Ok(axum::Json(
        invitations
            .into_iter()
            .map(|i| InvitationView::of(&state, i, now))
            .collect(),
    ))
}

/// What anyone holding an invitation may see: where it leads and whether it still works.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicInvitation {
    /// The invitation's id.
    pub id: String,
    /// The place: its name, kind and address.
    pub community: CommunityView,
    /// Whether it still works.
    pub valid: bool,
    /// When it stops working; none: never.
    pub expires: Option<i64>,
    /// The link (the QR code encodes it).
    pub url: String,
    /// The QR code, SVG.
    pub qr_svg_url: String,
}

/// An invitation that still works: where it leads (public). A revoked or expired one is gone.
#[utoipa::path(get, path = "/api/invitations/{id}", tag = "joining",
    params(("id" = String, Path, description = "The invitation's id")),
    responses((status = 200, body = PublicInvitation), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody, description = "Revoked or expired")))]
async fn get_invitation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<PublicInvitation>, AppError> {
    let shared = state.runtime.shared();
    let invitation = joining::invitation(shared.db.connection(), &id)
        .await?
        .ok_or_else(no_such_invitation)?;
    if !invitation.is_valid(now_ms()) {
        return Err(expired_invitation());
    }
    let community = community_of(&shared.communities(), &invitation.community_id)?;
    let (url, qr_svg_url) = links(&state, &invitation.id);
    Ok(axum::Json(PublicInvitation {
        valid: invitation.is_valid(now_ms()),
        community: CommunityView::from(&community),
        expires: invitation.expires,
        id: invitation.id,
        url,
        qr_svg_url,
    }))
}

/// Revoke an invitation (the place's managers); the link and the leaflet stop working.
#[utoipa::path(delete, path = "/api/invitations/{id}", tag = "joining",
    params(("id" = String, Path, description = "The invitation's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_invitation(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    me.require_scope("members:write")?;
    revoke(&state, &me, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke invitation `id` as `me` (the API's and the admin page's), with its audit entry.
pub(crate) async fn revoke(state: &AppState, me: &Principal, id: &str) -> Result<(), AppError> {
    let shared = state.runtime.shared();
    let tx = shared.db.begin().await?;
    let invitation = joining::invitation(&tx, id)
        .await?
        .ok_or_else(no_such_invitation)?;
    if !me.authority().manages_members_of(&invitation.community_id) {
        return Err(not_a_manager());
    }
    joining::revoke_invitation(&tx, &me.person.id, &invitation, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// The QR code of a link, as SVG.
fn qr_svg(url: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(AppError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// The QR code of an invitation that still works (public): SVG encoding the join link.
#[utoipa::path(get, path = "/api/invitations/{id}/qr.svg", tag = "joining",
    params(("id" = String, Path, description = "The invitation's id")),
    responses((status = 200, description = "The QR code", content_type = "image/svg+xml"), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody, description = "Revoked or expired")))]
async fn invitation_qr(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let invitation = joining::invitation(state.runtime.shared().db.connection(), &id)
        .await?
        .ok_or_else(no_such_invitation)?;
    if !invitation.is_valid(now_ms()) {
        return Err(expired_invitation());
    }
    let svg = qr_svg(&links(&state, &invitation.id).0)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
        ],
        svg,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// The leaflet

/// Where the leaflet's own stylesheet is served.
const LEAFLET_CSS_PATH: &str = "/assets/leaflet.css";

/// The leaflet's look on screen and on an A4 sheet; the base look is `/assets/dvor.css`.
const LEAFLET_CSS: &str = r#"/* dvor: the printable invitation leaflet. */
.sheet{max-width:190mm;margin:0 auto;padding:1.5rem 1rem 2rem;text-align:center}
.sheet .kicker{margin:0;color:var(--muted);font-size:1rem;letter-spacing:.02em}
.sheet h1{font-size:2.4rem;line-height:1.15;margin:.4rem 0 .2rem}
.sheet .address{font-size:1.3rem;margin:0 0 .75rem;color:var(--muted)}
.sheet .lead{font-size:1.25rem;max-width:36rem;margin:.5rem auto 1rem}
.sheet .qr{margin:1rem auto .5rem}
.sheet .qr svg{display:block;margin:0 auto;width:min(78vw,105mm);height:min(78vw,105mm)}
.sheet .link{font:1.1rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all;margin:.25rem auto 1.25rem;max-width:36rem}
.sheet .steps{display:inline-block;text-align:left;font-size:1.2rem;margin:0 auto;padding-left:1.6rem;max-width:36rem}
.sheet .steps li{margin:.45rem 0;padding-left:.25rem}
.sheet .note{font-size:1rem;color:var(--muted);margin-top:1rem}
.sheet .expires{font-weight:600}
.screen-only{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line);font-size:.95rem}
.screen-only.join{margin:.75rem 0;padding:0;border:0}
.screen-only.join a{display:inline-block;padding:.7rem 1.4rem;border-radius:.5rem;background:#1d4e89;color:#fff;font-size:1.15rem;font-weight:600;text-decoration:none}
.sheet.gone h1{font-size:1.75rem}
@page{size:A4 portrait;margin:14mm}
@media print{
html,body{background:#fff!important;color:#000!important}
.screen-only{display:none}
.sheet{max-width:none;padding:0}
.sheet .kicker,.sheet .address,.sheet .note{color:#333}
.sheet h1{font-size:30pt}
.sheet .address{font-size:16pt}
.sheet .lead,.sheet .steps{font-size:14pt}
.sheet .qr svg{width:110mm;height:110mm}
.sheet .link{font-size:12pt}
a{color:#000;text-decoration:none}
}
"#;

async fn leaflet_stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        LEAFLET_CSS,
    )
        .into_response()
}

/// What a leaflet says, in one language.
struct LeafletText {
    lang: &'static str,
    kicker: &'static str,
    lead_house: &'static str,
    lead_snt: &'static str,
    lead_other: &'static str,
    qr_label: &'static str,
    step_scan: &'static str,
    step_sign_in: &'static str,
    step_house: &'static str,
    step_snt: &'static str,
    step_other: &'static str,
    register: &'static str,
    valid_until: &'static str,
    print: &'static str,
    join: &'static str,
    other_language: (&'static str, &'static str),
    gone_title: &'static str,
    gone: &'static str,
    missing_title: &'static str,
    missing: &'static str,
}

static LEAFLET_RU: LeafletText = LeafletText {
    lang: "ru",
    kicker: "Приглашение для жителей и собственников",
    lead_house: "Новости дома, заявки в управляющую компанию, собрания собственников и голосования — в вашем телефоне.",
    lead_snt: "Новости товарищества, взносы, собрания и голосования — в вашем телефоне.",
    lead_other: "Новости, обращения, собрания и голосования — в вашем телефоне.",
    qr_label: "QR-код со ссылкой для вступления",
    step_scan: "Наведите камеру телефона на QR-код или откройте ссылку выше.",
    step_sign_in: "Войдите по номеру телефона — придёт СМС с кодом.",
    step_house: "Укажите номер квартиры и отправьте заявку: её подтвердит председатель или управляющая компания.",
    step_snt: "Укажите номер участка и отправьте заявку: её подтвердит председатель или правление.",
    step_other: "Укажите номер квартиры или участка и отправьте заявку: её подтвердит председатель.",
    register: "Собственники из реестра подтверждаются сразу после входа.",
    valid_until: "Ссылка действует до",
    print: "Распечатайте эту страницу на листе A4 и повесьте у входа или на доске объявлений.",
    join: "Вступить онлайн",
    other_language: ("?lang=en", "English version"),
    gone_title: "Приглашение больше не действует",
    gone: "Его отозвали или срок действия истёк. Попросите новое у председателя или в управляющей компании.",
    missing_title: "Приглашение не найдено",
    missing: "Проверьте ссылку или попросите новое приглашение у председателя или в управляющей компании.",
};

static LEAFLET_EN: LeafletText = LeafletText {
    lang: "en",
    kicker: "An invitation for residents and owners",
    lead_house: "House news, requests to the management company, owners' meetings and votes — on your phone.",
    lead_snt: "News of the partnership, fees, meetings and votes — on your phone.",
    lead_other: "News, requests, meetings and votes — on your phone.",
    qr_label: "QR code with the link to join",
    step_scan: "Point your phone's camera at the QR code, or open the link above.",
    step_sign_in: "Sign in with your phone number: a code arrives by SMS.",
    step_house: "Give your flat number and send the request: the chairman or the management company confirms it.",
    step_snt: "Give your plot number and send the request: the chairman or the board confirms it.",
    step_other: "Give your flat or plot number and send the request: the chairman confirms it.",
    register: "Owners listed in the register are verified as soon as they sign in.",
    valid_until: "The link works until",
    print: "Print this page on an A4 sheet and put it up at the entrance or on the notice board.",
    join: "Join online",
    other_language: ("?lang=ru", "Версия на русском"),
    gone_title: "This invitation no longer works",
    gone: "It was revoked or has expired. Ask the chairman or the management company for a new one.",
    missing_title: "Invitation not found",
    missing: "Check the link, or ask the chairman or the management company for a new invitation.",
};

/// A whole leaflet document around `body` (safe HTML).
fn leaflet_document(text: &LeafletText, title: &str, body: &str) -> String {
    let mut o = String::with_capacity(body.len() + 1024);
    o.push_str("<!doctype html>\n<html lang=\"");
    o.push_str(text.lang);
    o.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
    o.push_str("<meta name=\"referrer\" content=\"same-origin\">\n");
    o.push_str("<meta name=\"robots\" content=\"noindex\">\n<title>");
    o.push_str(&web::escape(title));
    o.push_str("</title>\n<link rel=\"stylesheet\" href=\"");
    o.push_str(web::CSS_PATH);
    o.push_str("\">\n<link rel=\"stylesheet\" href=\"");
    o.push_str(LEAFLET_CSS_PATH);
    o.push_str("\">\n</head>\n<body>\n");
    o.push_str(body);
    o.push_str("\n</body>\n</html>\n");
    o
}

/// The printable A4 leaflet of an invitation: the place's name and address, a big QR code,
/// the link written out and three steps; Russian, or English with `?lang=en`.
async fn leaflet(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let locale = locale_of(&query, &headers);
    let text = if locale == "en" {
        &LEAFLET_EN
    } else {
        &LEAFLET_RU
    };
    let shared = state.runtime.shared();
    let tree = shared.communities();
    let invitation = joining::invitation(shared.db.connection(), &id).await?;
    let now = now_ms();
    let found = invitation
        .as_ref()
        .and_then(|i| tree.get(&i.community_id).map(|c| (i, c)));
    let Some((invitation, community)) = found.filter(|(i, _)| i.is_valid(now)) else {
        let (status, title, message) = if found.is_some() {
            (StatusCode::GONE, text.gone_title, text.gone)
        } else {
            (StatusCode::NOT_FOUND, text.missing_title, text.missing)
        };
        let body = format!(
            "<main class=\"sheet gone\" id=\"main\"><h1>{}</h1><p class=\"lead\">{}</p></main>",
            web::escape(title),
            web::escape(message)
        );
        let mut response = html(leaflet_document(text, title, &body));
        *response.status_mut() = status;
        return Ok(response);
    };
    let (url, _) = links(&state, &invitation.id);
    let svg = qr_svg(&url)?;
    // Inline, without the XML declaration, so that the sheet prints without fetching anything.
    let svg = svg
        .find("<svg")
        .map_or(svg.as_str(), |start| &svg[start..])
        .replacen(
            "<svg ",
            &format!(
                "<svg role=\"img\" aria-label=\"{}\" ",
                web::escape(text.qr_label)
            ),
            1,
        );
    let (lead, step) = match community.kind.as_str() {
        "house" | "yard" => (text.lead_house, text.step_house),
        "snt" | "village" => (text.lead_snt, text.step_snt),
        _ => (text.lead_other, text.step_other),
    };
    let mut body = String::with_capacity(svg.len() + 2048);
    body.push_str("<main class=\"sheet\" id=\"main\">\n<p class=\"kicker\">");
    body.push_str(&web::escape(text.kicker));
    body.push_str(" · ");
    body.push_str(&web::escape(&state.instance_name));
    body.push_str("</p>\n<h1>");
    body.push_str(&web::escape(&community.name));
    body.push_str("</h1>\n");
    if let Some(address) = community.address.as_deref().filter(|a| !a.is_empty()) {
        body.push_str("<p class=\"address\">");
        body.push_str(&web::escape(address));
        body.push_str("</p>\n");
    }
    body.push_str("<p class=\"screen-only join\"><a href=\"/join/");
    body.push_str(&web::escape(&invitation.id));
    body.push_str("/apply\">");
    body.push_str(&web::escape(text.join));
    body.push_str("</a></p>\n<p class=\"lead\">");
    body.push_str(&web::escape(lead));
    body.push_str("</p>\n<div class=\"qr\">");
    body.push_str(&svg);
    body.push_str("</div>\n<p class=\"link\"><a href=\"");
    body.push_str(&web::escape(&url));
    body.push_str("\">");
    body.push_str(&web::escape(&url));
    body.push_str("</a></p>\n<ol class=\"steps\">");
    for step in [text.step_scan, text.step_sign_in, step] {
        body.push_str("<li>");
        body.push_str(&web::escape(step));
        body.push_str("</li>");
    }
    body.push_str("</ol>\n<p class=\"note\">");
    body.push_str(&web::escape(text.register));
    if let Some(expires) = invitation.expires {
        body.push_str(" <span class=\"expires\">");
        body.push_str(&web::escape(text.valid_until));
        body.push(' ');
        body.push_str(&web::escape(&web::format_date(
            expires,
            state.utc_offset_minutes,
            &locale,
        )));
        body.push_str(".</span>");
    }
    body.push_str("</p>\n<div class=\"screen-only\"><p>");
    body.push_str(&web::escape(text.print));
    body.push_str("</p><p><a href=\"");
    body.push_str(text.other_language.0);
    body.push_str("\" hreflang=\"");
    body.push_str(if text.lang == "en" { "ru" } else { "en" });
    body.push_str("\">");
    body.push_str(&web::escape(text.other_language.1));
    body.push_str("</a></p></div>\n</main>");
    let title = format!("{} · {}", community.name, state.instance_name);
    let mut response = html(leaflet_document(text, &title, &body));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Join requests

/// Asking to join through an invitation.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// The flat or plot number (one of the place's units).
    #[schema(max_length = 20)]
    pub unit_number: Option<String>,
    /// Whether I own it (then the number is required).
    pub claims_ownership: Option<bool>,
    /// A note for whoever decides (up to 1000 characters).
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// The person a request is from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Requester {
    /// Their id.
    pub id: String,
    /// First name and surname.
    pub display_name: String,
    /// The phone, for those who decide (and the person themselves).
    pub phone: Option<String>,
}

/// A join request as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinRequestView {
    /// Its id (sortable by time).
    pub id: String,
    /// Who asks; none if their account was deleted.
    pub person: Option<Requester>,
    /// The place.
    pub community: String,
    /// The place's name.
    pub community_name: String,
    /// The flat or plot named.
    pub unit_number: Option<String>,
    /// Whether they say they own it.
    pub claims_ownership: bool,
    /// What they added.
    pub note: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// When they asked, ms since the epoch.
    pub created: i64,
    /// Who decided (none when approved at once, for a verified owner).
    pub decided_by: Option<String>,
    /// When.
    pub decided: Option<i64>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

async fn view_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    tree: &crate::communities::Communities,
    request: JoinRequest,
) -> Result<JoinRequestView, AppError> {
    let person = people::by_id(db, &request.person_id)
        .await?
        .map(|p| Requester {
            id: p.id,
            display_name: p.display_name,
            phone: p.phone,
        });
    Ok(JoinRequestView {
        id: request.id,
        person,
        community_name: tree
            .get(&request.community_id)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        community: request.community_id,
        unit_number: request.unit_number,
        claims_ownership: request.claims_ownership,
        note: request.note,
        status: request.status,
        created: request.created,
        decided_by: request.decided_by,
        decided: request.decided,
        reason: request.reason,
    })
}

/// Ask to join the invitation's place, naming the flat or plot and whether I own it. A
/// verified owner there (from the owners' register) is approved at once; otherwise the
/// request waits for the chairman, the board, an operator or an admin.
#[utoipa::path(post, path = "/api/invitations/{id}/accept", tag = "joining", request_body = AcceptInput,
    params(("id" = String, Path, description = "The invitation's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 201, body = JoinRequestView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "No such unit there, or ownership claimed without a unit (field `unit_number`)")))]
async fn accept_invitation(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<AcceptInput>,
) -> Result<(StatusCode, axum::Json<JoinRequestView>), AppError> {
    me.require_scope("profile")?;
    let view = accept(&state, &me, &id, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

/// Ask to join the place of invitation `id` (the API's and the join page's).
pub(crate) async fn accept(
    state: &AppState,
    me: &Principal,
    id: &str,
    input: &AcceptInput,
) -> Result<JoinRequestView, AppError> {
    let shared = state.runtime.shared();
    let now = now_ms();
    let tx = shared.db.begin().await?;
    let invitation = joining::invitation(&tx, id)
        .await?
        .ok_or_else(no_such_invitation)?;
    if !invitation.is_valid(now) {
        return Err(expired_invitation());
    }
    community_of(&me.tree, &invitation.community_id)?;
    let request = joining::apply(
        shared,
        &tx,
        Application {
            person: &me.person.id,
            community: &invitation.community_id,
            unit_number: input.unit_number.as_deref(),
            claims_ownership: input.claims_ownership.unwrap_or(false),
            invitation: Some(&invitation.id),
            note: input.note.as_deref(),
        },
        now,
    )
    .await?;
    let view = view_of(&tx, &me.tree, request).await?;
    tx.commit().await?;
    shared.events_committed.notify_waiters();
    Ok(view)
}

/// Which requests to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    #[param(schema_with = request_status_schema)]
    pub status: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

fn request_status_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::input::enum_schema(
        &joining::STATUSES,
        false,
        "Only requests with this status; every status if absent",
    )
}

fn status_of(query: &RequestsQuery) -> Result<Option<String>, AppError> {
    query
        .status
        .as_deref()
        .map(|s| crate::input::one_of("status", Some(s), &joining::STATUSES).map(str::to_owned))
        .transpose()
}

/// The join requests to a place and the places below it, oldest first (its managers).
#[utoipa::path(get, path = "/api/communities/{community}/join-requests", tag = "joining",
    params(("community" = String, Path, description = "The community's id"), RequestsQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Page<JoinRequestView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn community_requests(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(community): Path<String>,
    Query(query): Query<RequestsQuery>,
) -> Result<axum::Json<Page<JoinRequestView>>, AppError> {
    community_of(&me.tree, &community)?;
    me.require_scope("communities:read")?;
    if !me.authority().manages_members_of(&community) {
        return Err(not_a_manager());
    }
    let status = status_of(&query)?;
    let page = PageQuery {
        cursor: query.cursor.clone(),
        limit: query.limit,
    };
    let limit = page.limit()?;
    let after = page.cursor_str()?.map(str::to_owned);
    let mut communities: Vec<String> = me
        .tree
        .descendants(&community, None)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    communities.push(community);
    let db = state.runtime.shared().db.connection();
    let requests = joining::join_requests(
        db,
        &RequestFilter {
            communities: Some(communities),
            person: None,
            status,
            after,
            limit: u64::from(limit) + 1,
        },
    )
    .await?;
    let mut items = Vec::with_capacity(requests.len());
    for request in requests {
        items.push(view_of(db, &me.tree, request).await?);
    }
    Ok(axum::Json(Page::from_overfetch(items, limit, |r| {
        r.id.clone()
    })))
}

/// My join requests, oldest first, with their decisions.
#[utoipa::path(get, path = "/api/me/join-requests", tag = "joining",
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<JoinRequestView>), (status = 401, body = ErrorBody)))]
async fn my_requests(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<axum::Json<Vec<JoinRequestView>>, AppError> {
    me.require_scope("profile")?;
    let db = state.runtime.shared().db.connection();
    let requests = joining::join_requests(
        db,
        &RequestFilter {
            person: Some(me.person.id.clone()),
            limit: 1000,
            ..Default::default()
        },
    )
    .await?;
    let mut items = Vec::with_capacity(requests.len());
    for request in requests {
        items.push(view_of(db, &me.tree, request).await?);
    }
    Ok(axum::Json(items))
}

/// A request by id, for someone who manages its place.
async fn request_to_decide<C: sea_orm::ConnectionTrait>(
    db: &C,
    me: &Principal,
    id: &str,
) -> Result<JoinRequest, AppError> {
    let request = if id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        joining::join_request(db, id).await?
    } else {
        None
    };
    let request = request.ok_or_else(|| {
        AppError::not_found("Нет такой заявки / No such request").with_field("id")
    })?;
    if !me.authority().manages_members_of(&request.community_id) {
        return Err(not_a_manager());
    }
    Ok(request)
}

/// How to approve.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    /// Verify the claimed ownership (I saw the documents); default false: recorded as claimed.
    pub verify_ownership: Option<bool>,
    /// The share of the claimed unit: `1`, `1/2`, `1/3`, at most 1; default the whole unit.
    #[schema(pattern = "^[0-9]{1,7}(/[0-9]{1,7})?$")]
    pub share: Option<String>,
}

/// Approve a request (the place's managers): the person becomes a resident and, if they claimed
/// a unit, its owner — verified if asked. They are notified.
#[utoipa::path(post, path = "/api/join-requests/{id}/approve", tag = "joining", request_body = ApprovalInput,
    params(("id" = String, Path, description = "The request's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = JoinRequestView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A share that is zero or more than the whole (field `share`), or verifying or sharing what nobody claimed (the field says which)")))]
async fn approve_request(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ApprovalInput>,
) -> Result<axum::Json<JoinRequestView>, AppError> {
    me.require_scope("members:write")?;
    Ok(axum::Json(approve(&state, &me, &id, &input).await?))
}

/// Approve join request `id` as `me` (the API's and the admin page's).
pub(crate) async fn approve(
    state: &AppState,
    me: &Principal,
    id: &str,
    input: &ApprovalInput,
) -> Result<JoinRequestView, AppError> {
    let share = input
        .share
        .as_deref()
        .map(|text| membership::checked_share("share", text))
        .transpose()?;
    let shared = state.runtime.shared();
    let now = now_ms();
    let tx = shared.db.begin().await?;
    let request = request_to_decide(&tx, me, id).await?;
    let decided = joining::approve(
        shared,
        &tx,
        Some(&me.person.id),
        &request,
        Approval {
            verify_ownership: input.verify_ownership.unwrap_or(false),
            share,
        },
        now,
    )
    .await?;
    let view = view_of(&tx, &me.tree, decided).await?;
    tx.commit().await?;
    shared.events_committed.notify_waiters();
    Ok(view)
}

/// Why a request is rejected.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectionInput {
    /// The reason, shown to the person (required, up to 1000 characters).
    #[schema(value_type = String, required = true, min_length = 1, max_length = 1000)]
    pub reason: Option<String>,
}

/// Reject a request with a reason (the place's managers); the person is notified.
#[utoipa::path(post, path = "/api/join-requests/{id}/reject", tag = "joining", request_body = RejectionInput,
    params(("id" = String, Path, description = "The request's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = JoinRequestView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A reason of spaces only (field `reason`)")))]
async fn reject_request(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<RejectionInput>,
) -> Result<axum::Json<JoinRequestView>, AppError> {
    me.require_scope("members:write")?;
    Ok(axum::Json(
        reject(&state, &me, &id, input.reason.as_deref()).await?,
    ))
}

/// Reject join request `id` with a reason as `me` (the API's and the admin page's).
pub(crate) async fn reject(
    state: &AppState,
    me: &Principal,
    id: &str,
    reason: Option<&str>,
) -> Result<JoinRequestView, AppError> {
    let shared = state.runtime.shared();
    let now = now_ms();
    let tx = shared.db.begin().await?;
    let request = request_to_decide(&tx, me, id).await?;
    let decided = joining::reject(shared, &tx, &me.person.id, &request, reason, now).await?;
    let view = view_of(&tx, &me.tree, decided).await?;
    tx.commit().await?;
    Ok(view)
}

// ---------------------------------------------------------------------------------------------
// The owners' register

/// A register that could not be imported: the usual error, with every problem listed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RegisterErrorBody {
    /// The error.
    pub error: RegisterErrorDetail,
}

/// Every problem of a register file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RegisterErrorDetail {
    /// `unprocessable`.
    pub code: String,
    /// How many problems, and the first one.
    pub message: String,
    /// The first problem's place: `line 3: phone`.
    pub field: String,
    /// Every problem, by line.
    pub problems: Vec<Problem>,
}

fn register_problems(problems: Vec<Problem>) -> Response {
    let first = problems.first().cloned().unwrap_or_else(|| Problem {
        line: 1,
        field: "body".into(),
        message: String::new(),
    });
    let count = problems.len();
    let (ru, en) = first
        .message
        .split_once(" / ")
        .unwrap_or((&first.message, ""));
    let message = format!(
        "Ничего не записано: ошибок в файле — {count}. Строка {line}, столбец {field}: {ru} / Nothing was written: the file has {count} problem(s). Line {line}, column {field}: {en}",
        line = first.line,
        field = first.field,
    );
    let body = RegisterErrorBody {
        error: RegisterErrorDetail {
            code: "unprocessable".into(),
            message,
            field: format!("line {}: {}", first.line, first.field),
            problems,
        },
    };
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

/// Whether a request body is labelled as CSV (or plain text, or as the spreadsheet programs of
/// some systems label `.csv` files).
fn csv_labelled(headers: &HeaderMap) -> Result<(), AppError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let value = value.to_str().unwrap_or_default().to_ascii_lowercase();
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    let charset_ok = parts
        .filter_map(|p| p.strip_prefix("charset="))
        .all(|c| matches!(c.trim_matches('"'), "utf-8" | "utf8"));
    if !matches!(
        essence,
        "text/csv" | "application/csv" | "text/plain" | "application/vnd.ms-excel"
    ) {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Пришлите CSV-файл (Content-Type: text/csv) / Send a CSV file (Content-Type: text/csv)",
        )
        .with_field("body"));
    }
    if !charset_ok {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Файл должен быть в кодировке UTF-8 / The file must be UTF-8",
        )
        .with_field("body"));
    }
    Ok(())
}

/// Import the owners' register of a place (its managers) from CSV: UTF-8, separated by commas
/// or semicolons, with a header row `unit,name,phone,share,area` (or `помещение,фио,телефон,
/// доля,площадь`) in any order. All or nothing: every problem is listed with its line and
/// column, and nothing is written. Missing units are made with their area; owners already
/// signed up with a listed phone are verified at once, the rest as soon as they sign up.
#[utoipa::path(post, path = "/api/communities/{community}/owner-register", tag = "joining",
    request_body(content = String, content_type = "text/csv", description = "The register: `unit,name,phone,share,area`"),
    params(("community" = String, Path, description = "The community's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = ImportSummary), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody, description = "Not CSV, or not UTF-8"),
        (status = 422, body = RegisterErrorBody, description = "The file has problems: every one is listed with its line and column, and nothing is written")))]
async fn import_register(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(community): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    community_of(&me.tree, &community)?;
    me.require_scope("members:write")?;
    if !me.authority().manages_members_of(&community) {
        return Err(not_a_manager());
    }
    csv_labelled(&headers)?;
    let rows = match joining::parse_register(&body) {
        Ok(rows) => rows,
        Err(problems) => return Ok(register_problems(problems)),
    };
    let shared = state.runtime.shared();
    let now = now_ms();
    let tx = shared.db.begin().await?;
    let summary =
        match joining::import_register(shared, &tx, &me.person.id, &community, &rows, now).await {
            Ok(summary) => summary,
            Err(ImportError::Problems(problems)) => return Ok(register_problems(problems)),
            Err(ImportError::Db(error)) => return Err(error.into()),
        };
    tx.commit().await?;
    shared.events_committed.notify_waiters();
    Ok(axum::Json(summary).into_response())
}
