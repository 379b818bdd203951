//! Residents' pages: offers for their house, an offer, their coupon with its changing code,
//! saved offers and coupons, a business's page with its reviews, writing a review, the
//! marketplace of specialists, hiring one and the jobs hired, and registering a business.

use dvor_sdk::prelude::*;
use dvor_sdk::ui::{Block, Marker};

use super::{
    above_the_form, ad_badge, back, business_link, home_link, manage_link, period, rating_text,
    when,
};
use crate::businesses::{self, BusinessInput};
use crate::coupons;
use crate::geo::distance_label;
use crate::hires::{self, HireInput, Order, Step};
use crate::model::{Basis, BusinessKind, BusinessStatus, COUPONS, JobStatus, ReviewStatus};
use crate::offers;
use crate::people;
use crate::reviews::{self, ReviewInput};
use crate::settings::Settings;

fn sign_in_notice(section: Section) -> Section {
    section.notice(
        Tone::Info,
        tr(
            "Войдите, чтобы получать купоны, сохранять акции и оставлять отзывы.",
            "Sign in to take coupons, save offers and write reviews.",
        ),
    )
}

/// The offers for `house` as a table, nearest first.
fn offers_table(house: &str) -> Result<Table> {
    let home_point = offers::point_of(house)?;
    let mut rows = Vec::new();
    for (offer, business) in offers::for_house(house)? {
        let mut place = business.data.name.clone();
        if let Some(point) = home_point
            && let Some((branch, metres)) = offers::nearest_branch(&business.data, point)
        {
            place = format!("{place} · {} · {}", branch.name, distance_label(metres));
        }
        let mut title = offer.data.title.clone();
        if let Some(ad) = ad_badge(&business.data)? {
            title = format!("{title} · {}", ad.label);
        }
        rows.push(
            Row::new([
                Cell::from(title),
                Cell::from(place),
                Cell::day(offer.data.ends),
            ])
            .link(Link::to(
                format!("offer/{}", offer.id),
                offer.data.title.clone(),
            )),
        );
    }
    Ok(Table::new([
        Column::text(tr("Акция", "Offer")),
        Column::text(tr("Где", "Where")),
        Column::text(tr("До", "Until")),
    ])
    .rows(rows)
    .empty_text(tr(
        "Сейчас акций для вашего дома нет",
        "No offers for your house right now",
    )))
}

/// The home page.
pub fn home() -> Result<Page> {
    let caller = ctx::caller();
    let home = caller.as_ref().and_then(people::home_of);
    let house = home
        .as_ref()
        .map_or_else(ctx::community, |h| h.house.clone());
    let house_name = dvor_sdk::directory::community(&house).map_or_else(String::new, |c| c.name);
    let mut page = Page::new(tr("Акции и мастера", "Offers and specialists"));
    let mut offers_section = Section::titled(format!(
        "{} · {house_name}",
        tr("Акции для вашего дома", "Offers for your house")
    ));
    if caller.is_none() {
        offers_section = sign_in_notice(offers_section);
    }
    page = page.section(offers_section.table(offers_table(&house)?));
    let mut links = vec![Link::to(
        "masters",
        tr("Мастера и услуги рядом", "Specialists nearby"),
    )];
    if caller.is_some() {
        links.push(Link::to("coupons", tr("Мои купоны", "My coupons")));
        links.push(Link::to("saved", tr("Сохранённые акции", "Saved offers")));
        links.push(Link::to("jobs", tr("Мои заявки мастерам", "My jobs")));
    }
    page = page.section(Section::untitled().links(links));
    if let Some(caller) = &caller {
        let mine = businesses::mine(caller)?;
        let mut section = Section::titled(tr("Для бизнеса", "For businesses"));
        let mut links = Vec::new();
        for b in &mine {
            links.push(Link::to(
                format!("b/{}/manage", b.id),
                format!("{} — {}", b.data.name, tr("управление", "manage")),
            ));
            if people::may(&b.data, caller, people::Duty::Redeem)
                && b.data.kind == BusinessKind::Shop
            {
                links.push(Link::to(
                    format!("b/{}/redeem", b.id),
                    format!(
                        "{} — {}",
                        b.data.name,
                        tr("погасить купон", "redeem a coupon")
                    ),
                ));
            }
        }
        links.push(Link::to(
            "register",
            tr(
                "Зарегистрировать организацию или мастера",
                "Register a business or a specialist",
            ),
        ));
        if people::is_admin() || people::is_moderator() {
            links.push(Link::to(
                "admin",
                tr(
                    "Проверка организаций и отзывов",
                    "Verification and moderation",
                ),
            ));
        }
        section = section.links(links);
        page = page.section(section);
    }
    Ok(page)
}

/// An offer's page: its terms and period, the business and its branches, and the coupon.
pub fn offer(id: &str) -> Result<Page> {
    let offer = offers::find(id)?;
    let business = businesses::visible(&offer.data.business)?;
    let caller = ctx::caller();
    let home = caller.as_ref().and_then(people::home_of);
    let fits = match &home {
        Some(home) => offers::check_for_home(&offer, &business, home),
        None => Err(Error::unauthenticated(tr(
            "Войдите, чтобы получить купон",
            "sign in to take a coupon",
        ))),
    };
    if let (Some(home), Ok(())) = (&home, &fits) {
        offers::record_view(&offer, home)?;
    }
    let redeemed = offers::redeemed(&offer.id)?;
    let mut facts = vec![
        (
            tr("Организация", "Business").to_owned(),
            Cell::from(business_link(&business.id, &business.data.name)),
        ),
        (
            tr("Срок акции", "Period").to_owned(),
            Cell::from(period(&offer.data)),
        ),
    ];
    if let Some(limit) = offer.data.limit {
        facts.push((
            tr("Осталось купонов", "Coupons left").to_owned(),
            Cell::from(format!(
                "{} {} {limit}",
                limit.saturating_sub(redeemed),
                tr("из", "of")
            )),
        ));
    }
    facts.push((
        tr("Рекламодатель", "Advertiser").to_owned(),
        Cell::from(format!(
            "{}, ИНН {}",
            business.data.legal_name, business.data.inn
        )),
    ));
    let mut main = Section::titled(offer.data.title.clone());
    if let Some(ad) = ad_badge(&business.data)? {
        main = main.badges([ad]);
    }
    main = main.paragraph(offer.data.terms.clone()).fields(facts);
    let mut page = Page::new(offer.data.title.clone())
        .breadcrumb(home_link())
        .section(main);
    let mut act = Section::untitled();
    match (&caller, fits) {
        (Some(caller), Ok(())) => {
            let coupon = COUPONS.get(&coupons::coupon_id(&offer.id, &caller.person_id))?;
            let saved = offers::is_saved(&offer.id, &caller.person_id)?;
            let mut buttons = Vec::new();
            match coupon {
                Some(c) => {
                    act = act.links([Link::to(
                        format!("coupon/{}", c.id),
                        tr("Мой купон", "My coupon"),
                    )])
                }
                None => buttons
                    .push(Button::action("take", tr("Получить купон", "Take a coupon")).primary()),
            }
            buttons.push(if saved {
                Button::action("unsave", tr("Убрать из сохранённых", "Unsave"))
            } else {
                Button::action("save", tr("Сохранить", "Save"))
            });
            act = act.buttons(buttons);
        }
        (_, Err(why)) => act = act.notice(Tone::Info, why.message),
        (None, Ok(())) => {}
    }
    page = page.section(act);
    let mut branches = Section::titled(tr("Где воспользоваться", "Where to use it"));
    let from = match &home {
        Some(h) => offers::point_of(&h.house)?,
        None => None,
    };
    let rows = business.data.branches.iter().map(|b| {
        let distance = from.map(|f| distance_label(f.distance_m(b.point).round() as u64));
        Row::new([
            Cell::from(b.name.clone()),
            Cell::from(b.address.clone()),
            Cell::from(b.hours.clone()),
            Cell::from(distance),
        ])
    });
    branches = branches.table(
        Table::new([
            Column::text(tr("Филиал", "Branch")),
            Column::text(tr("Адрес", "Address")),
            Column::text(tr("Часы", "Hours")),
            Column::numeric(tr("Рядом", "Distance")),
        ])
        .rows(rows)
        .empty_text(tr("Филиалов пока нет", "No branches yet")),
    );
    Ok(page.section(branches))
}

/// Actions of an offer's page.
pub fn offer_act(id: &str, action: &str) -> Result<ActionOutcome> {
    above_the_form(match action {
        "take" => {
            let coupon = coupons::take(id)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("coupon/{}", coupon.id), ""),
                tr(
                    "Купон ваш: покажите код на кассе",
                    "The coupon is yours: show the code at the counter",
                ),
            ))
        }
        "save" => {
            offers::set_saved(id, true)?;
            back(format!("offer/{id}"), tr("Акция сохранена", "Offer saved"))
        }
        "unsave" => {
            offers::set_saved(id, false)?;
            back(
                format!("offer/{id}"),
                tr("Убрано из сохранённых", "Removed from saved"),
            )
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}

/// A resident's coupon: the changing code, or when and where it was used.
pub fn coupon(id: &str) -> Result<Page> {
    let coupon = coupons::mine(id)?;
    let offer = offers::find(&coupon.data.offer)?;
    let business = businesses::find(&coupon.data.business)?;
    let mut page = Page::new(format!("{}: {}", tr("Купон", "Coupon"), offer.data.title))
        .breadcrumb(home_link())
        .breadcrumb(Link::to(
            format!("offer/{}", offer.id),
            offer.data.title.clone(),
        ));
    page = page.section(Section::untitled().fields([
        (
            tr("Организация", "Business"),
            Cell::from(business_link(&business.id, &business.data.name)),
        ),
        (tr("Срок акции", "Period"), Cell::from(period(&offer.data))),
    ]));
    match &coupon.data.used {
        None => {
            let shown = coupons::show(&coupon)?;
            let mut live = coupons::code_section(&shown).live(coupons::channel(&coupon.id));
            live.title = Some(tr("Код для кассы", "Code for the counter").to_owned());
            page = page.section(live);
        }
        Some(_) => {
            let mut section = coupons::used_section(&coupon.data);
            section.title = Some(tr("Купон использован", "Coupon used").to_owned());
            let basis = Basis::Coupon(coupon.id.clone());
            let reviewed = reviews::open_bases(&business.id)?
                .iter()
                .all(|(b, _)| *b != basis);
            section = if reviewed {
                section.paragraph(tr("Спасибо за отзыв!", "Thank you for your review!"))
            } else {
                section.links([Link::to(
                    format!("b/{}/review", business.id),
                    tr("Оставить отзыв", "Write a review"),
                )
                .param("basis", basis.to_value())])
            };
            page = page.section(section);
        }
    }
    Ok(page)
}

/// Actions of a coupon's page (none yet: the code renews itself).
pub fn coupon_act(_id: &str, _action: &str, _form: &Params) -> Result<ActionOutcome> {
    Err(Error::not_found(tr(
        "Нет такого действия",
        "no such action",
    )))
}

/// The offers the caller saved.
pub fn saved() -> Result<Page> {
    let caller = ctx::require_caller()?;
    let rows = offers::saved_by(&caller.person_id)?
        .into_iter()
        .map(|(o, b)| {
            Row::new([
                Cell::from(o.data.title.clone()),
                Cell::from(b.data.name.clone()),
                Cell::day(o.data.ends),
            ])
            .link(Link::to(format!("offer/{}", o.id), o.data.title.clone()))
            .action(Button::action("unsave", tr("Убрать", "Remove")).arg("offer", o.id.clone()))
        });
    Ok(Page::new(tr("Сохранённые акции", "Saved offers"))
        .breadcrumb(home_link())
        .section(
            Section::untitled().table(
                Table::new([
                    Column::text(tr("Акция", "Offer")),
                    Column::text(tr("Организация", "Business")),
                    Column::text(tr("До", "Until")),
                ])
                .rows(rows)
                .empty_text(tr("Вы пока ничего не сохранили", "Nothing saved yet")),
            ),
        ))
}

/// Actions of the saved offers' page.
pub fn saved_act(action: &str, form: &Params) -> Result<ActionOutcome> {
    match action {
        "unsave" => {
            offers::set_saved(form.require("offer")?, false)?;
            back("saved", tr("Убрано из сохранённых", "Removed from saved"))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}

/// The caller's coupons.
pub fn my_coupons() -> Result<Page> {
    let caller = ctx::require_caller()?;
    let mut rows = Vec::new();
    for c in COUPONS
        .query()
        .filter("person", Compare::Eq, caller.person_id.as_str())
        .limit(200)
        .fetch()?
        .docs
    {
        let Some(offer) = crate::model::OFFERS.get_inherited(&c.data.offer)? else {
            continue;
        };
        let state = match &c.data.used {
            Some(used) => Badge::new(
                format!("{} {}", tr("Использован", "Used"), when(used.at)),
                Tone::Success,
            ),
            None if offer.data.runs_on(ctx::today()?) => {
                Badge::new(tr("Действует", "Valid"), Tone::Info)
            }
            None => Badge::new(tr("Акция закончилась", "Offer ended"), Tone::Neutral),
        };
        rows.push(
            Row::new([
                Cell::from(offer.data.title.clone()),
                Cell::from(offer.data.business_name.clone()),
                Cell::from(state),
            ])
            .link(Link::to(
                format!("coupon/{}", c.id),
                offer.data.title.clone(),
            )),
        );
    }
    Ok(Page::new(tr("Мои купоны", "My coupons"))
        .breadcrumb(home_link())
        .section(
            Section::untitled().table(
                Table::new([
                    Column::text(tr("Акция", "Offer")),
                    Column::text(tr("Организация", "Business")),
                    Column::text(tr("Состояние", "State")),
                ])
                .rows(rows)
                .empty_text(tr("Купонов пока нет", "No coupons yet")),
            ),
        ))
}

/// A business's page: who they are, where, their offers here, photos, services and reviews.
pub fn business(id: &str) -> Result<Page> {
    let doc = businesses::visible(id)?;
    let b = &doc.data;
    let settings = Settings::load()?;
    let caller = ctx::caller();
    let staff = caller
        .as_ref()
        .is_some_and(|c| people::may(b, c, people::Duty::Publish));
    let mut about = Section::titled(b.name.clone());
    let mut badges = vec![Badge::new(b.status.label(), b.status.tone())];
    if let Some(ad) = ad_badge(b)? {
        badges.push(ad);
    }
    about = about.badges(badges);
    if !b.description.is_empty() {
        about = about.paragraph(b.description.clone());
    }
    let categories: Vec<String> = b
        .categories
        .iter()
        .map(|c| settings.category_name(c))
        .collect();
    let mut facts = vec![
        (
            tr("Рейтинг", "Rating").to_owned(),
            Cell::from(rating_text(b)),
        ),
        (
            tr("Категории", "Categories").to_owned(),
            Cell::from(categories.join(", ")),
        ),
        (
            tr("Юридическое лицо", "Legal entity").to_owned(),
            Cell::from(format!("{}, ИНН {}", b.legal_name, b.inn)),
        ),
    ];
    if let Some(phone) = &b.phone {
        facts.push((tr("Телефон", "Phone").to_owned(), Cell::from(phone.clone())));
    }
    if let Some(site) = &b.website {
        facts.push((tr("Сайт", "Website").to_owned(), Cell::from(site.clone())));
    }
    about = about.fields(facts);
    let mut page = Page::new(b.name.clone())
        .breadcrumb(home_link())
        .section(about);
    if caller.as_ref().is_some_and(|c| people::works_for(b, c)) {
        page = page.section(Section::untitled().links([manage_link(&doc.id)]));
    }
    for (i, photo) in b.photos.iter().enumerate() {
        if i == 0 {
            page = page.section(
                Section::titled(tr("Фотографии", "Photos")).photo(photo.clone(), b.name.clone()),
            );
        } else if let Some(last) = page.sections.last_mut() {
            last.blocks.push(Block::Image(dvor_sdk::ui::Image {
                source: dvor_sdk::ui::ImageSource::File(photo.clone()),
                alt: format!("{} {}", b.name, i + 1),
                width: None,
            }));
        }
    }
    let markers: Vec<Marker> = b
        .branches
        .iter()
        .map(|br| {
            Marker::at(
                br.point.lat,
                br.point.lon,
                format!("{} · {}", br.name, br.address),
            )
        })
        .collect();
    let mut places = Section::titled(tr("Адреса и часы", "Addresses and hours"));
    if !markers.is_empty() {
        places = places.block(Block::Markers(markers));
    }
    places = places.table(
        Table::new([
            Column::text(tr("Филиал", "Branch")),
            Column::text(tr("Адрес", "Address")),
            Column::text(tr("Часы", "Hours")),
            Column::text(tr("Телефон", "Phone")),
        ])
        .rows(b.branches.iter().map(|br| {
            Row::new([
                Cell::from(br.name.clone()),
                Cell::from(br.address.clone()),
                Cell::from(br.hours.clone()),
                Cell::from(br.phone.clone().or_else(|| b.phone.clone())),
            ])
        }))
        .empty_text(tr("Адресов пока нет", "No addresses yet")),
    );
    page = page.section(places);
    if !b.services.is_empty() {
        let rows = b.services.iter().map(|s| {
            Row::new([
                Cell::from(s.name.clone()),
                Cell::from(s.price_from),
                Cell::from(s.unit.clone()),
                Cell::from(format!("{} {}", s.radius_km, tr("км", "km"))),
            ])
        });
        let mut services = Section::titled(tr("Услуги и цены", "Services and prices")).table(
            Table::new([
                Column::text(tr("Услуга", "Service")),
                Column::numeric(tr("Цена от", "From")),
                Column::text(tr("За что", "Per")),
                Column::numeric(tr("Выезд", "Radius")),
            ])
            .rows(rows),
        );
        if b.status == BusinessStatus::Approved && caller.is_some() {
            services = services.links([Link::to(
                format!("b/{}/hire", doc.id),
                tr("Заказать работу", "Hire"),
            )]);
        }
        page = page.section(services);
    }
    if let Some(caller) = &caller
        && let Some(home) = people::home_of(caller)
    {
        let here: Vec<_> = offers::for_house(&home.house)?
            .into_iter()
            .filter(|(_, bb)| bb.id == doc.id)
            .collect();
        if !here.is_empty() {
            page = page.section(
                Section::titled(tr("Акции для вашего дома", "Offers for your house")).links(
                    here.iter()
                        .map(|(o, _)| Link::to(format!("offer/{}", o.id), o.data.title.clone())),
                ),
            );
        }
    }
    // Reviews.
    let (list, pending) = reviews::of_business(&doc.id)?;
    let mut section = Section::titled(format!(
        "{} · {}",
        tr("Отзывы", "Reviews"),
        b.rating.label()
    ));
    let open = reviews::open_bases(&doc.id)?;
    if let Some((basis, _)) = open.first() {
        section = section.links([Link::to(
            format!("b/{}/review", doc.id),
            tr("Оставить отзыв", "Write a review"),
        )
        .param("basis", basis.to_value())]);
    }
    for review in &pending {
        section = section
            .heading(format!("{} · {} ★", review.author_name, review.stars))
            .paragraph(review.text.clone())
            .notice(
                Tone::Info,
                tr(
                    "Публикуется: появится здесь в течение минуты",
                    "Being published: it appears here within a minute",
                ),
            );
    }
    let me = caller.as_ref().map(|c| c.person_id.clone());
    for review in &list {
        let r = &review.data;
        section = section
            .heading(format!(
                "{} · {} ★ · {}",
                r.author_name,
                r.stars,
                when(r.at)
            ))
            .paragraph(r.text.clone());
        if r.status == ReviewStatus::Hidden {
            let why = r
                .moderation
                .last()
                .map(|m| format!("{}: {}", reviews::action_label(&m.action), m.reason));
            section = section.notice(
                Tone::Warning,
                format!(
                    "{} {}",
                    tr(
                        "Ваш отзыв скрыт и виден только вам.",
                        "Your review is hidden and only you see it."
                    ),
                    why.unwrap_or_default()
                ),
            );
            if !r.queued {
                section = section.form(
                    Form::new("appeal", tr("Обжаловать", "Appeal"))
                        .field(Field::hidden("review", review.id.clone()))
                        .field(
                            Field::multiline(
                                "appeal",
                                tr("Почему отзыв надо вернуть", "Why it should be shown"),
                            )
                            .required()
                            .max_length(1000),
                        ),
                );
            }
        }
        if let Some(answer) = &r.answer {
            section = section.notice(
                Tone::Neutral,
                format!(
                    "{} {}: {}",
                    tr("Ответ организации", "The business answers"),
                    when(answer.at),
                    answer.text
                ),
            );
        }
        if staff {
            section = section.form(
                Form::new(
                    "answer",
                    if r.answer.is_some() {
                        tr("Изменить ответ", "Change the answer")
                    } else {
                        tr("Ответить", "Answer")
                    },
                )
                .field(Field::hidden("review", review.id.clone()))
                .field(
                    Field::multiline("answer", tr("Ответ на отзыв", "Answer to the review"))
                        .required()
                        .max_length(2000),
                ),
            );
        } else if caller.is_some()
            && me.as_deref() != Some(r.author.as_str())
            && r.status == ReviewStatus::Published
        {
            section = section.form(
                Form::new("report", tr("Пожаловаться", "Report"))
                    .field(Field::hidden("review", review.id.clone()))
                    .field(
                        Field::text(
                            "reason",
                            tr("Что не так с отзывом", "What is wrong with it"),
                        )
                        .required()
                        .max_length(500),
                    ),
            );
        }
    }
    if list.is_empty() && pending.is_empty() {
        section = section.empty(
            tr("Отзывов пока нет", "No reviews yet"),
            tr(
                "Отзыв оставляет тот, кто воспользовался акцией или заказал работу.",
                "Reviews come from people who used an offer or hired the specialist.",
            ),
        );
    }
    Ok(page.section(section))
}

/// Actions of a business's page: answering, reporting and appealing reviews.
pub fn business_act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let route = format!("b/{id}");
    above_the_form(match action {
        "answer" => {
            reviews::answer(form.require("review")?, form.get("answer"))?;
            back(route, tr("Ответ опубликован", "Answer published"))
        }
        "report" => {
            reviews::report(form.require("review")?, form.get("reason"))?;
            back(
                route,
                tr(
                    "Жалоба отправлена модераторам",
                    "Report sent to the moderators",
                ),
            )
        }
        "appeal" => {
            reviews::appeal(form.require("review")?, form.get("appeal"))?;
            back(
                route,
                tr(
                    "Жалоба на решение отправлена модераторам",
                    "Appeal sent to the moderators",
                ),
            )
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}

/// Writing a review.
pub fn review(id: &str, query: &Params) -> Result<Page> {
    ctx::require_caller()?;
    let doc = businesses::visible(id)?;
    let open = reviews::open_bases(&doc.id)?;
    let mut page = Page::new(format!(
        "{} {}",
        tr("Отзыв о", "A review of"),
        doc.data.name
    ))
    .breadcrumb(home_link())
    .breadcrumb(business_link(&doc.id, &doc.data.name));
    if open.is_empty() {
        return Ok(page.section(Section::untitled().empty(
            tr("Пока не о чем писать", "Nothing to review yet"),
            tr(
                "Отзыв оставляют после погашения купона или выполненной работы — по одному на каждую.",
                "A review follows a redeemed coupon or a completed job, one for each.",
            ),
        )));
    }
    let chosen = query
        .get("basis")
        .filter(|b| open.iter().any(|(x, _)| x.to_value() == *b))
        .map(str::to_owned)
        .or_else(|| open.first().map(|(b, _)| b.to_value()));
    let mut basis = Field::select(
        "basis",
        tr("О чём отзыв", "What it is about"),
        open.iter().map(|(b, l)| (b.to_value(), l.clone())),
    )
    .required();
    if let Some(chosen) = chosen {
        basis = basis.value(chosen);
    }
    page = page.section(
        Section::untitled().form(
            Form::new("post", tr("Опубликовать отзыв", "Publish the review"))
                .field(basis)
                .field(
                    Field::radio(
                        "stars",
                        tr("Оценка", "Rating"),
                        [
                            ("5", "5 ★★★★★"),
                            ("4", "4 ★★★★"),
                            ("3", "3 ★★★"),
                            ("2", "2 ★★"),
                            ("1", "1 ★"),
                        ],
                    )
                    .required(),
                )
                .field(
                    Field::multiline("text", tr("Отзыв", "Review"))
                        .required()
                        .max_length(Settings::load()?.reviews.max_length),
                ),
        ),
    );
    Ok(page)
}

/// Posting a review.
pub fn review_act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    if action != "post" {
        return Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        )));
    }
    above_the_form((|| {
        let posted = reviews::post(id, &ReviewInput::from_form(form)?)?;
        back(
            format!("b/{id}"),
            if posted.published {
                tr(
                    "Спасибо! Отзыв опубликован",
                    "Thank you! The review is published",
                )
            } else {
                tr(
                    "Спасибо! Отзыв появится в течение минуты",
                    "Thank you! The review appears within a minute",
                )
            },
        )
    })())
}

/// The marketplace: specialists by category, on the map and in a list by distance or rating.
pub fn masters(query: &Params) -> Result<Page> {
    let settings = Settings::load()?;
    let category = query
        .get("category")
        .filter(|c| settings.category(c).is_some());
    let order = match query.get("sort") {
        Some("rating") => Order::Rating,
        _ => Order::Distance,
    };
    let from = match ctx::caller().and_then(|c| people::home_of(&c)) {
        Some(home) => offers::point_of(&home.house)?,
        None => None,
    };
    let listings = hires::specialists(category, from, order)?;
    let title = match category {
        Some(c) => format!(
            "{}: {}",
            tr("Мастера", "Specialists"),
            settings.category_name(c)
        ),
        None => tr("Мастера и услуги рядом", "Specialists nearby").to_owned(),
    };
    let mut filters = vec![Link::to("masters", tr("Все", "All")).param(
        "sort",
        if order == Order::Rating {
            "rating"
        } else {
            "distance"
        },
    )];
    for (code, name) in settings.choices(BusinessKind::Specialist) {
        let mut link = Link::to("masters", name).param("category", code);
        if order == Order::Rating {
            link = link.param("sort", "rating");
        }
        filters.push(link);
    }
    let sort_link = |sort: &str, label: &str| {
        let mut link = Link::to("masters", label).param("sort", sort);
        if let Some(c) = category {
            link = link.param("category", c);
        }
        link
    };
    let page = Page::new(title)
        .breadcrumb(home_link())
        .section(Section::titled(tr("Категории", "Categories")).links(filters))
        .section(Section::untitled().links([
            sort_link("distance", tr("Ближе", "Nearest")),
            sort_link("rating", tr("Лучше по отзывам", "Best rated")),
        ]));
    let markers: Vec<Marker> = listings
        .iter()
        .filter_map(|l| {
            let base = l.business.data.branches.first()?;
            let mut label = l.business.data.name.clone();
            if let Some(s) = &l.service {
                label = format!("{label} · {} {}", tr("от", "from"), s.price_from);
            }
            Some(
                Marker::at(base.point.lat, base.point.lon, label)
                    .link(business_link(&l.business.id, &l.business.data.name))
                    .tone(if l.promoted.is_some() {
                        Tone::Warning
                    } else {
                        Tone::Info
                    }),
            )
        })
        .collect();
    let mut map = Section::titled(tr("На карте", "On the map"));
    if !markers.is_empty() {
        map = map.block(Block::Markers(markers));
    }
    let rows = listings.iter().map(|l| {
        let mut name = l.business.data.name.clone();
        if let Some(p) = &l.promoted {
            name = format!("{name} · {}", p.label());
        }
        Row::new([
            Cell::from(name),
            Cell::from(
                l.service
                    .as_ref()
                    .map(|s| format!("{} {} {}", s.name, tr("от", "from"), s.price_from)),
            ),
            Cell::from(rating_text(&l.business.data)),
            Cell::from(l.distance_m.map(distance_label)),
        ])
        .link(business_link(&l.business.id, &l.business.data.name))
    });
    map = map.table(
        Table::new([
            Column::text(tr("Мастер", "Specialist")),
            Column::text(tr("Услуга", "Service")),
            Column::text(tr("Отзывы", "Reviews")),
            Column::numeric(tr("Рядом", "Distance")),
        ])
        .rows(rows)
        .empty_text(tr(
            "В этой категории рядом никого нет",
            "Nobody nearby in this category",
        )),
    );
    if from.is_none() {
        map = map.paragraph(tr(
            "Расстояния появятся, когда администратор отметит ваш дом на карте.",
            "Distances appear once an admin puts your house on the map.",
        ));
    }
    Ok(page.section(map))
}

/// Hiring a specialist.
pub fn hire(id: &str) -> Result<Page> {
    ctx::require_caller()?;
    let doc = businesses::visible(id)?;
    let services = doc.data.services.iter().map(|s| {
        (
            s.id.clone(),
            format!("{} — {} {}", s.name, tr("от", "from"), s.price_from),
        )
    });
    Ok(
        Page::new(format!("{}: {}", tr("Заказать", "Hire"), doc.data.name))
            .breadcrumb(home_link())
            .breadcrumb(business_link(&doc.id, &doc.data.name))
            .section(
                Section::untitled()
                    .paragraph(tr(
                        "Мастер увидит ваше имя, телефон и адрес, чтобы договориться о визите.",
                        "The specialist sees your name, phone and address to arrange the visit.",
                    ))
                    .form(
                        Form::new("hire", tr("Отправить заявку", "Send the request"))
                            .field(
                                Field::select("service", tr("Услуга", "Service"), services)
                                    .required(),
                            )
                            .field(
                                Field::multiline(
                                    "description",
                                    tr("Что нужно сделать", "What needs doing"),
                                )
                                .required()
                                .max_length(1000),
                            )
                            .field(
                                Field::phone("phone", tr("Телефон для связи", "Phone")).required(),
                            )
                            .field(
                                Field::text("address", tr("Адрес и квартира", "Address and flat"))
                                    .required()
                                    .max_length(300),
                            ),
                    ),
            ),
    )
}

/// Sending a hire request.
pub fn hire_act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    if action != "hire" {
        return Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        )));
    }
    above_the_form((|| {
        hires::hire(id, &HireInput::from_form(form))?;
        back(
            "jobs",
            tr("Заявка отправлена мастеру", "The request was sent"),
        )
    })())
}

/// The jobs the caller hired.
pub fn my_jobs() -> Result<Page> {
    let caller = ctx::require_caller()?;
    let rows = hires::of_person(&caller.person_id)?.into_iter().map(|j| {
        let mut row = Row::new([
            Cell::from(j.data.specialist_name.clone()),
            Cell::from(j.data.service_name.clone()),
            Cell::datetime(j.data.created),
            Cell::from(Badge::new(j.data.status.label(), j.data.status.tone())),
        ]);
        match j.data.status {
            JobStatus::Requested | JobStatus::Accepted => {
                row = row.action(
                    Button::action("cancel", tr("Отменить", "Cancel"))
                        .arg("job", j.id.clone())
                        .confirm(tr("Отменить заявку?", "Cancel the request?")),
                );
            }
            JobStatus::Done => {
                row = row.link(
                    Link::to(
                        format!("b/{}/review", j.data.specialist),
                        tr("Оставить отзыв", "Write a review"),
                    )
                    .param("basis", Basis::Job(j.id.clone()).to_value()),
                );
            }
            _ => {}
        }
        row
    });
    Ok(Page::new(tr("Мои заявки мастерам", "My jobs"))
        .breadcrumb(home_link())
        .section(
            Section::untitled().table(
                Table::new([
                    Column::text(tr("Мастер", "Specialist")),
                    Column::text(tr("Услуга", "Service")),
                    Column::text(tr("Когда", "When")),
                    Column::text(tr("Состояние", "State")),
                ])
                .rows(rows)
                .empty_text(tr("Заявок пока нет", "No jobs yet")),
            ),
        ))
}

/// Actions of the jobs' page.
pub fn jobs_act(action: &str, form: &Params) -> Result<ActionOutcome> {
    above_the_form(match action {
        "cancel" => {
            hires::advance(form.require("job")?, Step::Cancel)?;
            back("jobs", tr("Заявка отменена", "The request is cancelled"))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}

/// Registering a business or a specialist.
pub fn register() -> Result<Page> {
    ctx::require_caller()?;
    let settings = Settings::load()?;
    let mut categories: Vec<(String, String)> = settings.choices(BusinessKind::Shop);
    categories.extend(settings.choices(BusinessKind::Specialist));
    Ok(Page::new(tr("Регистрация организации", "Register a business"))
        .breadcrumb(home_link())
        .section(
            Section::untitled()
                .paragraph(tr(
                    "ИНН и ОГРН проверяются по контрольным цифрам, затем администратор подтверждает организацию. До проверки её видите только вы.",
                    "The ИНН and ОГРН are checked by their check digits, then an admin approves the business. Until then only you see it.",
                ))
                .form(
                    Form::new("register", tr("Отправить на проверку", "Send for review"))
                        .field(
                            Field::radio(
                                "kind",
                                tr("Кто вы", "What you are"),
                                [
                                    ("shop", BusinessKind::Shop.label()),
                                    ("specialist", BusinessKind::Specialist.label()),
                                ],
                            )
                            .required(),
                        )
                        .field(Field::text("name", tr("Название для жителей", "Name people know")).required().max_length(120))
                        .field(Field::text("legal_name", tr("Юридическое название", "Legal name")).required().max_length(200).help(tr("ООО «…», ИП Фамилия Имя Отчество", "ООО «…», ИП Surname Name")))
                        .field(Field::text("inn", "ИНН").required().max_length(12).help(tr("10 цифр у организации, 12 — у предпринимателя", "10 digits for an organization, 12 for an entrepreneur")))
                        .field(Field::text("ogrn", tr("ОГРН или ОГРНИП", "ОГРН or ОГРНИП")).max_length(15).help(tr("Самозанятый мастер может не указывать", "A self-employed specialist may leave it out")))
                        .field(Field::multi_select("categories", tr("Категории", "Categories"), categories).required())
                        .field(Field::multiline("description", tr("О вас", "About")).max_length(2000))
                        .field(Field::phone("phone", tr("Телефон", "Phone")))
                        .field(Field::text("website", tr("Сайт", "Website")).max_length(200)),
                ),
        ))
}

/// Sending a registration.
pub fn register_act(action: &str, form: &Params) -> Result<ActionOutcome> {
    if action != "register" {
        return Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        )));
    }
    let doc = businesses::register(&BusinessInput::from_form(form))?;
    Ok(ActionOutcome::redirect(
        manage_link(&doc.id),
        tr(
            "Организация отправлена на проверку администратору",
            "The business was sent to an admin for review",
        ),
    ))
}
