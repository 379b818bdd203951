//! Places, units, members and organizations.

use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{JsonBody, Principal, SignedIn};
use super::page::{Page, PageQuery};
use crate::communities::Community;
use crate::config::Area;
use crate::error::{AppError, ErrorBody};
use crate::http::AppState;
use crate::identity::membership::{self, UnitChange, UnitRef};
use crate::identity::organizations::{self, Organization};
use crate::identity::{now_ms, people, roles, t};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_communities))
        .routes(routes!(get_community))
        .routes(routes!(list_units))
        .routes(routes!(save_unit))
        .routes(routes!(list_members))
        .routes(routes!(get_person))
        .routes(routes!(list_organizations))
        .routes(routes!(organization_staff))
}

/// A place.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommunityView {
    /// Its id.
    pub id: String,
    /// The community it belongs to.
    pub parent: Option<String>,
    /// Its name.
    pub name: String,
    /// `region`, `municipality`, `settlement`, `district`, `house`, `snt`, `village`, `yard`.
    pub kind: String,
    /// A postal address.
    pub address: Option<String>,
}

impl From<&Community> for CommunityView {
    fn from(c: &Community) -> Self {
        CommunityView {
            id: c.id.clone(),
            parent: c.parent.clone(),
            name: c.name.clone(),
            kind: c.kind.clone(),
            address: c.address.clone(),
        }
    }
}

/// The whole tree of places, parents before children (names of places are public).
#[utoipa::path(get, path = "/api/communities", tag = "communities",
    responses((status = 200, body = Vec<CommunityView>)))]
async fn list_communities(State(state): State<AppState>) -> axum::Json<Vec<CommunityView>> {
    let tree = state.runtime.shared().communities();
    let mut out = Vec::new();
    for root in tree.roots() {
        out.push(CommunityView::from(root));
        out.extend(
            tree.descendants(&root.id, None)
                .into_iter()
                .map(CommunityView::from),
        );
    }
    axum::Json(out)
}

/// A place with its children and the organizations that serve it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommunityDetail {
    /// The place.
    pub community: CommunityView,
    /// From the root down to its parent.
    pub ancestors: Vec<CommunityView>,
    /// The places directly inside it.
    pub children: Vec<CommunityView>,
    /// Organizations serving it or a place above it.
    pub organizations: Vec<Organization>,
    /// How many units (flats, plots) it has.
    pub units: u64,
}

fn community_of(state: &AppState, id: &str) -> Result<Community, AppError> {
    state
        .runtime
        .shared()
        .communities()
        .get(id)
        .cloned()
        .ok_or_else(|| {
            AppError::not_found("Нет такого места / No such place").with_field("community")
        })
}

/// One place.
#[utoipa::path(get, path = "/api/communities/{community}", tag = "communities",
    params(("community" = String, Path, description = "The community's id")),
    responses((status = 200, body = CommunityDetail), (status = 404, body = ErrorBody)))]
async fn get_community(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<CommunityDetail>, AppError> {
    let community = community_of(&state, &id)?;
    let shared = state.runtime.shared();
    let tree = shared.communities();
    let db = shared.db.connection();
    let ancestors: Vec<CommunityView> = tree
        .ancestors(&id)
        .into_iter()
        .filter(|c| c.id != id)
        .map(CommunityView::from)
        .collect();
    let serving = organizations::list(db)
        .await?
        .into_iter()
        .filter(|o| o.serves.iter().any(|s| tree.is_within(&id, s)))
        .collect();
    let units = crate::directory::units(db, &id).await?.len() as u64;
    Ok(axum::Json(CommunityDetail {
        children: tree
            .children(&id, None)
            .into_iter()
            .map(CommunityView::from)
            .collect(),
        community: CommunityView::from(&community),
        ancestors,
        organizations: serving,
        units,
    }))
}

/// The units of a place: for the people who belong there.
#[utoipa::path(get, path = "/api/communities/{community}/units", tag = "communities",
    params(("community" = String, Path, description = "The community's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<UnitRef>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_units(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<UnitRef>>, AppError> {
    community_of(&state, &id)?;
    me.require_scope("communities:read")?;
    if !me.authority().belongs_to(&id) {
        return Err(not_yours());
    }
    let db = state.runtime.shared().db.connection();
    let mut out = Vec::new();
    for unit in crate::directory::units(db, &id).await? {
        if let Some(unit) = membership::unit(db, &unit.id).await? {
            out.push(unit);
        }
    }
    Ok(axum::Json(out))
}

fn not_yours() -> AppError {
    AppError::forbidden(
        "Это доступно только жителям и тем, кто обслуживает это место / Only residents and those serving this place may see this",
    )
}

/// A unit's particulars.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    #[schema(schema_with = unit_kind_schema, required = true)]
    pub kind: Option<String>,
    /// The area in m², as a string with at most two decimals: `"54.3"`; more than zero.
    #[schema(value_type = String, required = true, pattern = "^[0-9]{1,12}([.][0-9]{1,2})?$")]
    pub area: Option<String>,
    /// The cadastral number, `50:20:0010203:123`; none if it has none.
    #[schema(pattern = "^[0-9]{1,10}:[0-9]{1,10}:[0-9]{1,10}:[0-9]{1,10}$")]
    pub cadastral_number: Option<String>,
}

/// The kinds of units.
pub const UNIT_KINDS: &[&str] = &["apartment", "plot", "non-residential"];

fn unit_kind_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::input::enum_schema(UNIT_KINDS, false, "What the unit is")
}

/// Create or update a unit (admins of the place).
#[utoipa::path(put, path = "/api/communities/{community}/units/{number}", tag = "communities", request_body = UnitInput,
    params(("community" = String, Path, description = "The community's id"), ("number" = String, Path, description = "The unit's number")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = UnitRef), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A number with `/` or spaces around it or over 20 characters (field `number`), or an area of zero (field `area`)")))]
async fn save_unit(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path((id, number)): Path<(String, String)>,
    JsonBody(input): JsonBody<UnitInput>,
) -> Result<axum::Json<UnitRef>, AppError> {
    me.require_scope("members:write")?;
    Ok(axum::Json(
        put_unit(&state, &me, &id, &number, input).await?,
    ))
}

/// Create or update unit `number` of place `id` as `me` (the API's and the admin page's).
pub(crate) async fn put_unit(
    state: &AppState,
    me: &Principal,
    id: &str,
    number: &str,
    input: UnitInput,
) -> Result<UnitRef, AppError> {
    community_of(state, id)?;
    if !me.authority().is_admin_of(id) {
        return Err(AppError::forbidden(
            "Помещения меняет администратор / Units are changed by an admin",
        ));
    }
    let input = parse_unit(number, input)?;
    let db = state.runtime.shared().db.connection();
    Ok(membership::save_unit(
        db,
        Some(&me.person.id),
        UnitChange {
            community: id,
            number,
            kind: input.0,
            area_centi_m2: input.1,
            cadastral_number: input.2.as_deref(),
        },
        now_ms(),
    )
    .await?)
}

/// Check a unit's particulars; errors name the field (400 for what the document states, 422
/// for the rest).
pub fn parse_unit(
    number: &str,
    input: UnitInput,
) -> Result<(&'static str, i64, Option<String>), AppError> {
    let kind = crate::input::one_of("kind", input.kind.as_deref(), UNIT_KINDS)?;
    let area = input.area.as_deref().and_then(Area::parse).ok_or_else(|| {
        AppError::invalid(
            "area",
            "Площадь в м², например \"54.3\" / The area in m², such as \"54.3\"",
        )
    })?;
    if area.centi_m2 == 0 {
        return Err(AppError::unprocessable(
            "area",
            "Площадь больше нуля / The area is more than zero",
        ));
    }
    if let Some(c) = &input.cadastral_number
        && !is_cadastral_number(c)
    {
        return Err(AppError::invalid(
            "cadastral_number",
            "Кадастровый номер вида 50:20:0010203:123 / A cadastral number such as 50:20:0010203:123",
        ));
    }
    if !membership::valid_unit_number(number) {
        return Err(AppError::unprocessable(
            "number",
            "Номер: до 20 символов, без «/» и пробелов по краям / The number: up to 20 characters, no `/`, no spaces around it",
        ));
    }
    Ok((kind, area.centi_m2, input.cadastral_number))
}

/// `AA:BB:CCCCCCC:N`: four groups of digits separated by colons.
pub fn is_cadastral_number(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A person as others see them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    /// Their id.
    pub id: String,
    /// First name and surname.
    pub display_name: String,
    /// The phone: only for the person themselves and for those handling their cases.
    pub phone: Option<String>,
    /// Their roles in the place asked about.
    pub roles: Vec<super::me::RoleView>,
}

/// The people of a place: residents, owners and staff (for those who manage it).
#[utoipa::path(get, path = "/api/communities/{community}/members", tag = "communities",
    params(("community" = String, Path, description = "The community's id"), PageQuery),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Page<PersonView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_members(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<axum::Json<Page<PersonView>>, AppError> {
    community_of(&state, &id)?;
    me.require_scope("communities:read")?;
    if !me.authority().handles_cases_in(&id) {
        return Err(AppError::forbidden(
            "Список жителей видят те, кто обслуживает это место / The list of residents is for those serving this place",
        ));
    }
    let limit = page.limit()?;
    let after = page.cursor_str()?.map(str::to_owned);
    let items = members(&state, &id, after.as_deref(), limit + 1).await?;
    Ok(axum::Json(Page::from_overfetch(items, limit, |p| {
        p.id.clone()
    })))
}

/// Up to `limit` people with a grant or an ownership in the subtree of `id`, after the id
/// `after`, with their roles there (the API's member list and the admin page's).
pub(crate) async fn members(
    state: &AppState,
    id: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<PersonView>, AppError> {
    let shared = state.runtime.shared();
    let tree = shared.communities();
    let db = shared.db.connection();
    let ids = member_ids(db, &tree, id, after, limit).await?;
    let mut items = Vec::new();
    for person_id in ids {
        let Some(person) = people::by_id(db, &person_id).await? else {
            continue;
        };
        let held = roles::effective_roles(db, &person.id, &tree).await?;
        items.push(PersonView {
            id: person.id.clone(),
            display_name: person.display_name.clone(),
            phone: person.phone.clone(),
            roles: held
                .iter()
                .filter(|r| {
                    r.community
                        .as_deref()
                        .is_some_and(|c| tree.is_within(c, id) || tree.is_within(id, c))
                })
                .map(super::me::RoleView::from)
                .collect(),
        });
    }
    Ok(items)
}

/// Ids of people with a grant or an ownership in the subtree of `community`, ordered.
async fn member_ids<C: sea_orm::ConnectionTrait>(
    db: &C,
    tree: &crate::communities::Communities,
    community: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<String>, AppError> {
    use sea_orm::FromQueryResult as _;
    use sea_orm::sea_query::{Expr, Query, UnionType};
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        person_id: String,
    }
    let mut subtree: Vec<String> = tree
        .descendants(community, None)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    subtree.push(community.to_owned());
    let areas = roles::organization_areas(db).await?;
    let serving: Vec<String> = areas
        .into_iter()
        .filter(|(_, served)| {
            served
                .iter()
                .any(|s| tree.is_within(community, s) || tree.is_within(s, community))
        })
        .map(|(org, _)| org)
        .collect();
    let mut grants = Query::select();
    grants
        .column(t("person_id"))
        .from(t("role_grants"))
        .cond_where(
            Expr::col(t("community_id"))
                .is_in(subtree.clone())
                .or(Expr::col(t("organization_id")).is_in(serving)),
        );
    let mut owners = Query::select();
    owners
        .column((t("ownerships"), t("person_id")))
        .from(t("ownerships"))
        .inner_join(
            t("units"),
            Expr::col((t("units"), t("id"))).equals((t("ownerships"), t("unit_id"))),
        )
        .and_where(Expr::col((t("units"), t("community_id"))).is_in(subtree));
    grants.union(UnionType::Distinct, owners);
    let backend = db.get_database_backend();
    let rows = Row::find_by_statement(backend.build(&grants))
        .all(db)
        .await?;
    let mut ids: Vec<String> = rows.into_iter().map(|r| r.person_id).collect();
    ids.sort();
    ids.dedup();
    Ok(ids
        .into_iter()
        .filter(|id| after.is_none_or(|a| id.as_str() > a))
        .take(limit as usize)
        .collect())
}

/// Whether `viewer` may see `person`'s name, and their phone.
pub async fn visibility<C: sea_orm::ConnectionTrait>(
    db: &C,
    viewer: &Principal,
    person: &str,
) -> Result<(bool, bool), AppError> {
    if viewer.person.id == person {
        return Ok((true, true));
    }
    let theirs = roles::effective_roles(db, person, &viewer.tree).await?;
    let places: Vec<&str> = theirs
        .iter()
        .filter_map(|r| r.community.as_deref())
        .collect();
    let authority = viewer.authority();
    let handles = places.iter().any(|c| authority.handles_cases_in(c));
    let neighbour = places.iter().any(|c| authority.belongs_to(c)) || authority.is_instance_admin();
    Ok((
        handles || neighbour,
        handles || authority.is_instance_admin(),
    ))
}

/// A person: their name for neighbours, their phone only for those handling their cases.
#[utoipa::path(get, path = "/api/people/{person}", tag = "communities",
    params(("person" = String, Path, description = "The person's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = PersonView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<PersonView>, AppError> {
    me.require_scope("communities:read")?;
    let db = state.runtime.shared().db.connection();
    let Some(person) = people::by_id(db, &id).await? else {
        return Err(crate::identity::no_such_person("person"));
    };
    let (name, phone) = visibility(db, &me, &id).await?;
    if !name {
        return Err(crate::identity::no_such_person("person"));
    }
    let held = roles::effective_roles(db, &id, &me.tree).await?;
    Ok(axum::Json(PersonView {
        id: person.id,
        display_name: person.display_name,
        phone: if phone { person.phone } else { None },
        roles: held.iter().map(super::me::RoleView::from).collect(),
    }))
}

/// The organizations of the instance and the places they serve (public).
#[utoipa::path(get, path = "/api/organizations", tag = "communities",
    responses((status = 200, body = Vec<Organization>)))]
async fn list_organizations(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<Organization>>, AppError> {
    Ok(axum::Json(
        organizations::list(state.runtime.shared().db.connection()).await?,
    ))
}

/// One member of an organization's staff.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffMember {
    /// The grant (to revoke it with `DELETE /api/roles/{id}`).
    pub grant: i64,
    /// The role: `operator`, `executor` or `official`.
    pub role: String,
    /// The person.
    pub person: PersonView,
}

/// An organization's staff: for its admins and its own staff.
#[utoipa::path(get, path = "/api/organizations/{organization}/staff", tag = "communities",
    params(("organization" = String, Path, description = "The organization's id")),
    security(("bearer" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<StaffMember>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn organization_staff(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<StaffMember>>, AppError> {
    me.require_scope("communities:read")?;
    let db = state.runtime.shared().db.connection();
    let Some(organization) = organizations::list(db)
        .await?
        .into_iter()
        .find(|o| o.id == id)
    else {
        return Err(
            AppError::not_found("Нет такой организации / No such organization")
                .with_field("organization"),
        );
    };
    let authority = me.authority();
    let admin = authority.is_instance_admin()
        || (!organization.serves.is_empty()
            && organization.serves.iter().all(|c| authority.is_admin_of(c)));
    let own_staff = me
        .roles
        .iter()
        .any(|r| r.organization.as_deref() == Some(id.as_str()));
    if !admin && !own_staff {
        return Err(AppError::forbidden(
            "Сотрудников видят администраторы и сами сотрудники / Staff are listed for admins and the staff themselves",
        ));
    }
    let grants = roles::grants_in(db, &[], std::slice::from_ref(&id)).await?;
    let mut out = Vec::new();
    for grant in grants {
        let Some(person) = people::by_id(db, &grant.person_id).await? else {
            continue;
        };
        out.push(StaffMember {
            grant: grant.id,
            role: grant.role.clone(),
            person: PersonView {
                id: person.id,
                display_name: person.display_name,
                // Colleagues and admins reach each other by phone.
                phone: person.phone,
                roles: Vec::new(),
            },
        });
    }
    Ok(axum::Json(out))
}
