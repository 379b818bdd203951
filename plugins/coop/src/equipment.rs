//! Shared equipment: bookings, holds, late fines and the deposit (RULES §8).
//!
//! - The owner (the SNT or a neighbour) sets an [`ItemPolicy`]: deposit, fee, longest loan,
//!   who may borrow, whether a booking needs approval, the late fine and its period, how long a
//!   hold lasts.
//! - A booking is an inclusive [`DateRange`]; bookings of one item may not overlap. A request
//!   that touches a taken day is refused naming the first such day ([`check_booking`]).
//! - A hold (a booking waiting for approval or for the deposit) blocks its days until it
//!   expires; an expired hold blocks nothing.
//! - A late return costs ⌈days late ÷ period⌉ × fine ([`late_fine`]).
//! - The deposit is its own ledger, refunded less fines and assessed damage; what they exceed
//!   it by is still owed ([`settle_deposit`]).

use dvor_sdk::ctx::tr;
use dvor_sdk::{Date, Error, Kopecks};
use serde::{Deserialize, Serialize};

/// The owner's rules for one item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemPolicy {
    /// Held while the item is out.
    pub deposit: Kopecks,
    /// The fee for one loan.
    pub fee: Kopecks,
    /// The longest loan, days (inclusive of both ends).
    pub longest_loan_days: u32,
    /// Only members of the community may borrow.
    pub members_only: bool,
    /// The owner approves each booking.
    pub approval_needed: bool,
    /// The fine per started period of lateness.
    pub fine: Kopecks,
    /// The fine's period, days.
    pub fine_period_days: u32,
    /// How long a hold blocks its days, minutes.
    pub hold_minutes: u32,
}

impl Default for ItemPolicy {
    fn default() -> Self {
        Self {
            deposit: Kopecks::ZERO,
            fee: Kopecks::ZERO,
            longest_loan_days: 7,
            members_only: true,
            approval_needed: false,
            fine: Kopecks(5_000),
            fine_period_days: 1,
            hold_minutes: 24 * 60,
        }
    }
}

/// Days from `from` to `to`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// The first day.
    pub from: Date,
    /// The last day.
    pub to: Date,
}

impl DateRange {
    /// A range; refused naming `to` when it ends before it starts.
    pub fn new(from: Date, to: Date) -> Result<DateRange, Error> {
        if to < from {
            return Err(Error::invalid(
                "to",
                tr(
                    "Конец брони раньше начала",
                    "the booking ends before it starts",
                ),
            ));
        }
        Ok(DateRange { from, to })
    }

    /// The number of days, both ends included.
    pub fn days(self) -> i64 {
        self.from.days_until(self.to) + 1
    }

    /// The first day both ranges share, if any.
    pub fn first_shared_day(self, other: DateRange) -> Option<Date> {
        let start = self.from.max(other.from);
        (start <= self.to.min(other.to)).then_some(start)
    }
}

/// Where a booking stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BookingState {
    /// Waiting for approval or the deposit; blocks its days until `expires_at` (ms).
    Held {
        /// When the hold lapses.
        expires_at: i64,
    },
    /// Confirmed.
    Confirmed,
    /// The borrower has the item.
    CheckedOut,
    /// Returned on `on`.
    Returned {
        /// The day it came back.
        on: Date,
    },
    /// Cancelled or refused.
    Cancelled,
}

/// A booking of an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Stable id.
    pub id: String,
    /// The days.
    pub range: DateRange,
    /// Where it stands.
    pub state: BookingState,
}

impl Booking {
    /// Whether the booking blocks its days at instant `now` (ms).
    pub fn blocks(&self, now: i64) -> bool {
        match self.state {
            BookingState::Held { expires_at } => now < expires_at,
            BookingState::Confirmed | BookingState::CheckedOut => true,
            BookingState::Returned { .. } | BookingState::Cancelled => false,
        }
    }
}

/// Why a booking request is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BookingRefusal {
    /// `day` is taken by booking `booking`.
    Taken {
        /// The first taken day.
        day: Date,
        /// The booking holding it.
        booking: String,
    },
    /// Longer than the owner allows.
    TooLong {
        /// The longest loan, days.
        longest: u32,
    },
    /// Only members may borrow it.
    MembersOnly,
}

impl BookingRefusal {
    /// The reason as the borrower reads it, in the call's locale.
    pub fn to_error(&self) -> Error {
        match self {
            Self::Taken { day, .. } => {
                Error::conflict(format!("{} {day}", tr("Уже занято:", "already taken:")))
            }
            Self::TooLong { longest } => Error::invalid(
                "to",
                format!(
                    "{} {longest} {}",
                    tr("Можно взять не больше чем на", "the longest loan is"),
                    tr("дн.", "days")
                ),
            ),
            Self::MembersOnly => Error::forbidden(tr(
                "Эту вещь дают только членам товарищества",
                "only members may borrow this item",
            )),
        }
    }
}

/// Whether `request` may be booked at `now` by a borrower who is (or is not) a member.
pub fn check_booking(
    policy: &ItemPolicy,
    bookings: &[Booking],
    request: DateRange,
    borrower_is_member: bool,
    now: i64,
) -> Result<(), BookingRefusal> {
    if policy.members_only && !borrower_is_member {
        return Err(BookingRefusal::MembersOnly);
    }
    if request.days() > i64::from(policy.longest_loan_days) {
        return Err(BookingRefusal::TooLong {
            longest: policy.longest_loan_days,
        });
    }
    let taken = bookings
        .iter()
        .filter(|b| b.blocks(now))
        .filter_map(|b| Some((request.first_shared_day(b.range)?, b)))
        .min_by_key(|(day, _)| *day);
    if let Some((day, booking)) = taken {
        return Err(BookingRefusal::Taken {
            day,
            booking: booking.id.clone(),
        });
    }
    Ok(())
}

/// The state a new booking starts in: held until approval when the policy needs it, or until
/// the deposit is paid when there is one; confirmed otherwise.
pub fn initial_state(policy: &ItemPolicy, now: i64) -> BookingState {
    if policy.approval_needed || policy.deposit > Kopecks::ZERO {
        BookingState::Held {
            expires_at: now + i64::from(policy.hold_minutes) * 60_000,
        }
    } else {
        BookingState::Confirmed
    }
}

/// The fine for returning on `returned` what was due back on `due`: ⌈days late ÷ period⌉ ×
/// fine; nothing when on time.
pub fn late_fine(due: Date, returned: Date, policy: &ItemPolicy) -> Kopecks {
    let late = due.days_until(returned);
    if late <= 0 {
        return Kopecks::ZERO;
    }
    let period = i64::from(policy.fine_period_days.max(1));
    let periods = (late + period - 1) / period;
    Kopecks(policy.fine.0.saturating_mul(periods))
}

/// What becomes of a deposit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DepositSettlement {
    /// The deposit held.
    pub deposit: Kopecks,
    /// Fines for lateness.
    pub fines: Kopecks,
    /// Assessed damage.
    pub damage: Kopecks,
    /// Paid back: deposit − fines − damage, not below zero.
    pub refund: Kopecks,
    /// Still owed when fines and damage exceed the deposit.
    pub still_owed: Kopecks,
}

/// Settles a `deposit` against `fines` and `damage`.
pub fn settle_deposit(
    deposit: Kopecks,
    fines: Kopecks,
    damage: Kopecks,
) -> Result<DepositSettlement, Error> {
    for (field, amount) in [("deposit", deposit), ("fines", fines), ("damage", damage)] {
        if amount.is_negative() {
            return Err(Error::invalid(
                field,
                tr(
                    "Сумма не может быть отрицательной",
                    "the amount cannot be negative",
                ),
            ));
        }
    }
    let kept = fines.0.saturating_add(damage.0);
    Ok(DepositSettlement {
        deposit,
        fines,
        damage,
        refund: Kopecks((deposit.0 - kept).max(0)),
        still_owed: Kopecks((kept - deposit.0).max(0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Ledger, PaymentMethod};

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn range(from: &str, to: &str) -> DateRange {
        DateRange::new(d(from), d(to)).unwrap()
    }

    /// RULES §8 E2: a trimmer booked 2026-06-10…06-12; requests 06-12…06-14 and 06-13…06-14:
    /// the first refused (06-12 taken), the second accepted.
    #[test]
    fn e2_bookings_do_not_overlap() {
        let policy = ItemPolicy::default();
        let bookings = [Booking {
            id: "b1".into(),
            range: range("2026-06-10", "2026-06-12"),
            state: BookingState::Confirmed,
        }];
        assert_eq!(
            check_booking(
                &policy,
                &bookings,
                range("2026-06-12", "2026-06-14"),
                true,
                0
            ),
            Err(BookingRefusal::Taken {
                day: d("2026-06-12"),
                booking: "b1".into()
            })
        );
        assert_eq!(
            check_booking(
                &policy,
                &bookings,
                range("2026-06-13", "2026-06-14"),
                true,
                0
            ),
            Ok(())
        );
        let err = BookingRefusal::Taken {
            day: d("2026-06-12"),
            booking: "b1".into(),
        }
        .to_error();
        assert!(err.message.contains("2026-06-12"));
    }

    #[test]
    fn holds_expire_and_stop_blocking() {
        let policy = ItemPolicy {
            deposit: Kopecks(200_000),
            hold_minutes: 30,
            ..ItemPolicy::default()
        };
        let state = initial_state(&policy, 1_000);
        assert_eq!(
            state,
            BookingState::Held {
                expires_at: 1_000 + 30 * 60_000
            }
        );
        let bookings = [Booking {
            id: "h".into(),
            range: range("2026-06-10", "2026-06-12"),
            state,
        }];
        let request = range("2026-06-11", "2026-06-11");
        assert!(check_booking(&policy, &bookings, request, true, 1_000 + 29 * 60_000).is_err());
        assert!(check_booking(&policy, &bookings, request, true, 1_000 + 30 * 60_000).is_ok());
        assert_eq!(
            initial_state(&ItemPolicy::default(), 0),
            BookingState::Confirmed
        );
    }

    #[test]
    fn the_owner_s_policy_is_enforced() {
        let policy = ItemPolicy {
            longest_loan_days: 3,
            ..ItemPolicy::default()
        };
        assert_eq!(
            check_booking(&policy, &[], range("2026-06-10", "2026-06-13"), true, 0),
            Err(BookingRefusal::TooLong { longest: 3 })
        );
        assert!(check_booking(&policy, &[], range("2026-06-10", "2026-06-12"), true, 0).is_ok());
        assert_eq!(
            check_booking(&policy, &[], range("2026-06-10", "2026-06-10"), false, 0),
            Err(BookingRefusal::MembersOnly)
        );
        let returned = [Booking {
            id: "r".into(),
            range: range("2026-06-10", "2026-06-12"),
            state: BookingState::Returned {
                on: d("2026-06-12"),
            },
        }];
        assert!(
            check_booking(
                &policy,
                &returned,
                range("2026-06-10", "2026-06-10"),
                true,
                0
            )
            .is_ok()
        );
        assert_eq!(
            DateRange::new(d("2026-06-12"), d("2026-06-10"))
                .unwrap_err()
                .field
                .as_deref(),
            Some("to")
        );
    }

    /// RULES §8 E1: fine 50 ₽ a day, returned 3 days late, deposit 2 000 ₽, no damage: fine
    /// 150.00 ₽; 1 850.00 ₽ refunded.
    #[test]
    fn e1_late_fine_and_the_deposit_refund() {
        let policy = ItemPolicy {
            deposit: Kopecks(200_000),
            fine: Kopecks(5_000),
            fine_period_days: 1,
            ..ItemPolicy::default()
        };
        let fine = late_fine(d("2026-06-12"), d("2026-06-15"), &policy);
        assert_eq!(fine, Kopecks(15_000));
        let s = settle_deposit(policy.deposit, fine, Kopecks::ZERO).unwrap();
        assert_eq!(s.refund, Kopecks(185_000));
        assert_eq!(s.still_owed, Kopecks::ZERO);

        // The deposit's own ledger ends at zero.
        let mut deposit = Ledger::new();
        deposit
            .pay(policy.deposit, PaymentMethod::Hand, 1, "booking-1")
            .unwrap();
        deposit
            .charge(fine, 2, "booking-1", "штраф за просрочку")
            .unwrap();
        deposit
            .refund(s.refund, 3, "booking-1", "возврат залога")
            .unwrap();
        assert_eq!(deposit.balance(), Kopecks::ZERO);
    }

    #[test]
    fn fines_count_started_periods() {
        let weekly = ItemPolicy {
            fine: Kopecks(30_000),
            fine_period_days: 7,
            ..ItemPolicy::default()
        };
        assert_eq!(
            late_fine(d("2026-06-12"), d("2026-06-12"), &weekly),
            Kopecks::ZERO
        );
        assert_eq!(
            late_fine(d("2026-06-12"), d("2026-06-10"), &weekly),
            Kopecks::ZERO
        );
        assert_eq!(
            late_fine(d("2026-06-12"), d("2026-06-13"), &weekly),
            Kopecks(30_000)
        );
        assert_eq!(
            late_fine(d("2026-06-12"), d("2026-06-19"), &weekly),
            Kopecks(30_000)
        );
        assert_eq!(
            late_fine(d("2026-06-12"), d("2026-06-20"), &weekly),
            Kopecks(60_000)
        );
        let s = settle_deposit(Kopecks(100_000), Kopecks(60_000), Kopecks(70_000)).unwrap();
        assert_eq!(s.refund, Kopecks::ZERO);
        assert_eq!(s.still_owed, Kopecks(30_000));
        assert_eq!(
            settle_deposit(Kopecks(1), Kopecks(-1), Kopecks::ZERO)
                .unwrap_err()
                .field
                .as_deref(),
            Some("fines")
        );
    }
}
