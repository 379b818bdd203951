//! Bindings for the frozen contract versions, newest first.
//!
//! The host logic is written once, against the newest version ([`v0_2_0`]). Each older
//! version's imports are implemented in [`super::adapt`] by converting its types onto the
//! newest and calling that same logic; its exports are called through its own bindings and
//! their answers converted up.

/// `dvor:plugin@0.2.0`, the latest contract: the host logic is implemented against it. Its
/// types serialize, so pages and live updates can be stored and described as JSON.
pub mod v0_2_0 {
    wasmtime::component::bindgen!({
        path: "../wit/v0.2.0",
        world: "dvor-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

/// `dvor:plugin@0.1.0`, the first release: adapted onto [`v0_2_0`].
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../wit/v0.1.0",
        world: "dvor-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}
