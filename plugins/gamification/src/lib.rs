//! `gamification`: points for taking part in the life of a place, earned from other plugins'
//! events (a reading submitted, an appeal filed or resolved, a vote cast…) and from the host's
//! record of a person's days in the app; a ladder of statuses, badges, leaderboards, and the
//! "Мэр двора" title — one holder per house or yard, passing on when its holder goes quiet.
//!
//! It knows no other plugin: it only counts event kinds named in its settings. See
//! `docs/gamification.md`.

pub mod rules;

use std::collections::BTreeMap;

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message, Urgency};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::rules::{Candidate, Period, Settings};

/// Points awarded, id `{event}:{person}` so that an event delivered twice counts once.
const LEDGER: Collection<Award> = Collection::new("ledger");
/// People's choices, id = person.
const PROFILES: Collection<Profile> = Collection::new("profiles");
/// Badges given, id `{person}:{code}`.
const BADGES: Collection<Badge> = Collection::new("badges");
/// The title of a house or yard, id = its community.
const TITLES: Collection<Title> = Collection::new("titles");

const DAY_MS: i64 = 86_400_000;

/// Points one person got for one event (zero when the day's cap was reached: it still counts
/// towards badges).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Award {
    person: String,
    kind: String,
    points: i64,
    /// The local day, `YYYY-MM-DD`.
    day: String,
    /// When the event happened (ms).
    at: i64,
    event: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Profile {
    /// Not shown by name on leaderboards, and not given the title.
    hidden: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Badge {
    person: String,
    code: String,
    at: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Title {
    holder: Option<String>,
    since: i64,
    history: Vec<Tenure>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Tenure {
    person: String,
    from: i64,
    to: Option<i64>,
    /// Why it ended: `quiet` (the holder went quiet).
    ended: Option<String>,
}

fn settings() -> Result<Settings> {
    let settings: Settings = dvor_sdk::settings()?;
    settings
        .check()
        .map_err(|(field, message)| Error::invalid(field, message))?;
    Ok(settings)
}

fn localized<'a>(ru: &'a str, en: &'a str) -> &'a str {
    if ctx::is_english() { en } else { ru }
}

#[derive(Default)]
struct Gamification;

impl Plugin for Gamification {
    fn on_event(&self, event: Event) -> Result<()> {
        award(&event)
    }

    fn run_job(&self, name: &str, _cursor: Option<String>) -> Result<Option<String>> {
        match name {
            "mayor" => {
                pass_titles()?;
                Ok(None)
            }
            _ => Err(Error::not_found(format!("no job `{name}`"))),
        }
    }

    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        let (method, path) = req.route();
        match (method, path) {
            ("GET", "me") => ApiResponse::ok(&me()?),
            ("PUT", "me/privacy") => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Privacy {
                    hidden: bool,
                }
                let caller = ctx::require_caller()?;
                let privacy: Privacy = req.json()?;
                let profile = Profile {
                    hidden: privacy.hidden,
                };
                let community = PROFILES
                    .get(&caller.person_id)?
                    .map_or_else(ctx::community, |d| d.community);
                PROFILES.put(&community, &caller.person_id, &profile, None)?;
                ApiResponse::ok(&serde_json::json!({ "hidden": profile.hidden }))
            }
            ("GET", "leaderboard") => {
                let period =
                    Period::parse(req.param("period").unwrap_or("month")).ok_or_else(|| {
                        Error::invalid(
                            "period",
                            tr("Период: week, month или all", "period: week, month or all"),
                        )
                    })?;
                ApiResponse::ok(&serde_json::json!({ "leaders": leaderboard(period, 50)? }))
            }
            ("GET", "mayor") => {
                let community = req
                    .param("community")
                    .map_or_else(ctx::community, str::to_owned);
                let title = TITLES.get(&community)?.map(|d| d.data).unwrap_or_default();
                ApiResponse::ok(&serde_json::json!({
                    "community": community,
                    "title": settings()?.title().clone(),
                    "holder": title.holder.as_deref().map(person_name),
                    "holder_id": title.holder,
                    "since": title.since,
                    "history": title.history,
                }))
            }
            ("GET", "badges") => {
                ApiResponse::ok(&serde_json::json!({ "badges": settings()?.badges }))
            }
            _ => Err(Error::not_found(tr("Нет такого адреса", "no such route"))),
        }
    }

    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        if place != TilePlace::Person || ctx::caller().is_none() {
            return Ok(None);
        }
        let me = me()?;
        let mut tile = Tile::new(me.status.clone())
            .line(format!("{} {}", me.points, tr("баллов", "points")))
            .tone(Tone::Success);
        if let (Some(next), Some(needed)) = (&me.next, me.needed) {
            tile = tile.line(format!(
                "{} «{next}»: {needed}",
                tr("До статуса", "Points to")
            ));
        }
        Ok(Some(tile))
    }

    fn render_page(&self, route: &str, _query: &Params) -> Result<Page> {
        match route.trim_matches('/') {
            "" => home_page(),
            _ => Err(Error::not_found(tr("Нет такой страницы", "no such page"))),
        }
    }

    fn handle_action(&self, route: &str, action: &str, _form: &Params) -> Result<ActionOutcome> {
        match (route.trim_matches('/'), action) {
            ("", "hide" | "show") => {
                let caller = ctx::require_caller()?;
                let community = PROFILES
                    .get(&caller.person_id)?
                    .map_or_else(ctx::community, |d| d.community);
                PROFILES.put(
                    &community,
                    &caller.person_id,
                    &Profile {
                        hidden: action == "hide",
                    },
                    None,
                )?;
                Ok(ActionOutcome::redirect(
                    Link::to("", ""),
                    tr("Сохранено", "Saved"),
                ))
            }
            _ => Err(Error::not_found(tr(
                "Нет такого действия",
                "no such action",
            ))),
        }
    }
}

dvor_sdk::plugin!(Gamification, manifest = "dvor-plugin.toml");

/// Whom an event credits: the payload's `person_id` when it names one (a `null` there credits
/// nobody — a payment the board entered for a plot with no account is not the chairman's), else
/// the event's actor.
fn person_of(event: &Event) -> Option<String> {
    let payload = serde_json::from_str::<serde_json::Value>(&event.payload).ok();
    match payload.as_ref().and_then(|p| p.get("person_id")) {
        Some(named) => named.as_str().map(str::to_owned),
        None => event.actor.clone(),
    }
}

/// The local day of `ms`.
fn day_of(ms: i64) -> Result<String> {
    let offset = ctx::utc_offset_minutes()?;
    Ok(Date::from_timestamp(ms, offset)
        .map(|d| d.to_string())
        .unwrap_or_default())
}

/// Credit the event's person with its points (up to the day's cap), once per event; then give
/// the badges it completes and tell the person of a new status.
fn award(event: &Event) -> Result<()> {
    let settings = settings()?;
    let Some(rule) = settings.rule(&event.kind).cloned() else {
        return Ok(());
    };
    let Some(person) = person_of(event) else {
        return Ok(());
    };
    let id = format!("{}:{person}", event.id);
    if LEDGER.get(&id)?.is_some() {
        return Ok(());
    }
    let day = day_of(event.occurred)?;
    let earned_today = LEDGER
        .query()
        .filter("person", Compare::Eq, person.as_str())
        .filter("kind", Compare::Eq, event.kind.as_str())
        .filter("day", Compare::Eq, day.as_str())
        .sum("points")?;
    let points = rules::points_for(&rule, earned_today);
    let before = total_of(&person)?;
    LEDGER.put(
        &event.community,
        &id,
        &Award {
            person: person.clone(),
            kind: event.kind.clone(),
            points,
            day,
            at: event.occurred,
            event: event.id.clone(),
        },
        Some(0),
    )?;
    let after = before + points;
    let ladder = settings.ladder();
    let (was, now) = (
        rules::standing(ladder, before).status,
        rules::standing(ladder, after).status,
    );
    if was != now {
        tell(
            &person,
            Localized::new(
                format!("Новый статус: {}", now.name_ru),
                format!("New status: {}", now.name_en),
            ),
            Localized::new(
                format!("У вас {after} баллов — вы теперь «{}».", now.name_ru),
                format!("You have {after} points and are now \"{}\".", now.name_en),
            ),
        )?;
    }
    give_badges(&settings, &person, &event.kind, &event.community)
}

fn tell(person: &str, title: Localized, body: Localized) -> Result<()> {
    notifications::notify(
        &[person.to_owned()],
        &Message::new(title, body).link("").urgency(Urgency::Low),
    )
}

fn give_badges(settings: &Settings, person: &str, kind: &str, community: &str) -> Result<()> {
    let due: Vec<_> = settings.badges.iter().filter(|b| b.kind == kind).collect();
    if due.is_empty() {
        return Ok(());
    }
    let count = LEDGER
        .query()
        .filter("person", Compare::Eq, person)
        .filter("kind", Compare::Eq, kind)
        .count()?;
    for badge in due {
        let id = format!("{person}:{}", badge.code);
        if count < badge.count || BADGES.get(&id)?.is_some() {
            continue;
        }
        BADGES.put(
            community,
            &id,
            &Badge {
                person: person.to_owned(),
                code: badge.code.clone(),
                at: ctx::now(),
            },
            Some(0),
        )?;
        tell(
            person,
            Localized::new(
                format!("Значок «{}»", badge.name_ru),
                format!("Badge \"{}\"", badge.name_en),
            ),
            Localized::new(
                "Вы получили новый значок".to_owned(),
                "You earned a new badge".to_owned(),
            ),
        )?;
    }
    Ok(())
}

/// A person's points in the call's scope.
fn total_of(person: &str) -> Result<i64> {
    LEDGER
        .query()
        .filter("person", Compare::Eq, person)
        .sum("points")
}

fn is_hidden(person: &str) -> Result<bool> {
    Ok(PROFILES.get(person)?.is_some_and(|p| p.data.hidden))
}

fn person_name(person: &str) -> String {
    directory::person(person)
        .map(|p| p.display_name)
        .unwrap_or_else(|| tr("Житель", "Resident").to_owned())
}

/// What the caller sees of themselves.
#[derive(Serialize)]
struct Me {
    points: i64,
    status: String,
    next: Option<String>,
    needed: Option<i64>,
    titles: Vec<String>,
    badges: Vec<serde_json::Value>,
    history: Vec<serde_json::Value>,
    hidden: bool,
}

fn me() -> Result<Me> {
    let caller = ctx::require_caller()?;
    let settings = settings()?;
    let points = total_of(&caller.person_id)?;
    let standing = rules::standing(settings.ladder(), points);
    let titles: Vec<String> = TITLES
        .query()
        .fetch_all()?
        .into_iter()
        .filter(|d| d.data.holder.as_deref() == Some(caller.person_id.as_str()))
        .map(|d| d.id)
        .collect();
    let status = if titles.is_empty() {
        localized(&standing.status.name_ru, &standing.status.name_en).to_owned()
    } else {
        localized(&settings.title().name_ru, &settings.title().name_en).to_owned()
    };
    let badges = BADGES
        .query()
        .filter("person", Compare::Eq, caller.person_id.as_str())
        .fetch_all()?
        .into_iter()
        .map(|d| {
            let rule = settings.badges.iter().find(|b| b.code == d.data.code);
            serde_json::json!({
                "code": d.data.code, "at": d.data.at,
                "name": rule.map(|r| localized(&r.name_ru, &r.name_en).to_owned()),
            })
        })
        .collect();
    let history = LEDGER
        .query()
        .filter("person", Compare::Eq, caller.person_id.as_str())
        .order_by("at", Direction::Desc)
        .limit(50)
        .fetch()?
        .docs
        .into_iter()
        .map(|d| serde_json::json!({ "kind": d.data.kind, "points": d.data.points, "at": d.data.at }))
        .collect();
    Ok(Me {
        points,
        status,
        next: standing
            .next
            .map(|n| localized(&n.name_ru, &n.name_en).to_owned()),
        needed: standing.needed,
        titles,
        badges,
        history,
        hidden: is_hidden(&caller.person_id)?,
    })
}

/// One line of a leaderboard.
#[derive(Serialize)]
struct Leader {
    place: usize,
    /// The name, or none for those who hid it.
    name: Option<String>,
    points: i64,
    /// Whether it is the caller.
    you: bool,
}

fn leaderboard(period: Period, top: usize) -> Result<Vec<Leader>> {
    let start = period.start(ctx::today()?, ctx::utc_offset_minutes()?);
    let caller = ctx::caller();
    let me = caller.as_ref().map(|c| c.person_id.clone());
    let groups = LEDGER
        .query()
        .filter("at", Compare::Ge, start)
        .group_by("person", Some("points"))?;
    let mut rows: Vec<(String, i64)> = groups
        .into_iter()
        .filter_map(|g| match g.key {
            dvor_sdk::storage::Value::Text(person) if g.sum > 0 => Some((person, g.sum)),
            _ => None,
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows.into_iter()
        .take(top)
        .enumerate()
        .map(|(i, (person, points))| {
            let you = me.as_deref() == Some(person.as_str());
            let name = match &caller {
                Some(caller) if you => Some(caller.display_name.clone()),
                _ if is_hidden(&person)? => None,
                _ => Some(person_name(&person)),
            };
            Ok(Leader {
                place: i + 1,
                name,
                points,
                you,
            })
        })
        .collect()
}

/// For every house and yard in scope: give the title to the most active eligible resident when
/// it is vacant or its holder has gone quiet; tell both; keep the history.
fn pass_titles() -> Result<()> {
    let settings = settings()?;
    let root = ctx::community();
    let now = ctx::now();
    let mut places = directory::descendants(&root, Some("house"));
    places.extend(directory::descendants(&root, Some("yard")));
    if let Some(me) = directory::community(&root).filter(|c| c.kind == "house" || c.kind == "yard")
    {
        places.push(me);
    }
    let since = now - settings.mayor.window_days * DAY_MS;
    let threshold = settings.title().points;
    for place in places {
        let groups = LEDGER
            .query()
            .in_community(&place.id)
            .filter("at", Compare::Ge, since)
            .group_by("person", Some("points"))?;
        let mut candidates = Vec::new();
        let mut last_active: BTreeMap<String, i64> = BTreeMap::new();
        for group in groups {
            let dvor_sdk::storage::Value::Text(person) = group.key else {
                continue;
            };
            let last = last_activity(&place.id, &person)?;
            last_active.insert(person.clone(), last);
            let lives_here = directory::units_of(&person)
                .iter()
                .any(|u| u.community == place.id);
            if !lives_here || is_hidden(&person)? || total_of(&person)? < threshold {
                continue;
            }
            candidates.push(Candidate {
                person,
                recent_points: group.sum,
                last_active: last,
            });
        }
        let stored = TITLES.get(&place.id)?;
        let mut title = stored.as_ref().map(|d| d.data.clone()).unwrap_or_default();
        let holder_last = match &title.holder {
            Some(holder) => Some(match last_active.get(holder) {
                Some(last) => *last,
                None => last_activity(&place.id, holder)?,
            }),
            None => None,
        };
        let Some(next) = rules::next_holder(
            title.holder.as_deref(),
            holder_last,
            &candidates,
            now,
            settings.mayor.inactive_days * DAY_MS,
        ) else {
            continue;
        };
        let previous = title.holder.replace(next.clone());
        if let Some(last) = title.history.last_mut()
            && last.to.is_none()
        {
            last.to = Some(now);
            last.ended = Some("quiet".into());
        }
        title.history.push(Tenure {
            person: next.clone(),
            from: now,
            to: None,
            ended: None,
        });
        title.since = now;
        TITLES.put(
            &place.id,
            &place.id,
            &title,
            Some(stored.map_or(0, |d| d.version)),
        )?;
        let name = &settings.title();
        tell(
            &next,
            Localized::new(
                format!("Вы — {} ({})", name.name_ru, place.name),
                format!("You are the {} ({})", name.name_en, place.name),
            ),
            Localized::new(
                "Вы самый активный житель — звание ваше, пока вы активны.".to_owned(),
                "You are the most active resident: the title is yours while you stay active."
                    .to_owned(),
            ),
        )?;
        if let Some(previous) = previous {
            tell(
                &previous,
                Localized::new(
                    format!("Звание «{}» передано", name.name_ru),
                    format!("The \"{}\" title has passed on", name.name_en),
                ),
                Localized::new(
                    format!(
                        "Вы давно не заходили, и звание перешло к {}. Возвращайтесь!",
                        person_name(&next)
                    ),
                    format!(
                        "You have been away, and the title passed to {}. Come back!",
                        person_name(&next)
                    ),
                ),
            )?;
        }
    }
    Ok(())
}

fn last_activity(place: &str, person: &str) -> Result<i64> {
    Ok(LEDGER
        .query()
        .in_community(place)
        .filter("person", Compare::Eq, person)
        .order_by("at", Direction::Desc)
        .limit(1)
        .fetch()?
        .docs
        .first()
        .map_or(0, |d| d.data.at))
}

fn home_page() -> Result<Page> {
    let mut page = Page::new(tr("Рейтинг двора", "Neighbourhood rating"));
    if ctx::caller().is_some() {
        let me = me()?;
        let mut section = Section::titled(tr("Мой статус", "My status")).stats([
            Stat::new(tr("Статус", "Status"), me.status.clone()),
            Stat::new(tr("Баллы", "Points"), me.points),
        ]);
        if let (Some(next), Some(needed)) = (&me.next, me.needed) {
            section = section.paragraph(format!(
                "{} «{next}»: {} {needed}",
                tr("До статуса", "To"),
                tr("осталось баллов", "points to go:")
            ));
        }
        section = section.buttons([if me.hidden {
            Button::action(
                "show",
                tr(
                    "Показывать моё имя в рейтинге",
                    "Show my name on leaderboards",
                ),
            )
        } else {
            Button::action(
                "hide",
                tr("Скрыть моё имя в рейтинге", "Hide my name on leaderboards"),
            )
        }]);
        page = page.section(section);
    }
    for (period, title) in [
        (Period::Week, tr("За неделю", "This week")),
        (Period::Month, tr("За месяц", "This month")),
        (Period::All, tr("За всё время", "All time")),
    ] {
        let leaders = leaderboard(period, 10)?;
        page = page.section(
            Section::titled(title).table(
                Table::new([
                    Column::numeric("#"),
                    Column::text(tr("Житель", "Resident")),
                    Column::numeric(tr("Баллы", "Points")),
                ])
                .rows(leaders.into_iter().map(|l| {
                    Row::new([
                        Cell::from(l.place as i64),
                        Cell::from(
                            l.name
                                .unwrap_or_else(|| tr("Скрыл имя", "Name hidden").to_owned()),
                        ),
                        Cell::from(l.points),
                    ])
                }))
                .empty_text(tr("Пока никого", "Nobody yet")),
            ),
        );
    }
    Ok(page)
}
