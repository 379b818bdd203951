//! Bindings for the frozen contract versions, newest first.

/// `dvor:plugin@0.1.0`, the latest contract: the host logic is implemented against it.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../wit/v0.1.0",
        world: "dvor-plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}
