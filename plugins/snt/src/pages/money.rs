//! The money a member sees and the board decides: estimates with their ФЭО, drafts for the
//! meeting and the approval; a plot's ledgers with the payment QR code and the statement; the
//! computation sheet that traces every kopeck to its line, basis and minutes.

use dvor_sdk::prelude::*;

use super::{board_only, date_field, home_link, money_field, text};
use crate::access::{self, Viewer};
use crate::accounts;
use crate::dues::{AllocationKey, DuesKind};
use crate::estimates::{self, LineForm};
use crate::ledgers::Ledger;
use crate::model::{EstimateStatus, PaymentWay, Settings};
use crate::show::{area_text, date_text, decimal_cell};

pub(super) fn estimates_page() -> Result<Page> {
    let viewer = Viewer::of_call()?;
    if !viewer.reads_documents() {
        return Err(viewer.refusal());
    }
    let all = estimates::all()?;
    let rows = all
        .iter()
        .filter(|d| viewer.board || d.data.status != EstimateStatus::Draft)
        .map(|d| {
            let total = Kopecks::checked_sum(d.data.lines.iter().map(|l| l.amount))
                .unwrap_or(Kopecks::ZERO);
            Row::new([
                Cell::from(Link::to(format!("estimate/{}", d.id), d.data.title.clone())),
                Cell::from(total),
                Cell::from(Badge::new(
                    d.data.status.label(),
                    match d.data.status {
                        EstimateStatus::Draft => Tone::Neutral,
                        EstimateStatus::Published => Tone::Warning,
                        EstimateStatus::Approved => Tone::Success,
                    },
                )),
            ])
        });
    let mut page = Page::new(tr("Сметы и взносы", "Estimates and dues"))
        .breadcrumb(home_link())
        .section(
            Section::untitled().table(
                Table::new([
                    Column::text(tr("Смета", "Estimate")),
                    Column::numeric(tr("Сумма", "Total")),
                    Column::text(tr("Статус", "Status")),
                ])
                .rows(rows)
                .empty_text(tr("Смет пока нет", "No estimates yet")),
            ),
        );
    if viewer.board {
        page = page.section(
            Section::titled(tr("Новая смета", "New estimate")).form(
                Form::new("create", tr("Создать черновик", "Create a draft")).field(
                    Field::text("title", tr("Название", "Title"))
                        .required()
                        .max_length(200)
                        .value(format!(
                            "{} {} {}",
                            tr("Смета на", "Estimate for"),
                            ctx::today()?.year() + 1,
                            tr("год", "")
                        )),
                ),
            ),
        );
    }
    Ok(page)
}

fn kind_name(kind: &DuesKind) -> String {
    match kind {
        DuesKind::Membership => tr("Членские взносы", "Membership dues").to_owned(),
        DuesKind::Target(purpose) => format!("{}: {purpose}", tr("Целевые", "Target")),
    }
}

pub(super) fn estimate_page(id: &str) -> Result<Page> {
    let viewer = Viewer::of_call()?;
    if !viewer.reads_documents() {
        return Err(viewer.refusal());
    }
    let doc = estimates::get(id)?;
    let e = &doc.data;
    if e.status == EstimateStatus::Draft && !viewer.board {
        return Err(Error::not_found(tr("Нет такой сметы", "no such estimate")));
    }
    let settings = Settings::load()?;
    let mut page = Page::new(e.title.clone())
        .breadcrumb(home_link())
        .breadcrumb(Link::to("estimates", tr("Сметы", "Estimates")));
    let mut status = Section::untitled().badges([Badge::new(
        e.status.label(),
        match e.status {
            EstimateStatus::Draft => Tone::Neutral,
            EstimateStatus::Published => Tone::Warning,
            EstimateStatus::Approved => Tone::Success,
        },
    )]);
    let mut fields = Vec::new();
    if let Some(meeting) = e.meeting {
        fields.push((tr("Общее собрание", "General meeting"), Cell::from(meeting)));
    }
    if let Some(published) = e.published_on {
        fields.push((
            tr("Проект опубликован", "Draft published"),
            Cell::from(published),
        ));
    }
    if let Some(a) = &e.approval {
        fields.push((tr("Утверждена", "Approved"), Cell::from(a.decided_on)));
        fields.push((tr("Протокол", "Minutes"), Cell::from(a.minutes.clone())));
    }
    if let Some(c) = &e.charging {
        fields.push((tr("Взносы начислены", "Dues charged"), Cell::from(c.on)));
        fields.push((tr("Оплатить до", "Due by"), Cell::from(c.due)));
    }
    if !fields.is_empty() {
        status = status.fields(fields);
    }
    page = page.section(status);
    let rows = e.lines.iter().map(|l| {
        let mut row = Row::new([
            Cell::from(l.title.clone()),
            Cell::from(kind_name(&l.kind)),
            Cell::from(l.key.label()),
            Cell::from(l.amount),
            Cell::from(l.basis.clone()),
        ]);
        if viewer.board && e.status == EstimateStatus::Draft {
            row = row.action(
                Button::action("remove-line", tr("Убрать", "Remove"))
                    .arg("line", l.id.clone())
                    .tone(Tone::Danger),
            );
        }
        row
    });
    let total = Kopecks::checked_sum(e.lines.iter().map(|l| l.amount)).unwrap_or(Kopecks::ZERO);
    page = page.section(
        Section::titled(tr(
            "Строки сметы и их обоснование (ФЭО)",
            "Lines and their justification",
        ))
        .table(
            Table::new([
                Column::text(tr("Статья", "Item")),
                Column::text(tr("Взнос", "Dues")),
                Column::text(tr("Как делится", "Shared")),
                Column::numeric(tr("Сумма", "Amount")),
                Column::text(tr("Обоснование", "Basis")),
            ])
            .rows(rows)
            .empty_text(tr("Строк пока нет", "No lines yet")),
        )
        .fields([(tr("Итого по смете", "Estimate total"), Cell::from(total))]),
    );
    if !e.lines.is_empty() {
        match estimates::compute(&doc, &settings) {
            Ok(c) => {
                let mut rates = Section::titled(tr("Ставки", "Rates"));
                let rows = c.rates.iter().map(|r| {
                    let per = match r.key {
                        AllocationKey::PerPlot => tr("₽ с участка", "₽ per plot"),
                        AllocationKey::PlotArea => tr("₽ с м² участка", "₽ per m² of plot"),
                        AllocationKey::BuildingArea => {
                            tr("₽ с м² строений", "₽ per m² of buildings")
                        }
                    };
                    let rate = r
                        .rate
                        .checked_div(dvor_sdk::Ratio::from_integer(100))
                        .unwrap_or(r.rate);
                    Row::new([
                        Cell::from(kind_name(&r.kind)),
                        Cell::from(r.total),
                        crate::show::ratio_cell(r.base, 2),
                        crate::show::ratio_cell(rate, 4),
                        Cell::from(per),
                    ])
                });
                rates = rates.table(
                    Table::new([
                        Column::text(tr("Взнос", "Dues")),
                        Column::numeric(tr("Сумма", "Sum")),
                        Column::numeric(tr("База", "Base")),
                        Column::numeric(tr("Ставка", "Rate")),
                        Column::text(tr("Единица", "Unit")),
                    ])
                    .rows(rows),
                );
                for t in &c.totals {
                    if t.remainder != Kopecks::ZERO {
                        rates = rates.notice(
                            Tone::Info,
                            format!(
                                "{}: {} {}, {} {}; {} {}",
                                kind_name(&t.kind),
                                tr("по смете", "estimate"),
                                t.estimate,
                                tr("начисляется", "charged"),
                                t.charged,
                                tr("остаток округления", "rounding remainder"),
                                t.remainder
                            ),
                        );
                    }
                }
                page = page.section(rates);
            }
            Err(error) => {
                page = page.section(Section::untitled().notice(Tone::Danger, error.message));
            }
        }
    }
    let mine = viewer.plots();
    if e.status != EstimateStatus::Draft && !mine.is_empty() {
        page = page.section(Section::titled(tr("Мой расчёт", "My computation")).links(
            mine.iter().map(|p| {
                Link::to(
                    format!("sheet/{}/{p}", doc.id),
                    format!("{} {p}", tr("Расчёт взносов: участок", "Dues of plot")),
                )
            }),
        ));
    }
    if viewer.board {
        page = board_sections(page, &doc, &settings)?;
    }
    Ok(page)
}

fn board_sections(
    mut page: Page,
    doc: &Doc<crate::model::EstimateDoc>,
    settings: &Settings,
) -> Result<Page> {
    let e = &doc.data;
    let today = ctx::today()?;
    match e.status {
        EstimateStatus::Draft => {
            let mut keys = vec![("per_plot", AllocationKey::PerPlot.label())];
            if settings.dues.allow_plot_area {
                keys.push(("plot_area", AllocationKey::PlotArea.label()));
            }
            if settings.dues.allow_building_area {
                keys.push(("building_area", AllocationKey::BuildingArea.label()));
            }
            page = page.section(
                Section::titled(tr("Добавить строку", "Add a line")).form(
                    Form::new("add-line", tr("Добавить", "Add"))
                        .field(
                            Field::text("title", tr("Статья расходов", "Item"))
                                .required()
                                .max_length(200),
                        )
                        .field(
                            Field::radio(
                                "kind",
                                tr("Взнос", "Dues"),
                                [
                                    ("membership", tr("Членский", "Membership")),
                                    ("target", tr("Целевой", "Target")),
                                ],
                            )
                            .required()
                            .value("membership"),
                        )
                        .field(
                            Field::text("purpose", tr("Цель целевого взноса", "Target purpose"))
                                .max_length(100)
                                .help(tr(
                                    "Для целевых: водопровод, ЛЭП",
                                    "for target dues: the water pipe",
                                )),
                        )
                        .field(
                            Field::radio("key", tr("Как делится", "How it is shared"), keys)
                                .required()
                                .value("per_plot"),
                        )
                        .field(
                            Field::money("amount", tr("Сумма за год", "Amount for the year"))
                                .required(),
                        )
                        .field(
                            Field::multiline(
                                "basis",
                                tr(
                                    "Обоснование (пункт ФЭО и расчёт)",
                                    "Basis (justification item and pricing)",
                                ),
                            )
                            .required()
                            .max_length(1000),
                        ),
                ),
            );
            if !e.lines.is_empty() {
                page = page.section(
                    Section::titled(tr("Опубликовать проект", "Publish the draft"))
                        .paragraph(tr(
                            "Проект сметы и ФЭО должны быть доступны членам не позднее чем за 7 дней до собрания (ст.17 ч.17 217-ФЗ).",
                            "The draft and its justification must be available at least 7 days before the meeting (217-FZ art.17 p.17).",
                        ))
                        .form(
                            Form::new("publish", tr("Опубликовать", "Publish"))
                                .field(
                                    Field::date("meeting", tr("Дата общего собрания", "Meeting date"))
                                        .required(),
                                )
                                .confirm(tr(
                                    "Опубликовать проект и разослать уведомления?",
                                    "Publish the draft and notify everyone?",
                                )),
                        ),
                );
            }
        }
        EstimateStatus::Published => {
            page = page.section(
                Section::titled(tr("Утверждение общим собранием", "Approval")).form(
                    Form::new("approve", tr("Внести решение", "Record the decision"))
                        .field(
                            Field::text(
                                "minutes",
                                tr("Протокол (номер и дата)", "Minutes (number and date)"),
                            )
                            .required()
                            .max_length(200),
                        )
                        .field(
                            Field::date("decided_on", tr("Дата решения", "Decision date"))
                                .required()
                                .day_value(e.meeting.filter(|m| *m <= today).unwrap_or(today)),
                        ),
                ),
            );
        }
        EstimateStatus::Approved if e.charging.is_none() => {
            page = page.section(
                Section::titled(tr("Начислить взносы", "Charge the dues"))
                    .paragraph(tr(
                        "Взносы начисляются всем участкам — членам и собственникам без членства одинаково (ст.5 217-ФЗ).",
                        "Dues are charged to every plot — members and non-member owners alike (217-FZ art.5).",
                    ))
                    .form(
                        Form::new("charge", tr("Начислить", "Charge"))
                            .field(Field::date("due", tr("Оплатить до", "Due by")).required())
                            .confirm(tr("Начислить взносы по смете всем участкам?", "Charge every plot?")),
                    ),
            );
        }
        EstimateStatus::Approved => {
            if let Some(c) = &e.charging {
                page = page.section(
                    Section::titled(tr("Начислено", "Charged")).table(
                        Table::new([
                            Column::text(tr("Взнос", "Dues")),
                            Column::numeric(tr("По смете", "Estimate")),
                            Column::numeric(tr("Начислено", "Charged")),
                            Column::numeric(tr("Остаток округления", "Rounding remainder")),
                        ])
                        .rows(c.totals.iter().map(|t| {
                            Row::new([
                                Cell::from(t.name.clone()),
                                Cell::from(t.estimate),
                                Cell::from(t.charged),
                                Cell::from(t.remainder),
                            ])
                        })),
                    ),
                );
            }
        }
    }
    Ok(page)
}

pub(super) fn sheet_page(id: &str, plot: &str) -> Result<Page> {
    let (doc, sheet) = estimates::sheet(id, plot)?;
    let unit = access::plot("plot", plot)?;
    let mut page = Page::new(format!(
        "{} {plot}",
        tr("Расчёт взносов: участок", "Dues computation: plot")
    ))
    .breadcrumb(home_link())
    .breadcrumb(Link::to(
        format!("plot/{plot}"),
        format!("{} {plot}", tr("Участок", "Plot")),
    ));
    let mut head = Section::untitled().fields([
        (tr("Смета", "Estimate"), Cell::from(sheet.estimate.clone())),
        (
            tr("Площадь участка", "Plot area"),
            Cell::from(area_text(unit.area_centi_m2)),
        ),
    ]);
    match &sheet.approval {
        Some(a) => {
            head = head.fields([
                (
                    tr("Утверждена протоколом", "Approved by the minutes"),
                    Cell::from(a.minutes.clone()),
                ),
                (
                    tr("Дата решения", "Decision date"),
                    Cell::from(a.decided_on),
                ),
            ]);
        }
        None => {
            head = head.notice(
                Tone::Warning,
                tr(
                    "Это проект: смета ещё не утверждена общим собранием",
                    "this is a draft: the meeting has not approved it yet",
                ),
            );
        }
    }
    page = page.section(head);
    let totals = estimates::compute(&doc, &Settings::load()?)?.totals;
    for (kind, rows, due) in &sheet.kinds {
        let table = Table::new([
            Column::text(tr("Статья", "Item")),
            Column::text(tr("Обоснование (ФЭО)", "Basis")),
            Column::numeric(tr("Сумма по смете", "Line amount")),
            Column::text(tr("Как делится", "Shared")),
            Column::numeric(tr("База участка", "Plot's base")),
            Column::numeric(tr("Ставка, ₽", "Rate, ₽")),
            Column::numeric(tr("Доля участка, ₽", "Plot's share, ₽")),
        ])
        .rows(rows.iter().map(|r| {
            Row::new([
                Cell::from(r.title.clone()),
                Cell::from(r.basis.clone()),
                Cell::from(r.line_amount),
                Cell::from(r.key.clone()),
                decimal_cell(&r.plot_base),
                decimal_cell(&r.rate_rubles),
                decimal_cell(&r.share_rubles),
            ])
        }));
        let mut section = Section::titled(kind_name(kind))
            .table(table)
            .fields([(tr("Итого к оплате", "Total due"), Cell::from(*due))]);
        let remainder = totals.iter().find(|t| &t.kind == kind).map(|t| t.remainder);
        section = section.paragraph(format!(
            "{}{}",
            tr(
                "Доли строк складываются точно и округляются до копейки один раз, с половины — вверх.",
                "The lines' shares are added exactly and rounded to the kopeck once, halves away from zero.",
            ),
            match remainder {
                Some(r) if r != Kopecks::ZERO => format!(
                    " {} {r}.",
                    tr(
                        "Остаток округления по товариществу:",
                        "The partnership's rounding remainder:"
                    )
                ),
                _ => String::new(),
            }
        ));
        page = page.section(section);
    }
    Ok(page)
}

pub(super) fn plot_page(plot: &str) -> Result<Page> {
    let viewer = Viewer::of_call()?;
    if !viewer.sees_plot(plot) {
        return Err(viewer.refusal());
    }
    let unit = access::plot("plot", plot)?;
    let today = ctx::today()?;
    let settings = Settings::load()?;
    let ledgers = accounts::plot_ledgers(&unit.number, today)?;
    let mut page =
        Page::new(format!("{} {}", tr("Участок", "Plot"), unit.number)).breadcrumb(home_link());
    page = page.section(Section::untitled().fields([
        (
            tr("Площадь", "Area"),
            Cell::from(area_text(unit.area_centi_m2)),
        ),
        (
            tr("Кадастровый номер", "Cadastral number"),
            Cell::from(crate::records::cadastral_number(&unit)?),
        ),
    ]));
    if ledgers.is_empty() {
        page = page.section(Section::untitled().empty(
            tr("Начислений нет", "Nothing charged"),
            tr(
                "Взносы появятся здесь, когда правление начислит их по утверждённой смете",
                "dues appear here once the board charges them from an approved estimate",
            ),
        ));
    }
    for l in &ledgers {
        let p = &l.position;
        let mut section = Section::titled(l.name.clone());
        let mut stats = vec![if p.balance > Kopecks::ZERO {
            Stat::new(tr("К оплате", "To pay"), p.balance).tone(if p.overdue > Kopecks::ZERO {
                Tone::Danger
            } else {
                Tone::Warning
            })
        } else if p.balance < Kopecks::ZERO {
            Stat::new(tr("Переплата", "Paid ahead"), Kopecks(-p.balance.0)).tone(Tone::Success)
        } else {
            Stat::new(tr("К оплате", "To pay"), Kopecks::ZERO)
                .tone(Tone::Success)
                .hint(tr("Оплачено", "Paid"))
        }];
        if p.overdue > Kopecks::ZERO {
            stats.push(
                Stat::new(tr("Просрочено", "Overdue"), p.overdue)
                    .tone(Tone::Danger)
                    .hint(format!(
                        "{} {}",
                        tr("с", "since"),
                        p.overdue_since.map(date_text).unwrap_or_default()
                    )),
            );
        } else if let Some(next) = p.next_due
            && p.balance > Kopecks::ZERO
        {
            stats.push(Stat::new(tr("Оплатить до", "Pay by"), Cell::from(next)));
        }
        section = section.stats(stats);
        if p.balance > Kopecks::ZERO {
            match accounts::qr_payload(&unit.number, &l.ledger, p.balance, &settings)? {
                Ok(payload) => {
                    section = section
                        .qr(
                            payload,
                            format!(
                                "{} {} — {}: {}. {}",
                                tr("QR-код для оплаты", "Payment QR code"),
                                l.name,
                                tr("лицевой счёт", "account"),
                                l.account,
                                tr(
                                    "Отсканируйте его в приложении банка: сумма и реквизиты заполнятся сами.",
                                    "Scan it in your banking app: the sum and details fill in by themselves.",
                                )
                            ),
                        )
                        .paragraph(format!(
                            "{} {}",
                            tr(
                                "Платёж зачтётся, когда банк пришлёт реестр. Лицевой счёт для перевода:",
                                "The payment counts once the bank sends its registry. The account for a transfer:"
                            ),
                            l.account
                        ));
                }
                Err(why) => {
                    section = section.notice(
                        Tone::Info,
                        format!(
                            "{} {why}",
                            tr("QR-кода для оплаты нет:", "No payment QR code:")
                        ),
                    );
                }
            }
        }
        let estimate = crate::model::LEDGER
            .query()
            .filter("account", Compare::Eq, l.account.as_str())
            .fetch_all()?
            .into_iter()
            .find_map(|d| {
                d.data
                    .source
                    .filter(|s| !s.contains("balance:") && s != "penalties")
            });
        if let Some(estimate) = estimate
            && matches!(l.ledger, Ledger::Membership | Ledger::Target(_))
        {
            section = section.links([Link::to(
                format!("sheet/{estimate}/{}", unit.number),
                tr(
                    "Как посчитана сумма — до копейки",
                    "How the amount was computed — to the kopeck",
                ),
            )]);
        }
        section = section.table(
            Table::new([
                Column::text(tr("Дата", "Date")),
                Column::text(tr("Что", "What")),
                Column::numeric(tr("Начислено", "Charged")),
                Column::numeric(tr("Оплачено", "Paid")),
                Column::numeric(tr("Остаток", "Balance")),
            ])
            .rows(p.statement.iter().map(|s| {
                Row::new([
                    Cell::from(s.date),
                    Cell::from(s.text.clone()),
                    Cell::from(Some(s.charged).filter(|k| *k != Kopecks::ZERO)),
                    Cell::from(Some(s.paid).filter(|k| *k != Kopecks::ZERO)),
                    Cell::from(s.balance),
                ])
            })),
        );
        page = page.section(section);
    }
    if viewer.board {
        let purposes = accounts::purposes()?;
        let mut choices = vec![(
            Ledger::Membership.code(),
            accounts::ledger_name(&Ledger::Membership, &purposes),
        )];
        for (i, _) in purposes.iter().enumerate() {
            let ledger = Ledger::Target(u32::try_from(i + 1).unwrap_or(u32::MAX));
            choices.push((ledger.code(), accounts::ledger_name(&ledger, &purposes)));
        }
        choices.push((
            Ledger::Electricity.code(),
            accounts::ledger_name(&Ledger::Electricity, &purposes),
        ));
        if settings.penalties.is_set() {
            choices.push((
                Ledger::Penalties.code(),
                accounts::ledger_name(&Ledger::Penalties, &purposes),
            ));
        }
        page = page.section(
            Section::titled(tr("Внести платёж", "Record a payment")).form(
                Form::new("pay", tr("Внести", "Record"))
                    .field(Field::select("ledger", tr("Счёт", "Ledger"), choices).required())
                    .field(Field::money("amount", tr("Сумма", "Amount")).required())
                    .field(
                        Field::date("date", tr("Дата оплаты", "Paid on"))
                            .required()
                            .day_value(today),
                    )
                    .field(
                        Field::text(
                            "reference",
                            tr("Номер квитанции или платежа", "Receipt or payment number"),
                        )
                        .max_length(80),
                    )
                    .field(Field::text("payer", tr("Плательщик", "Payer")).max_length(200)),
            ),
        );
    }
    Ok(page)
}

pub(super) fn act(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match (route, action) {
        (["estimates"], "create") => {
            let doc = estimates::create(text(form, "title"))?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("estimate/{}", doc.id), ""),
                tr("Черновик сметы создан", "Draft created"),
            ))
        }
        (["estimate", id], "add-line") => {
            estimates::add_line(
                id,
                &LineForm {
                    title: text(form, "title").to_owned(),
                    kind: text(form, "kind").to_owned(),
                    purpose: text(form, "purpose").to_owned(),
                    key: text(form, "key").to_owned(),
                    amount: form.kopecks("amount")?,
                    basis: text(form, "basis").to_owned(),
                },
            )?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("estimate/{id}"), ""),
                tr("Строка добавлена", "Line added"),
            ))
        }
        (["estimate", id], "remove-line") => {
            estimates::remove_line(id, text(form, "line"))?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("estimate/{id}"), ""),
                tr("Строка убрана", "Line removed"),
            ))
        }
        (["estimate", id], "publish") => {
            estimates::publish(id, date_field(form, "meeting")?)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("estimate/{id}"), ""),
                tr("Проект сметы опубликован", "Draft published"),
            ))
        }
        (["estimate", id], "approve") => {
            estimates::approve(id, text(form, "minutes"), date_field(form, "decided_on")?)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("estimate/{id}"), ""),
                tr("Смета утверждена", "Estimate approved"),
            ))
        }
        (["estimate", id], "charge") => {
            estimates::charge(id, date_field(form, "due")?)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("estimate/{id}"), ""),
                tr("Взносы начислены", "Dues charged"),
            ))
        }
        (["plot", plot], "pay") => {
            if !access::is_board() {
                return Err(board_only());
            }
            let ledger = Ledger::from_code(text(form, "ledger")).ok_or_else(|| {
                Error::invalid("ledger", tr("Выберите счёт", "choose the ledger"))
            })?;
            let (_, new) = accounts::record_payment(
                &accounts::NewPayment {
                    plot: (*plot).to_owned(),
                    ledger,
                    amount: money_field(form, "amount")?,
                    date: date_field(form, "date")?,
                    reference: Some(text(form, "reference").to_owned()),
                    payer: Some(text(form, "payer").to_owned()).filter(|p| !p.trim().is_empty()),
                    way: PaymentWay::Manual,
                },
                &access::all_records()?,
            )?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("plot/{plot}"), ""),
                if new {
                    tr("Платёж внесён", "Payment recorded")
                } else {
                    tr(
                        "Платёж с этим номером уже внесён",
                        "a payment with this number is recorded already",
                    )
                },
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}
