//! The partnership the plugin's own tests run in: a town, an SNT with its plots, its board, a
//! chairman, and the plugin with the charter's settings the test names.

#![allow(dead_code)]

use dvor_testkit::{Person, Setup, TestHost, this_plugin};
use serde_json::{Value, json};

/// An SNT «Рябинка» in a town, with `plots` (number, area in m²), the plugin's `settings` and the
/// clock at `now`.
pub fn partnership(plots: &[(&str, &str)], settings: Value, now: &str) -> TestHost {
    let mut setup = Setup::new()
        .plugin_with(this_plugin!(), json!({ "settings": settings }))
        .place("town", "Город", "settlement", None)
        .place("snt", "СНТ «Рябинка»", "snt", Some("town"));
    for (number, area) in plots {
        setup = setup.unit("snt", number, "plot", area);
    }
    setup
        .organization("board", "Правление СНТ «Рябинка»", "snt-board", &["snt"])
        .now(now)
        .start()
}

/// The chairman of the board.
pub fn chairman(host: &mut TestHost) -> Person {
    host.person("Ольга Председатель")
        .role("chairman", "snt")
        .create()
}
