//! Durable domain events: the outbox, at-least-once delivery with backoff, dead letters.
//!
//! An event and one delivery row per subscriber are written in the transaction of the call
//! that emits them, so an event exists exactly when the call that caused it committed. The
//! dispatcher delivers each pending delivery by calling the subscriber's `on-event` in its own
//! transaction; the delivery is marked done in that same transaction, so a crash between the
//! two redelivers (at least once) and never loses an event.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::{Alias, Expr, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use crate::runtime::latest::dvor::plugin::{context::CallTrigger, events::Event};
use crate::runtime::{CallContext, CallError, CommitHook, Invocation, Runtime};

/// An event a plugin (or the host) emits.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// `appeal.created`, …
    pub kind: String,
    /// The emitting plugin, or `host`.
    pub source: String,
    /// Where it happened.
    pub community: String,
    /// Who caused it.
    pub actor: Option<String>,
    /// When, ms since the epoch.
    pub occurred: i64,
    /// JSON object.
    pub payload: String,
}

/// Delivery settings.
#[derive(Clone, Debug)]
pub struct DeliverySettings {
    /// Attempts before a delivery goes to the dead-letter list.
    pub max_attempts: u32,
    /// The first retry's delay; doubles with each attempt.
    pub backoff_base: Duration,
    /// The longest delay between attempts.
    pub backoff_max: Duration,
    /// How often to look for due deliveries when nothing wakes the dispatcher.
    pub poll_interval: Duration,
}

fn table(name: &str) -> Alias {
    Alias::new(name)
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

/// The last id this process gave: its milliseconds and its random part.
static LAST_ID: std::sync::Mutex<(u64, u64)> = std::sync::Mutex::new((0, 0));

/// A sortable unique id: milliseconds, then randomness — counting up from the last id within
/// the same millisecond, so ids one process gives in one instant sort in the order given
/// (events of one call, one after another, are read back in the order they were emitted).
pub fn new_id(now_ms: i64) -> String {
    let mut last = LAST_ID
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    id_after(&mut last, now_ms)
}

/// The id for `now_ms` following `last` (updated to it).
fn id_after(last: &mut (u64, u64), now_ms: i64) -> String {
    let ms = now_ms.max(0) as u64 & 0xffff_ffff_ffff;
    // Half the range is left above a fresh random part for the ids that follow it.
    let tail = if last.0 == ms && last.1 < u64::MAX {
        last.1 + 1
    } else {
        rand::random::<u64>() >> 1
    };
    *last = (ms, tail);
    format!("{ms:012x}{tail:016x}")
}

/// Events at most per INSERT statement (7 parameters each stay under SQLite's limit).
const EVENTS_PER_INSERT: usize = 500;

/// An event with its id and subscribers, waiting to be written at the end of its call.
#[derive(Clone, Debug)]
pub struct PendingEvent {
    /// Its id, given when it was emitted.
    pub id: String,
    /// The event.
    pub event: NewEvent,
    /// The plugins that will receive it.
    pub subscribers: Vec<String>,
}

/// Store many events and their deliveries inside the caller's transaction, a few hundred rows
/// per statement: what a plugin emitted during one call, written just before it commits.
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    events: &[PendingEvent],
    now: i64,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut statements = Vec::new();
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        let mut insert = Query::insert()
            .into_table(table("events"))
            .columns(
                [
                    "id",
                    "kind",
                    "source",
                    "community_id",
                    "actor",
                    "occurred",
                    "payload",
                ]
                .map(col),
            )
            .to_owned();
        for pending in chunk {
            let event = &pending.event;
            insert.values_panic([
                pending.id.clone().into(),
                event.kind.clone().into(),
                event.source.clone().into(),
                event.community.clone().into(),
                event.actor.clone().into(),
                event.occurred.into(),
                event.payload.clone().into(),
            ]);
        }
        statements.push(backend.build(&insert));
    }
    let deliveries: Vec<(&str, &str)> = events
        .iter()
        .flat_map(|p| p.subscribers.iter().map(|s| (p.id.as_str(), s.as_str())))
        .collect();
    for chunk in deliveries.chunks(EVENTS_PER_INSERT) {
        let mut insert = Query::insert()
            .into_table(table("deliveries"))
            .columns(
                [
                    "event_id",
                    "subscriber",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "updated",
                ]
                .map(col),
            )
            .to_owned();
        for (event_id, subscriber) in chunk {
            insert.values_panic([
                (*event_id).into(),
                (*subscriber).into(),
                "pending".into(),
                0i32.into(),
                now.into(),
                Option::<String>::None.into(),
                now.into(),
            ]);
        }
        statements.push(backend.build(&insert));
    }
    // On SQLite a call's few events and their deliveries go in one round trip.
    for statement in crate::storage::in_few_round_trips(backend, statements) {
        db.execute(statement).await?;
    }
    Ok(())
}

/// Store an event and its deliveries inside the caller's transaction; returns its id.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    event: &NewEvent,
    subscribers: &[String],
    now: i64,
) -> Result<String, DbErr> {
    let id = new_id(now);
    let pending = PendingEvent {
        id: id.clone(),
        event: event.clone(),
        subscribers: subscribers.to_vec(),
    };
    record_many(db, std::slice::from_ref(&pending), now).await?;
    Ok(id)
}

/// A delivery with its event, as the dispatcher and the admin see it.
#[derive(Clone, Debug, FromQueryResult, Serialize, utoipa::ToSchema)]
pub struct DeliveryRow {
    /// The event's id.
    pub event_id: String,
    /// The subscribing plugin.
    pub subscriber: String,
    /// `pending`, `done` or `dead`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// The event's kind.
    pub kind: String,
    /// The event's source.
    pub source: String,
    /// The event's community.
    pub community_id: String,
    /// Who caused it.
    pub actor: Option<String>,
    /// When it happened.
    pub occurred: i64,
    /// Its payload.
    pub payload: String,
}

fn deliveries_with_events() -> sea_orm::sea_query::SelectStatement {
    let d = table("deliveries");
    let e = table("events");
    Query::select()
        .columns(
            [
                "event_id",
                "subscriber",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
            ]
            .map(|c| (d.clone(), col(c))),
        )
        .columns(
            [
                "kind",
                "source",
                "community_id",
                "actor",
                "occurred",
                "payload",
            ]
            .map(|c| (e.clone(), col(c))),
        )
        .from(d.clone())
        .inner_join(
            e.clone(),
            Expr::col((d.clone(), col("event_id"))).equals((e.clone(), col("id"))),
        )
        .to_owned()
}

/// Deliveries due now, oldest first.
pub async fn due<C: ConnectionTrait>(
    db: &C,
    now: i64,
    limit: u64,
) -> Result<Vec<DeliveryRow>, DbErr> {
    let d = table("deliveries");
    let query = deliveries_with_events()
        .and_where(Expr::col((d.clone(), col("status"))).eq("pending"))
        .and_where(Expr::col((d.clone(), col("next_attempt_at"))).lte(now))
        .order_by((d.clone(), col("next_attempt_at")), Order::Asc)
        .order_by((d, col("event_id")), Order::Asc)
        .limit(limit)
        .to_owned();
    DeliveryRow::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// Deliveries that exhausted their attempts, newest first.
pub async fn dead_letters<C: ConnectionTrait>(db: &C) -> Result<Vec<DeliveryRow>, DbErr> {
    let d = table("deliveries");
    let query = deliveries_with_events()
        .and_where(Expr::col((d.clone(), col("status"))).eq("dead"))
        .order_by((d, col("updated")), Order::Desc)
        .limit(1000)
        .to_owned();
    DeliveryRow::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// Put a dead delivery back in the queue; true if there was one.
pub async fn replay<C: ConnectionTrait>(
    db: &C,
    event_id: &str,
    subscriber: &str,
    now: i64,
) -> Result<bool, DbErr> {
    let update = Query::update()
        .table(table("deliveries"))
        .value(col("status"), "pending")
        .value(col("attempts"), 0i32)
        .value(col("next_attempt_at"), now)
        .value(col("updated"), now)
        .and_where(Expr::col(col("event_id")).eq(event_id))
        .and_where(Expr::col(col("subscriber")).eq(subscriber))
        .and_where(Expr::col(col("status")).eq("dead"))
        .to_owned();
    let result = db.execute(db.get_database_backend().build(&update)).await?;
    Ok(result.rows_affected() > 0)
}

async fn set_delivery<C: ConnectionTrait>(
    db: &C,
    row: &DeliveryRow,
    status: &str,
    attempts: i32,
    next_attempt_at: i64,
    last_error: Option<String>,
    now: i64,
) -> Result<(), DbErr> {
    let update = Query::update()
        .table(table("deliveries"))
        .value(col("status"), status)
        .value(col("attempts"), attempts)
        .value(col("next_attempt_at"), next_attempt_at)
        .value(col("last_error"), last_error)
        .value(col("updated"), now)
        .and_where(Expr::col(col("event_id")).eq(row.event_id.as_str()))
        .and_where(Expr::col(col("subscriber")).eq(row.subscriber.as_str()))
        .to_owned();
    db.execute(db.get_database_backend().build(&update)).await?;
    Ok(())
}

/// Mark a delivery done (inside the handler's transaction).
pub async fn mark_delivered<C: ConnectionTrait>(
    db: &C,
    event_id: &str,
    subscriber: &str,
    now: i64,
) -> Result<(), DbErr> {
    let update = Query::update()
        .table(table("deliveries"))
        .value(col("status"), "done")
        .value(col("attempts"), Expr::col(col("attempts")).add(1))
        .value(col("last_error"), Option::<String>::None)
        .value(col("updated"), now)
        .and_where(Expr::col(col("event_id")).eq(event_id))
        .and_where(Expr::col(col("subscriber")).eq(subscriber))
        .to_owned();
    db.execute(db.get_database_backend().build(&update)).await?;
    Ok(())
}

/// The delay before attempt `attempts + 1`.
pub fn backoff(settings: &DeliverySettings, attempts: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX);
    settings
        .backoff_base
        .saturating_mul(factor)
        .min(settings.backoff_max)
}

/// Deliver what is due now; returns how many deliveries were attempted.
pub async fn deliver_due(runtime: &Runtime, settings: &DeliverySettings) -> Result<usize, DbErr> {
    let db = runtime.shared().db.connection();
    let now = chrono::Utc::now().timestamp_millis();
    let rows = due(db, now, 100).await?;
    let attempted = rows.len();
    for row in rows {
        deliver_one(runtime, settings, row).await?;
    }
    Ok(attempted)
}

async fn deliver_one(
    runtime: &Runtime,
    settings: &DeliverySettings,
    row: DeliveryRow,
) -> Result<(), DbErr> {
    let db = runtime.shared().db.connection();
    let event = Event {
        id: row.event_id.clone(),
        kind: row.kind.clone(),
        source: row.source.clone(),
        community: row.community_id.clone(),
        actor: row.actor.clone(),
        occurred: row.occurred,
        payload: row.payload.clone(),
    };
    let mut context = CallContext::anonymous(row.community_id.clone(), CallTrigger::Event);
    context.commit_hook = Some(CommitHook::Delivered {
        event_id: row.event_id.clone(),
        subscriber: row.subscriber.clone(),
    });
    let result = runtime
        .call(&row.subscriber, context, Invocation::Event(event))
        .await;
    let now = chrono::Utc::now().timestamp_millis();
    let attempts = row.attempts.saturating_add(1);
    match result {
        // The delivery was marked done in the handler's own transaction.
        Ok(_) => Ok(()),
        Err(error) => {
            let message = match &error {
                CallError::Plugin { error, .. } => error.message.clone(),
                other => other.to_string(),
            };
            if attempts as u32 >= settings.max_attempts {
                tracing::error!(
                    event = %row.event_id,
                    kind = %row.kind,
                    subscriber = %row.subscriber,
                    attempts,
                    %message,
                    "event delivery failed for the last time; moved to dead letters"
                );
                runtime
                    .shared()
                    .metrics
                    .dead_letters
                    .get_or_create(&crate::metrics::PluginLabels {
                        plugin: row.subscriber.clone(),
                    })
                    .inc();
                set_delivery(db, &row, "dead", attempts, now, Some(message), now).await
            } else {
                let delay = backoff(settings, attempts as u32);
                tracing::warn!(
                    event = %row.event_id,
                    subscriber = %row.subscriber,
                    attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    %message,
                    "event delivery failed; will retry"
                );
                let next = now + delay.as_millis() as i64;
                set_delivery(db, &row, "pending", attempts, next, Some(message), now).await
            }
        }
    }
}

/// Deliver events until `shutdown` resolves.
pub async fn run_dispatcher(
    runtime: Arc<Runtime>,
    settings: DeliverySettings,
    shutdown: crate::shutdown::Shutdown,
) {
    loop {
        let woken = runtime.shared().events_committed.notified();
        match deliver_due(&runtime, &settings).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "event dispatcher: database error"),
        }
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(settings.poll_interval) => {}
            _ = shutdown.wait() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::id_after;

    #[test]
    fn ids_of_one_instant_sort_in_the_order_they_were_given() {
        let mut last = (0, 0);
        let ids: Vec<String> = (0..1000)
            .map(|_| id_after(&mut last, 1_764_633_600_000))
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(ids.iter().all(|id| id.len() == 28));
        // A later instant sorts after, an earlier one before, whatever the random parts.
        assert!(id_after(&mut last, 1_764_633_600_001) > ids[999]);
        assert!(id_after(&mut last, 1_764_633_599_999) < ids[0]);
    }
}
