//! Reviews and ratings (RULES §9): only a resident who redeemed one of the business's offers,
//! or whose hired job it completed, reviews it — once per redemption or job. The business
//! answers, never deletes. Neighbours report a review; reports weigh by the reporter's
//! standing, and enough weight hides it until a moderator decides; every decision is logged
//! with a reason the author sees and may appeal. The rating counts the published reviews and
//! says how many it stands on.

use dvor_sdk::notifications;
use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::businesses;
use crate::input;
use crate::model::{
    Answer, BUSINESSES, Basis, COUPONS, JOBS, JobStatus, ModerationEntry, REVIEWS, Report, Review,
    ReviewStatus, SUBMISSIONS, Sent, Submission,
};
use crate::people::{self, Duty};
use crate::settings::Settings;

/// The event a new review emits (gamification counts it).
pub const REVIEW_POSTED: &str = "promos.review_posted";

/// What the caller may review business `business` for: their redemptions and completed jobs
/// without a review yet, with a label for each.
pub fn open_bases(business: &str) -> Result<Vec<(Basis, String)>> {
    let Some(caller) = ctx::caller() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for coupon in COUPONS
        .query()
        .filter("person", Compare::Eq, caller.person_id.as_str())
        .limit(1000)
        .fetch_all()?
    {
        let Some(used) = &coupon.data.used else {
            continue;
        };
        let basis = Basis::Coupon(coupon.id.clone());
        if coupon.data.business == business && REVIEWS.get(&basis.review_id())?.is_none() {
            let title = crate::model::OFFERS
                .get_inherited(&coupon.data.offer)?
                .map_or_else(String::new, |o| o.data.title);
            out.push((
                basis,
                format!("{title} · {}", input::datetime_text(used.at)),
            ));
        }
    }
    for job in JOBS
        .query()
        .filter("person", Compare::Eq, caller.person_id.as_str())
        .limit(1000)
        .fetch_all()?
    {
        let basis = Basis::Job(job.id.clone());
        if job.data.specialist == business
            && job.data.status == JobStatus::Done
            && REVIEWS.get(&basis.review_id())?.is_none()
        {
            out.push((
                basis,
                format!(
                    "{} · {}",
                    job.data.service_name,
                    input::datetime_text(job.data.created)
                ),
            ));
        }
    }
    Ok(out)
}

/// What a review form or `POST businesses/{id}/reviews` carries.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewInput {
    /// `coupon:<id>` or `job:<id>`.
    pub basis: Option<String>,
    /// 1 to 5.
    pub stars: Option<u8>,
    /// What they write.
    pub text: Option<String>,
}

impl ReviewInput {
    /// From a submitted form.
    pub fn from_form(form: &Params) -> Result<Self> {
        Ok(ReviewInput {
            basis: form.get("basis").map(str::to_owned),
            stars: input::number("stars", form.get("stars"), 1..=5)?.map(|s| s as u8),
            text: form.get("text").map(str::to_owned),
        })
    }
}

fn not_eligible() -> Error {
    Error::forbidden(tr(
        "Отзыв оставляет тот, кто воспользовался акцией или заказал работу у этого мастера",
        "a review is written by someone who redeemed an offer or hired this specialist",
    ))
}

/// Whether the business's reviews can be written from this call: its own community is in the
/// call's scope (a house's pages only read the town's documents).
fn at_business(business: &str) -> Result<bool> {
    Ok(BUSINESSES.get(business)?.is_some())
}

/// Where the caller's submissions wait: their home, else the call's community.
fn submission_place(caller: &ctx::Caller) -> String {
    people::home_of(caller).map_or_else(ctx::community, |h| h.house)
}

/// A review posted: at the business now, or sent from a house's page and applied within the
/// minute by the upkeep job.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Posted {
    /// The review's id.
    pub id: String,
    /// The review.
    pub review: Review,
    /// Whether it is published already (false: it is on its way).
    pub published: bool,
}

/// Post the caller's review of business `business`.
pub fn post(business: &str, input: &ReviewInput) -> Result<Posted> {
    let caller = ctx::require_caller()?;
    let settings = Settings::load()?;
    let target = businesses::find(business)?;
    let basis = input
        .basis
        .as_deref()
        .and_then(Basis::from_value)
        .ok_or_else(|| {
            Error::invalid(
                "basis",
                tr(
                    "Выберите покупку или работу, о которой отзыв",
                    "choose the purchase or job the review is about",
                ),
            )
        })?;
    // The basis must be the caller's, with this business, used or done.
    let eligible = match &basis {
        Basis::Coupon(id) => COUPONS.get(id)?.is_some_and(|c| {
            c.data.person == caller.person_id
                && c.data.business == target.id
                && c.data.used.is_some()
        }),
        Basis::Job(id) => JOBS.get(id)?.is_some_and(|j| {
            j.data.person == caller.person_id
                && j.data.specialist == target.id
                && j.data.status == JobStatus::Done
        }),
    };
    if !eligible {
        return Err(not_eligible());
    }
    let stars = input.stars.ok_or_else(|| {
        Error::invalid(
            "stars",
            tr("Поставьте оценку от 1 до 5", "rate from 1 to 5"),
        )
    })?;
    crate::rating::Rating::default().add(stars)?;
    let text = input::required(
        "text",
        input.text.as_deref(),
        settings.reviews.max_length as usize,
    )?;
    let id = basis.review_id();
    let already = tr(
        "Вы уже оставили отзыв об этой покупке",
        "you have already reviewed this purchase",
    );
    if REVIEWS.get_inherited(&id)?.is_some() || SUBMISSIONS.get(&id)?.is_some() {
        return Err(Error::conflict(already));
    }
    let review = Review {
        business: target.id.clone(),
        author: caller.person_id.clone(),
        author_name: people::short_name(&caller.display_name),
        basis,
        stars,
        text,
        status: ReviewStatus::Published,
        queued: false,
        reports: Vec::new(),
        moderation: Vec::new(),
        answer: None,
        at: ctx::now(),
    };
    let place = submission_place(&caller);
    let published = at_business(&target.id)?;
    let stored: Result<()> = if published {
        publish(&id, &review)?
    } else {
        SUBMISSIONS
            .insert(
                &place,
                Some(&id),
                &Submission {
                    author: caller.person_id.clone(),
                    sent: Sent::Review {
                        review: review.clone(),
                    },
                },
            )
            .map(|_| ())
    };
    if stored.as_ref().is_err_and(|e| e.is(ErrorCode::Conflict)) {
        return Err(Error::conflict(already));
    }
    stored?;
    events::emit(
        REVIEW_POSTED,
        &place,
        &serde_json::json!({
            "person_id": caller.person_id,
            "business": target.id,
            "business_name": target.data.name,
            "review": id,
            "stars": stars,
        }),
    )?;
    Ok(Posted {
        id,
        review,
        published,
    })
}

/// Store review `id` at its business, count it in the rating and tell the business.
fn publish(id: &str, review: &Review) -> Result<Result<()>> {
    let business = businesses::find(&review.business)?;
    match REVIEWS.insert(&business.community, Some(id), review) {
        Err(e) if e.is(ErrorCode::Conflict) => return Ok(Err(e)),
        other => other?,
    };
    recount(&business.id)?;
    if let Some(owner) = &business.data.owner {
        notifications::notify(
            std::slice::from_ref(owner),
            &notifications::Message::new(
                notifications::Localized::new(
                    format!(
                        "Новый отзыв о «{}»: {} из 5",
                        business.data.name, review.stars
                    ),
                    format!(
                        "A new review of «{}»: {} of 5",
                        business.data.name, review.stars
                    ),
                ),
                notifications::Localized::new(review.text.clone(), review.text.clone()),
            )
            .link(format!(
                "/c/{}/p/promos/b/{}",
                business.community, business.id
            )),
        )?;
    }
    Ok(Ok(()))
}

/// Recount the rating of business `business` from its published reviews, and store it if it
/// changed.
pub fn recount(business: &str) -> Result<crate::rating::Rating> {
    let mut rating = crate::rating::Rating::default();
    for review in REVIEWS
        .query()
        .filter("business", Compare::Eq, business)
        .filter("status", Compare::Eq, ReviewStatus::Published.as_str())
        .limit(1000)
        .fetch_all()?
    {
        rating.add(review.data.stars)?;
    }
    if let Some(mut doc) = BUSINESSES.get(business)?
        && doc.data.rating != rating
    {
        doc.data.rating = rating;
        businesses::save(&doc)?;
    }
    Ok(rating)
}

/// The published reviews of business `business`, newest first, with the caller's own hidden
/// ones (they see why), and the caller's own reviews still on their way.
pub fn of_business(business: &str) -> Result<(Vec<Doc<Review>>, Vec<Review>)> {
    let me = ctx::caller().map(|c| c.person_id);
    let mut reviews: Vec<Doc<Review>> = REVIEWS
        .query()
        .with_ancestors()
        .filter("business", Compare::Eq, business)
        .limit(1000)
        .fetch_all()?
        .into_iter()
        .filter(|r| {
            r.data.status == ReviewStatus::Published
                || me.as_deref() == Some(r.data.author.as_str())
        })
        .collect();
    reviews.sort_by_key(|r| std::cmp::Reverse(r.data.at));
    let mut pending = Vec::new();
    if let Some(me) = &me {
        for sub in SUBMISSIONS
            .query()
            .filter("author", Compare::Eq, me.as_str())
            .fetch_all()?
        {
            if let Sent::Review { review } = sub.data.sent
                && review.business == business
            {
                pending.push(review);
            }
        }
    }
    Ok((reviews, pending))
}

/// Apply what residents sent from their houses' pages, in the call's scope (the upkeep job
/// runs it at the town); returns how many it applied.
pub fn apply_submissions() -> Result<u32> {
    let mut applied = 0;
    for sub in SUBMISSIONS.query().limit(500).fetch()?.docs {
        match sub.data.sent {
            Sent::Review { review } => {
                // A review already there (posted twice, from two pages) is the same review.
                let _ = publish(&sub.id, &review)?;
            }
            Sent::Report { review, report } => {
                if let Some(doc) = REVIEWS.get(&review)? {
                    add_report(doc, report)?;
                }
            }
            Sent::Appeal { review, entry } => {
                if let Some(mut doc) = REVIEWS.get(&review)?
                    && doc.data.status == ReviewStatus::Hidden
                    && !doc.data.queued
                {
                    doc.data.queued = true;
                    doc.data.moderation.push(entry);
                    save(&doc)?;
                }
            }
        }
        SUBMISSIONS.delete(&sub.id)?;
        applied += 1;
    }
    Ok(applied)
}

/// The review `id`.
pub fn find(id: &str) -> Result<Doc<Review>> {
    REVIEWS
        .get_inherited(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого отзыва", "no such review")))
}

fn save(doc: &Doc<Review>) -> Result<Doc<Review>> {
    REVIEWS.put(&doc.community, &doc.id, &doc.data, Some(doc.version))
}

/// The business answers review `id` (or changes its answer); it cannot delete the review.
pub fn answer(id: &str, text: Option<&str>) -> Result<Doc<Review>> {
    let mut doc = find(id)?;
    let (_, caller) = businesses::for_duty(&doc.data.business, Duty::Publish)?;
    let text = input::required("answer", text, 2000)?;
    doc.data.answer = Some(Answer {
        text,
        by_name: caller.display_name,
        at: ctx::now(),
    });
    let saved = save(&doc)?;
    notifications::notify(
        std::slice::from_ref(&saved.data.author),
        &notifications::Message::new(
            notifications::Localized::new(
                "Организация ответила на ваш отзыв",
                "The business answered your review",
            ),
            notifications::Localized::new(
                saved
                    .data
                    .answer
                    .as_ref()
                    .map(|a| a.text.clone())
                    .unwrap_or_default(),
                saved
                    .data
                    .answer
                    .as_ref()
                    .map(|a| a.text.clone())
                    .unwrap_or_default(),
            ),
        ),
    )?;
    Ok(saved)
}

/// How much `caller`'s report of a review of `business` weighs: a verified owner's 2, another
/// resident's 1, the business's own people's 0 (they cannot hide reviews by reporting them).
pub fn report_weight(caller: &ctx::Caller, business: &crate::model::Business) -> u32 {
    if people::works_for(business, caller) {
        0
    } else if caller.roles.iter().any(|r| r.name == "owner") {
        2
    } else {
        1
    }
}

/// Report review `id` with a reason; once per person.
pub fn report(id: &str, reason: Option<&str>) -> Result<()> {
    let caller = ctx::require_caller()?;
    let doc = find(id)?;
    if doc.data.author == caller.person_id {
        return Err(Error::forbidden(tr(
            "На свой отзыв жаловаться нельзя",
            "you cannot report your own review",
        )));
    }
    let sent_before = SUBMISSIONS
        .get(&report_key(id, &caller.person_id))?
        .is_some();
    if sent_before || doc.data.reports.iter().any(|r| r.by == caller.person_id) {
        return Err(Error::conflict(tr(
            "Вы уже пожаловались на этот отзыв",
            "you have already reported this review",
        )));
    }
    let reason = input::required("reason", reason, 500)?;
    let business = businesses::find(&doc.data.business)?;
    let report = Report {
        weight: report_weight(&caller, &business.data),
        by: caller.person_id.clone(),
        reason,
        at: ctx::now(),
    };
    if REVIEWS.get(id)?.is_some() {
        add_report(doc, report)?;
    } else {
        SUBMISSIONS.insert(
            &submission_place(&caller),
            Some(&report_key(id, &caller.person_id)),
            &Submission {
                author: caller.person_id,
                sent: Sent::Report {
                    review: id.to_owned(),
                    report,
                },
            },
        )?;
    }
    Ok(())
}

/// The id of `person`'s report of review `review` while it waits.
fn report_key(review: &str, person: &str) -> String {
    crate::offers::key(&["report", review, person])
}

/// Add `report` to review `doc`; hide it when the reports weigh enough.
fn add_report(mut doc: Doc<Review>, report: Report) -> Result<Doc<Review>> {
    let settings = Settings::load()?;
    if doc.data.reports.iter().any(|r| r.by == report.by) {
        return Ok(doc);
    }
    doc.data.reports.push(report);
    doc.data.queued = true;
    let total: u32 = doc.data.reports.iter().map(|r| r.weight).sum();
    let hide =
        doc.data.status == ReviewStatus::Published && total >= settings.reviews.hide_at_weight;
    if hide {
        doc.data.status = ReviewStatus::Hidden;
        doc.data.moderation.push(ModerationEntry {
            action: "hidden_by_reports".into(),
            reason: tr(
                "Скрыт по жалобам соседей до решения модератора",
                "hidden on neighbours' reports until a moderator decides",
            )
            .to_owned(),
            by_name: None,
            at: ctx::now(),
        });
    }
    let saved = save(&doc)?;
    if hide {
        recount(&saved.data.business)?;
    }
    Ok(saved)
}

/// A moderator decides on review `id`: keep it shown or hide it, with the reason the author
/// sees.
pub fn moderate(id: &str, keep: bool, reason: Option<&str>) -> Result<Doc<Review>> {
    let caller = people::require_moderator()?;
    let mut doc = find(id)?;
    let reason = input::required("reason", reason, 1000)?;
    doc.data.status = if keep {
        ReviewStatus::Published
    } else {
        ReviewStatus::Hidden
    };
    doc.data.queued = false;
    doc.data.reports.clear();
    doc.data.moderation.push(ModerationEntry {
        action: if keep { "kept" } else { "hidden" }.into(),
        reason: reason.clone(),
        by_name: Some(caller.display_name),
        at: ctx::now(),
    });
    let saved = save(&doc)?;
    recount(&saved.data.business)?;
    let (ru, en) = if keep {
        (
            "Ваш отзыв оставлен опубликованным",
            "Your review stays published",
        )
    } else {
        ("Ваш отзыв скрыт модератором", "A moderator hid your review")
    };
    notifications::notify(
        std::slice::from_ref(&saved.data.author),
        &notifications::Message::new(
            notifications::Localized::new(ru, en),
            notifications::Localized::new(reason.clone(), reason),
        ),
    )?;
    Ok(saved)
}

/// The author appeals the decision that hid review `id`; it goes back to the moderators.
pub fn appeal(id: &str, text: Option<&str>) -> Result<()> {
    let caller = ctx::require_caller()?;
    let doc = find(id)?;
    if doc.data.author != caller.person_id {
        return Err(Error::forbidden(tr(
            "Обжаловать может только автор отзыва",
            "only the review's author may appeal",
        )));
    }
    if doc.data.status != ReviewStatus::Hidden || doc.data.queued {
        return Err(Error::conflict(tr(
            "Обжаловать можно скрытый отзыв, по которому модератор уже решил",
            "only a hidden review a moderator has decided on can be appealed",
        )));
    }
    let entry = ModerationEntry {
        action: "appealed".into(),
        reason: input::required("appeal", text, 1000)?,
        by_name: Some(doc.data.author_name.clone()),
        at: ctx::now(),
    };
    if REVIEWS.get(id)?.is_some() {
        let mut doc = doc;
        doc.data.queued = true;
        doc.data.moderation.push(entry);
        save(&doc)?;
    } else {
        let key = crate::offers::key(&["appeal", id, &doc.version.to_string()]);
        match SUBMISSIONS.insert(
            &submission_place(&caller),
            Some(&key),
            &Submission {
                author: caller.person_id,
                sent: Sent::Appeal {
                    review: id.to_owned(),
                    entry,
                },
            },
        ) {
            Err(e) if !e.is(ErrorCode::Conflict) => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// The reviews waiting for a moderator, oldest first.
pub fn queue() -> Result<Vec<Doc<Review>>> {
    REVIEWS
        .query()
        .filter("queued", Compare::Eq, true)
        .order_by("at", Direction::Asc)
        .limit(1000)
        .fetch_all()
}

/// What a moderation entry's action says.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "hidden_by_reports" => tr("Скрыт по жалобам", "Hidden on reports"),
        "kept" => tr("Оставлен модератором", "Kept by a moderator"),
        "hidden" => tr("Скрыт модератором", "Hidden by a moderator"),
        "appealed" => tr("Обжалован автором", "Appealed by the author"),
        _ => tr("Решение", "Decision"),
    }
}
