//! Dues from the estimate (смета) approved by the general meeting (217-ФЗ ст.14, RULES §7).
//!
//! - Every [`EstimateLine`] has an [`AllocationKey`]: per plot, per m² of plot, or per m² of
//!   buildings, and belongs to a [`DuesKind`] — membership dues or the target dues of one
//!   purpose, each kept in its own ledger.
//! - The rate of a key within a kind is Σ its lines ÷ its base (the number of plots, the total
//!   plot area, the total building area), kept exact as a [`Ratio`].
//! - A plot's dues of a kind are Σ rate × the plot's base, **rounded once** to the kopeck, half
//!   away from zero. The difference between the estimate and the sum of the rounded dues is
//!   reported per kind as the rounding remainder, never spread silently.
//! - A non-member owner pays exactly what a member with the same plot pays (ст.5 ч.3): the
//!   computation does not look at membership.
//! - Amounts differ between plots only by plot or building area, and only where the charter
//!   allows it ([`DuesCharter`]).
//! - [`computation_sheet`] shows a member how every kopeck of their dues comes from a line, its
//!   ФЭО basis and the minutes that approved the estimate.
//!
//! Areas are hundredths of a square metre, as in the host's register of units.

use std::collections::BTreeMap;

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Error, Kopecks, Ratio};
use serde::{Deserialize, Serialize};

/// How a line's amount is shared between plots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationKey {
    /// Equally per plot.
    PerPlot,
    /// By the plot's area.
    PlotArea,
    /// By the area of the plot's buildings.
    BuildingArea,
}

impl AllocationKey {
    /// The key's name, in the call's locale.
    pub fn label(self) -> &'static str {
        match self {
            Self::PerPlot => tr("с участка", "per plot"),
            Self::PlotArea => tr("с м² участка", "per m² of plot"),
            Self::BuildingArea => tr("с м² строений", "per m² of buildings"),
        }
    }
}

/// Membership dues, or the target dues of one purpose; each kind is its own ledger.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "purpose", rename_all = "snake_case")]
pub enum DuesKind {
    /// Членские взносы.
    Membership,
    /// Целевые взносы for one purpose (a road, a transformer).
    Target(String),
}

/// One line of the estimate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimateLine {
    /// Stable id within the estimate.
    pub id: String,
    /// What it pays for: «Охрана», «Ремонт дороги».
    pub title: String,
    /// Which dues it is part of.
    pub kind: DuesKind,
    /// How it is shared.
    pub key: AllocationKey,
    /// The amount for the year.
    pub amount: Kopecks,
    /// Its basis in the financial-economic justification (ФЭО): the item and how it was
    /// priced.
    pub basis: String,
}

/// The meeting's approval of an estimate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The minutes: number and date as written on them.
    pub minutes: String,
    /// The day of the decision.
    pub decided_on: Date,
}

/// An estimate: its lines and, once approved, the approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// Stable id.
    pub id: String,
    /// «Смета на 2026 год».
    pub title: String,
    /// The lines.
    pub lines: Vec<EstimateLine>,
    /// The meeting's approval; none for a draft.
    pub approval: Option<Approval>,
}

/// A plot as the dues see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlotBase {
    /// The plot's number.
    pub plot: String,
    /// The plot's area, hundredths of m².
    pub area_centi_m2: u64,
    /// The area of its buildings, hundredths of m².
    pub building_area_centi_m2: u64,
}

/// The charter's say on how dues may differ between plots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DuesCharter {
    /// Lines may be shared by plot area.
    pub allow_plot_area: bool,
    /// Lines may be shared by building area.
    pub allow_building_area: bool,
}

impl Default for DuesCharter {
    fn default() -> Self {
        Self {
            allow_plot_area: true,
            allow_building_area: false,
        }
    }
}

/// The exact rate of one key within one kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyRate {
    /// The kind of dues.
    pub kind: DuesKind,
    /// The key.
    pub key: AllocationKey,
    /// Σ of the kind's lines with this key.
    pub total: Kopecks,
    /// The base: plots, or m² (exact).
    pub base: Ratio,
    /// Kopecks per plot or per m², exact.
    pub rate: Ratio,
}

/// One line's exact share of a plot's dues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineShare {
    /// The estimate line.
    pub line: String,
    /// The line's key.
    pub key: AllocationKey,
    /// The plot's base for the key: 1 plot, or its m².
    pub plot_base: Ratio,
    /// The line's rate: its amount ÷ the key's base, kopecks, exact.
    pub rate: Ratio,
    /// rate × plot base, kopecks, exact (not rounded).
    pub exact: Ratio,
}

/// A plot's dues of one kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlotDues {
    /// The plot.
    pub plot: String,
    /// The kind (and so the ledger).
    pub kind: DuesKind,
    /// Every line's exact share.
    pub lines: Vec<LineShare>,
    /// Σ of the shares, exact.
    pub exact: Ratio,
    /// The due: `exact` rounded once, half away from zero.
    pub amount: Kopecks,
}

/// What the estimate gives for one kind of dues.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KindTotal {
    /// The kind.
    pub kind: DuesKind,
    /// Σ of the estimate's lines of this kind.
    pub estimate: Kopecks,
    /// Σ of the plots' rounded dues.
    pub charged: Kopecks,
    /// `estimate − charged`: what rounding left over (positive) or added (negative).
    pub remainder: Kopecks,
}

/// The dues of every plot under one estimate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DuesComputation {
    /// The estimate's id.
    pub estimate: String,
    /// The rates, by kind then key.
    pub rates: Vec<KeyRate>,
    /// Each plot's dues of each kind, plots in register order, kinds in order.
    pub dues: Vec<PlotDues>,
    /// Per kind: the estimate, what is charged and the rounding remainder.
    pub totals: Vec<KindTotal>,
}

fn invalid(field: String, ru: &str, en: &str) -> Error {
    Error::invalid(field, tr(ru, en))
}

fn overflow() -> Error {
    Error::invalid(
        "lines",
        tr("Слишком большие суммы", "the amounts are too large"),
    )
}

/// A plot's base for `key`, in plots or m², exact.
fn plot_base(plot: &PlotBase, key: AllocationKey) -> Ratio {
    let centi = |v: u64| Ratio::new(i128::from(v), 100).unwrap_or(Ratio::ZERO);
    match key {
        AllocationKey::PerPlot => Ratio::ONE,
        AllocationKey::PlotArea => centi(plot.area_centi_m2),
        AllocationKey::BuildingArea => centi(plot.building_area_centi_m2),
    }
}

/// Checks the estimate's lines and the plots; every error names the field at fault.
fn validate(estimate: &Estimate, plots: &[PlotBase], charter: &DuesCharter) -> Result<(), Error> {
    if estimate.lines.is_empty() {
        return Err(invalid(
            "lines".into(),
            "В смете нет строк",
            "the estimate has no lines",
        ));
    }
    for (i, line) in estimate.lines.iter().enumerate() {
        if line.id.trim().is_empty() {
            return Err(invalid(
                format!("lines[{i}].id"),
                "У строки нет идентификатора",
                "the line has no id",
            ));
        }
        if estimate.lines[..i].iter().any(|l| l.id == line.id) {
            return Err(invalid(
                format!("lines[{i}].id"),
                "Строка с таким идентификатором уже есть",
                "another line has this id",
            ));
        }
        if line.title.trim().is_empty() {
            return Err(invalid(
                format!("lines[{i}].title"),
                "Укажите, на что идёт строка",
                "say what the line pays for",
            ));
        }
        if line.amount.is_negative() {
            return Err(invalid(
                format!("lines[{i}].amount"),
                "Сумма строки не может быть отрицательной",
                "a line's amount cannot be negative",
            ));
        }
        if let DuesKind::Target(purpose) = &line.kind
            && purpose.trim().is_empty()
        {
            return Err(invalid(
                format!("lines[{i}].kind"),
                "Укажите цель целевого взноса",
                "name the purpose of the target dues",
            ));
        }
        let allowed = match line.key {
            AllocationKey::PerPlot => true,
            AllocationKey::PlotArea => charter.allow_plot_area,
            AllocationKey::BuildingArea => charter.allow_building_area,
        };
        if !allowed {
            return Err(invalid(
                format!("lines[{i}].key"),
                "Устав не позволяет распределять взносы по этому основанию",
                "the charter does not allow sharing dues by this key",
            ));
        }
    }
    if plots.is_empty() {
        return Err(invalid(
            "plots".into(),
            "В реестре нет участков",
            "the register has no plots",
        ));
    }
    for (i, plot) in plots.iter().enumerate() {
        if plot.plot.trim().is_empty() {
            return Err(invalid(
                format!("plots[{i}].plot"),
                "У участка нет номера",
                "the plot has no number",
            ));
        }
        if plots[..i].iter().any(|p| p.plot == plot.plot) {
            return Err(invalid(
                format!("plots[{i}].plot"),
                "Участок с таким номером уже есть",
                "another plot has this number",
            ));
        }
        if plot.area_centi_m2 == 0 {
            return Err(invalid(
                format!("plots[{i}].area"),
                "Площадь участка должна быть больше нуля",
                "the plot's area must be above zero",
            ));
        }
    }
    Ok(())
}

/// The dues of every plot in `plots` under `estimate`.
///
/// All plots share every line — members and non-member owners alike. Errors name the line or
/// plot at fault: a line with a key the charter does not allow, a key whose base is zero (no
/// building area recorded on any plot), a negative amount, a repeated id or number.
pub fn compute_dues(
    estimate: &Estimate,
    plots: &[PlotBase],
    charter: &DuesCharter,
) -> Result<DuesComputation, Error> {
    validate(estimate, plots, charter)?;

    // The base of each key over all plots.
    let mut bases: BTreeMap<AllocationKey, Ratio> = BTreeMap::new();
    for key in [
        AllocationKey::PerPlot,
        AllocationKey::PlotArea,
        AllocationKey::BuildingArea,
    ] {
        let base =
            Ratio::checked_sum(plots.iter().map(|p| plot_base(p, key))).ok_or_else(overflow)?;
        bases.insert(key, base);
    }
    for (i, line) in estimate.lines.iter().enumerate() {
        if bases[&line.key].is_zero() && line.amount != Kopecks::ZERO {
            return Err(invalid(
                format!("lines[{i}].key"),
                "Ни у одного участка не указана площадь строений",
                "no plot has a building area recorded",
            ));
        }
    }

    // Per kind and key: Σ lines and the exact rate.
    let mut sums: BTreeMap<(DuesKind, AllocationKey), Kopecks> = BTreeMap::new();
    for line in &estimate.lines {
        let sum = sums
            .entry((line.kind.clone(), line.key))
            .or_insert(Kopecks::ZERO);
        *sum = sum.checked_add(line.amount).ok_or_else(overflow)?;
    }
    let mut rates = Vec::new();
    for ((kind, key), total) in &sums {
        let base = bases[key];
        let rate = if base.is_zero() {
            Ratio::ZERO
        } else {
            Ratio::from_kopecks(*total)
                .checked_div(base)
                .ok_or_else(overflow)?
        };
        rates.push(KeyRate {
            kind: kind.clone(),
            key: *key,
            total: *total,
            base,
            rate,
        });
    }

    let kinds: Vec<DuesKind> = {
        let mut kinds: Vec<DuesKind> = estimate.lines.iter().map(|l| l.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    };
    let mut dues = Vec::new();
    let mut charged: BTreeMap<DuesKind, Kopecks> = BTreeMap::new();
    for plot in plots {
        for kind in &kinds {
            let mut lines = Vec::new();
            for line in estimate.lines.iter().filter(|l| &l.kind == kind) {
                let base = bases[&line.key];
                let own = plot_base(plot, line.key);
                let rate = if base.is_zero() {
                    Ratio::ZERO
                } else {
                    Ratio::from_kopecks(line.amount)
                        .checked_div(base)
                        .ok_or_else(overflow)?
                };
                let exact = rate.checked_mul(own).ok_or_else(overflow)?;
                lines.push(LineShare {
                    line: line.id.clone(),
                    key: line.key,
                    plot_base: own,
                    rate,
                    exact,
                });
            }
            let exact = Ratio::checked_sum(lines.iter().map(|l| l.exact)).ok_or_else(overflow)?;
            let amount = exact.round_to_kopecks().ok_or_else(overflow)?;
            let sum = charged.entry(kind.clone()).or_insert(Kopecks::ZERO);
            *sum = sum.checked_add(amount).ok_or_else(overflow)?;
            dues.push(PlotDues {
                plot: plot.plot.clone(),
                kind: kind.clone(),
                lines,
                exact,
                amount,
            });
        }
    }

    let mut totals = Vec::new();
    for kind in kinds {
        let estimate_sum = Kopecks::checked_sum(
            estimate
                .lines
                .iter()
                .filter(|l| l.kind == kind)
                .map(|l| l.amount),
        )
        .ok_or_else(overflow)?;
        let charged = charged.get(&kind).copied().unwrap_or(Kopecks::ZERO);
        totals.push(KindTotal {
            remainder: estimate_sum.checked_sub(charged).ok_or_else(overflow)?,
            kind,
            estimate: estimate_sum,
            charged,
        });
    }
    Ok(DuesComputation {
        estimate: estimate.id.clone(),
        rates,
        dues,
        totals,
    })
}

/// One row of a member's computation sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SheetRow {
    /// The estimate line's id.
    pub line: String,
    /// What it pays for.
    pub title: String,
    /// Its ФЭО basis.
    pub basis: String,
    /// The key, as words.
    pub key: String,
    /// The line's amount for the whole СНТ.
    pub line_amount: Kopecks,
    /// The plot's base: `1` plot or its m², as text (`600.00`).
    pub plot_base: String,
    /// The rate in roubles per plot or per m², to 4 decimals, for reading.
    pub rate_rubles: String,
    /// The exact share in roubles, to 4 decimals, for reading.
    pub share_rubles: String,
}

/// A member's computation sheet: every line behind their dues of each kind, with the minutes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComputationSheet {
    /// The plot.
    pub plot: String,
    /// The estimate's title.
    pub estimate: String,
    /// The approval; none while the estimate is a draft.
    pub approval: Option<Approval>,
    /// Per kind: the rows and the rounded due.
    pub kinds: Vec<(DuesKind, Vec<SheetRow>, Kopecks)>,
}

/// The computation sheet of `plot`; not-found when the plot is not in the computation.
pub fn computation_sheet(
    estimate: &Estimate,
    computation: &DuesComputation,
    plot: &str,
) -> Result<ComputationSheet, Error> {
    let mut kinds = Vec::new();
    for dues in computation.dues.iter().filter(|d| d.plot == plot) {
        let rows = dues
            .lines
            .iter()
            .filter_map(|share| {
                let line = estimate.lines.iter().find(|l| l.id == share.line)?;
                let hundred = Ratio::from_integer(100);
                Some(SheetRow {
                    line: line.id.clone(),
                    title: line.title.clone(),
                    basis: line.basis.clone(),
                    key: line.key.label().to_owned(),
                    line_amount: line.amount,
                    plot_base: share.plot_base.to_decimal_string(2),
                    rate_rubles: share.rate.checked_div(hundred)?.to_decimal_string(4),
                    share_rubles: share.exact.checked_div(hundred)?.to_decimal_string(4),
                })
            })
            .collect();
        kinds.push((dues.kind.clone(), rows, dues.amount));
    }
    if kinds.is_empty() {
        return Err(Error::not_found(tr(
            "Участка нет в расчёте",
            "the plot is not in the computation",
        )));
    }
    Ok(ComputationSheet {
        plot: plot.to_owned(),
        estimate: estimate.title.clone(),
        approval: estimate.approval.clone(),
        kinds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rub(r: i64) -> Kopecks {
        Kopecks(r * 100)
    }

    fn line(id: &str, kind: DuesKind, key: AllocationKey, amount: Kopecks) -> EstimateLine {
        EstimateLine {
            id: id.into(),
            title: format!("Строка {id}"),
            kind,
            key,
            amount,
            basis: format!("ФЭО п. {id}"),
        }
    }

    fn plot(n: &str, m2: u64) -> PlotBase {
        PlotBase {
            plot: n.into(),
            area_centi_m2: m2 * 100,
            building_area_centi_m2: 0,
        }
    }

    /// 120 plots of 70 000 m² in all: plot 1 of 600 m², plot 2 of 1 200 m², 110 of 600 m²,
    /// 8 of 275 m². Plot 1 is a non-member owner's.
    fn s1_plots() -> Vec<PlotBase> {
        let mut plots = vec![plot("1", 600), plot("2", 1200)];
        plots.extend((3..113).map(|n| plot(&n.to_string(), 600)));
        plots.extend((113..121).map(|n| plot(&n.to_string(), 275)));
        plots
    }

    fn s1_estimate() -> Estimate {
        Estimate {
            id: "2026".into(),
            title: "Смета на 2026 год".into(),
            lines: vec![
                line(
                    "guard",
                    DuesKind::Membership,
                    AllocationKey::PerPlot,
                    rub(360_000),
                ),
                line(
                    "road",
                    DuesKind::Membership,
                    AllocationKey::PlotArea,
                    rub(840_000),
                ),
            ],
            approval: Some(Approval {
                minutes: "Протокол № 3 от 2026-04-25".into(),
                decided_on: "2026-04-25".parse().unwrap(),
            }),
        }
    }

    fn due_of(c: &DuesComputation, plot: &str) -> Kopecks {
        c.dues.iter().find(|d| d.plot == plot).unwrap().amount
    }

    /// RULES §7 S1: guard 360 000 ₽ per plot, road 840 000 ₽ per m²; 120 plots, 70 000 m²:
    /// 3 000.00 ₽/plot, 12.00 ₽/m²; a 600 m² plot pays 10 200.00 ₽, a 1 200 m² plot 17 400.00 ₽.
    #[test]
    fn s1_rates_and_dues() {
        let plots = s1_plots();
        assert_eq!(plots.len(), 120);
        assert_eq!(
            plots.iter().map(|p| p.area_centi_m2).sum::<u64>(),
            7_000_000
        );
        let c = compute_dues(&s1_estimate(), &plots, &DuesCharter::default()).unwrap();
        let per_plot = &c.rates[0];
        assert_eq!(per_plot.key, AllocationKey::PerPlot);
        assert_eq!(per_plot.rate, Ratio::from_kopecks(rub(3_000)));
        assert_eq!(per_plot.base, Ratio::from_integer(120));
        let per_m2 = &c.rates[1];
        assert_eq!(per_m2.key, AllocationKey::PlotArea);
        assert_eq!(per_m2.rate, Ratio::from_kopecks(rub(12)));
        assert_eq!(per_m2.base, Ratio::from_integer(70_000));
        assert_eq!(due_of(&c, "2"), rub(17_400));
        assert_eq!(due_of(&c, "3"), rub(10_200));
        assert_eq!(
            c.totals,
            [KindTotal {
                kind: DuesKind::Membership,
                estimate: rub(1_200_000),
                charged: rub(1_200_000),
                remainder: Kopecks::ZERO,
            }]
        );
    }

    /// RULES §7 S2: 100 000.00 ₽ per plot over 3 plots: 33 333.33 ₽ each; 0.01 ₽ is reported
    /// as the rounding remainder.
    #[test]
    fn s2_rounding_remainder_is_reported() {
        let estimate = Estimate {
            id: "e".into(),
            title: "Смета".into(),
            lines: vec![line(
                "a",
                DuesKind::Membership,
                AllocationKey::PerPlot,
                rub(100_000),
            )],
            approval: None,
        };
        let plots = [plot("1", 600), plot("2", 600), plot("3", 800)];
        let c = compute_dues(&estimate, &plots, &DuesCharter::default()).unwrap();
        for p in ["1", "2", "3"] {
            assert_eq!(due_of(&c, p), Kopecks(3_333_333));
        }
        assert_eq!(c.totals[0].charged, Kopecks(9_999_999));
        assert_eq!(c.totals[0].remainder, Kopecks(1));
    }

    /// RULES §7 S3: a non-member owner of a 600 m² plot under the estimate of S1 pays
    /// 10 200.00 ₽, as a member does.
    #[test]
    fn s3_non_member_owner_pays_as_a_member() {
        let c = compute_dues(&s1_estimate(), &s1_plots(), &DuesCharter::default()).unwrap();
        // Plot 1 is the non-member owner's; plot 3 a member's of the same area.
        assert_eq!(due_of(&c, "1"), rub(10_200));
        assert_eq!(due_of(&c, "1"), due_of(&c, "3"));
    }

    #[test]
    fn rounding_is_once_per_plot_not_per_line() {
        // Two lines of 1,00 ₽ over 3 plots: each line is 33.33… kopecks a plot; rounding each
        // line would give 33 + 33 = 66, rounding the sum gives 67.
        let estimate = Estimate {
            id: "e".into(),
            title: "Смета".into(),
            lines: vec![
                line(
                    "a",
                    DuesKind::Membership,
                    AllocationKey::PerPlot,
                    Kopecks(100),
                ),
                line(
                    "b",
                    DuesKind::Membership,
                    AllocationKey::PerPlot,
                    Kopecks(100),
                ),
            ],
            approval: None,
        };
        let plots = [plot("1", 600), plot("2", 600), plot("3", 600)];
        let c = compute_dues(&estimate, &plots, &DuesCharter::default()).unwrap();
        assert_eq!(due_of(&c, "1"), Kopecks(67));
        assert_eq!(c.totals[0].remainder, Kopecks(-1));
    }

    #[test]
    fn kinds_are_separate_ledgers_each_rounded_once() {
        let mut estimate = s1_estimate();
        estimate.lines.push(line(
            "pipe",
            DuesKind::Target("водопровод".into()),
            AllocationKey::PerPlot,
            rub(100_000),
        ));
        let c = compute_dues(&estimate, &s1_plots(), &DuesCharter::default()).unwrap();
        let plot3: Vec<&PlotDues> = c.dues.iter().filter(|d| d.plot == "3").collect();
        assert_eq!(plot3.len(), 2);
        assert_eq!(plot3[0].kind, DuesKind::Membership);
        assert_eq!(plot3[0].amount, rub(10_200));
        assert_eq!(plot3[1].kind, DuesKind::Target("водопровод".into()));
        // 100 000 ₽ / 120 = 833.333… ₽ → 833.33 ₽; 0.40 ₽ left over in all.
        assert_eq!(plot3[1].amount, Kopecks(83_333));
        assert_eq!(c.totals[1].remainder, Kopecks(40));
    }

    #[test]
    fn building_area_only_where_the_charter_allows() {
        let mut estimate = s1_estimate();
        estimate.lines.push(line(
            "tax",
            DuesKind::Membership,
            AllocationKey::BuildingArea,
            rub(10_000),
        ));
        let err = compute_dues(&estimate, &s1_plots(), &DuesCharter::default()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("lines[2].key"));

        let charter = DuesCharter {
            allow_building_area: true,
            ..DuesCharter::default()
        };
        let err = compute_dues(&estimate, &s1_plots(), &charter).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("lines[2].key"));
        assert!(err.message.contains("строений"));

        let mut plots = s1_plots();
        plots[0].building_area_centi_m2 = 6_000;
        plots[1].building_area_centi_m2 = 4_000;
        let c = compute_dues(&estimate, &plots, &charter).unwrap();
        // 10 000 ₽ over 100 m² of buildings: plot 1 with 60 m² pays 6 000 ₽ more.
        assert_eq!(due_of(&c, "1"), rub(16_200));
        assert_eq!(due_of(&c, "3"), rub(10_200));
    }

    #[test]
    fn bad_input_names_the_field() {
        let charter = DuesCharter::default();
        let mut e = s1_estimate();
        e.lines[1].amount = Kopecks(-1);
        assert_eq!(
            compute_dues(&e, &s1_plots(), &charter)
                .unwrap_err()
                .field
                .as_deref(),
            Some("lines[1].amount")
        );
        let mut e = s1_estimate();
        e.lines[1].id = "guard".into();
        assert_eq!(
            compute_dues(&e, &s1_plots(), &charter)
                .unwrap_err()
                .field
                .as_deref(),
            Some("lines[1].id")
        );
        let mut plots = s1_plots();
        plots[5].area_centi_m2 = 0;
        assert_eq!(
            compute_dues(&s1_estimate(), &plots, &charter)
                .unwrap_err()
                .field
                .as_deref(),
            Some("plots[5].area")
        );
        let mut plots = s1_plots();
        plots[7].plot = "2".into();
        assert_eq!(
            compute_dues(&s1_estimate(), &plots, &charter)
                .unwrap_err()
                .field
                .as_deref(),
            Some("plots[7].plot")
        );
        assert_eq!(
            compute_dues(&s1_estimate(), &[], &charter)
                .unwrap_err()
                .field
                .as_deref(),
            Some("plots")
        );
    }

    #[test]
    fn the_sheet_traces_every_kopeck_to_its_line_and_minutes() {
        let estimate = s1_estimate();
        let c = compute_dues(&estimate, &s1_plots(), &DuesCharter::default()).unwrap();
        let sheet = computation_sheet(&estimate, &c, "2").unwrap();
        assert_eq!(
            sheet.approval.as_ref().unwrap().minutes,
            "Протокол № 3 от 2026-04-25"
        );
        let (kind, rows, due) = &sheet.kinds[0];
        assert_eq!(kind, &DuesKind::Membership);
        assert_eq!(*due, rub(17_400));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].title, "Строка guard");
        assert_eq!(rows[0].basis, "ФЭО п. guard");
        assert_eq!(rows[0].plot_base, "1.00");
        assert_eq!(rows[0].rate_rubles, "3000.0000");
        assert_eq!(rows[0].share_rubles, "3000.0000");
        assert_eq!(rows[1].key, "с м² участка");
        assert_eq!(rows[1].plot_base, "1200.00");
        assert_eq!(rows[1].rate_rubles, "12.0000");
        assert_eq!(rows[1].share_rubles, "14400.0000");
        assert!(computation_sheet(&estimate, &c, "999").is_err());
    }
}
