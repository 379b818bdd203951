//! The business's pages: managing the profile, branches, photos, services and staff; offers;
//! the counter's redeem page; the redemptions log; what it sees of its audience; hired jobs;
//! joining the staff with an invitation.

use dvor_sdk::prelude::*;

use super::{above_the_form, back, business_link, home_link, period};
use crate::audience::AudienceSettings;
use crate::businesses::{self, BranchInput, ProfileInput, ServiceInput};
use crate::coupons::{self, RedeemInput};
use crate::hires::{self, Step};
use crate::model::{
    Audience, Business, BusinessKind, BusinessStatus, JobStatus, OFFERS, OfferStatus, REDEMPTIONS,
};
use crate::offers::{self, OfferInput};
use crate::people::{self, Duty};
use crate::settings::Settings;
use crate::stats;

fn page_for(doc: &Doc<Business>, title: &str) -> Page {
    Page::new(format!("{} · {}", doc.data.name, title))
        .breadcrumb(home_link())
        .breadcrumb(Link::to(
            format!("b/{}/manage", doc.id),
            doc.data.name.clone(),
        ))
}

fn links_for(doc: &Doc<Business>, caller: &ctx::Caller) -> Vec<Link> {
    let b = &doc.data;
    let mut links = vec![business_link(
        &doc.id,
        tr("Страница для жителей", "Public page"),
    )];
    if b.kind == BusinessKind::Shop && people::may(b, caller, Duty::Publish) {
        links.push(Link::to(
            format!("b/{}/offers", doc.id),
            tr("Акции", "Offers"),
        ));
    }
    if b.kind == BusinessKind::Shop && people::may(b, caller, Duty::Redeem) {
        links.push(Link::to(
            format!("b/{}/redeem", doc.id),
            tr("Погасить купон", "Redeem a coupon"),
        ));
        links.push(Link::to(
            format!("b/{}/log", doc.id),
            tr("Журнал погашений", "Redemptions log"),
        ));
    }
    if b.kind == BusinessKind::Shop && people::may(b, caller, Duty::Manage) {
        links.push(Link::to(
            format!("b/{}/stats", doc.id),
            tr("Статистика акций", "Offer statistics"),
        ));
    }
    if b.kind == BusinessKind::Specialist && people::may(b, caller, Duty::Publish) {
        links.push(Link::to(
            format!("b/{}/jobs", doc.id),
            tr("Заявки жителей", "Residents' jobs"),
        ));
    }
    links
}

/// The management page.
pub fn manage(id: &str) -> Result<Page> {
    let caller = ctx::require_caller()?;
    let doc = businesses::writable(id)?;
    let b = &doc.data;
    if !people::works_for(b, &caller) && !people::is_admin() {
        people::require_duty(b, Duty::Manage)?;
    }
    let settings = Settings::load()?;
    let mut page = Page::new(b.name.clone()).breadcrumb(home_link());
    let mut status = Section::untitled().badges([Badge::new(b.status.label(), b.status.tone())]);
    match b.status {
        BusinessStatus::Pending => {
            status = status.notice(
                Tone::Warning,
                tr(
                    "ИНН и ОГРН прошли проверку контрольных цифр. Организацию проверяет администратор; после одобрения её увидят жители и можно будет публиковать акции.",
                    "The ИНН and ОГРН passed their check digits. An admin is reviewing the business; once approved, residents see it and it may publish offers.",
                ),
            );
        }
        BusinessStatus::Rejected | BusinessStatus::Suspended => {
            let why = b
                .decisions
                .last()
                .and_then(|d| d.reason.clone())
                .unwrap_or_default();
            status = status.notice(Tone::Danger, format!("{}: {why}", b.status.label()));
        }
        BusinessStatus::Approved => {}
    }
    page = page.section(status.links(links_for(&doc, &caller)));
    if !people::may(b, &caller, Duty::Manage) {
        return Ok(page);
    }
    let choices = settings.choices(b.kind);
    page = page.section(
        Section::titled(tr("Профиль", "Profile"))
            .fields([
                (
                    tr("Юридическое название", "Legal name"),
                    Cell::from(b.legal_name.clone()),
                ),
                ("ИНН", Cell::from(b.inn.clone())),
                (
                    tr("ОГРН / ОГРНИП", "ОГРН / ОГРНИП"),
                    Cell::from(b.ogrn.clone()),
                ),
            ])
            .form(
                Form::new("profile", tr("Сохранить", "Save"))
                    .field(
                        Field::text("name", tr("Название для жителей", "Name people know"))
                            .required()
                            .max_length(120)
                            .value(b.name.clone()),
                    )
                    .field(
                        Field::multiline("description", tr("О вас", "About"))
                            .max_length(2000)
                            .value(b.description.clone()),
                    )
                    .field(
                        Field::multi_select("categories", tr("Категории", "Categories"), choices)
                            .required()
                            .value(b.categories.join(",")),
                    )
                    .field(
                        Field::phone("phone", tr("Телефон", "Phone"))
                            .value(b.phone.clone().unwrap_or_default()),
                    )
                    .field(
                        Field::text("website", tr("Сайт", "Website"))
                            .max_length(200)
                            .value(b.website.clone().unwrap_or_default()),
                    ),
            ),
    );
    let branch_rows = b.branches.iter().map(|br| {
        Row::new([
            Cell::from(br.name.clone()),
            Cell::from(br.address.clone()),
            Cell::from(br.hours.clone()),
        ])
        .action(
            Button::action("remove-branch", tr("Убрать", "Remove"))
                .arg("branch", br.id.clone())
                .confirm(tr("Убрать этот адрес?", "Remove this address?"))
                .tone(Tone::Danger),
        )
    });
    let branch_title = if b.kind == BusinessKind::Shop {
        tr("Филиалы", "Branches")
    } else {
        tr("Откуда выезжаете", "Your base")
    };
    page = page.section(
        Section::titled(branch_title)
            .table(
                Table::new([
                    Column::text(tr("Название", "Name")),
                    Column::text(tr("Адрес", "Address")),
                    Column::text(tr("Часы", "Hours")),
                ])
                .rows(branch_rows)
                .empty_text(tr(
                    "Добавьте хотя бы один адрес",
                    "Add at least one address",
                )),
            )
            .form(
                Form::new("add-branch", tr("Добавить адрес", "Add the address"))
                    .field(
                        Field::text("name", tr("Название", "Name"))
                            .required()
                            .max_length(120),
                    )
                    .field(
                        Field::text("address", tr("Адрес", "Address"))
                            .required()
                            .max_length(300),
                    )
                    .field(Field::location("point", tr("На карте", "On the map")).required())
                    .field(
                        Field::text("hours", tr("Часы работы", "Opening hours"))
                            .required()
                            .max_length(300)
                            .help(tr(
                                "Например: Пн–Пт 8:00–20:00, Сб–Вс 9:00–18:00",
                                "E.g. Mon–Fri 8:00–20:00",
                            )),
                    )
                    .field(Field::phone("phone", tr("Телефон филиала", "Branch phone"))),
            ),
    );
    if b.kind == BusinessKind::Specialist {
        let rows = b.services.iter().map(|s| {
            Row::new([
                Cell::from(s.name.clone()),
                Cell::from(settings.category_name(&s.category)),
                Cell::from(s.price_from),
                Cell::from(format!("{} {}", s.radius_km, tr("км", "km"))),
            ])
            .action(
                Button::action("remove-service", tr("Убрать", "Remove"))
                    .arg("service", s.id.clone())
                    .tone(Tone::Danger),
            )
        });
        page = page.section(
            Section::titled(tr("Услуги и цены", "Services and prices"))
                .table(
                    Table::new([
                        Column::text(tr("Услуга", "Service")),
                        Column::text(tr("Категория", "Category")),
                        Column::numeric(tr("Цена от", "From")),
                        Column::numeric(tr("Выезд", "Radius")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Услуг пока нет", "No services yet")),
                )
                .form(
                    Form::new("add-service", tr("Добавить услугу", "Add the service"))
                        .field(
                            Field::text("name", tr("Услуга", "Service"))
                                .required()
                                .max_length(120),
                        )
                        .field(
                            Field::select(
                                "category",
                                tr("Категория", "Category"),
                                settings.choices(BusinessKind::Specialist),
                            )
                            .required(),
                        )
                        .field(Field::money("price_from", tr("Цена от", "Price from")).required())
                        .field(
                            Field::text("unit", tr("За что цена", "The price is per"))
                                .max_length(60)
                                .help(tr("за работу, за час, за точку", "per job, per hour")),
                        )
                        .field(
                            Field::number(
                                "radius_km",
                                tr("Радиус выезда, км", "Service radius, km"),
                                0,
                            )
                            .required(),
                        ),
                ),
        );
    }
    let mut photos = Section::titled(tr("Фотографии", "Photos"));
    for (i, photo) in b.photos.iter().enumerate() {
        photos = photos
            .photo(photo.clone(), format!("{} {}", b.name, i + 1))
            .buttons([
                Button::action("remove-photo", tr("Удалить фото", "Delete the photo"))
                    .arg("file", photo.clone())
                    .tone(Tone::Danger),
            ]);
    }
    if b.photos.len() < businesses::MAX_PHOTOS {
        photos = photos.form(
            Form::new("add-photo", tr("Загрузить", "Upload")).field(
                Field::file(
                    "photo",
                    tr("Фотография", "Photo"),
                    ["image/jpeg", "image/png", "image/webp"],
                )
                .required(),
            ),
        );
    }
    page = page.section(photos);
    let staff_rows = b.staff.iter().map(|s| {
        let mut can = Vec::new();
        if s.publish {
            can.push(tr("публикует", "publishes"));
        }
        if s.redeem {
            can.push(tr("гасит купоны", "redeems"));
        }
        Row::new([
            Cell::from(s.name.clone()),
            Cell::from(can.join(", ")),
            Cell::date(s.added),
        ])
        .action(
            Button::action("remove-staff", tr("Убрать", "Remove"))
                .arg("person", s.person.clone())
                .tone(Tone::Danger),
        )
    });
    let mut staff = Section::titled(tr("Сотрудники", "Staff")).table(
        Table::new([
            Column::text(tr("Имя", "Name")),
            Column::text(tr("Может", "May")),
            Column::text(tr("С", "Since")),
        ])
        .rows(staff_rows)
        .empty_text(tr("Пока только вы", "Only you so far")),
    );
    if let Some(org) = &b.organization {
        staff = staff.paragraph(format!(
            "{} «{org}»: {}",
            tr("Сотрудники организации", "The organization's people"),
            tr(
                "операторы управляют, исполнители гасят купоны.",
                "operators manage, executors redeem."
            )
        ));
    }
    staff = staff.form(
        Form::new("invite", tr("Создать приглашение", "Make an invitation"))
            .field(Field::checkbox(
                "publish",
                tr(
                    "Публикует акции и отвечает на отзывы",
                    "Publishes offers and answers reviews",
                ),
            ))
            .field(
                Field::checkbox(
                    "redeem",
                    tr("Гасит купоны на кассе", "Redeems coupons at the counter"),
                )
                .checked(true),
            ),
    );
    Ok(page.section(staff))
}

/// Actions of the management page.
pub fn manage_act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let route = format!("b/{id}/manage");
    above_the_form(match action {
        "profile" => {
            businesses::update_profile(id, &ProfileInput::from_form(form))?;
            back(route, tr("Профиль сохранён", "Profile saved"))
        }
        "add-branch" => {
            businesses::put_branch(id, None, &BranchInput::from_form(form))?;
            back(route, tr("Адрес добавлен", "Address added"))
        }
        "remove-branch" => {
            businesses::remove_branch(id, form.require("branch")?)?;
            back(route, tr("Адрес убран", "Address removed"))
        }
        "add-service" => {
            businesses::add_service(id, &ServiceInput::from_form(form)?)?;
            back(route, tr("Услуга добавлена", "Service added"))
        }
        "remove-service" => {
            businesses::remove_service(id, form.require("service")?)?;
            back(route, tr("Услуга убрана", "Service removed"))
        }
        "add-photo" => {
            businesses::add_photo(id, form.require("photo")?)?;
            back(route, tr("Фотография добавлена", "Photo added"))
        }
        "remove-photo" => {
            businesses::remove_photo(id, form.require("file")?)?;
            back(route, tr("Фотография удалена", "Photo deleted"))
        }
        "invite" => {
            let code = businesses::invite(id, form.flag("publish"), form.flag("redeem"))?;
            Ok(ActionOutcome::redirect(
                Link::to("join", "").param("code", code.clone()),
                format!(
                    "{} {code}. {}",
                    tr("Приглашение создано, код", "Invitation made, code"),
                    tr(
                        "Отправьте сотруднику ссылку этой страницы: он войдёт и присоединится. Код действует неделю.",
                        "Send this page's link to the staff member: they sign in and join. The code is valid for a week."
                    )
                ),
            ))
        }
        "remove-staff" => {
            businesses::remove_staff(id, form.require("person")?)?;
            back(route, tr("Сотрудник убран", "Staff member removed"))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}

/// Joining a business's staff with an invitation code.
pub fn join(query: &Params) -> Result<Page> {
    ctx::require_caller()?;
    let code = query.get("code").unwrap_or_default();
    Ok(
        Page::new(tr("Присоединиться к организации", "Join a business"))
            .breadcrumb(home_link())
            .section(
                Section::untitled().form(
                    Form::new("join", tr("Присоединиться", "Join")).field(
                        Field::text("code", tr("Код приглашения", "Invitation code"))
                            .required()
                            .max_length(20)
                            .value(code),
                    ),
                ),
            ),
    )
}

/// Accepting an invitation.
pub fn join_act(action: &str, form: &Params) -> Result<ActionOutcome> {
    if action != "join" {
        return Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        )));
    }
    let doc = businesses::join(form.get("code").unwrap_or_default())?;
    Ok(ActionOutcome::redirect(
        Link::to(format!("b/{}/manage", doc.id), ""),
        format!("{} «{}»", tr("Вы в команде", "You joined"), doc.data.name),
    ))
}

fn audience_text(offer: &crate::model::Offer, business: &Business) -> Result<String> {
    let names = offers::audience_names(offer, business)?;
    let list = if names.is_empty() {
        tr("пока ни одного дома", "no houses yet").to_owned()
    } else {
        names.join(", ")
    };
    Ok(match &offer.audience {
        Audience::Houses { .. } => list,
        Audience::Radius { branch, metres } => format!(
            "{metres} {} «{}»: {list}",
            tr("м вокруг", "m around"),
            business
                .branch(branch)
                .map_or(branch.as_str(), |b| b.name.as_str())
        ),
    })
}

/// The business's offers and the form of a new one.
pub fn offers(id: &str) -> Result<Page> {
    let doc = businesses::writable(id)?;
    people::require_duty(&doc.data, Duty::Publish)?;
    let mut rows = Vec::new();
    for offer in OFFERS
        .query()
        .filter("business", Compare::Eq, id)
        .limit(200)
        .fetch()?
        .docs
    {
        let redeemed = offers::redeemed(&offer.id)?;
        let limit = offer
            .data
            .limit
            .map_or_else(|| redeemed.to_string(), |l| format!("{redeemed} / {l}"));
        let running = offer.data.runs_on(ctx::today()?);
        let state = match offer.data.status {
            OfferStatus::Stopped => Badge::new(tr("Остановлена", "Stopped"), Tone::Neutral),
            _ if running => Badge::new(tr("Идёт", "Running"), Tone::Success),
            _ if offer.data.ends < ctx::today()? => {
                Badge::new(tr("Закончилась", "Ended"), Tone::Neutral)
            }
            _ => Badge::new(tr("Скоро", "Upcoming"), Tone::Info),
        };
        let mut row = Row::new([
            Cell::from(offer.data.title.clone()),
            Cell::from(period(&offer.data)),
            Cell::from(audience_text(&offer.data, &doc.data)?),
            Cell::from(limit),
            Cell::from(state),
        ]);
        if offer.data.status == OfferStatus::Published && offer.data.ends >= ctx::today()? {
            row = row.action(
                Button::action("stop", tr("Остановить", "Stop"))
                    .arg("offer", offer.id.clone())
                    .confirm(tr(
                        "Остановить акцию? Купоны перестанут действовать.",
                        "Stop the offer? Its coupons stop working.",
                    ))
                    .tone(Tone::Danger),
            );
        }
        rows.push(row);
    }
    let mut page = page_for(&doc, tr("Акции", "Offers")).section(
        Section::untitled().table(
            Table::new([
                Column::text(tr("Акция", "Offer")),
                Column::text(tr("Срок", "Period")),
                Column::text(tr("Для кого", "Audience")),
                Column::numeric(tr("Погашено", "Redeemed")),
                Column::text(tr("Состояние", "State")),
            ])
            .rows(rows)
            .empty_text(tr("Акций пока нет", "No offers yet")),
        ),
    );
    if doc.data.status != BusinessStatus::Approved {
        return Ok(page.section(Section::untitled().notice(
            Tone::Warning,
            tr(
                "Публиковать акции можно после проверки организации администратором.",
                "Offers can be published once an admin has verified the business.",
            ),
        )));
    }
    let houses = offers::home_places().into_iter().map(|c| (c.id, c.name));
    let branches = doc
        .data
        .branches
        .iter()
        .map(|b| (b.id.clone(), b.name.clone()));
    let today = ctx::today()?;
    page = page.section(
        Section::titled(tr("Новая акция", "New offer"))
            .paragraph(tr(
                "По закону о рекламе акция называет условия и срок. Жители увидят её на странице своего дома.",
                "By the advertising law an offer states its terms and period. Residents see it on their house's page.",
            ))
            .form(
                Form::new("create", tr("Опубликовать", "Publish"))
                    .field(Field::text("title", tr("Заголовок", "Headline")).required().max_length(120).help(tr("Например: −20 % на выпечку после 19:00", "E.g. −20% on pastries after 7 pm")))
                    .field(Field::multiline("terms", tr("Условия", "Terms")).required().max_length(2000))
                    .field(Field::date("starts", tr("Начало", "Starts")).required().day_value(today))
                    .field(Field::date("ends", tr("Последний день", "Last day")).required())
                    .field(
                        Field::radio(
                            "audience",
                            tr("Для кого", "For whom"),
                            [
                                ("houses", tr("Для жителей выбранных домов", "Residents of chosen houses")),
                                ("radius", tr("Для домов в радиусе от филиала", "Houses within a radius of a branch")),
                            ],
                        )
                        .required()
                        .value("houses"),
                    )
                    .field(Field::multi_select("houses", tr("Дома", "Houses"), houses))
                    .field(Field::select("branch", tr("Филиал", "Branch"), branches))
                    .field(Field::number("radius_m", tr("Радиус, м", "Radius, m"), 0))
                    .field(Field::number("limit", tr("Сколько купонов всего", "How many coupons in all"), 0).help(tr("Пусто — без лимита", "Empty: no limit"))),
            ),
    );
    Ok(page)
}

/// Actions of the offers' page.
pub fn offers_act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let route = format!("b/{id}/offers");
    above_the_form(match action {
        "create" => {
            let offer = offers::create(id, &OfferInput::from_form(form)?)?;
            back(
                route,
                format!(
                    "{} «{}»",
                    tr("Акция опубликована:", "Offer published:"),
                    offer.data.title
                ),
            )
        }
        "stop" => {
            offers::stop(form.require("offer")?)?;
            back(route, tr("Акция остановлена", "Offer stopped"))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}

/// The counter: scan the QR code or type the digits.
pub fn redeem(id: &str) -> Result<Page> {
    let doc = businesses::writable(id)?;
    let caller = people::require_duty(&doc.data, Duty::Redeem)?;
    let mut form = Form::new("redeem", tr("Погасить", "Redeem")).field(
        Field::scan("code", tr("Код купона", "Coupon code"))
            .required()
            .help(tr(
                "Отсканируйте QR-код с телефона покупателя или введите 6 цифр под ним",
                "Scan the QR code on the customer's phone or type the digits under it",
            )),
    );
    if doc.data.branches.len() > 1 {
        form = form.field(
            Field::select(
                "branch",
                tr("Филиал", "Branch"),
                doc.data
                    .branches
                    .iter()
                    .map(|b| (b.id.clone(), b.name.clone())),
            )
            .required(),
        );
    }
    let mine = REDEMPTIONS
        .query()
        .filter("business", Compare::Eq, id)
        .order_by("at", Direction::Desc)
        .limit(50)
        .fetch()?
        .docs
        .into_iter()
        .filter(|r| r.data.staff == caller.person_id)
        .take(10)
        .map(|r| {
            Row::new([
                Cell::datetime(r.data.at),
                Cell::from(r.data.offer_title.clone()),
                Cell::from(r.data.branch_name.clone()),
            ])
        });
    Ok(page_for(&doc, tr("Погасить купон", "Redeem a coupon"))
        .section(Section::untitled().form(form))
        .section(
            Section::titled(tr("Вы погасили недавно", "You redeemed recently")).table(
                Table::new([
                    Column::text(tr("Когда", "When")),
                    Column::text(tr("Акция", "Offer")),
                    Column::text(tr("Филиал", "Branch")),
                ])
                .rows(mine)
                .empty_text(tr("Пока ни одного", "None yet")),
            ),
        ))
}

/// Redeeming at the counter: every refusal is shown next to the code, in view.
pub fn redeem_act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    if action != "redeem" {
        return Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        )));
    }
    let input = RedeemInput {
        code: form.get("code").map(str::to_owned),
        branch: form.get("branch").map(str::to_owned),
    };
    match coupons::redeem(id, &input) {
        Ok(done) => {
            let left = done
                .remaining
                .map(|r| format!(" {} {r}.", tr("Осталось купонов:", "Coupons left:")))
                .unwrap_or_default();
            back(
                format!("b/{id}/redeem"),
                format!(
                    "{} «{}».{left}",
                    tr("Купон погашен:", "Coupon redeemed:"),
                    done.offer_title
                ),
            )
        }
        Err(e) if matches!(e.code, ErrorCode::Unauthenticated) => Err(e),
        Err(e) => {
            let field = match e.field.as_deref() {
                Some("branch") => "branch",
                _ => "code",
            };
            Ok(ActionOutcome::invalid([(field, e.message)]))
        }
    }
}

/// The redemptions log: when, which offer, where and by whom at the counter.
pub fn log(id: &str, query: &Params) -> Result<Page> {
    let doc = businesses::writable(id)?;
    people::require_duty(&doc.data, Duty::Redeem)?;
    let page = REDEMPTIONS
        .query()
        .filter("business", Compare::Eq, id)
        .order_by("at", Direction::Desc)
        .limit(50)
        .cursor(query.get("cursor"))
        .fetch()?;
    let rows = page.docs.iter().map(|r| {
        Row::new([
            Cell::datetime(r.data.at),
            Cell::from(r.data.offer_title.clone()),
            Cell::from(r.data.branch_name.clone()),
            Cell::from(r.data.staff_name.clone()),
        ])
    });
    let next = page
        .next_cursor
        .map(|c| Link::to(format!("b/{id}/log"), tr("Дальше", "More")).param("cursor", c));
    Ok(
        page_for(&doc, tr("Журнал погашений", "Redemptions log")).section(
            Section::untitled()
                .paragraph(tr(
                    "Каждое погашение купона. Кто из жителей приходил, здесь не видно.",
                    "Every coupon redeemed. Which resident came is not shown here.",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Когда", "When")),
                        Column::text(tr("Акция", "Offer")),
                        Column::text(tr("Филиал", "Branch")),
                        Column::text(tr("Кассир", "Cashier")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Погашений пока не было", "No redemptions yet"))
                    .next_page(next),
                ),
        ),
    )
}

/// What the business sees of its audience: households per house, under the floor.
pub fn stats(id: &str) -> Result<Page> {
    let doc = businesses::writable(id)?;
    people::require_duty(&doc.data, Duty::Manage)?;
    let floor: AudienceSettings = Settings::load()?.audience;
    let mut page = page_for(&doc, tr("Статистика акций", "Offer statistics")).section(Section::untitled().paragraph(format!(
        "{} {} {}",
        tr(
            "Домохозяйства, которые открыли, сохранили и использовали акцию, по домам. Число меньше",
            "Households that opened, saved and used each offer, by house. A count below"
        ),
        floor.floor,
        tr(
            "не показывается, чтобы нельзя было узнать соседа. Имён, квартир и телефонов здесь нет.",
            "is not shown, so that no neighbour can be singled out. No names, flats or phones here."
        )
    )));
    for offer in OFFERS
        .query()
        .filter("business", Compare::Eq, id)
        .limit(200)
        .fetch()?
        .docs
    {
        let s = stats::of_offer(&offer)?;
        let mut rows: Vec<Row> = stats::areas(&s)
            .into_iter()
            .map(|(area, name)| {
                Row::new([
                    Cell::from(name),
                    Cell::from(stats::label_of(&s.views, &area, floor.floor)),
                    Cell::from(stats::label_of(&s.saves, &area, floor.floor)),
                    Cell::from(stats::label_of(&s.redemptions, &area, floor.floor)),
                ])
            })
            .collect();
        rows.push(
            Row::new([
                Cell::from(tr("Всего", "In all")),
                Cell::from(s.views.total.label()),
                Cell::from(s.saves.total.label()),
                Cell::from(s.redemptions.total.label()),
            ])
            .tone(Tone::Info),
        );
        page = page.section(
            Section::titled(offer.data.title.clone())
                .paragraph(format!(
                    "{} · {}: {}",
                    period(&offer.data),
                    tr("погашено на кассе", "redeemed at the counter"),
                    s.redeemed
                ))
                .table(
                    Table::new([
                        Column::text(tr("Дом", "House")),
                        Column::numeric(tr("Открыли", "Opened")),
                        Column::numeric(tr("Сохранили", "Saved")),
                        Column::numeric(tr("Использовали", "Used")),
                    ])
                    .rows(rows),
                ),
        );
    }
    Ok(page)
}

/// A specialist's hired jobs.
pub fn jobs(id: &str) -> Result<Page> {
    let doc = businesses::writable(id)?;
    people::require_duty(&doc.data, Duty::Publish)?;
    let rows = hires::of_specialist(id)?.into_iter().map(|j| {
        let d = &j.data;
        let mut row = Row::new([
            Cell::datetime(d.created),
            Cell::from(format!("{} · {}", d.service_name, d.description)),
            Cell::from(format!("{}, {}, {}", d.person_name, d.phone, d.address)),
            Cell::from(Badge::new(d.status.label(), d.status.tone())),
        ]);
        match d.status {
            JobStatus::Requested => {
                row = row
                    .action(
                        Button::action("accept", tr("Принять", "Accept"))
                            .arg("job", j.id.clone())
                            .primary(),
                    )
                    .action(
                        Button::action("decline", tr("Отказаться", "Decline"))
                            .arg("job", j.id.clone())
                            .tone(Tone::Danger),
                    );
            }
            JobStatus::Accepted => {
                row = row.action(
                    Button::action("done", tr("Выполнено", "Done"))
                        .arg("job", j.id.clone())
                        .primary(),
                );
            }
            _ => {}
        }
        row
    });
    Ok(
        page_for(&doc, tr("Заявки жителей", "Residents' jobs")).section(
            Section::untitled().table(
                Table::new([
                    Column::text(tr("Когда", "When")),
                    Column::text(tr("Что", "What")),
                    Column::text(tr("Кто и где", "Who and where")),
                    Column::text(tr("Состояние", "State")),
                ])
                .rows(rows)
                .empty_text(tr("Заявок пока нет", "No jobs yet")),
            ),
        ),
    )
}

/// Actions on hired jobs.
pub fn jobs_act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let step = Step::parse(action)?;
    if step == Step::Cancel {
        return Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        )));
    }
    above_the_form((|| {
        let job = hires::advance(form.require("job")?, step)?;
        back(
            format!("b/{id}/jobs"),
            format!("{}: {}", job.data.service_name, job.data.status.label()),
        )
    })())
}
