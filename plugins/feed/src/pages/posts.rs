//! The feed, a new post, a post with its comments, and reporting a text.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use dvor_sdk::ui::{Block, TimelineEntry};

use super::{byline, home_link, not_found};
use crate::access::{self, Here};
use crate::comments::{self, NewComment};
use crate::feed::{self, NewPost, REACTIONS};
use crate::model::{Moderation, PostDoc, Settings, TargetKind};
use crate::moderation::{self as mods, Item};
use crate::posts::{PostKind, PostState};
use crate::text::{plural, shorten};

/// A post as a card of the feed.
fn card(doc: &Doc<PostDoc>, settings: &Settings, now: i64) -> Result<Section> {
    let p = &doc.data;
    let mut section = Section::titled(p.heading()).badges(badges(doc, settings, now));
    if let Some(photo) = p.photos.first() {
        section = section.photo(photo.clone(), p.heading());
    }
    section = section.paragraph(shorten(&p.text, 280));
    let mut fields = vec![(
        tr("Кто", "Who").to_owned(),
        Cell::from(byline(
            &p.author_name,
            p.author_address.as_deref(),
            p.organization.as_deref(),
        )),
    )];
    if let PostKind::Event { starts_at, .. } = p.kind {
        fields.push((tr("Когда", "When").to_owned(), Cell::datetime(starts_at)));
        fields.push((
            tr("Пойдут", "Going").to_owned(),
            Cell::from(p.going.count() as i64),
        ));
    } else {
        fields.push((
            tr("Опубликовано", "Posted").to_owned(),
            Cell::datetime(p.published_at),
        ));
    }
    let comments = feed::comment_count(&doc.id)?;
    let open = if comments == 0 {
        tr("Открыть", "Open").to_owned()
    } else {
        format!(
            "{} · {}",
            tr("Открыть", "Open"),
            plural(comments, "комментарий", "комментария", "комментариев")
        )
    };
    Ok(section
        .fields(fields)
        .links([Link::to(format!("posts/{}", doc.id), open)]))
}

fn badges(doc: &Doc<PostDoc>, settings: &Settings, now: i64) -> Vec<Badge> {
    let p = &doc.data;
    let mut badges = vec![Badge::new(
        feed::type_label(&p.kind),
        match p.kind {
            PostKind::LostFound { .. } => Tone::Warning,
            PostKind::Event { .. } => Tone::Info,
            _ => Tone::Neutral,
        },
    )];
    if p.pinned {
        badges.push(Badge::new(tr("Закреплено", "Pinned"), Tone::Info));
    }
    if let Some((label, tone)) = feed::state_label(p, now, settings) {
        badges.push(Badge::new(label, tone));
    }
    if let Some(entrance) = &p.entrance {
        badges.push(Badge::new(
            format!("{} {entrance}", tr("Подъезд", "Entrance")),
            Tone::Neutral,
        ));
    }
    if p.place != ctx::community() {
        let name = directory::ancestors()
            .into_iter()
            .find(|c| c.id == p.place)
            .map_or_else(|| p.place.clone(), |c| c.name);
        badges.push(Badge::new(name, Tone::Neutral));
    }
    if p.mod_state.moderation != Moderation::Published {
        badges.push(Badge::new(p.mod_state.moderation.label(), Tone::Warning));
    }
    badges
}

/// The feed of the place.
pub fn home(query: &Params) -> Result<Page> {
    let here = Here::require_part()?;
    // The first visit starts the person's time here.
    crate::people::of_caller(&here.caller)?;
    let settings = Settings::load()?;
    let now = ctx::now();
    let place = directory::community(&ctx::community()).map(|c| c.name);
    let kind = query
        .get("type")
        .filter(|k| feed::filter_choices().iter().any(|(c, _)| c == k));
    let mut page = Page::new(match &place {
        Some(name) => format!("{}: {name}", tr("Соседи", "Neighbours")),
        None => tr("Соседи", "Neighbours").to_owned(),
    });
    let mut links = vec![Link::to(
        "new",
        tr("Написать соседям", "Write to the neighbours"),
    )];
    let rooms = crate::chat::my_rooms(&here)?;
    if !rooms.is_empty() {
        let unread: u64 = rooms.iter().map(|(_, n)| n).sum();
        links.push(Link::to(
            "chats",
            if unread > 0 {
                format!(
                    "{} · {unread} {}",
                    tr("Чаты дома", "House chats"),
                    tr("новых", "new")
                )
            } else {
                tr("Чаты дома", "House chats").to_owned()
            },
        ));
    }
    if access::moderates_somewhere_here(&here.caller) {
        let waiting = mods::queue(&here.caller)?.len() + mods::appeals_for(&here.caller)?.len();
        links.push(Link::to(
            "moderation",
            format!("{} ({waiting})", tr("Модерация", "Moderation")),
        ));
    }
    links.push(Link::to(
        "decisions",
        tr("Решения по моим записям", "Decisions on my posts"),
    ));
    page = page.section(Section::untitled().links(links));

    let mut filters = vec![Link::to("", tr("Все", "All"))];
    filters.extend(
        feed::filter_choices()
            .into_iter()
            .map(|(code, label)| Link::to("", label).param("type", code)),
    );
    page = page.section(Section::titled(tr("Показать", "Show")).links(filters));

    let waiting = feed::my_waiting(&here)?;
    if !waiting.is_empty() {
        let mut section = Section::untitled().notice(
            Tone::Info,
            tr(
                "Ваши записи ждут проверки модератором — новые участники публикуют первые записи после проверки.",
                "Your posts wait for a moderator: a new member's first posts are checked first.",
            ),
        );
        section = section.links(
            waiting
                .iter()
                .map(|d| Link::to(format!("posts/{}", d.id), d.data.heading())),
        );
        page = page.section(section);
    }

    let found = feed::list(&here, kind, query.get("cursor"))?;
    if found.pinned.is_empty() && found.posts.is_empty() {
        page = page.section(Section::untitled().empty(
            tr("Пока тихо", "All quiet so far"),
            tr(
                "Напишите первым: новость, вопрос соседям или «отдам даром».",
                "Be the first: news, a question to the neighbours or something to give away.",
            ),
        ));
    }
    for doc in found.pinned.iter().chain(&found.posts) {
        page = page.section(card(doc, &settings, now)?);
    }
    if let Some(next) = found.next {
        let mut more = Link::to("", tr("Ещё записи", "More posts")).param("cursor", next);
        if let Some(kind) = kind {
            more = more.param("type", kind);
        }
        page = page.section(Section::untitled().links([more]));
    }
    Ok(page)
}

/// The form of a new post.
pub fn new_post() -> Result<Page> {
    let here = Here::require_part()?;
    let settings = Settings::load()?;
    let place = ctx::community();
    let mut form = Form::new("create-post", tr("Опубликовать", "Publish"))
        .field(Field::select("type", tr("Что это", "What it is"), feed::type_choices()).required())
        .field(Field::text("title", tr("Заголовок", "Title")).max_length(120))
        .field(
            Field::multiline("text", tr("Текст", "Text"))
                .required()
                .max_length(settings.limits.post_chars as u32),
        );
    let trusted = here.is_staff() || here.moderator;
    let mut entrances: Vec<String> = if trusted {
        directory::units(&place)
            .into_iter()
            .filter_map(|u| u.entrance)
            .collect()
    } else {
        access::units_here(&here.caller)
            .into_iter()
            .filter(|u| u.community == place)
            .filter_map(|u| u.entrance)
            .collect()
    };
    entrances.sort_by(|a, b| directory::cmp_unit_numbers(a, b));
    entrances.dedup();
    if !entrances.is_empty() {
        let mut choices = vec![(String::new(), tr("Весь дом", "The whole house").to_owned())];
        choices.extend(
            entrances
                .into_iter()
                .map(|e| (e.clone(), format!("{} {e}", tr("Подъезд", "Entrance")))),
        );
        form = form.field(Field::select(
            "entrance",
            tr("Для кого", "For whom"),
            choices,
        ));
    }
    form = form
        .field(Field::file(
            "photo",
            tr("Фото", "Photo"),
            ["image/jpeg", "image/png", "image/webp"],
        ))
        .field(
            Field::date("day", tr("День события", "The event's day"))
                .help(tr("Только для событий", "Events only")),
        )
        .field(
            Field::text("start", tr("Начало, ЧЧ:ММ", "Starts, HH:MM"))
                .max_length(5)
                .help(tr(
                    "Только для событий, например 19:00",
                    "Events only, e.g. 19:00",
                )),
        )
        .field(
            Field::text("end", tr("Конец, ЧЧ:ММ", "Ends, HH:MM"))
                .max_length(5)
                .help(tr(
                    "Необязательно: через два часа после начала",
                    "Optional: two hours after the start",
                )),
        );
    if here.is_staff() {
        form = form.field(
            Field::checkbox(
                "as_company",
                tr("От имени управляющей компании", "As the management company"),
            )
            .checked(true),
        );
    }
    if trusted {
        form = form.field(Field::checkbox(
            "pinned",
            tr("Закрепить вверху ленты", "Pin to the top of the feed"),
        ));
    }
    Ok(Page::new(tr("Написать соседям", "Write to the neighbours"))
        .breadcrumb(home_link())
        .section(Section::untitled().form(form)))
}

/// The new post from the form.
pub fn create(form: &Params) -> Result<ActionOutcome> {
    let get = |name: &str| form.get(name).map(str::to_owned);
    let input = NewPost {
        kind: form.get("type").unwrap_or_default().to_owned(),
        title: form.get("title").unwrap_or_default().to_owned(),
        text: form.get("text").unwrap_or_default().to_owned(),
        entrance: get("entrance"),
        day: get("day"),
        start: get("start"),
        end: get("end"),
        photo: get("photo"),
        pinned: form.flag("pinned"),
        as_company: Some(form.flag("as_company")),
    };
    let created = feed::create(&input)?;
    let notice = match created.moderation {
        Moderation::Published => tr("Запись опубликована", "Posted"),
        _ => tr(
            "Запись появится в ленте после проверки модератором",
            "The post will appear once a moderator has checked it",
        ),
    };
    Ok(ActionOutcome::redirect(
        Link::to(format!("posts/{}", created.id), tr("Запись", "Post")),
        notice,
    ))
}

fn comment_entry(c: &Doc<crate::model::CommentDoc>, to: Option<&str>) -> TimelineEntry {
    TimelineEntry {
        at: c.data.at,
        title: match to {
            Some(to) => format!("{} → {to}", c.data.author_name),
            None => c.data.author_name.clone(),
        },
        note: Some(c.data.text.clone()),
        actor: None,
        tone: Tone::Neutral,
    }
}

/// A post with its comments.
pub fn post(id: &str, query: &Params) -> Result<Page> {
    let here = Here::require_part()?;
    let settings = Settings::load()?;
    let now = ctx::now();
    let doc = feed::visible(&here, id)?;
    let p = &doc.data;
    let mine = p.author == here.caller.person_id;
    let moderator = access::moderates(&here.caller, &doc.community);
    let here_too = feed::is_here(&doc);
    let published = p.mod_state.moderation == Moderation::Published;
    let mut page = Page::new(p.heading()).breadcrumb(home_link());

    let mut top = Section::untitled().badges(badges(&doc, &settings, now));
    if !published {
        top = top.notice(Tone::Warning, p.mod_state.moderation.label());
    }
    let mut fields = vec![(
        tr("Кто", "Who").to_owned(),
        Cell::from(byline(
            &p.author_name,
            p.author_address.as_deref(),
            p.organization.as_deref(),
        )),
    )];
    if p.published_at > 0 {
        fields.push((
            tr("Опубликовано", "Posted").to_owned(),
            Cell::datetime(p.published_at),
        ));
    }
    if let PostKind::Event { starts_at, ends_at } = p.kind {
        fields.push((tr("Начало", "Starts").to_owned(), Cell::datetime(starts_at)));
        fields.push((tr("Конец", "Ends").to_owned(), Cell::datetime(ends_at)));
        fields.push((
            tr("Пойдут", "Going").to_owned(),
            Cell::from(p.going.count() as i64),
        ));
    }
    if let Some(leaves) = p.lifecycle().expires_at(&settings.expiry)
        && !matches!(p.kind, PostKind::Event { .. })
    {
        fields.push((
            tr("В ленте до", "In the feed until").to_owned(),
            Cell::date(leaves),
        ));
    }
    top = top.fields(fields).paragraph(p.text.clone());
    for photo in &p.photos {
        top = top.photo(photo.clone(), p.heading());
    }
    page = page.section(top);

    if !here_too {
        let name = directory::ancestors()
            .into_iter()
            .find(|c| c.id == doc.community)
            .map_or_else(|| doc.community.clone(), |c| c.name);
        page = page.section(Section::untitled().notice(
            Tone::Info,
            format!(
                "{} «{name}». {}",
                tr(
                    "Эта запись — для всего места",
                    "This post is for the whole of"
                ),
                tr(
                    "Комментировать, отмечаться и жаловаться можно на странице этого места.",
                    "Comment, react and report on that place's page."
                )
            ),
        ));
    } else if published {
        page = page.section(actions(&doc, &here, mine, moderator, &settings, now)?);
    }

    let mut talk = Section::titled(tr("Комментарии", "Comments"));
    let threads = comments::threads(&doc.id)?;
    if threads.is_empty() {
        talk = talk.paragraph(tr("Комментариев пока нет.", "No comments yet."));
    }
    for (root, answers) in &threads {
        let mut entries = vec![comment_entry(root, None)];
        entries.extend(
            answers
                .iter()
                .map(|a| comment_entry(a, Some(&root.data.author_name))),
        );
        talk = talk.block(Block::Timeline(entries));
        if here_too && published {
            let mut links = vec![
                Link::to(
                    format!("posts/{}", doc.id),
                    format!("{} {}", tr("Ответить:", "Answer"), root.data.author_name),
                )
                .param("reply", root.id.clone()),
            ];
            for c in std::iter::once(root).chain(answers) {
                if c.data.author != here.caller.person_id {
                    links.push(Link::to(
                        format!("comments/{}/report", c.id),
                        format!("{} {}", tr("Пожаловаться:", "Report:"), c.data.author_name),
                    ));
                }
            }
            talk = talk.links(links);
        }
    }
    page = page.section(talk);

    if here_too && published {
        let mut form = Form::new("comment", tr("Отправить", "Send")).field(
            Field::multiline("text", tr("Ваш комментарий", "Your comment"))
                .required()
                .max_length(settings.limits.comment_chars as u32)
                .help(tr(
                    "Чтобы позвать соседа, напишите @ и его имя: @Анна Петрова",
                    "To call a neighbour in, write @ and their name: @Anna Petrova",
                )),
        );
        let mut title = tr("Написать", "Write").to_owned();
        if let Some(reply) = query.get("reply")
            && let Some((root, _)) = threads.iter().find(|(r, _)| r.id == reply)
        {
            form = form.field(Field::hidden("parent", reply));
            title = format!("{} {}", tr("Ответ для", "Answer to"), root.data.author_name);
        }
        page = page.section(Section::titled(title).form(form));
        if !mine {
            page = page.section(Section::untitled().links([Link::to(
                format!("posts/{}/report", doc.id),
                tr("Пожаловаться на запись", "Report this post"),
            )]));
        }
    }
    Ok(page)
}

/// Reactions, «пойду», the lifecycle's steps, pinning, photos.
fn actions(
    doc: &Doc<PostDoc>,
    here: &Here,
    mine: bool,
    moderator: bool,
    settings: &Settings,
    now: i64,
) -> Result<Section> {
    let p = &doc.data;
    let me = here.caller.person_id.as_str();
    let mut section = Section::untitled();
    section = section.buttons(REACTIONS.iter().map(|(code, emoji)| {
        let who = p.reactions.get(*code);
        let n = who.map_or(0, |w| w.len());
        let label = if n > 0 {
            format!("{emoji} {n}")
        } else {
            (*emoji).to_owned()
        };
        let button = Button::action(format!("react-{code}"), label);
        if who.is_some_and(|w| w.contains(me)) {
            button.primary()
        } else {
            button
        }
    }));
    let state = p.lifecycle().state_at(now, &settings.expiry);
    if let PostKind::Event { .. } = p.kind
        && state == PostState::Open
    {
        section = section.buttons([if p.going.is_going(me) {
            Button::action(
                "not-going",
                format!("{} ({})", tr("Не пойду", "Not going"), p.going.count()),
            )
        } else {
            Button::action(
                "going",
                format!("{} ({})", tr("Пойду", "I'm going"), p.going.count()),
            )
            .primary()
        }]);
    }
    if mine || moderator {
        let mut steps = Vec::new();
        match (&p.kind, state) {
            (PostKind::Question, PostState::Open) => {
                steps.push(Button::action("resolve", tr("Вопрос решён", "Answered")).primary());
            }
            (PostKind::GiveAway, PostState::Open) => {
                steps.push(Button::action("reserve", tr("Забронировано", "Reserved")));
                steps.push(Button::action("resolve", tr("Отдано", "Given away")).primary());
            }
            (PostKind::GiveAway, PostState::Reserved) => {
                steps.push(Button::action(
                    "unreserve",
                    tr("Снять бронь", "Cancel the reservation"),
                ));
                steps.push(Button::action("resolve", tr("Отдано", "Given away")).primary());
            }
            (
                PostKind::Question | PostKind::LostFound { .. } | PostKind::GiveAway,
                PostState::Resolved,
            ) => {
                steps.push(Button::action("reopen", tr("Открыть снова", "Reopen")));
            }
            _ => {}
        }
        if !steps.is_empty() {
            section = section.buttons(steps);
        }
        if let (PostKind::LostFound { lost }, PostState::Open) = (&p.kind, state) {
            let mut helpers = vec![(
                "none".to_owned(),
                tr("Никто — само нашлось", "Nobody: it turned up").to_owned(),
            )];
            helpers.extend(feed::commenters(doc)?);
            section = section.form(
                Form::new(
                    "resolve",
                    if *lost {
                        tr("Нашлось", "Found it")
                    } else {
                        tr("Вернули хозяину", "Back with its owner")
                    },
                )
                .field(Field::select(
                    "helper",
                    tr("Кто помог", "Who helped"),
                    helpers,
                )),
            );
        }
    }
    if here.is_staff() || moderator {
        section = section.buttons([if p.pinned {
            Button::action("unpin", tr("Открепить", "Unpin"))
        } else {
            Button::action("pin", tr("Закрепить", "Pin"))
        }]);
    }
    if mine && p.photos.len() < feed::MAX_PHOTOS {
        section = section.form(
            Form::new("add-photo", tr("Добавить фото", "Add a photo")).field(
                Field::file(
                    "photo",
                    tr("Фото", "Photo"),
                    ["image/jpeg", "image/png", "image/webp"],
                )
                .required(),
            ),
        );
    }
    Ok(section)
}

/// An action on the page of post `id`.
pub fn act(id: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let back = |notice: &str| {
        Ok(ActionOutcome::redirect(
            Link::to(format!("posts/{id}"), tr("Запись", "Post")),
            notice,
        ))
    };
    let quiet = || {
        Ok(ActionOutcome::redirect_silently(Link::to(
            format!("posts/{id}"),
            tr("Запись", "Post"),
        )))
    };
    if let Some(code) = action.strip_prefix("react-") {
        feed::react(id, code)?;
        return quiet();
    }
    match action {
        "comment" => {
            let comment = comments::add(
                id,
                &NewComment {
                    text: form.get("text").unwrap_or_default().to_owned(),
                    parent: form.get("parent").map(str::to_owned),
                },
            )?;
            if comment.data.mod_state.moderation == Moderation::Held {
                back(tr(
                    "Комментарий появится после проверки модератором",
                    "The comment will appear once a moderator has checked it",
                ))
            } else {
                back(tr("Комментарий добавлен", "Comment added"))
            }
        }
        "going" | "not-going" => {
            feed::going(id, action == "going")?;
            quiet()
        }
        "resolve" | "reserve" | "unreserve" | "reopen" => {
            let step = feed::parse_step(action, form.get("helper"))?;
            feed::step(id, &step)?;
            back(tr("Готово", "Done"))
        }
        "pin" | "unpin" => {
            feed::pin(id, action == "pin")?;
            back(if action == "pin" {
                tr("Закреплено", "Pinned")
            } else {
                tr("Откреплено", "Unpinned")
            })
        }
        "add-photo" => {
            feed::add_photo(id, form.get("photo").unwrap_or_default())?;
            back(tr("Фото добавлено", "Photo added"))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}

/// The form to report a text.
pub fn report(kind: &str, id: &str) -> Result<Page> {
    let kind = TargetKind::from_route(kind).ok_or_else(not_found)?;
    let here = Here::require_part()?;
    let item = Item::load(kind, id)?;
    if !item.visible_to(&here)? || item.state().moderation != Moderation::Published {
        return Err(not_found());
    }
    Ok(Page::new(tr("Пожаловаться", "Report"))
        .breadcrumb(home_link())
        .breadcrumb(Link::to(item.route(), kind.label()))
        .section(
            Section::untitled()
                .fields([
                    (tr("Что", "What"), Cell::from(kind.label())),
                    (tr("Кто написал", "Written by"), Cell::from(item.author_name().to_owned())),
                    (tr("Текст", "Text"), Cell::from(item.excerpt())),
                ])
                .paragraph(tr(
                    "Жалобу прочтёт модератор. Если жалобы соседей весят достаточно, запись скрывается до его решения. Автор не узнает, кто пожаловался.",
                    "A moderator reads the report. Once neighbours' reports weigh enough, the text is hidden until the moderator decides. The author is not told who reported.",
                ))
                .form(
                    Form::new("report", tr("Отправить жалобу", "Send the report"))
                        .field(Field::radio("reason", tr("Что не так", "What is wrong"), mods::reason_choices()).required())
                        .field(Field::multiline("note", tr("Подробнее", "Details")).max_length(500)),
                ),
        ))
}

/// The report from the form.
pub fn send_report(kind: &str, id: &str, form: &Params) -> Result<ActionOutcome> {
    let kind = TargetKind::from_route(kind).ok_or_else(not_found)?;
    let reason = mods::parse_reason(form.get("reason").unwrap_or_default())?;
    let item = Item::load(kind, id)?;
    let route = item.route();
    let outcome = mods::report(kind, id, reason, form.get("note"))?;
    // A post hidden now is not there to go back to.
    let route = if outcome.hidden && kind == TargetKind::Post {
        String::new()
    } else {
        route
    };
    Ok(ActionOutcome::redirect(
        Link::to(route, kind.label()),
        if outcome.hidden {
            tr(
                "Спасибо. Запись скрыта до решения модератора",
                "Thank you. The text is hidden until a moderator decides",
            )
        } else {
            tr(
                "Спасибо, жалоба отправлена модераторам",
                "Thank you: the report went to the moderators",
            )
        },
    ))
}
