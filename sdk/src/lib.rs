//! The SDK for dvor plugins: WebAssembly components (`wasm32-wasip2`) that implement the
//! `dvor:plugin@0.2.0` contract.
//!
//! # Quick start
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib", "rlib"]
//!
//! [dependencies]
//! # Not on crates.io: by path to a dvor checkout (what `dvor plugin new` writes), or by git:
//! # dvor-sdk = { git = "https://…/dvor.git", tag = "v0.2.0" }
//! dvor-sdk = { path = "/path/to/dvor/sdk" }
//! serde = { version = "1", features = ["derive"] }
//!
//! [profile.release]      # small, fast components
//! opt-level = "s"
//! lto = true
//! codegen-units = 1
//! strip = "debuginfo"
//! ```
//!
//! `dvor plugin new NAME` writes such a project with a test (`dvor-testkit`); the plugin
//! author's guide is `docs/plugins/` of the dvor repository.
//!
//! `dvor-plugin.toml` next to it declares the plugin's id, `contract = "0.2.0"`, its
//! capabilities, collections, schedules and settings. Then `src/lib.rs`:
//!
//! ```ignore
//! use dvor_sdk::prelude::*;
//!
//! #[derive(Default)]
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
//!         match req.route() {
//!             ("GET", "greet") => {
//!                 let name = req.param("name").unwrap_or("world");
//!                 ApiResponse::ok(&serde_json::json!({ "greeting": format!("Hello, {name}!") }))
//!             }
//!             _ => Err(Error::not_found("no such route")),
//!         }
//!     }
//! }
//!
//! dvor_sdk::plugin!(Hello, manifest = "dvor-plugin.toml");
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release` (inside the dvor workspace the
//! bundled plugins use `--profile plugin`, which a standalone project does not have); the
//! `.wasm` in `target/wasm32-wasip2/release/` is the component.
//!
//! # Map
//!
//! - [`Plugin`] and [`plugin!`]: what the host calls.
//! - [`ctx`]: caller, community, locale ([`ctx::tr`]), time; [`directory`]: the community tree.
//! - [`storage`]: typed collections ([`Collection`]) with queries and aggregates.
//! - [`events`], [`notifications`], [`files`], [`http`], [`settings()`], [`log`]: effects.
//! - [`ui`]: page builders; [`Params`], [`ApiRequest`], [`ApiResponse`]: inputs and outputs.
//! - [`Kopecks`] and [`Date`]: money and calendar days done exactly.
//! - [`Ratio`]: exact fractions for rates and shares, rounded once at the end.
//! - [`csv_sheet`]: spreadsheet imports that name every bad cell, and exports.
//! - [`payment_qr`]: the ГОСТ Р 56042 payment QR code every bill carries.
//! - [`Error`]: one error type, mapped to HTTP statuses by the host.
//!
//! Everything that calls the host works only inside the component; the pure parts (money,
//! dates, builders) also work in native unit tests.
#![deny(missing_docs)]

/// The version of the `dvor:plugin` contract this SDK implements; a plugin's manifest must
/// name it in `contract`.
pub const CONTRACT_VERSION: &str = contract_version!();

/// The contract version as a literal, for compile-time messages.
#[doc(hidden)]
#[macro_export]
macro_rules! contract_version {
    () => {
        "0.2.0"
    };
}

#[allow(unsafe_code, missing_docs)]
pub mod bindings;

pub mod api;
pub mod csv_sheet;
pub mod ctx;
pub mod date;
pub mod directory;
pub mod error;
pub mod events;
pub mod files;
pub mod http;
pub mod jobs;
pub mod live;
pub mod log;
pub mod money;
pub mod notifications;
pub mod payment_qr;
mod plugin;
pub mod ratio;
mod settings;
pub mod storage;
pub mod ui;
pub mod webhooks;

pub use api::{ApiRequest, ApiResponse, Params};
pub use date::Date;
pub use error::{Error, ErrorCode, Result};
pub use events::Event;
pub use money::{Decimal, Kopecks};
pub use plugin::Plugin;
pub use ratio::Ratio;
pub use settings::settings;
pub use storage::{Collection, Doc, PageOf};

#[doc(hidden)]
pub use plugin::private as __private;

/// The names most plugins use: `use dvor_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::ctx::{self, tr};
    pub use crate::jobs::{Job, JobStep};
    pub use crate::storage::{Collection, Compare, Direction, Doc, PageOf};
    pub use crate::ui::{
        ActionOutcome, Badge, Button, Cell, Column, Field, Form, Link, Page, Row, Section, Stat,
        Table, Tile, TilePlace, Tone,
    };
    pub use crate::{
        ApiRequest, ApiResponse, Date, Error, ErrorCode, Event, Kopecks, Params, Plugin, Result,
        events, log, settings,
    };
}
