//! The per-call state kept in a plugin's `Store`.

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

    /// The call's transaction, begun on first use.
    ///
    /// On PostgreSQL it is REPEATABLE READ: a document the call read and then writes, which
    /// another transaction changed and committed meanwhile, fails the call instead of silently
    /// overwriting the other write (a payment landing during a billing chunk). SQLite gives
    /// the same guarantee by itself: a transaction that read a snapshot cannot write after
    /// another writer committed.
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
            self.tx = Some(tx);
        }
        Ok(self.tx.as_ref().expect("begun above"))
    }

    /// What the plugin wrote to stderr (panic messages).
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents()).into_owned()
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
