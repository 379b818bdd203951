//! Who is calling, as the partnership sees them: the board (the chairman, board members, the
//! instance's admins), a member or a non-member owner of the register, or someone else — and
//! the partnership's plots, from the host's units.

use dvor_sdk::directory::{self, Unit};
use dvor_sdk::prelude::*;

use crate::model::{RECORDS, Record, Standing};

/// Whether the caller runs the partnership: the chairman, a board member, an admin.
pub fn is_board() -> bool {
    ["chairman", "board", "admin"]
        .iter()
        .any(|role| ctx::has_role(role))
}

/// The caller if they are on the board; else `forbidden` (or `unauthenticated`).
pub fn require_board() -> Result<ctx::Caller> {
    let caller = ctx::require_caller()?;
    if is_board() {
        Ok(caller)
    } else {
        Err(Error::forbidden(tr(
            "Это делает правление товарищества",
            "the partnership's board does this",
        )))
    }
}

/// The call's community, which must be an SNT.
pub fn snt() -> Result<directory::CommunityInfo> {
    let here = ctx::community();
    match directory::community(&here) {
        Some(place) if place.kind == "snt" => Ok(place),
        _ => Err(Error::not_found(tr(
            "Это страница садоводческого товарищества: откройте её на странице своего СНТ",
            "this is a garden partnership's page: open it from your SNT's page",
        ))),
    }
}

/// The partnership's plots, in the order of their numbers.
pub fn plots() -> Vec<Unit> {
    let mut plots: Vec<Unit> = directory::units(&ctx::community())
        .into_iter()
        .filter(|u| u.kind == "plot")
        .collect();
    plots.sort_by(|a, b| directory::cmp_unit_numbers(&a.number, &b.number));
    plots
}

/// The plot numbered `number`, or `invalid` naming `field`.
pub fn plot(field: &str, number: &str) -> Result<Unit> {
    let number = number.trim();
    plots()
        .into_iter()
        .find(|u| u.number == number)
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!(
                    "{} {number}",
                    tr("В товариществе нет участка", "the partnership has no plot")
                ),
            )
        })
}

/// The host's id of plot `number` of the call's partnership; also the id the plugin keeps the
/// plot's extras under.
pub fn unit_id(number: &str) -> String {
    format!("{}/{number}", ctx::community())
}

/// A document id unique across partnerships: `{snt}:{id}` (one instance may serve several).
pub fn scoped(id: &str) -> String {
    format!("{}:{id}", ctx::community())
}

/// Every record of the register, former ones too.
pub fn all_records() -> Result<Vec<Doc<Record>>> {
    RECORDS
        .query()
        .in_community(&ctx::community())
        .order_by("name_key", Direction::Asc)
        .fetch_all()
}

/// The register's records of `person`.
pub fn records_of(person: &str) -> Result<Vec<Doc<Record>>> {
    RECORDS
        .query()
        .filter("person_id", Compare::Eq, person)
        .fetch_all()
}

/// The record `id`, or not-found.
pub fn record(id: &str) -> Result<Doc<Record>> {
    RECORDS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой записи реестра", "no such register record")))
}

/// The plots `person` owns in the partnership, as the host knows.
pub fn owned_in_host(person: &str) -> Vec<String> {
    let here = ctx::community();
    directory::units_of(person)
        .into_iter()
        .filter(|u| u.kind == "plot" && u.community == here)
        .filter(|u| {
            directory::owners(&u.id)
                .iter()
                .any(|o| o.person_id == person)
        })
        .map(|u| u.number)
        .collect()
}

/// The people to tell about a plot: the register's holders with an account, and the host's
/// owners of it.
pub fn people_of_plot(plot: &str, records: &[Doc<Record>]) -> Vec<String> {
    let mut people: Vec<String> = records
        .iter()
        .filter(|r| r.data.standing != Standing::Former && r.data.holds(plot))
        .filter_map(|r| r.data.person_id.clone())
        .collect();
    people.extend(
        directory::owners(&unit_id(plot))
            .into_iter()
            .map(|o| o.person_id),
    );
    people.sort();
    people.dedup();
    people
}

/// The caller as the partnership sees them.
#[derive(Clone, Debug)]
pub struct Viewer {
    /// Who, if signed in.
    pub caller: Option<ctx::Caller>,
    /// On the board.
    pub board: bool,
    /// Their records in the register (former ones too).
    pub records: Vec<Doc<Record>>,
    /// The plots the host says they own here.
    pub owned: Vec<String>,
}

impl Viewer {
    /// The caller of this call.
    pub fn of_call() -> Result<Viewer> {
        let caller = ctx::caller();
        let (records, owned) = match &caller {
            Some(c) => (records_of(&c.person_id)?, owned_in_host(&c.person_id)),
            None => (Vec::new(), Vec::new()),
        };
        Ok(Viewer {
            board: caller.is_some() && is_board(),
            caller,
            records,
            owned,
        })
    }

    /// Their current record (a member's or an owner's), if any.
    pub fn record(&self) -> Option<&Doc<Record>> {
        self.records
            .iter()
            .find(|r| r.data.standing == Standing::Member)
            .or_else(|| {
                self.records
                    .iter()
                    .find(|r| r.data.standing == Standing::Owner)
            })
    }

    /// Whether they are a member.
    pub fn is_member(&self) -> bool {
        self.record()
            .is_some_and(|r| r.data.standing == Standing::Member)
    }

    /// Whether they own a plot here, by the register or the host.
    pub fn is_owner(&self) -> bool {
        self.record().is_some() || !self.owned.is_empty()
    }

    /// Their plots: the register's, and the host's.
    pub fn plots(&self) -> Vec<String> {
        let mut plots: Vec<String> = self
            .record()
            .map(|r| r.data.holdings.iter().map(|h| h.plot.clone()).collect())
            .unwrap_or_default();
        plots.extend(self.owned.iter().cloned());
        plots.sort_by(|a, b| directory::cmp_unit_numbers(a, b));
        plots.dedup();
        plots
    }

    /// Whether they may see `plot`'s ledgers: the board, and the plot's holders.
    pub fn sees_plot(&self, plot: &str) -> bool {
        self.board || self.plots().iter().any(|p| p == plot)
    }

    /// Members, non-member owners and the board read the partnership's documents (ст.11 ч.3).
    pub fn reads_documents(&self) -> bool {
        self.board || self.is_owner()
    }

    /// The refusal for something that is only for members, owners and the board.
    pub fn refusal(&self) -> Error {
        match self.caller {
            None => Error::unauthenticated(tr(
                "Войдите: это видят члены товарищества и собственники участков",
                "sign in: members and plot owners see this",
            )),
            Some(_) => Error::forbidden(tr(
                "Это видят члены товарищества, собственники участков и правление",
                "members, plot owners and the board see this",
            )),
        }
    }
}
