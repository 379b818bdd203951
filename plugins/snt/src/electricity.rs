//! The monthly electricity balance of one transformer and the plots' bills (RULES §7).
//!
//! - Losses = the boundary (transformer) meter − Σ plot meters − Σ common meters (lighting,
//!   pumps), in kWh, exact.
//! - The general meeting chooses how losses are shared ([`LossSharing`]): by consumption, per
//!   plot, per m² of plot, or inside the membership dues (then no bill carries them, and their
//!   cost is reported for the estimate).
//! - A plot pays (its consumption + its share of losses) × the population tariff, **with no
//!   markup**, rounded once to the kopeck.
//! - A plot with a direct contract with the supplier still counts in the balance: its meter is
//!   subtracted from the boundary, the SNT does not bill its consumption, and whether it shares
//!   the losses is a setting (by default it does: its line runs through the SNT's network).
//! - Meters that add up to more than the boundary meter are an error naming `boundary`, never a
//!   negative loss shared out as a credit.

use dvor_sdk::ctx::tr;
use dvor_sdk::{Decimal, Error, Kopecks, Ratio};
use serde::{Deserialize, Serialize};

/// How losses are shared, as the general meeting decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossSharing {
    /// In proportion to each plot's consumption.
    #[default]
    ByConsumption,
    /// Equally per plot.
    PerPlot,
    /// By plot area.
    PerArea,
    /// Paid from membership dues: bills carry no losses.
    InsideDues,
}

/// The electricity settings of the SNT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ElectricitySettings {
    /// How losses are shared.
    pub sharing: LossSharing,
    /// The population tariff per kWh.
    pub tariff: Kopecks,
    /// Whether plots with a direct contract share the losses.
    pub direct_contract_plots_share_losses: bool,
}

impl Default for ElectricitySettings {
    fn default() -> Self {
        Self {
            sharing: LossSharing::ByConsumption,
            tariff: Kopecks(538),
            direct_contract_plots_share_losses: true,
        }
    }
}

/// One plot's month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlotConsumption {
    /// The plot's number.
    pub plot: String,
    /// kWh used this month (current − previous reading).
    pub consumption: Decimal,
    /// The plot's area, hundredths of m² (for sharing per m²).
    pub area_centi_m2: u64,
    /// Whether the plot pays the supplier directly.
    pub direct_contract: bool,
}

/// One transformer's month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceInput {
    /// kWh through the boundary (transformer) meter.
    pub boundary: Decimal,
    /// kWh of each common meter (lighting, pumps).
    pub common: Vec<Decimal>,
    /// The plots behind the transformer.
    pub plots: Vec<PlotConsumption>,
}

/// A plot's bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlotBill {
    /// The plot.
    pub plot: String,
    /// Its own consumption billed by the SNT (zero under a direct contract), kWh.
    pub consumption: Ratio,
    /// Its share of the losses, kWh, exact.
    pub losses: Ratio,
    /// What it pays for: consumption + losses, kWh.
    pub billed_kwh: Ratio,
    /// billed kWh × tariff, rounded once.
    pub amount: Kopecks,
}

/// The month's balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// The boundary meter, kWh.
    pub boundary: Ratio,
    /// Σ plot meters (direct contracts included), kWh.
    pub plots: Ratio,
    /// Σ common meters, kWh.
    pub common: Ratio,
    /// boundary − plots − common, kWh.
    pub losses: Ratio,
    /// Losses as a percentage of the boundary meter, to two decimals.
    pub losses_percent: String,
    /// The bills, in input order.
    pub bills: Vec<PlotBill>,
    /// The common meters' cost at the tariff: an expense of the estimate.
    pub common_cost: Kopecks,
    /// Under [`LossSharing::InsideDues`], the losses' cost for the estimate; zero otherwise.
    pub losses_in_dues: Kopecks,
}

fn too_large() -> Error {
    Error::invalid(
        "plots",
        tr("Слишком большие показания", "the readings are too large"),
    )
}

/// The balance of `input` under `settings`.
pub fn balance(input: &BalanceInput, settings: &ElectricitySettings) -> Result<Balance, Error> {
    if settings.tariff.0 <= 0 {
        return Err(Error::invalid(
            "tariff",
            tr(
                "Тариф должен быть больше нуля",
                "the tariff must be above zero",
            ),
        ));
    }
    if input.plots.is_empty() {
        return Err(Error::invalid(
            "plots",
            tr(
                "За трансформатором нет участков",
                "no plots behind the transformer",
            ),
        ));
    }
    let kwh = Ratio::from_decimal;
    for (i, plot) in input.plots.iter().enumerate() {
        if kwh(plot.consumption).is_negative() {
            return Err(Error::invalid(
                format!("plots[{i}].consumption"),
                tr(
                    "Расход не может быть отрицательным",
                    "consumption cannot be negative",
                ),
            ));
        }
        if input.plots[..i].iter().any(|p| p.plot == plot.plot) {
            return Err(Error::invalid(
                format!("plots[{i}].plot"),
                tr("Участок указан дважды", "the plot is listed twice"),
            ));
        }
    }
    for (i, meter) in input.common.iter().enumerate() {
        if kwh(*meter).is_negative() {
            return Err(Error::invalid(
                format!("common[{i}]"),
                tr(
                    "Расход не может быть отрицательным",
                    "consumption cannot be negative",
                ),
            ));
        }
    }
    let boundary = kwh(input.boundary);
    let plots =
        Ratio::checked_sum(input.plots.iter().map(|p| kwh(p.consumption))).ok_or_else(too_large)?;
    let common = Ratio::checked_sum(input.common.iter().map(|m| kwh(*m))).ok_or_else(too_large)?;
    let losses = boundary
        .checked_sub(plots)
        .and_then(|r| r.checked_sub(common))
        .ok_or_else(too_large)?;
    if losses.is_negative() {
        return Err(Error::invalid(
            "boundary",
            tr(
                "Участки и общие счётчики насчитали больше, чем граничный счётчик: проверьте показания",
                "the plot and common meters add up to more than the boundary meter: check the readings",
            ),
        ));
    }

    // Who shares the losses, and each one's weight.
    let shares_losses =
        |p: &PlotConsumption| !p.direct_contract || settings.direct_contract_plots_share_losses;
    let weight = |p: &PlotConsumption| -> Ratio {
        if !shares_losses(p) {
            return Ratio::ZERO;
        }
        match settings.sharing {
            LossSharing::ByConsumption => kwh(p.consumption),
            LossSharing::PerPlot => Ratio::ONE,
            LossSharing::PerArea => {
                Ratio::new(i128::from(p.area_centi_m2), 100).unwrap_or(Ratio::ZERO)
            }
            LossSharing::InsideDues => Ratio::ZERO,
        }
    };
    let total_weight = Ratio::checked_sum(input.plots.iter().map(weight)).ok_or_else(too_large)?;
    if settings.sharing != LossSharing::InsideDues && !losses.is_zero() && total_weight.is_zero() {
        return Err(Error::invalid(
            "sharing",
            tr(
                "Потери не на кого распределить этим способом",
                "no plot can carry the losses by this method",
            ),
        ));
    }
    let tariff = Ratio::from_kopecks(settings.tariff);
    let mut bills = Vec::with_capacity(input.plots.len());
    for plot in &input.plots {
        let own = if plot.direct_contract {
            Ratio::ZERO
        } else {
            kwh(plot.consumption)
        };
        let share = if total_weight.is_zero() {
            Ratio::ZERO
        } else {
            losses
                .checked_mul(weight(plot))
                .and_then(|r| r.checked_div(total_weight))
                .ok_or_else(too_large)?
        };
        let billed = own.checked_add(share).ok_or_else(too_large)?;
        let amount = billed
            .checked_mul(tariff)
            .and_then(Ratio::round_to_kopecks)
            .ok_or_else(too_large)?;
        bills.push(PlotBill {
            plot: plot.plot.clone(),
            consumption: own,
            losses: share,
            billed_kwh: billed,
            amount,
        });
    }
    let cost = |r: Ratio| r.checked_mul(tariff).and_then(Ratio::round_to_kopecks);
    let losses_percent = if boundary.is_zero() {
        "0.00".to_owned()
    } else {
        losses
            .checked_mul(Ratio::from_integer(100))
            .and_then(|r| r.checked_div(boundary))
            .ok_or_else(too_large)?
            .to_decimal_string(2)
    };
    Ok(Balance {
        boundary,
        plots,
        common,
        losses,
        losses_percent,
        bills,
        common_cost: cost(common).ok_or_else(too_large)?,
        losses_in_dues: if settings.sharing == LossSharing::InsideDues {
            cost(losses).ok_or_else(too_large)?
        } else {
            Kopecks::ZERO
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kwh(n: i64) -> Decimal {
        Decimal::new(n, 0)
    }

    /// 120 plots using 10 500 kWh: the first 350 kWh, the others 10 150 kWh between them.
    fn s4_input() -> BalanceInput {
        let mut plots = vec![PlotConsumption {
            plot: "1".into(),
            consumption: kwh(350),
            area_centi_m2: 60_000,
            direct_contract: false,
        }];
        // 118 plots of 85 kWh and one of 120 kWh: 10 030 + 120 = 10 150.
        for n in 2..=119 {
            plots.push(PlotConsumption {
                plot: n.to_string(),
                consumption: kwh(85),
                area_centi_m2: 60_000,
                direct_contract: false,
            });
        }
        plots.push(PlotConsumption {
            plot: "120".into(),
            consumption: kwh(120),
            area_centi_m2: 60_000,
            direct_contract: false,
        });
        BalanceInput {
            boundary: kwh(12_000),
            common: vec![kwh(200), kwh(100)],
            plots,
        }
    }

    fn settings(sharing: LossSharing) -> ElectricitySettings {
        ElectricitySettings {
            sharing,
            tariff: Kopecks(538),
            ..ElectricitySettings::default()
        }
    }

    /// RULES §7 S4: boundary 12 000 kWh, plots 10 500 kWh, common 300 kWh, tariff 5.38 ₽/kWh:
    /// losses 1 200 kWh; by consumption a plot that used 350 kWh pays for 390 kWh = 2 098.20 ₽;
    /// per plot (120 plots) it pays for 360 kWh = 1 936.80 ₽.
    #[test]
    fn s4_losses_by_consumption_and_per_plot() {
        let input = s4_input();
        assert_eq!(input.plots.len(), 120);
        let b = balance(&input, &settings(LossSharing::ByConsumption)).unwrap();
        assert_eq!(b.plots, Ratio::from_integer(10_500));
        assert_eq!(b.common, Ratio::from_integer(300));
        assert_eq!(b.losses, Ratio::from_integer(1_200));
        assert_eq!(b.losses_percent, "10.00");
        assert_eq!(b.bills[0].billed_kwh, Ratio::from_integer(390));
        assert_eq!(b.bills[0].amount, Kopecks(209_820));
        // Every kWh of losses is billed to someone.
        let shared = Ratio::checked_sum(b.bills.iter().map(|x| x.losses)).unwrap();
        assert_eq!(shared, b.losses);
        // The common meters are the estimate's: 300 kWh × 5.38 ₽.
        assert_eq!(b.common_cost, Kopecks(161_400));

        let b = balance(&input, &settings(LossSharing::PerPlot)).unwrap();
        assert_eq!(b.bills[0].billed_kwh, Ratio::from_integer(360));
        assert_eq!(b.bills[0].amount, Kopecks(193_680));
        assert_eq!(b.losses_in_dues, Kopecks::ZERO);
    }

    #[test]
    fn losses_per_area_and_inside_dues() {
        let mut input = s4_input();
        // Plot 1 is twice the size of the others: 1 200 m² of 72 600 m².
        input.plots[0].area_centi_m2 = 120_000;
        let b = balance(&input, &settings(LossSharing::PerArea)).unwrap();
        // 1 200 kWh × 1 200 / 72 600 = 19.83… kWh.
        assert_eq!(b.bills[0].losses, Ratio::new(2_400, 121).unwrap());
        // (350 + 2400/121) × 5.38 ₽ = 1 989.7107… ₽ → 1 989,71 ₽
        assert_eq!(b.bills[0].amount, Kopecks(198_971));

        let b = balance(&input, &settings(LossSharing::InsideDues)).unwrap();
        assert_eq!(b.bills[0].billed_kwh, Ratio::from_integer(350));
        assert_eq!(b.bills[0].amount, Kopecks(188_300));
        // 1 200 kWh × 5.38 ₽ go to the estimate.
        assert_eq!(b.losses_in_dues, Kopecks(645_600));
    }

    #[test]
    fn no_markup_on_the_tariff() {
        let input = BalanceInput {
            boundary: kwh(100),
            common: vec![],
            plots: vec![PlotConsumption {
                plot: "7".into(),
                consumption: Decimal::new(1000, 1),
                area_centi_m2: 60_000,
                direct_contract: false,
            }],
        };
        let b = balance(&input, &settings(LossSharing::ByConsumption)).unwrap();
        assert_eq!(b.losses, Ratio::ZERO);
        assert_eq!(b.bills[0].amount, Kopecks(53_800));
    }

    #[test]
    fn a_direct_contract_plot_counts_in_the_balance() {
        let mut input = s4_input();
        input.plots[0].direct_contract = true;
        let b = balance(&input, &settings(LossSharing::ByConsumption)).unwrap();
        // Its 350 kWh are still subtracted: losses stay 1 200 kWh.
        assert_eq!(b.losses, Ratio::from_integer(1_200));
        assert_eq!(b.bills[0].consumption, Ratio::ZERO);
        assert_eq!(b.bills[0].billed_kwh, Ratio::from_integer(40));
        assert_eq!(b.bills[0].amount, Kopecks(21_520));

        let no_share = ElectricitySettings {
            direct_contract_plots_share_losses: false,
            ..settings(LossSharing::ByConsumption)
        };
        let b = balance(&input, &no_share).unwrap();
        assert_eq!(b.bills[0].amount, Kopecks::ZERO);
        let shared = Ratio::checked_sum(b.bills.iter().map(|x| x.losses)).unwrap();
        assert_eq!(shared, b.losses);
    }

    #[test]
    fn meters_above_the_boundary_are_an_error() {
        let mut input = s4_input();
        input.boundary = kwh(10_000);
        let err = balance(&input, &settings(LossSharing::PerPlot)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("boundary"));
        let mut input = s4_input();
        input.plots[3].consumption = kwh(-1);
        let err = balance(&input, &settings(LossSharing::PerPlot)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("plots[3].consumption"));
        let err = balance(
            &s4_input(),
            &ElectricitySettings {
                tariff: Kopecks::ZERO,
                ..ElectricitySettings::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("tariff"));
    }
}
