//! Live updates (`live.wit`): what plugins publish to a channel of a community, pushed to the
//! browsers and API clients following it over Server-Sent Events.
//!
//! A published update is a row of `live_updates`, written in the publishing call's transaction,
//! so nobody sees an update of a call that failed. After a commit the runtime wakes this host's
//! [`Hub`]; the hub also polls the table, so updates committed by another host behind the same
//! load balancer arrive too. The hub reads each new row once and fans it out in memory to the
//! streams following its channel: one stream per browser tab, resumable with `Last-Event-ID`
//! because row ids only grow. A client without `EventSource` polls the same endpoint instead.
//!
//! On PostgreSQL ids are taken when rows are inserted and may commit out of order, so the hub
//! looks back over the last few seconds on every read and delivers each id once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::runtime::latest::dvor::plugin::live::{Update, UpdateMode};
use crate::runtime::latest::dvor::plugin::types::{Error, ErrorCode};
use crate::runtime::latest::dvor::plugin::ui::Block;
use crate::shutdown::Shutdown;

/// The most an update's blocks and data may weigh, as JSON.
pub const MAX_UPDATE_BYTES: usize = 64 * 1024;

/// How long updates are kept for followers that reconnect.
const KEEP_FOR: Duration = Duration::from_secs(3600);

/// How far back each read looks for updates that committed late (PostgreSQL).
const LOOK_BACK_MS: i64 = 5_000;

/// How often the hub reads the table when it is not woken by a commit on this host.
const POLL: Duration = Duration::from_millis(250);

/// How many updates a slow follower may fall behind before it must resume from the table.
const FOLLOWER_BUFFER: usize = 256;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What is stored of an update besides its plugin, community and channel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Body {
    /// The blocks for a page's live section.
    pub blocks: Vec<Block>,
    /// `append` or `replace`.
    pub mode: String,
    /// Data for API clients: a JSON object.
    pub data: serde_json::Value,
}

/// An update checked and waiting for its call to commit.
#[derive(Clone, Debug)]
pub struct PendingUpdate {
    plugin: String,
    community: String,
    channel: String,
    body: String,
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::Invalid,
        message: message.into(),
        field: Some(field.to_owned()),
    }
}

/// Whether `channel` is a well-formed channel name.
pub fn channel_is_valid(channel: &str) -> bool {
    let mut chars = channel.chars();
    channel.len() <= 128
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | ':' | '-')
        })
}

impl PendingUpdate {
    /// Check an update a plugin publishes (the caller checked the capability and the scope).
    pub fn check(plugin: &str, community: &str, update: Update) -> Result<Self, Error> {
        if !channel_is_valid(&update.channel) {
            return Err(invalid(
                "update.channel",
                "a channel is 1 to 128 characters of a-z, 0-9 and . _ : -, starting with a letter or digit",
            ));
        }
        let data = if update.data.trim().is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            match serde_json::from_str::<serde_json::Value>(&update.data) {
                Ok(value @ serde_json::Value::Object(_)) => value,
                _ => return Err(invalid("update.data", "the data must be a JSON object")),
            }
        };
        let body = Body {
            blocks: update.blocks,
            mode: match update.mode {
                UpdateMode::Append => "append",
                UpdateMode::Replace => "replace",
            }
            .to_owned(),
            data,
        };
        let body = serde_json::to_string(&body)
            .map_err(|e| invalid("update", format!("cannot be stored: {e}")))?;
        if body.len() > MAX_UPDATE_BYTES {
            return Err(Error {
                code: ErrorCode::Limited,
                message: format!(
                    "an update may weigh at most {} KiB (this one: {} bytes)",
                    MAX_UPDATE_BYTES / 1024,
                    body.len()
                ),
                field: Some("update".into()),
            });
        }
        Ok(PendingUpdate {
            plugin: plugin.to_owned(),
            community: community.to_owned(),
            channel: update.channel,
            body,
        })
    }
}

/// Write a call's updates in its transaction, just before it commits.
pub async fn record_many<C: ConnectionTrait>(
    db: &C,
    updates: &[PendingUpdate],
    now: i64,
) -> Result<(), DbErr> {
    for chunk in updates.chunks(200) {
        let mut insert = Query::insert()
            .into_table(a("live_updates"))
            .columns(["plugin", "community_id", "channel", "body", "created"].map(a))
            .to_owned();
        for u in chunk {
            insert.values_panic([
                u.plugin.clone().into(),
                u.community.clone().into(),
                u.channel.clone().into(),
                u.body.clone().into(),
                now.into(),
            ]);
        }
        db.execute(db.get_database_backend().build(&insert)).await?;
    }
    Ok(())
}

/// Which stream an update belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChannelKey {
    /// The publishing plugin.
    pub plugin: String,
    /// The community.
    pub community: String,
    /// The channel.
    pub channel: String,
}

/// A stored update, as followers get it.
#[derive(Debug)]
pub struct Delivered {
    /// Its id: followers resume after the last one they saw.
    pub id: i64,
    /// Its channel.
    pub key: ChannelKey,
    /// What was published.
    pub body: Body,
    /// The blocks drawn as HTML, once per locale.
    html: [OnceLock<String>; 2],
    /// The whole Server-Sent Events frame, once per locale: every follower of the channel in
    /// that locale is sent the same bytes, so a room of a thousand costs one serialization.
    frames: [OnceLock<axum::body::Bytes>; 2],
}

/// Which of the per-locale slots a locale draws into (Russian unless English).
fn locale_slot(locale: &str) -> usize {
    usize::from(locale == "en")
}

impl Delivered {
    /// The blocks as HTML for a live section, drawn once per locale with `draw`.
    pub fn html(&self, locale: &str, draw: impl FnOnce(&[Block]) -> String) -> &str {
        self.html[locale_slot(locale)].get_or_init(|| draw(&self.body.blocks))
    }

    /// The update's Server-Sent Events frame (`id`, `event: update`, one `data` line of
    /// `wire`'s JSON), made once per locale and shared by reference after that.
    pub fn sse_frame(&self, locale: &str, wire: impl FnOnce() -> String) -> axum::body::Bytes {
        self.frames[locale_slot(locale)]
            .get_or_init(|| sse_frame(self.id, "update", &wire()))
            .clone()
    }
}

/// One Server-Sent Events frame. `data` may hold newlines: each line becomes its own `data:`
/// field, as the format asks (serialized JSON has none).
fn sse_frame(id: i64, event: &str, data: &str) -> axum::body::Bytes {
    let mut frame = String::with_capacity(data.len() + 40);
    frame.push_str("id: ");
    frame.push_str(&id.to_string());
    frame.push_str("\nevent: ");
    frame.push_str(event);
    frame.push('\n');
    for line in data.split('\n') {
        frame.push_str("data: ");
        frame.push_str(line.strip_suffix('\r').unwrap_or(line));
        frame.push('\n');
    }
    frame.push('\n');
    axum::body::Bytes::from(frame)
}

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    plugin: String,
    community_id: String,
    channel: String,
    body: String,
}

impl Row {
    fn delivered(self) -> Option<Arc<Delivered>> {
        let body = serde_json::from_str(&self.body)
            .inspect_err(
                |e| tracing::error!(id = self.id, %e, "a stored live update is unreadable"),
            )
            .ok()?;
        Some(Arc::new(Delivered {
            id: self.id,
            key: ChannelKey {
                plugin: self.plugin,
                community: self.community_id,
                channel: self.channel,
            },
            body,
            html: Default::default(),
            frames: Default::default(),
        }))
    }
}

/// The updates of `channels` of one plugin and community after `after`, oldest first: what a
/// follower that reconnects, or polls, has missed.
pub async fn since<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    community: &str,
    channels: &[String],
    after: i64,
    limit: u64,
) -> Result<Vec<Arc<Delivered>>, DbErr> {
    let query = Query::select()
        .columns(["id", "plugin", "community_id", "channel", "body"].map(a))
        .from(a("live_updates"))
        .and_where(Expr::col(a("plugin")).eq(plugin))
        .and_where(Expr::col(a("community_id")).eq(community))
        .and_where(Expr::col(a("channel")).is_in(channels.iter().map(String::as_str)))
        .and_where(Expr::col(a("id")).gt(after))
        .order_by(a("id"), sea_orm::sea_query::Order::Asc)
        .limit(limit)
        .to_owned();
    Ok(
        Row::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .filter_map(Row::delivered)
            .collect(),
    )
}

/// The newest update id, or 0.
async fn newest_id<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Max {
        id: Option<i64>,
    }
    let query = Query::select()
        .expr_as(Expr::col(a("id")).max(), a("id"))
        .from(a("live_updates"))
        .to_owned();
    Ok(
        Max::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?
            .and_then(|m| m.id)
            .unwrap_or(0),
    )
}

/// Fans stored updates out to this host's followers.
#[derive(Default)]
pub struct Hub {
    channels: Mutex<HashMap<ChannelKey, broadcast::Sender<Arc<Delivered>>>>,
    /// Set when the host stops: streams end, and new ones end at once.
    closed: std::sync::atomic::AtomicBool,
}

impl Hub {
    /// Follow a channel: updates the hub reads from now on arrive on the receiver. Once the
    /// hub is closed the receiver is closed from the start.
    pub fn follow(&self, key: ChannelKey) -> broadcast::Receiver<Arc<Delivered>> {
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return broadcast::channel(1).1;
        }
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels
            .entry(key)
            .or_insert_with(|| broadcast::channel(FOLLOWER_BUFFER).0)
            .subscribe()
    }

    /// End every stream: a stopping host lets its followers go, so the server can finish and
    /// the browsers reconnect (through the balancer, to another host) with `Last-Event-ID`.
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        self.channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// How many channels have followers on this host.
    pub fn followed_channels(&self) -> usize {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels.retain(|_, sender| sender.receiver_count() > 0);
        channels.len()
    }

    fn publish(&self, update: Arc<Delivered>) {
        let channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = channels.get(&update.key) {
            // No receiver left is fine: the channel is pruned later.
            let _ = sender.send(update);
        }
    }
}

/// Read new updates and hand them to followers until `shutdown`: woken by commits on this host,
/// and every [`POLL`] for commits on others. Old updates are deleted now and then.
pub async fn run_hub(shared: Arc<crate::runtime::Shared>, shutdown: Shutdown) {
    let db = shared.db.clone();
    let mut seen: HashSet<i64> = HashSet::new();
    let mut seen_order: VecDeque<(i64, i64)> = VecDeque::new();
    let mut high = match newest_id(db.connection()).await {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "live: cannot read the updates table");
            0
        }
    };
    let mut last_prune = 0i64;
    loop {
        let woken = shared.live_committed.notified();
        let now = chrono::Utc::now().timestamp_millis();
        if shared.live.followed_channels() > 0 {
            match read_after(db.connection(), high, now).await {
                Ok(rows) => {
                    for update in rows {
                        if seen.insert(update.id) {
                            seen_order.push_back((update.id, now));
                            high = high.max(update.id);
                            shared.live.publish(update);
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "live: reading updates failed"),
            }
        } else if let Ok(id) = newest_id(db.connection()).await {
            // Nobody follows here: skip what was published meanwhile.
            high = high.max(id);
        }
        while seen_order
            .front()
            .is_some_and(|(_, at)| *at < now - 2 * LOOK_BACK_MS)
        {
            if let Some((id, _)) = seen_order.pop_front() {
                seen.remove(&id);
            }
        }
        if now - last_prune > 60_000 {
            last_prune = now;
            let cutoff = now - KEEP_FOR.as_millis() as i64;
            let delete = Query::delete()
                .from_table(a("live_updates"))
                .and_where(Expr::col(a("created")).lt(cutoff))
                .to_owned();
            let conn = db.connection();
            if let Err(error) = conn
                .execute(conn.get_database_backend().build(&delete))
                .await
            {
                tracing::warn!(%error, "live: deleting old updates failed");
            }
        }
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.wait() => {
                shared.live.close();
                return;
            }
        }
    }
}

/// Updates after `high`, and those of the last few seconds that may have committed late.
async fn read_after<C: ConnectionTrait>(
    db: &C,
    high: i64,
    now: i64,
) -> Result<Vec<Arc<Delivered>>, DbErr> {
    let query = Query::select()
        .columns(["id", "plugin", "community_id", "channel", "body"].map(a))
        .from(a("live_updates"))
        .cond_where(
            sea_orm::sea_query::Cond::any()
                .add(Expr::col(a("id")).gt(high))
                .add(Expr::col(a("created")).gte(now - LOOK_BACK_MS)),
        )
        .order_by(a("id"), sea_orm::sea_query::Order::Asc)
        .limit(5_000)
        .to_owned();
    Ok(
        Row::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .filter_map(Row::delivered)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_checked() {
        assert!(channel_is_valid("room:12"));
        assert!(channel_is_valid("poll.7_tally-live"));
        assert!(!channel_is_valid(""));
        assert!(!channel_is_valid(":room"));
        assert!(!channel_is_valid("Room"));
        assert!(!channel_is_valid("room 12"));
        assert!(!channel_is_valid(&"a".repeat(129)));
    }

    #[test]
    fn an_update_is_framed_once_per_locale_and_every_follower_gets_the_same_bytes() {
        let update = Delivered {
            id: 42,
            key: ChannelKey {
                plugin: "feed".into(),
                community: "house-1".into(),
                channel: "room:house".into(),
            },
            body: Body {
                blocks: vec![],
                mode: "append".into(),
                data: serde_json::json!({}),
            },
            html: Default::default(),
            frames: Default::default(),
        };
        let serialized = std::cell::Cell::new(0);
        let wire = |text: &str| {
            serialized.set(serialized.get() + 1);
            text.to_owned()
        };
        let first = update.sse_frame("ru", || wire(r#"{"text":"привет"}"#));
        let second = update.sse_frame("ru", || wire(r#"{"text":"привет"}"#));
        let english = update.sse_frame("en", || wire(r#"{"text":"hello"}"#));
        assert_eq!(serialized.get(), 2, "one serialization per locale");
        assert_eq!(
            first.as_ptr(),
            second.as_ptr(),
            "the same bytes, not a copy"
        );
        assert_eq!(
            std::str::from_utf8(&first).unwrap(),
            "id: 42\nevent: update\ndata: {\"text\":\"привет\"}\n\n"
        );
        assert_eq!(
            std::str::from_utf8(&english).unwrap(),
            "id: 42\nevent: update\ndata: {\"text\":\"hello\"}\n\n"
        );
        assert_eq!(
            &sse_frame(7, "update", "a\r\nb")[..],
            b"id: 7\nevent: update\ndata: a\ndata: b\n\n",
            "each line of the data is a data field"
        );
    }

    #[test]
    fn an_update_too_large_or_with_bad_data_is_refused_naming_the_field() {
        let update = |data: &str, text: &str| Update {
            channel: "room:1".into(),
            blocks: vec![Block::Paragraph(text.into())],
            mode: UpdateMode::Append,
            data: data.into(),
        };
        assert!(PendingUpdate::check("feed", "house", update("{}", "hi")).is_ok());
        assert!(PendingUpdate::check("feed", "house", update("", "hi")).is_ok());
        let bad = PendingUpdate::check("feed", "house", update("[1]", "hi")).unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("update.data"));
        let big =
            PendingUpdate::check("feed", "house", update("{}", &"я".repeat(40_000))).unwrap_err();
        assert!(matches!(big.code, ErrorCode::Limited));
    }
}

/// The HTTP side: `GET /api/live/c/{community}/p/{plugin}?channel=…` follows channels over
/// Server-Sent Events, or with `poll=1` answers what came after `after` as JSON, for clients
/// without `EventSource` (or behind a proxy that buffers streams).
pub mod stream {
    use std::collections::{HashSet, VecDeque};
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::time::Duration;

    use axum::Json;
    use axum::extract::{Path, Query, State};
    use axum::http::HeaderMap;
    use axum::response::{IntoResponse, Response};
    use tokio::sync::{broadcast, mpsc};

    use super::{ChannelKey, Delivered, channel_is_valid, since};
    use crate::error::AppError;
    use crate::http::AppState;
    use crate::runtime::latest::dvor::plugin::context::CallTrigger;
    use crate::runtime::{CallContext, Invocation};

    /// The most channels one stream follows.
    const MAX_CHANNELS: usize = 16;

    /// How many updates a reconnecting or polling follower gets at once.
    const BACKLOG: u64 = 500;

    /// How long a stream may stay quiet before a keep-alive comment is sent.
    const KEEP_ALIVE: Duration = Duration::from_secs(15);

    /// One update as a follower receives it.
    #[derive(serde::Serialize)]
    struct Wire<'a> {
        id: i64,
        channel: &'a str,
        mode: &'a str,
        /// The blocks drawn for a page's live section.
        html: &'a str,
        /// The plugin's data for API clients.
        data: &'a serde_json::Value,
    }

    struct Follower {
        state: AppState,
        community: String,
        plugin: String,
        locale: String,
    }

    impl Follower {
        fn wire(&self, update: &Delivered) -> String {
            let base = format!(
                "/c/{}/p/{}",
                crate::web::percent_encode(&self.community),
                crate::web::percent_encode(&self.plugin)
            );
            let html = update.html(&self.locale, |blocks| {
                // Every follower of the channel gets the same update (the plugin let each of
                // them follow it), so its files are linked for whoever holds the link.
                let files = self.state.runtime.shared().file_links.signer(
                    &self.plugin,
                    &self.community,
                    None,
                    crate::identity::now_ms(),
                );
                let ctx = crate::web::PageContext {
                    locale: &self.locale,
                    instance_name: &self.state.instance_name,
                    base: &base,
                    utc_offset_minutes: self.state.utc_offset_minutes,
                    files: Some(files),
                    ..Default::default()
                };
                crate::web::render_blocks(blocks, &ctx)
            });
            serde_json::to_string(&Wire {
                id: update.id,
                channel: &update.key.channel,
                mode: &update.body.mode,
                html,
                data: &update.body.data,
            })
            .unwrap_or_default()
        }

        /// The update's SSE frame for this follower's locale: serialized for the first
        /// follower in that locale, the same bytes for every other.
        fn frame(&self, update: &Delivered) -> axum::body::Bytes {
            update.sse_frame(&self.locale, || self.wire(update))
        }
    }

    /// Follow live channels of a plugin in a community.
    pub async fn follow(
        State(state): State<AppState>,
        Path((community, plugin)): Path<(String, String)>,
        Query(query): Query<Vec<(String, String)>>,
        headers: HeaderMap,
    ) -> Result<Response, AppError> {
        let channels: Vec<String> = query
            .iter()
            .filter(|(k, _)| k == "channel")
            .map(|(_, v)| v.clone())
            .collect();
        if channels.is_empty() || channels.len() > MAX_CHANNELS {
            return Err(AppError::invalid(
                "channel",
                format!(
                    "Укажите от 1 до {MAX_CHANNELS} каналов / Name 1 to {MAX_CHANNELS} channels"
                ),
            ));
        }
        if let Some(bad) = channels.iter().find(|c| !channel_is_valid(c)) {
            return Err(AppError::invalid(
                "channel",
                format!("Нет такого канала: {bad} / No such channel: {bad}"),
            ));
        }
        let after = query
            .iter()
            .find(|(k, _)| k == "after")
            .map(|(_, v)| v.as_str())
            .or_else(|| headers.get("last-event-id").and_then(|v| v.to_str().ok()))
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| {
                    AppError::invalid(
                        "after",
                        "Ожидается номер обновления / An update id is expected",
                    )
                })
            })
            .transpose()?
            .unwrap_or(0);
        let polling = query.iter().any(|(k, v)| k == "poll" && v == "1");

        // The plugin says who may follow each channel, as the caller it would answer.
        let caller =
            crate::api::extract::plugin_caller(&state, &headers, &community, &plugin).await?;
        let locale = crate::http::locale_of(&query, &headers);
        for channel in &channels {
            let mut context = CallContext::anonymous(community.clone(), CallTrigger::Subscription);
            context.caller = caller.clone();
            context.locale = locale.clone();
            state
                .runtime
                .call(&plugin, context, Invocation::Subscribe(channel.clone()))
                .await?;
        }

        let follower = Arc::new(Follower {
            state: state.clone(),
            community: community.clone(),
            plugin: plugin.clone(),
            locale,
        });
        let db = state.runtime.shared().db.clone();
        if polling {
            let updates = since(
                db.connection(),
                &plugin,
                &community,
                &channels,
                after,
                BACKLOG,
            )
            .await?;
            let last = updates.last().map_or(after, |u| u.id);
            let wire: Vec<serde_json::Value> = updates
                .iter()
                .filter_map(|u| serde_json::from_str(&follower.wire(u)).ok())
                .collect();
            return Ok(Json(serde_json::json!({ "updates": wire, "last": last })).into_response());
        }

        // Follow first, then read the backlog, so nothing falls between the two.
        let (sender, receiver) = mpsc::channel::<Arc<Delivered>>(256);
        for channel in &channels {
            let mut updates = state.runtime.shared().live.follow(ChannelKey {
                plugin: plugin.clone(),
                community: community.clone(),
                channel: channel.clone(),
            });
            let sender = sender.clone();
            tokio::spawn(async move {
                loop {
                    match updates.recv().await {
                        Ok(update) => {
                            if sender.send(update).await.is_err() {
                                return;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(
                                missed,
                                "live: a follower fell behind; it resumes from the next update"
                            );
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            });
        }
        drop(sender);
        let backlog: VecDeque<Arc<Delivered>> = if after > 0 {
            since(
                db.connection(),
                &plugin,
                &community,
                &channels,
                after,
                BACKLOG,
            )
            .await?
            .into()
        } else {
            VecDeque::new()
        };

        struct Flow {
            follower: Arc<Follower>,
            backlog: VecDeque<Arc<Delivered>>,
            receiver: mpsc::Receiver<Arc<Delivered>>,
            sent: HashSet<i64>,
        }
        let flow = Flow {
            follower,
            backlog,
            receiver,
            sent: HashSet::new(),
        };
        let frames = futures_util::stream::unfold(flow, |mut flow| async move {
            loop {
                let update = match flow.backlog.pop_front() {
                    Some(update) => update,
                    None => match tokio::time::timeout(KEEP_ALIVE, flow.receiver.recv()).await {
                        Ok(update) => update?,
                        // A comment line keeps proxies from closing a quiet stream.
                        Err(_) => {
                            let ping = axum::body::Bytes::from_static(b":\n\n");
                            return Some((Ok::<_, Infallible>(ping), flow));
                        }
                    },
                };
                // Each id once, though a late commit may be read twice.
                if !flow.sent.insert(update.id) {
                    continue;
                }
                if flow.sent.len() > 4096 {
                    flow.sent.clear();
                    flow.sent.insert(update.id);
                }
                let frame = flow.follower.frame(&update);
                return Some((Ok::<_, Infallible>(frame), flow));
            }
        });
        let mut response = axum::body::Body::from_stream(frames).into_response();
        let headers = response.headers_mut();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-cache"),
        );
        // Tell nginx not to buffer the stream.
        headers.insert(
            "x-accel-buffering",
            axum::http::HeaderValue::from_static("no"),
        );
        Ok(response)
    }
}
