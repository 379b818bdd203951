//! The dvor host: identity, communities, storage, the plugin runtime and the HTTP API.
//!
//! `main.rs` is a thin command line over this library; [`serve`] is what it and the
//! integration tests start.

pub mod access;
pub mod announcements;
pub mod api;
pub mod backup;
pub mod cli;
pub mod communities;
pub mod config;
pub mod csrf;
pub mod directory;
pub mod error;
pub mod events;
pub mod file_links;
pub mod files;
pub mod harness;
pub mod http;
pub mod identity;
pub mod inbox;
pub mod input;
pub mod instance;
pub mod live;
pub mod manifest;
pub mod maps;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod rejections;
pub mod runtime;
pub mod scaffold;
pub mod scheduler;
pub mod shutdown;
pub mod storage;
pub mod watch;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use instance::Instance;

/// Start an instance from `config` and serve it on `listener` until `shutdown` resolves:
/// the HTTP API and pages, event delivery and the scheduler.
pub async fn serve(
    config: config::Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let instance = Instance::start(config).await?;
    serve_instance(instance, listener, shutdown).await
}

/// [`serve`], and reload a plugin whenever its `.wasm` file changes ([`watch`]).
pub async fn serve_watching(
    config: config::Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let instance = Instance::start(config).await?;
    let watcher = tokio::spawn(watch::run_watcher(
        Arc::new(instance.config.clone()),
        instance.runtime.clone(),
        watch::INTERVAL,
    ));
    let served = serve_instance(instance, listener, shutdown).await;
    watcher.abort();
    served
}

/// Serve an already started instance (tests start one to reach its runtime directly).
pub async fn serve_instance(
    instance: Instance,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (trigger, signal) = shutdown::channel();
    let runtime = instance.runtime.clone();
    let dispatcher = tokio::spawn(events::run_dispatcher(
        runtime.clone(),
        instance.delivery_settings(),
        signal.clone(),
    ));
    let hub = tokio::spawn(live::run_hub(runtime.shared().clone(), signal.clone()));
    let sender = tokio::spawn(notify::run_sender(
        runtime.clone(),
        instance.identity.clone(),
        signal.clone(),
    ));
    let scheduler = instance.config.scheduler.enabled.then(|| {
        tokio::spawn(scheduler::run_scheduler(
            runtime.clone(),
            instance.scheduler_settings(),
            signal.clone(),
        ))
    });
    let parts = http::AppParts {
        runtime,
        instance_name: Arc::from(instance.config.instance.name.as_str()),
        utc_offset_minutes: instance::utc_offset_minutes(&instance.config.instance.timezone),
        identity: instance.identity.clone(),
        openapi: Default::default(),
        tiles: maps::open(&instance.config.maps)?,
    };
    let app = http::router(parts);
    tracing::info!(address = %listener.local_addr()?, "dvor is serving");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        trigger.fire();
    })
    .await?;
    let _ = dispatcher.await;
    let _ = sender.await;
    let _ = hub.await;
    if let Some(scheduler) = scheduler {
        let _ = scheduler.await;
    }
    Ok(())
}
