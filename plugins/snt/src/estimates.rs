//! The estimate (смета) and its ФЭО in storage (ст.14, 17): the board drafts its lines — each
//! with its allocation key and its basis in the ФЭО — publishes the draft for the meeting in
//! time, records the meeting's approval from its minutes, and charges every plot's dues
//! (members and non-member owners alike) into their ledgers, the rounding remainder reported.

use dvor_sdk::notifications::Urgency;
use dvor_sdk::prelude::*;

use crate::access::{self, require_board, scoped};
use crate::accounts;
use crate::dues::{
    self, AllocationKey, Approval, ComputationSheet, DuesComputation, DuesKind, Estimate,
    EstimateLine, PlotBase,
};
use crate::law;
use crate::ledgers::Ledger;
use crate::model::{
    Charging, ESTIMATES, Entry, EntryKind, EstimateDoc, EstimateStatus, KindSum, LEDGER, Settings,
};
use crate::records;
use crate::signals;
use crate::tell::{everyone, tell};

/// The estimate `id`.
pub fn get(id: &str) -> Result<Doc<EstimateDoc>> {
    ESTIMATES
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой сметы", "no such estimate")))
}

/// Every estimate, newest first.
pub fn all() -> Result<Vec<Doc<EstimateDoc>>> {
    ESTIMATES
        .query()
        .in_community(&ctx::community())
        .order_by("created", Direction::Desc)
        .fetch_all()
}

/// The domain's view of a stored estimate.
pub fn estimate_of(doc: &Doc<EstimateDoc>) -> Estimate {
    Estimate {
        id: doc.id.clone(),
        title: doc.data.title.clone(),
        lines: doc.data.lines.clone(),
        approval: doc.data.approval.clone(),
    }
}

/// Every plot of the partnership as the dues see it.
pub fn plot_bases() -> Result<Vec<PlotBase>> {
    let extras = records::extras()?;
    Ok(access::plots()
        .into_iter()
        .map(|u| PlotBase {
            building_area_centi_m2: extras
                .get(&u.number)
                .map_or(0, |e| e.building_area_centi_m2),
            plot: u.number,
            area_centi_m2: u.area_centi_m2,
        })
        .collect())
}

/// The dues of every plot under the estimate — over the plots as they were when it was charged,
/// or as they are now before that; an error about a line names its title.
pub fn compute(doc: &Doc<EstimateDoc>, settings: &Settings) -> Result<DuesComputation> {
    let bases = match &doc.data.charging {
        Some(charging) if !charging.bases.is_empty() => charging.bases.clone(),
        _ => plot_bases()?,
    };
    dues::compute_dues(&estimate_of(doc), &bases, &settings.dues).map_err(|e| {
        let line = e
            .field
            .as_deref()
            .and_then(|f| f.strip_prefix("lines["))
            .and_then(|f| f.split(']').next())
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| doc.data.lines.get(i));
        match line {
            Some(line) => Error::invalid(
                "lines",
                format!("{} «{}»: {}", tr("Строка", "Line"), line.title, e.message),
            ),
            None => e,
        }
    })
}

/// Start a draft estimate.
pub fn create(title: &str) -> Result<Doc<EstimateDoc>> {
    require_board()?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(Error::invalid(
            "title",
            tr(
                "Название сметы — от 1 до 200 знаков",
                "the estimate's title is 1–200 characters",
            ),
        ));
    }
    ESTIMATES.insert(
        &ctx::community(),
        None,
        &EstimateDoc {
            title: title.to_owned(),
            lines: Vec::new(),
            status: EstimateStatus::Draft,
            meeting: None,
            published_on: None,
            approval: None,
            charging: None,
            created: ctx::now(),
        },
    )
}

/// A line as the board types it.
#[derive(Clone, Debug, Default)]
pub struct LineForm {
    /// What it pays for.
    pub title: String,
    /// `membership` or `target`.
    pub kind: String,
    /// The target purpose.
    pub purpose: String,
    /// `per_plot`, `plot_area` or `building_area`.
    pub key: String,
    /// The amount for the year.
    pub amount: Option<Kopecks>,
    /// Its ФЭО basis.
    pub basis: String,
}

fn editable(doc: &Doc<EstimateDoc>) -> Result<()> {
    if doc.data.status != EstimateStatus::Draft {
        return Err(Error::conflict(tr(
            "Опубликованную смету не меняют: сделайте новую",
            "a published estimate is not changed: make a new one",
        )));
    }
    Ok(())
}

/// Add a line to a draft.
pub fn add_line(id: &str, form: &LineForm) -> Result<Doc<EstimateDoc>> {
    require_board()?;
    let doc = get(id)?;
    editable(&doc)?;
    let title = form.title.trim();
    if title.is_empty() {
        return Err(Error::invalid(
            "title",
            tr("Укажите, на что идёт строка", "say what the line pays for"),
        ));
    }
    let kind = match form.kind.as_str() {
        "membership" | "" => DuesKind::Membership,
        "target" => {
            let purpose = form.purpose.trim();
            if purpose.is_empty() {
                return Err(Error::invalid(
                    "purpose",
                    tr(
                        "Укажите цель целевого взноса",
                        "name the purpose of the target dues",
                    ),
                ));
            }
            DuesKind::Target(purpose.to_owned())
        }
        _ => {
            return Err(Error::invalid(
                "kind",
                tr("Выберите вид взноса", "choose the kind of dues"),
            ));
        }
    };
    let key = match form.key.as_str() {
        "per_plot" => AllocationKey::PerPlot,
        "plot_area" => AllocationKey::PlotArea,
        "building_area" => AllocationKey::BuildingArea,
        _ => {
            return Err(Error::invalid(
                "key",
                tr(
                    "Выберите, как делится строка",
                    "choose how the line is shared",
                ),
            ));
        }
    };
    let settings = Settings::load()?;
    let allowed = match key {
        AllocationKey::PerPlot => true,
        AllocationKey::PlotArea => settings.dues.allow_plot_area,
        AllocationKey::BuildingArea => settings.dues.allow_building_area,
    };
    if !allowed {
        return Err(Error::invalid(
            "key",
            tr(
                "Устав не позволяет распределять взносы по этому основанию",
                "the charter does not allow sharing dues by this key",
            ),
        ));
    }
    let amount = form.amount.ok_or_else(|| {
        Error::invalid(
            "amount",
            tr("Укажите сумму строки", "enter the line's amount"),
        )
    })?;
    if amount <= Kopecks::ZERO {
        return Err(Error::invalid(
            "amount",
            tr(
                "Сумма строки должна быть больше нуля",
                "the line's amount must be above zero",
            ),
        ));
    }
    let basis = form.basis.trim();
    if basis.is_empty() {
        return Err(Error::invalid(
            "basis",
            tr(
                "Укажите обоснование строки в ФЭО: пункт и как посчитано",
                "give the line's basis in the justification: the item and how it was priced",
            ),
        ));
    }
    let mut estimate = doc.data.clone();
    let next = estimate
        .lines
        .iter()
        .filter_map(|l| l.id.strip_prefix('l').and_then(|n| n.parse::<u32>().ok()))
        .max()
        .unwrap_or(0)
        + 1;
    estimate.lines.push(EstimateLine {
        id: format!("l{next}"),
        title: title.to_owned(),
        kind,
        key,
        amount,
        basis: basis.to_owned(),
    });
    ESTIMATES.put(&doc.community, &doc.id, &estimate, Some(doc.version))
}

/// Remove a line from a draft.
pub fn remove_line(id: &str, line: &str) -> Result<Doc<EstimateDoc>> {
    require_board()?;
    let doc = get(id)?;
    editable(&doc)?;
    let mut estimate = doc.data.clone();
    estimate.lines.retain(|l| l.id != line);
    ESTIMATES.put(&doc.community, &doc.id, &estimate, Some(doc.version))
}

/// Publish the draft today for the meeting of `meeting`: at least the law's days before it
/// (ст.17 ч.17), and only when it computes for every plot.
pub fn publish(id: &str, meeting: Date) -> Result<Doc<EstimateDoc>> {
    require_board()?;
    let doc = get(id)?;
    editable(&doc)?;
    let settings = Settings::load()?;
    let today = ctx::today()?;
    law::check_estimate_draft(today, meeting, settings.law_periods.in_force_on(meeting)).map_err(
        |e| {
            Error::invalid(
                "meeting",
                format!(
                    "{}: {}",
                    tr(
                        "Проект сметы публикуется не позднее чем за 7 дней до собрания",
                        "the draft goes out at least 7 days before the meeting"
                    ),
                    e.message
                ),
            )
        },
    )?;
    compute(&doc, &settings).map_err(|e| e.with_field("meeting"))?;
    let mut estimate = doc.data.clone();
    estimate.status = EstimateStatus::Published;
    estimate.meeting = Some(meeting);
    estimate.published_on = Some(today);
    let saved = ESTIMATES.put(&doc.community, &doc.id, &estimate, Some(doc.version))?;
    tell(
        &everyone(&access::all_records()?),
        ("Проект сметы", "Draft estimate"),
        (
            format!(
                "Опубликован проект «{}» с финансово-экономическим обоснованием. Общее собрание — {}.",
                estimate.title,
                crate::show::date_text_ru(meeting)
            ),
            format!(
                "The draft «{}» with its justification is published. The general meeting is on {meeting}.",
                estimate.title
            ),
        ),
        &format!("estimate/{}", doc.id),
        Urgency::Normal,
    )?;
    Ok(saved)
}

/// Record the general meeting's approval: its minutes and the day of the decision, which must
/// come the law's days after the draft was published.
pub fn approve(id: &str, minutes: &str, decided_on: Date) -> Result<Doc<EstimateDoc>> {
    require_board()?;
    let doc = get(id)?;
    if doc.data.status != EstimateStatus::Published {
        return Err(Error::conflict(tr(
            "Утверждают опубликованный проект сметы",
            "an estimate is approved after its draft is published",
        )));
    }
    let minutes = minutes.trim();
    if minutes.is_empty() {
        return Err(Error::invalid(
            "minutes",
            tr(
                "Укажите протокол общего собрания: номер и дату",
                "give the general meeting's minutes: number and date",
            ),
        ));
    }
    if decided_on > ctx::today()? {
        return Err(Error::invalid(
            "decided_on",
            tr(
                "Решение не может быть из будущего",
                "the decision cannot be in the future",
            ),
        ));
    }
    let settings = Settings::load()?;
    if let Some(published) = doc.data.published_on {
        law::check_estimate_draft(
            published,
            decided_on,
            settings.law_periods.in_force_on(decided_on),
        )
        .map_err(|e| {
            Error::invalid(
                "decided_on",
                format!(
                    "{}: {}",
                    tr(
                        "Проект был опубликован меньше чем за 7 дней до решения",
                        "the draft was published less than 7 days before the decision"
                    ),
                    e.message
                ),
            )
        })?;
    }
    let mut estimate = doc.data.clone();
    estimate.status = EstimateStatus::Approved;
    estimate.approval = Some(Approval {
        minutes: minutes.to_owned(),
        decided_on,
    });
    ESTIMATES.put(&doc.community, &doc.id, &estimate, Some(doc.version))
}

/// The ledger of a kind of dues.
pub fn ledger_of(kind: &DuesKind) -> Result<Ledger> {
    match kind {
        DuesKind::Membership => Ok(Ledger::Membership),
        DuesKind::Target(purpose) => accounts::target_ledger(purpose),
    }
}

/// Charge every plot's dues of an approved estimate, due by `due`.
pub fn charge(id: &str, due: Date) -> Result<Doc<EstimateDoc>> {
    require_board()?;
    let doc = get(id)?;
    if doc.data.status != EstimateStatus::Approved {
        return Err(Error::conflict(tr(
            "Взносы начисляют по утверждённой смете",
            "dues are charged from an approved estimate",
        )));
    }
    if doc.data.charging.is_some() {
        return Err(Error::conflict(tr(
            "Взносы по этой смете уже начислены",
            "the dues of this estimate are charged already",
        )));
    }
    let today = ctx::today()?;
    if due < today {
        return Err(Error::invalid(
            "due",
            tr(
                "Срок оплаты не может быть в прошлом",
                "the due date cannot be in the past",
            ),
        ));
    }
    let settings = Settings::load()?;
    let bases = plot_bases()?;
    let computation = compute(&doc, &settings)?;
    let approval = doc.data.approval.clone();
    let minutes = approval
        .as_ref()
        .map(|a| a.minutes.clone())
        .unwrap_or_default();
    let community = ctx::community();
    let records = access::all_records()?;
    let mut ledgers = Vec::new();
    for kind in computation.totals.iter().map(|t| &t.kind) {
        ledgers.push((kind.clone(), ledger_of(kind)?));
    }
    let purposes = accounts::purposes()?;
    let mut per_plot: std::collections::BTreeMap<String, Vec<(String, Kopecks)>> =
        std::collections::BTreeMap::new();
    for dues in &computation.dues {
        if dues.amount <= Kopecks::ZERO {
            continue;
        }
        let ledger = ledgers
            .iter()
            .find(|(k, _)| k == &dues.kind)
            .map(|(_, l)| l.clone())
            .ok_or_else(|| Error::internal("a kind without its ledger"))?;
        let account = ledger.account(&dues.plot);
        let name = accounts::ledger_name(&ledger, &purposes);
        LEDGER.put(
            &community,
            &scoped(&format!("dues:{}:{account}", doc.id)),
            &Entry {
                account,
                plot: dues.plot.clone(),
                ledger: ledger.code(),
                entry: EntryKind::Charge,
                amount: dues.amount,
                date: today,
                due: Some(due),
                text_ru: format!("Начислено по смете «{}» ({minutes})", doc.data.title),
                text_en: format!("Charged by the estimate «{}» ({minutes})", doc.data.title),
                source: Some(doc.id.clone()),
                way: None,
                reference: None,
                payer: None,
                by: ctx::caller().map(|c| c.display_name),
            },
            Some(0),
        )?;
        per_plot
            .entry(dues.plot.clone())
            .or_default()
            .push((name, dues.amount));
    }
    let totals: Vec<KindSum> = computation
        .totals
        .iter()
        .map(|t| {
            let name = ledgers
                .iter()
                .find(|(k, _)| k == &t.kind)
                .map(|(_, l)| accounts::ledger_name(l, &purposes))
                .unwrap_or_default();
            KindSum {
                name,
                estimate: t.estimate,
                charged: t.charged,
                remainder: t.remainder,
            }
        })
        .collect();
    let mut estimate = doc.data.clone();
    estimate.charging = Some(Charging {
        on: today,
        due,
        plots: u32::try_from(per_plot.len()).unwrap_or(u32::MAX),
        totals: totals.clone(),
        bases,
    });
    let saved = ESTIMATES.put(&doc.community, &doc.id, &estimate, Some(doc.version))?;
    for (plot, lines) in &per_plot {
        let text: Vec<String> = lines.iter().map(|(n, a)| format!("{n} — {a}")).collect();
        tell(
            &access::people_of_plot(plot, &records),
            ("Начислены взносы", "Dues charged"),
            (
                format!(
                    "Участок {plot}: {} — оплатить до {}. Расчёт до копейки — на странице участка.",
                    text.join("; "),
                    crate::show::date_text_ru(due)
                ),
                format!(
                    "Plot {plot}: {} — due by {due}. The computation is on the plot's page.",
                    text.join("; ")
                ),
            ),
            &format!("plot/{plot}"),
            Urgency::Normal,
        )?;
    }
    let total = Kopecks::checked_sum(totals.iter().map(|t| t.charged)).unwrap_or(Kopecks::ZERO);
    signals::emit(
        signals::DUES_CHARGED,
        &serde_json::json!({ "estimate": doc.id, "plots": per_plot.len(), "total": total }),
    )?;
    Ok(saved)
}

/// The computation sheet of `plot` under estimate `id`: the board's, or the plot's holders'.
pub fn sheet(id: &str, plot: &str) -> Result<(Doc<EstimateDoc>, ComputationSheet)> {
    let viewer = access::Viewer::of_call()?;
    if !viewer.sees_plot(plot) {
        return Err(viewer.refusal());
    }
    let doc = get(id)?;
    if doc.data.status == EstimateStatus::Draft && !viewer.board {
        return Err(Error::not_found(tr("Нет такой сметы", "no such estimate")));
    }
    let settings = Settings::load()?;
    let computation = compute(&doc, &settings)?;
    let sheet = dues::computation_sheet(&estimate_of(&doc), &computation, plot)?;
    Ok((doc, sheet))
}
