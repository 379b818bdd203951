//! The sender: a background task that delivers due `outbound_messages`.
//!
//! Every `notifications.poll_interval_ms` (and whenever a transaction commits new events) it
//! reads the pending messages that are due and sends them one by one, outside any
//! transaction. Before sending a message it claims it with a guarded update (`status` still
//! `pending`, `attempts` still what it read), which also counts the attempt and moves
//! `next_attempt` a lease ahead: two replicas never send the same message, and a message whose
//! sender died mid-way becomes due again when the lease ends. A sent message is marked `sent`;
//! a failed one is retried with exponential backoff and marked `failed` after
//! `notifications.max_attempts` attempts, or at once when retrying cannot help. Errors are
//! logged with the message's id, never its text or address.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::{Alias, Expr, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::email::Mailer;
use super::{Channel, PUBLIC_URL};
use crate::identity::Identity;
use crate::runtime::Runtime;
use crate::shutdown::Shutdown;

/// Messages read at once.
const BATCH: u64 = 50;

/// How long a claimed message is left to its sender before it is due again.
const LEASE: Duration = Duration::from_secs(300);

/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// How many poll intervals the first retry waits.
const FIRST_RETRY_POLLS: u32 = 30;

/// Why a message was not sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// It may go through later.
    Retry(String),
    /// It never will (a refused or unreadable address, a channel the instance does not use).
    Permanent(String),
}

/// A message due to be sent.
#[derive(Clone, Debug, FromQueryResult)]
struct Due {
    id: String,
    person_id: Option<String>,
    channel: String,
    address: String,
    subject: String,
    body: String,
    attempts: i32,
}

fn t(name: &str) -> Alias {
    Alias::new(name)
}

/// The wait before the attempt after `attempts` failed ones: 30 poll intervals, doubling with
/// each attempt, at most an hour.
pub fn backoff(poll_interval: Duration, attempts: u32) -> Duration {
    let first = poll_interval.saturating_mul(FIRST_RETRY_POLLS);
    let factor = 1u32 << attempts.saturating_sub(1).min(20);
    first.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Delivers the outbound messages of one instance.
pub struct Sender {
    runtime: Arc<Runtime>,
    identity: Arc<Identity>,
    mailer: Option<Mailer>,
}

impl Sender {
    /// A sender for the instance's database and its ways of reaching people.
    pub fn new(runtime: Arc<Runtime>, identity: Arc<Identity>) -> Sender {
        let mailer = identity.notifications.email.as_ref().map(Mailer::new);
        Sender {
            runtime,
            identity,
            mailer,
        }
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.identity.notifications.poll_interval_ms.max(10))
    }

    /// Send the messages due at `now`; returns how many were read (a full batch means there
    /// may be more). Stops early when `shutdown` has fired.
    pub async fn send_due(&self, now: i64, shutdown: &Shutdown) -> Result<usize, DbErr> {
        let db = self.runtime.shared().db.connection();
        let query = Query::select()
            .columns(
                [
                    "id",
                    "person_id",
                    "channel",
                    "address",
                    "subject",
                    "body",
                    "attempts",
                ]
                .map(t),
            )
            .from(t("outbound_messages"))
            .and_where(Expr::col(t("status")).eq("pending"))
            .and_where(Expr::col(t("next_attempt")).lte(now))
            .order_by(t("next_attempt"), Order::Asc)
            .limit(BATCH)
            .to_owned();
        let due = Due::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?;
        for message in &due {
            if tokio::time::timeout(Duration::ZERO, shutdown.wait())
                .await
                .is_ok()
            {
                break;
            }
            self.send_one(message).await?;
        }
        Ok(due.len())
    }

    /// Claim, send and record one message.
    async fn send_one(&self, message: &Due) -> Result<(), DbErr> {
        let db = self.runtime.shared().db.connection();
        let now = crate::identity::now_ms();
        let attempts = message.attempts + 1;
        let claim = Query::update()
            .table(t("outbound_messages"))
            .value(t("attempts"), attempts)
            .value(t("next_attempt"), now + LEASE.as_millis() as i64)
            .and_where(Expr::col(t("id")).eq(message.id.as_str()))
            .and_where(Expr::col(t("status")).eq("pending"))
            .and_where(Expr::col(t("attempts")).eq(message.attempts))
            .and_where(Expr::col(t("next_attempt")).lte(now))
            .to_owned();
        let claimed = db.execute(db.get_database_backend().build(&claim)).await?;
        if claimed.rows_affected() != 1 {
            // Another replica has it.
            return Ok(());
        }
        let result = self.deliver(message).await;
        let now = crate::identity::now_ms();
        let max_attempts = self.identity.notifications.max_attempts.max(1) as i32;
        let mut update = Query::update();
        update
            .table(t("outbound_messages"))
            .and_where(Expr::col(t("id")).eq(message.id.as_str()));
        match result {
            Ok(()) => {
                update
                    .value(t("status"), "sent")
                    .value(t("next_attempt"), now)
                    .value(t("last_error"), Option::<String>::None);
                tracing::debug!(message = %message.id, channel = %message.channel, "notification sent");
            }
            Err(Failure::Retry(error)) if attempts < max_attempts => {
                let delay = backoff(self.poll_interval(), attempts as u32);
                tracing::warn!(
                    message = %message.id,
                    person = message.person_id.as_deref().unwrap_or("-"),
                    channel = %message.channel,
                    attempts,
                    retry_in_ms = delay.as_millis() as u64,
                    %error,
                    "a notification was not sent; will retry"
                );
                update
                    .value(t("status"), "pending")
                    .value(t("next_attempt"), now + delay.as_millis() as i64)
                    .value(t("last_error"), error);
            }
            Err(Failure::Retry(error) | Failure::Permanent(error)) => {
                tracing::error!(
                    message = %message.id,
                    person = message.person_id.as_deref().unwrap_or("-"),
                    channel = %message.channel,
                    attempts,
                    %error,
                    "a notification could not be sent; gave up"
                );
                update
                    .value(t("status"), "failed")
                    .value(t("next_attempt"), now)
                    .value(t("last_error"), error);
            }
        }
        db.execute(db.get_database_backend().build(&update)).await?;
        Ok(())
    }

    /// Send one message through its channel, if the instance uses that channel.
    async fn deliver(&self, message: &Due) -> Result<(), Failure> {
        let public_url = self.identity.public_url.as_str();
        let body = message.body.replace(PUBLIC_URL, public_url);
        match Channel::parse(&message.channel) {
            Some(Channel::Email) => match &self.mailer {
                Some(mailer) => mailer.send(&message.address, &message.subject, &body).await,
                None => Err(Failure::Permanent(
                    "email is not configured ([notifications.email])".into(),
                )),
            },
            Some(Channel::Sms) => {
                if !self.identity.notifications.sms_for_urgent {
                    return Err(Failure::Permanent(
                        "SMS notifications are off (notifications.sms_for_urgent = false)".into(),
                    ));
                }
                self.identity
                    .sms
                    .send(&message.address, &body)
                    .await
                    .map_err(|e| Failure::Retry(e.to_string()))
            }
            None => Err(Failure::Permanent(format!(
                "unknown channel `{}`",
                message.channel
            ))),
        }
    }
}

/// Send outbound messages until `shutdown` resolves.
pub async fn run_sender(runtime: Arc<Runtime>, identity: Arc<Identity>, shutdown: Shutdown) {
    let sender = Sender::new(runtime.clone(), identity);
    let poll = sender.poll_interval();
    loop {
        let woken = runtime.shared().events_committed.notified();
        match sender.send_due(crate::identity::now_ms(), &shutdown).await {
            Ok(n) if n as u64 >= BATCH => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "notification sender: database error"),
        }
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.wait() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_polls_up_to_an_hour() {
        let poll = Duration::from_secs(1);
        assert_eq!(backoff(poll, 1), Duration::from_secs(30));
        assert_eq!(backoff(poll, 2), Duration::from_secs(60));
        assert_eq!(backoff(poll, 4), Duration::from_secs(240));
        assert_eq!(backoff(poll, 12), MAX_BACKOFF);
        assert_eq!(backoff(poll, u32::MAX), MAX_BACKOFF);
    }
}
