//! The moderators' queue and their decisions, the watched words, and an author's decisions
//! with the appeal.

use dvor_sdk::prelude::*;

use super::{home_link, not_found};
use crate::access;
use crate::model::{Settings, TargetKind, WORDS, appealable};
use crate::moderation::{self as mods, Item};
use crate::words::{MatchMode, WordAction};

fn queue_link() -> Link {
    Link::to("moderation", tr("Модерация", "Moderation"))
}

fn require_moderator() -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if access::moderates_somewhere_here(&caller) {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Это страница модераторов",
            "this page is for moderators",
        )))
    }
}

/// What waits for the moderators.
pub fn queue() -> Result<Page> {
    let caller = require_moderator()?;
    let waiting = mods::queue(&caller)?;
    let rows = waiting.iter().map(|w| {
        let link = Link::to(
            format!("moderation/{}/{}", w.kind.route(), w.id),
            w.excerpt.clone(),
        );
        Row::new([
            Cell::from(w.kind.label()),
            Cell::from(link.clone()),
            Cell::from(w.author_name.clone()),
            Cell::from(w.reasons.join("; ")),
            Cell::datetime(w.at),
        ])
        .link(link)
    });
    let appeals = mods::appeals_for(&caller)?;
    let appeal_rows = appeals.iter().map(|d| {
        let link = Link::to(format!("decisions/{}", d.id), d.data.excerpt.clone());
        Row::new([
            Cell::from(link.clone()),
            Cell::from(mods::action_label(d.data.decision.action)),
            Cell::from(d.data.moderator_name.clone()),
            Cell::from(
                d.data
                    .decision
                    .appeal
                    .as_ref()
                    .map(|a| a.text.clone())
                    .unwrap_or_default(),
            ),
        ])
        .link(link)
    });
    Ok(Page::new(tr("Модерация", "Moderation"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("Ждут решения", "Waiting for a decision")).table(
                Table::new([
                    Column::text(tr("Что", "What")),
                    Column::text(tr("Текст", "Text")),
                    Column::text(tr("Автор", "Author")),
                    Column::text(tr("Почему", "Why")),
                    Column::text(tr("Когда", "When")),
                ])
                .rows(rows)
                .empty_text(tr("Всё решено", "Nothing waits")),
            ),
        )
        .section(
            Section::titled(tr("Обжалования", "Appeals")).table(
                Table::new([
                    Column::text(tr("Текст", "Text")),
                    Column::text(tr("Решение", "Decision")),
                    Column::text(tr("Модератор", "Moderator")),
                    Column::text(tr("Автор пишет", "The author says")),
                ])
                .rows(appeal_rows)
                .empty_text(tr("Обжалований нет", "No appeals")),
            ),
        )
        .section(Section::untitled().links([Link::to(
            "moderation/words",
            tr("Стоп-слова", "Watched words"),
        )])))
}

/// One text to decide on.
pub fn item(kind: &str, id: &str) -> Result<Page> {
    let kind = TargetKind::from_route(kind).ok_or_else(not_found)?;
    let caller = require_moderator()?;
    let item = Item::load(kind, id)?;
    if !access::moderates(&caller, item.community()) {
        return Err(not_found());
    }
    let settings = Settings::load()?;
    let mut section = Section::untitled()
        .fields([
            (tr("Что", "What"), Cell::from(kind.label())),
            (
                tr("Автор", "Author"),
                Cell::from(item.author_name().to_owned()),
            ),
            (tr("Когда", "When"), Cell::datetime(item.at())),
            (
                tr("Состояние", "State"),
                Cell::from(item.state().moderation.label()),
            ),
        ])
        .paragraph(item.text());
    let reasons = mods::reasons_of(&item, &settings);
    if !reasons.is_empty() {
        section = section.heading(tr("Почему здесь", "Why it is here"));
        for reason in reasons {
            section = section.paragraph(reason);
        }
    }
    let actions = mods::actions_for(item.state().moderation);
    let mut page = Page::new(format!("{}: {}", tr("Решение", "Decision"), kind.label()))
        .breadcrumb(home_link())
        .breadcrumb(queue_link())
        .section(section);
    if item.author() == caller.person_id {
        page = page.section(Section::untitled().notice(
            Tone::Info,
            tr(
                "Это ваш текст: решение о нём принимает другой модератор.",
                "This is your own text: another moderator decides on it.",
            ),
        ));
    } else if !actions.is_empty() {
        let choices: Vec<(&str, &str)> = actions
            .iter()
            .map(|a| (mods::action_code(*a), mods::action_label(*a)))
            .collect();
        page = page.section(
            Section::titled(tr("Ваше решение", "Your decision")).form(
                Form::new("decide", tr("Принять решение", "Decide"))
                    .field(Field::radio("action", tr("Решение", "Decision"), choices).required())
                    .field(
                        Field::multiline("reason", tr("Причина", "Reason"))
                            .required()
                            .max_length(500)
                            .help(tr(
                                "Автор увидит эту причину и сможет обжаловать решение.",
                                "The author will read this reason and may appeal.",
                            )),
                    ),
            ),
        );
    }
    Ok(page)
}

/// A moderator's decision from the form.
pub fn decide(kind: &str, id: &str, form: &Params) -> Result<ActionOutcome> {
    let kind = TargetKind::from_route(kind).ok_or_else(not_found)?;
    let action = mods::parse_action(form.get("action").unwrap_or_default())?;
    mods::decide(kind, id, action, form.get("reason").unwrap_or_default())?;
    Ok(ActionOutcome::redirect(
        queue_link(),
        tr(
            "Решение записано, автор его увидит",
            "The decision is logged; the author will see it",
        ),
    ))
}

/// The watched words here and above.
pub fn words() -> Result<Page> {
    let caller = require_moderator()?;
    let settings = Settings::load()?;
    let here = ctx::community();
    let may_edit = access::moderates(&caller, &here);
    let action = |a: WordAction| match a {
        WordAction::Block => tr("Запрещать", "Block"),
        WordAction::Hold => tr("На проверку", "Hold for a check"),
    };
    let mode = |m: MatchMode| match m {
        MatchMode::Stem => tr("Все формы слова", "Every form of the word"),
        MatchMode::Word => tr("Только это слово", "This word only"),
    };
    let mut rows: Vec<Row> = settings
        .watched_words
        .iter()
        .map(|w| {
            Row::new([
                Cell::from(w.pattern.clone()),
                Cell::from(action(w.action)),
                Cell::from(mode(w.mode)),
                Cell::from(tr("Настройки экземпляра", "The instance's settings")),
            ])
        })
        .collect();
    for doc in WORDS.query().with_ancestors().limit(1000).fetch_all()? {
        let mut row = Row::new([
            Cell::from(doc.data.pattern.clone()),
            Cell::from(action(doc.data.action)),
            Cell::from(mode(doc.data.mode)),
            Cell::from(if doc.community == here {
                tr("Здесь", "Here").to_owned()
            } else {
                dvor_sdk::directory::ancestors()
                    .into_iter()
                    .find(|c| c.id == doc.community)
                    .map_or_else(|| doc.community.clone(), |c| c.name)
            }),
        ]);
        if doc.community == here && may_edit {
            row = row.action(
                Button::action("remove-word", tr("Убрать", "Remove"))
                    .arg("id", doc.id.clone())
                    .confirm(tr("Убрать слово из списка?", "Take the word off the list?")),
            );
        }
        rows.push(row);
    }
    let mut page = Page::new(tr("Стоп-слова", "Watched words"))
        .breadcrumb(home_link())
        .breadcrumb(queue_link())
        .section(
            Section::untitled()
                .paragraph(tr(
                    "Слова ищутся без учёта регистра, ё и е — одна буква, латинские двойники и растянутые буквы не спасают.",
                    "Words match regardless of case; ё and е are one letter; Latin look-alikes and stretched letters do not help.",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Слово", "Word")),
                        Column::text(tr("Что делать", "What to do")),
                        Column::text(tr("Как искать", "How to match")),
                        Column::text(tr("Откуда", "Where from")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Список пуст", "The list is empty")),
                ),
        );
    if may_edit {
        page = page.section(
            Section::titled(tr("Добавить слово", "Add a word")).form(
                Form::new("add-word", tr("Добавить", "Add"))
                    .field(
                        Field::text("pattern", tr("Слово или фраза", "Word or phrase"))
                            .required()
                            .max_length(100),
                    )
                    .field(
                        Field::radio(
                            "action",
                            tr("Что делать", "What to do"),
                            [
                                ("hold", action(WordAction::Hold)),
                                ("block", action(WordAction::Block)),
                            ],
                        )
                        .value("hold"),
                    )
                    .field(
                        Field::radio(
                            "mode",
                            tr("Как искать", "How to match"),
                            [
                                ("stem", mode(MatchMode::Stem)),
                                ("word", mode(MatchMode::Word)),
                            ],
                        )
                        .value("stem"),
                    ),
            ),
        );
    }
    Ok(page)
}

/// A watched word from the form.
pub fn add_word(form: &Params) -> Result<ActionOutcome> {
    mods::add_word(
        form.get("pattern").unwrap_or_default(),
        form.get("action").unwrap_or_default(),
        form.get("mode").unwrap_or_default(),
    )?;
    Ok(ActionOutcome::redirect(
        Link::to("moderation/words", tr("Стоп-слова", "Watched words")),
        tr("Слово добавлено", "Word added"),
    ))
}

/// A watched word taken off.
pub fn remove_word(form: &Params) -> Result<ActionOutcome> {
    mods::remove_word(form.require("id")?)?;
    Ok(ActionOutcome::redirect(
        Link::to("moderation/words", tr("Стоп-слова", "Watched words")),
        tr("Слово убрано", "Word removed"),
    ))
}

/// The decisions on the caller's texts.
pub fn decisions() -> Result<Page> {
    let caller = ctx::require_caller()?;
    let rows = mods::decisions_of(&caller.person_id)?.into_iter().map(|d| {
        let link = Link::to(format!("decisions/{}", d.id), d.data.excerpt.clone());
        Row::new([
            Cell::from(link.clone()),
            Cell::from(mods::action_label(d.data.decision.action)),
            Cell::from(d.data.decision.reason.clone()),
            Cell::datetime(d.data.decision.at),
        ])
        .link(link)
    });
    Ok(Page::new(tr("Решения по моим записям", "Decisions on my posts"))
        .breadcrumb(home_link())
        .section(
            Section::untitled()
                .paragraph(tr(
                    "Каждое решение модератора записывается с причиной. Решение не в вашу пользу можно обжаловать: его рассмотрит другой модератор.",
                    "Every moderator's decision is logged with its reason. A decision against you may be appealed: another moderator considers it.",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Текст", "Text")),
                        Column::text(tr("Решение", "Decision")),
                        Column::text(tr("Причина", "Reason")),
                        Column::text(tr("Когда", "When")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Решений о ваших записях нет", "No decisions on your posts")),
                ),
        ))
}

/// One decision with its appeal.
pub fn decision(id: &str) -> Result<Page> {
    let (caller, doc) = mods::decision_for_caller(id)?;
    let settings = Settings::load()?;
    let d = &doc.data;
    let author = d.decision.author == caller.person_id;
    let deadline = d.decision.at + i64::from(settings.appeals.appeal_days) * 86_400_000;
    let mut fields = vec![
        (tr("Что", "What"), Cell::from(d.kind.label())),
        (tr("Текст", "Text"), Cell::from(d.excerpt.clone())),
        (
            tr("Решение", "Decision"),
            Cell::from(mods::action_label(d.decision.action)),
        ),
        (
            tr("Причина", "Reason"),
            Cell::from(d.decision.reason.clone()),
        ),
        (
            tr("Модератор", "Moderator"),
            Cell::from(d.moderator_name.clone()),
        ),
        (tr("Когда", "When"), Cell::datetime(d.decision.at)),
    ];
    if d.reports > 0 {
        fields.push((tr("Жалоб", "Reports"), Cell::from(i64::from(d.reports))));
    }
    if appealable(d.decision.action) && d.decision.appeal.is_none() {
        fields.push((tr("Обжаловать до", "Appeal by"), Cell::date(deadline)));
    }
    let mut page = Page::new(tr("Решение модератора", "A moderator's decision"))
        .breadcrumb(home_link())
        .breadcrumb(Link::to("decisions", tr("Решения", "Decisions")))
        .section(Section::untitled().fields(fields));
    match &d.decision.appeal {
        Some(appeal) => {
            let mut section = Section::titled(tr("Обжалование", "The appeal")).fields([
                (
                    tr("Автор пишет", "The author says"),
                    Cell::from(appeal.text.clone()),
                ),
                (tr("Подано", "Filed"), Cell::datetime(appeal.at)),
            ]);
            match &appeal.outcome {
                Some(outcome) => {
                    section = section.notice(
                        if outcome.upheld {
                            Tone::Neutral
                        } else {
                            Tone::Success
                        },
                        format!(
                            "{} {}",
                            if outcome.upheld {
                                tr("Решение остаётся в силе.", "The decision stands.")
                            } else {
                                tr("Решение отменено.", "The decision is undone.")
                            },
                            outcome.reason
                        ),
                    );
                }
                None if access::moderates(&caller, &doc.community)
                    && caller.person_id != d.decision.moderator
                    && !author =>
                {
                    section = section.form(
                        Form::new("resolve-appeal", tr("Решить", "Resolve"))
                            .field(
                                Field::radio(
                                    "upheld",
                                    tr("Решение модератора", "The moderator's decision"),
                                    [
                                        ("yes", tr("Оставить в силе", "Stands")),
                                        ("no", tr("Отменить", "Undo it")),
                                    ],
                                )
                                .required(),
                            )
                            .field(
                                Field::multiline("reason", tr("Причина", "Reason"))
                                    .required()
                                    .max_length(500)
                                    .help(tr("Автор увидит её.", "The author will read it.")),
                            ),
                    );
                }
                None => {
                    section = section.paragraph(tr(
                        "Обжалование ждёт другого модератора.",
                        "The appeal waits for another moderator.",
                    ));
                }
            }
            page = page.section(section);
        }
        None if author && appealable(d.decision.action) && ctx::now() <= deadline => {
            page = page.section(
                Section::titled(tr("Обжаловать", "Appeal")).form(
                    Form::new("appeal", tr("Подать обжалование", "Appeal")).field(
                        Field::multiline(
                            "text",
                            tr("Почему решение неверно", "Why the decision is wrong"),
                        )
                        .required()
                        .max_length(1000)
                        .help(tr(
                            "Обжаловать можно один раз; рассмотрит другой модератор.",
                            "You may appeal once; another moderator considers it.",
                        )),
                    ),
                ),
            );
        }
        None => {}
    }
    Ok(page)
}

/// An appeal from the form.
pub fn appeal(id: &str, form: &Params) -> Result<ActionOutcome> {
    mods::appeal(id, form.get("text").unwrap_or_default())?;
    Ok(ActionOutcome::redirect(
        Link::to(format!("decisions/{id}"), tr("Решение", "Decision")),
        tr("Обжалование подано", "Appeal filed"),
    ))
}

/// An appeal resolved from the form.
pub fn resolve(id: &str, form: &Params) -> Result<ActionOutcome> {
    let upheld = match form.get("upheld") {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return Err(Error::invalid(
                "upheld",
                tr(
                    "Выберите, остаётся ли решение",
                    "choose whether the decision stands",
                ),
            ));
        }
    };
    mods::resolve(id, upheld, form.get("reason").unwrap_or_default())?;
    Ok(ActionOutcome::redirect(
        queue_link(),
        tr("Обжалование рассмотрено", "Appeal resolved"),
    ))
}
