//! Ratings that say how many reviews they stand on (RULES §9, issue 18).
//!
//! - A review gives 1 to 5 stars; a [`Rating`] keeps their count and sum, and shows the
//!   average to one decimal **with the number of reviews** («4,6 · 12 отзывов»); with no
//!   reviews it says so rather than showing zero stars.
//! - A list "by rating" orders by a damped average: the reviews plus `prior_weight` imaginary
//!   reviews at `prior_mean`, so one five-star review does not outrank forty reviews averaging
//!   4.8 ([`Rating::ranking_score`]).

use dvor_sdk::ctx::{is_english, tr};
use dvor_sdk::{Error, Ratio};
use serde::{Deserialize, Serialize};

/// How lists by rating damp small counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RatingSettings {
    /// The assumed average before any review, in tenths of a star.
    pub prior_mean_tenths: u32,
    /// How many imaginary reviews at the prior mean.
    pub prior_weight: u32,
}

impl Default for RatingSettings {
    fn default() -> Self {
        Self {
            prior_mean_tenths: 35,
            prior_weight: 5,
        }
    }
}

/// The reviews of one business or specialist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// How many reviews.
    pub count: u32,
    /// Σ of their stars.
    pub stars: u64,
}

/// "N отзывов" with the Russian plural form: 1 отзыв, 2 отзыва, 5 отзывов, 11 отзывов,
/// 21 отзыв.
pub fn reviews_label(n: u32) -> String {
    if is_english() {
        return format!("{n} review{}", if n == 1 { "" } else { "s" });
    }
    let word = match (n % 10, n % 100) {
        (_, 11..=14) => "отзывов",
        (1, _) => "отзыв",
        (2..=4, _) => "отзыва",
        _ => "отзывов",
    };
    format!("{n} {word}")
}

impl Rating {
    /// Adds a review of `stars` (1 to 5); errors name `stars`.
    pub fn add(&mut self, stars: u8) -> Result<(), Error> {
        if !(1..=5).contains(&stars) {
            return Err(Error::invalid(
                "stars",
                tr("Оценка от 1 до 5", "rate from 1 to 5"),
            ));
        }
        self.count += 1;
        self.stars += u64::from(stars);
        Ok(())
    }

    /// The average in tenths of a star, rounded half away from zero; none without reviews.
    pub fn average_tenths(self) -> Option<u32> {
        (self.count > 0).then(|| {
            Ratio::new(i128::from(self.stars) * 10, i128::from(self.count))
                .map_or(0, |r| r.round_half_away_from_zero() as u32)
        })
    }

    /// «4,6 · 12 отзывов», or «нет отзывов».
    pub fn label(self) -> String {
        match self.average_tenths() {
            None => tr("нет отзывов", "no reviews").to_owned(),
            Some(t) => format!(
                "{}{}{} · {}",
                t / 10,
                tr(",", "."),
                t % 10,
                reviews_label(self.count)
            ),
        }
    }

    /// The damped average used to order lists by rating, exact.
    pub fn ranking_score(self, settings: &RatingSettings) -> Ratio {
        let prior = i128::from(settings.prior_mean_tenths) * i128::from(settings.prior_weight);
        let numer = i128::from(self.stars) * 10 + prior;
        let denom = i128::from(self.count) + i128::from(settings.prior_weight);
        Ratio::new(numer, denom.max(1)).unwrap_or(Ratio::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(stars: &[u8]) -> Rating {
        let mut r = Rating::default();
        for s in stars {
            r.add(*s).unwrap();
        }
        r
    }

    #[test]
    fn a_rating_says_how_many_reviews_it_stands_on() {
        assert_eq!(Rating::default().label(), "нет отзывов");
        assert_eq!(rating(&[5]).label(), "5,0 · 1 отзыв");
        assert_eq!(rating(&[5, 4, 5]).label(), "4,7 · 3 отзыва");
        // 4.65 rounds half away from zero to 4.7.
        let mut r = rating(&[5; 13]);
        for _ in 0..7 {
            r.add(4).unwrap();
        }
        assert_eq!(r.average_tenths(), Some(47));
        assert_eq!(r.label(), "4,7 · 20 отзывов");
        assert_eq!(
            Rating::default().add(6).unwrap_err().field.as_deref(),
            Some("stars")
        );
        assert_eq!(
            Rating::default().add(0).unwrap_err().field.as_deref(),
            Some("stars")
        );
    }

    #[test]
    fn russian_plurals() {
        let labels: Vec<String> = [0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111]
            .iter()
            .map(|n| reviews_label(*n))
            .collect();
        assert_eq!(
            labels,
            [
                "0 отзывов",
                "1 отзыв",
                "2 отзыва",
                "4 отзыва",
                "5 отзывов",
                "11 отзывов",
                "12 отзывов",
                "14 отзывов",
                "21 отзыв",
                "22 отзыва",
                "25 отзывов",
                "101 отзыв",
                "111 отзывов"
            ]
        );
    }

    #[test]
    fn one_five_star_review_does_not_top_forty_good_ones() {
        let settings = RatingSettings::default();
        let lucky = rating(&[5]);
        let mut steady = Rating::default();
        for i in 0..40 {
            steady.add(if i % 5 == 0 { 4 } else { 5 }).unwrap();
        }
        assert!(steady.ranking_score(&settings) > lucky.ranking_score(&settings));
        assert!(lucky.ranking_score(&settings) > Rating::default().ranking_score(&settings));
    }
}
