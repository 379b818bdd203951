//! The per-call state kept in a plugin's `Store`.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait as _, DatabaseTransaction, TransactionTrait as _};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::{LoadedPlugin, Shared};

/// A role a person holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// The role's name (`resident`, `operator`, …).
    pub name: String,
    /// The community it is held in (covering its subtree).
    pub community: Option<String>,
    /// The organization it is held in.
    pub organization: Option<String>,
}

/// The signed-in person a call runs for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The person's id.
    pub person_id: String,
    /// First name and surname.
    pub display_name: String,
    /// Their roles bearing on the call's community.
    pub roles: Vec<Role>,
    /// The language their profile chose (`ru` or `en`); what a call speaks unless the
    /// request chose another.
    pub locale: String,
}

/// The facts of a call, decided by the host before any plugin code runs.
#[derive(Clone, Debug)]
pub struct CallContext {
    /// The signed-in caller, if any.
    pub caller: Option<Caller>,
    /// The community the call is about.
    pub community: String,
    /// What started the call.
    pub trigger: super::latest::dvor::plugin::context::CallTrigger,
    /// `ru` or `en`.
    pub locale: String,
    /// The call's instant, ms since the epoch (tests may fix it).
    pub now: Option<i64>,
    /// Host work that must commit in the call's own transaction, or not at all.
    pub commit_hook: Option<CommitHook>,
}

/// Host bookkeeping done inside a successful call's transaction, just before it commits.
#[derive(Clone, Debug)]
pub enum CommitHook {
    /// Mark an event delivery done: the handler's writes and the delivery commit together.
    Delivered {
        /// The event.
        event_id: String,
        /// The subscriber.
        subscriber: String,
    },
    /// Save a job chunk's cursor, if the lease is still ours.
    JobChunk(crate::scheduler::JobChunk),
}

impl CallContext {
    /// A call with no signed-in person.
    pub fn anonymous(
        community: impl Into<String>,
        trigger: super::latest::dvor::plugin::context::CallTrigger,
    ) -> Self {
        Self {
            caller: None,
            community: community.into(),
            trigger,
            locale: "ru".into(),
            now: None,
            commit_hook: None,
        }
    }
}

/// Caps a store's linear memory and remembers whether the cap was hit.
#[derive(Debug)]
pub(crate) struct MemoryCap {
    pub max: usize,
    pub hit: bool,
    pub peak: usize,
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// Everything a call's host functions need.
pub struct CallState {
    pub(crate) plugin: Arc<LoadedPlugin>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) context: CallContext,
    pub(crate) community_path: String,
    pub(crate) now: i64,
    pub(crate) tx: Option<DatabaseTransaction>,
    /// The call may start on the read pool (it was asked to read: a page, a GET): see
    /// [`CallState::reader`].
    pub(crate) reads_first: bool,
    /// The read transaction of a call that has only read so far.
    read: Option<DatabaseTransaction>,
    /// What the call read on it: per collection, each document's id and the version it had
    /// (0 for a document that did not exist).
    read_versions: HashMap<String, HashMap<String, u64>>,
    /// A host-side failure (database error) that fails the call whatever the plugin answers.
    pub(crate) host_failure: Option<String>,
    pub(crate) emitted_events: usize,
    /// Events emitted during the call, written in one go just before it commits.
    pub(crate) pending_events: Vec<crate::events::PendingEvent>,
    /// Live updates published during the call, written just before it commits and pushed
    /// after.
    pub(crate) pending_live: Vec<crate::live::PendingUpdate>,
    /// Job runs the call requested (the scheduler is woken after the commit).
    pub(crate) requested_runs: usize,
    /// The database refused a write because a concurrent transaction changed what this one
    /// read (PostgreSQL): the call may run again.
    pub(crate) lost_race: bool,
    /// The call sent an outbound request: it is not run again (the other side saw it).
    pub(crate) reached_out: bool,
    pub(crate) memory: MemoryCap,
    wasi: WasiCtx,
    table: ResourceTable,
    stderr: MemoryOutputPipe,
}

impl CallState {
    pub(crate) fn new(
        plugin: Arc<LoadedPlugin>,
        shared: Arc<Shared>,
        context: CallContext,
        community_path: String,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(16 * 1024);
        let wasi = wasmtime_wasi::WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .build();
        let now = context.now.unwrap_or_else(|| shared.clock.now());
        let memory = MemoryCap {
            max: plugin.limits.memory_bytes,
            hit: false,
            peak: 0,
        };
        Self {
            plugin,
            shared,
            context,
            community_path,
            now,
            tx: None,
            reads_first: false,
            read: None,
            read_versions: HashMap::new(),
            host_failure: None,
            emitted_events: 0,
            pending_events: Vec::new(),
            pending_live: Vec::new(),
            requested_runs: 0,
            lost_race: false,
            reached_out: false,
            memory,
            wasi,
            table: ResourceTable::new(),
            stderr,
        }
    }

    /// The call's write transaction, begun on first use.
    ///
    /// On PostgreSQL it is REPEATABLE READ: a document the call read and then writes, which
    /// another transaction changed and committed meanwhile, fails the call instead of silently
    /// overwriting the other write (a payment landing during a billing chunk). SQLite gives
    /// the same guarantee by itself: a transaction that read a snapshot cannot write after
    /// another writer committed.
    ///
    /// A call that has read on the read pool first (see [`CallState::reader`]) moves onto the
    /// writer here, and only if none of the documents it read has changed since: otherwise it
    /// lost a race, as on PostgreSQL, and runs again from the start.
    pub(crate) async fn tx(&mut self) -> wasmtime::Result<&DatabaseTransaction> {
        if self.tx.is_none() {
            let db = self.shared.db.connection();
            let started = std::time::Instant::now();
            let tx = match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    db.begin_with_config(Some(sea_orm::IsolationLevel::RepeatableRead), None)
                        .await?
                }
                _ => db.begin().await?,
            };
            crate::metrics::POOL_WAIT.observe(started.elapsed().as_secs_f64());
            if let Some(read) = self.read.take() {
                read.rollback().await?;
                let read_versions = std::mem::take(&mut self.read_versions);
                if let Some(changed) = first_changed(&tx, self.plugin.id(), &read_versions).await? {
                    tx.rollback().await?;
                    self.lost_race = true;
                    return Err(wasmtime::Error::msg(format!(
                        "document `{changed}` changed after the call read it; the call runs again"
                    )));
                }
            }
            self.tx = Some(tx);
        }
        Ok(self.tx.as_ref().expect("begun above"))
    }

    /// Where the call reads: its write transaction once it has one; before that, for a call
    /// that starts as a read on a SQLite file, a read transaction on the read pool (one
    /// snapshot, never waiting for a writer); otherwise the write transaction.
    pub(crate) async fn reader(&mut self) -> wasmtime::Result<&DatabaseTransaction> {
        if self.tx.is_some() || !self.reads_first || !self.shared.db.has_reader() {
            return self.tx().await;
        }
        if self.read.is_none() {
            self.read = Some(self.shared.db.begin_read().await?);
        }
        Ok(self.read.as_ref().expect("begun above"))
    }

    /// Remember that the call read these documents (id, version; 0 for none) before it had a
    /// write transaction.
    pub(crate) fn note_read<'a>(
        &mut self,
        collection: &str,
        documents: impl IntoIterator<Item = (&'a str, u64)>,
    ) {
        if self.read.is_none() {
            return;
        }
        let seen = self.read_versions.entry(collection.to_owned()).or_default();
        for (id, version) in documents {
            seen.entry(id.to_owned()).or_insert(version);
        }
    }

    /// End the read transaction, if the call still has one (it wrote nothing on it).
    pub(crate) async fn end_read(&mut self) {
        if let Some(read) = self.read.take()
            && let Err(error) = read.rollback().await
        {
            tracing::warn!(%error, "ending a read transaction failed");
        }
    }

    /// What the plugin wrote to stderr (panic messages).
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents()).into_owned()
    }
}

/// The first document of `read_versions` (of `plugin`'s collections) whose version in `tx` is
/// not the one read.
async fn first_changed(
    tx: &DatabaseTransaction,
    plugin: &str,
    read_versions: &HashMap<String, HashMap<String, u64>>,
) -> Result<Option<String>, sea_orm::DbErr> {
    for (collection, seen) in read_versions {
        let ids: Vec<&str> = seen.keys().map(String::as_str).collect();
        let now = crate::storage::documents::current_versions(tx, plugin, collection, &ids).await?;
        if let Some(id) = ids
            .iter()
            .find(|id| now.get(**id).copied().unwrap_or(0) != seen[**id])
        {
            return Ok(Some(format!("{collection}/{id}")));
        }
    }
    Ok(None)
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
