//! The wasmtime engine every plugin runs on, and how a call's store keeps to its deadline.
//!
//! Two concerns live here, both on the hot path of every plugin call:
//!
//! - **The pooling allocator's configuration.** A fresh instance per call is the isolation
//!   the host promises; what makes it cheap is not giving the slot's memory back to the kernel
//!   and faulting it in again on every call. With `pagemap_scan` (Linux ≥ 6.7) wasmtime finds
//!   the pages a call dirtied and resets only those, and the `*_keep_resident` sizes keep the
//!   first pages of each linear memory, table and async stack mapped between calls (zeroed or
//!   reset to the module's image, never carrying one caller's data to the next). Measured in
//!   `docs/benchmarks.md`.
//! - **A running guest yields.** A call's wasm code gives its thread back to the async
//!   executor every few epoch ticks, so a plugin spinning in a loop on every worker never
//!   stalls `/healthz`, another plugin's call or the accept loop; its wall-clock deadline is
//!   checked at each yield and ends it with [`wasmtime::Trap::Interrupt`].
//!
//! `DVOR_ENGINE_OFF` (a comma-separated list of [`Lever`] names) turns levers off for a
//! benchmark run, to measure what each gives on the same build; it is not meant for
//! production.

use std::time::{Duration, Instant};

use wasmtime::{Engine, Store, UpdateDeadline};

use super::{BACKTRACE_FRAMES, EngineSettings, wasm_error};

/// How many epoch ticks ([`super::EPOCH_TICK`]) a guest runs between yields to the executor
/// (with the 2 ms tick, about every 4 ms of wasm code).
const YIELD_TICKS: u64 = 2;

/// The bytes of each linear memory kept mapped between calls of a slot.
const MEMORY_KEEP_RESIDENT: usize = 2 << 20;
/// The bytes of each table kept mapped between calls.
const TABLE_KEEP_RESIDENT: usize = 64 << 10;
/// The bytes of each async (fiber) stack kept mapped between calls.
const STACK_KEEP_RESIDENT: usize = 512 << 10;

/// An engine setting measured on its own in `docs/benchmarks.md`; each is on unless named in
/// `DVOR_ENGINE_OFF`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lever {
    /// `pagemap_scan` where the kernel has it, with the `*_keep_resident` sizes.
    KeepResident,
    /// Wasm code yields to the executor every [`YIELD_TICKS`] (off: it runs to its deadline
    /// holding its thread, as before).
    Yield,
}

impl Lever {
    fn name(self) -> &'static str {
        match self {
            Lever::KeepResident => "keep_resident",
            Lever::Yield => "yield",
        }
    }

    /// Whether the lever is on for this process.
    pub(crate) fn on(self) -> bool {
        static OFF: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| std::env::var("DVOR_ENGINE_OFF").unwrap_or_default());
        !OFF.split(',').any(|name| name.trim() == self.name())
    }
}

/// The engine for `settings`, and whether it uses the pooling allocator (it falls back to
/// on-demand allocation when the pool cannot reserve its address space).
pub(crate) fn build(settings: &EngineSettings) -> anyhow::Result<(Engine, bool)> {
    let base = || {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        config.consume_fuel(settings.fuel);
        config.max_wasm_stack(512 * 1024);
        config.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(BACKTRACE_FRAMES));
        config
    };
    if settings.pooling {
        let mut pool = wasmtime::PoolingAllocationConfig::new();
        pool.total_component_instances(settings.max_instances)
            .total_core_instances(settings.max_instances * 4)
            .total_memories(settings.max_instances * 2)
            .total_tables(settings.max_instances * 4)
            .total_stacks(settings.max_instances)
            .max_memory_size(settings.max_memory_bytes);
        if Lever::KeepResident.on() {
            pool.pagemap_scan(wasmtime::Enabled::Auto)
                .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT.min(settings.max_memory_bytes))
                .table_keep_resident(TABLE_KEEP_RESIDENT)
                .async_stack_keep_resident(STACK_KEEP_RESIDENT);
        }
        let mut config = base();
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        match Engine::new(&config) {
            Ok(engine) => return Ok((engine, true)),
            Err(error) => tracing::warn!(
                %error,
                "the pooling allocator could not reserve its memory; using on-demand allocation"
            ),
        }
    }
    Ok((Engine::new(&base()).map_err(wasm_error)?, false))
}

/// Hold a call's store to `deadline` (wall clock, from now): its wasm code yields to the
/// executor every few ticks and traps with [`wasmtime::Trap::Interrupt`] at the first tick
/// past the deadline.
pub(crate) fn arm_deadline<T: 'static>(store: &mut Store<T>, deadline: Duration) {
    if !Lever::Yield.on() {
        store.set_epoch_deadline(super::ticks_for(deadline));
        store.epoch_deadline_trap();
        return;
    }
    let until = Instant::now() + deadline;
    store.set_epoch_deadline(YIELD_TICKS);
    store.epoch_deadline_callback(move |_| {
        Ok(if Instant::now() >= until {
            UpdateDeadline::Interrupt
        } else {
            // tokio's own yield, not wasmtime's generic one: before the guest runs again the
            // worker polls the I/O driver, so connections and timers are served even when
            // every worker is running a guest that never waits.
            UpdateDeadline::YieldCustom(YIELD_TICKS, Box::pin(tokio::task::yield_now()))
        })
    });
}
