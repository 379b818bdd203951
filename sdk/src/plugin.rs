//! The [`Plugin`] trait and the [`plugin!`](crate::plugin!) macro that exports it.

use crate::api::{ApiRequest, ApiResponse, Params};
use crate::ctx::tr;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::jobs::{Job, JobStep};
use crate::ui::{ActionOutcome, Page, Tile, TilePlace};

/// What a plugin does. Implement the methods it needs; the others answer `not-found`.
///
/// The type must implement [`Default`]: [`plugin!`](crate::plugin!) makes a fresh value for
/// every call, so keep state in storage, not in `self`. A panic traps, and the host rolls the
/// call back and reports it.
pub trait Plugin: Default {
    /// Answer an API request under `/api/c/{community}/p/{plugin}/`.
    fn handle_request(&self, request: ApiRequest) -> Result<ApiResponse> {
        let _ = request;
        Err(Error::not_found(tr(
            "У этого плагина нет API",
            "this plugin has no API routes",
        )))
    }

    /// Describe the page at `route` (`""` is the home page).
    fn render_page(&self, route: &str, query: &Params) -> Result<Page> {
        let _ = (route, query);
        Err(Error::not_found(tr(
            "У этого плагина нет страниц",
            "this plugin has no pages",
        )))
    }

    /// Run form or button `action`, submitted from page `route`.
    fn handle_action(&self, route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
        let _ = (route, action, form);
        Err(Error::not_found(tr(
            "У этого плагина нет действий",
            "this plugin has no actions",
        )))
    }

    /// Handle an event the manifest consumes. It may be delivered more than once; an error is
    /// retried with backoff.
    fn on_event(&self, event: Event) -> Result<()> {
        let _ = event;
        Err(Error::not_found(tr(
            "Этот плагин не принимает событий",
            "this plugin consumes no events",
        )))
    }

    /// Run one chunk of scheduled job `name`: `cursor` is none at first, then what the
    /// previous chunk returned. Return where to continue, or none when done.
    ///
    /// For runs asked for with [`crate::jobs::request`] (who asked, the arguments) and to
    /// report progress or hand back a file, implement [`job`](Plugin::job) instead.
    fn run_job(&self, name: &str, cursor: Option<String>) -> Result<Option<String>> {
        let _ = (name, cursor);
        Err(Error::not_found(tr(
            "У этого плагина нет заданий",
            "this plugin has no jobs",
        )))
    }

    /// Run one chunk of a job, scheduled or requested. The default calls
    /// [`run_job`](Plugin::run_job) with the name and cursor.
    fn job(&self, job: Job) -> Result<JobStep> {
        Ok(JobStep::continue_from(self.run_job(&job.name, job.cursor)?))
    }

    /// A tile for a host page: the community's home (`TilePlace::Community`) or the signed-in
    /// caller's own home (`TilePlace::Person`). None (the default) shows a plain tile with the
    /// plugin's name on the community's home and nothing on the person's. Called on every such
    /// page view: read little.
    fn summary(&self, place: TilePlace) -> Result<Option<Tile>> {
        let _ = place;
        Ok(None)
    }

    /// Whether the caller may follow live `channel` in the call's community
    /// ([`crate::ui::Section::live`]). The default refuses every channel.
    fn subscribe(&self, channel: &str) -> Result<()> {
        let _ = channel;
        Err(Error::not_found(tr(
            "У этого плагина нет каналов обновлений",
            "this plugin has no live channels",
        )))
    }
}

/// Export a [`Plugin`] and its manifest as the component's `plugin` interface.
///
/// ```ignore
/// #[derive(Default)]
/// struct Hello;
/// impl dvor_sdk::Plugin for Hello { /* … */ }
/// dvor_sdk::plugin!(Hello, manifest = "dvor-plugin.toml");
/// ```
///
/// The manifest path is relative to the plugin crate's root and defaults to
/// `dvor-plugin.toml`: `dvor_sdk::plugin!(Hello)`. Compilation fails if the manifest's
/// `contract` is not [`CONTRACT_VERSION`](crate::CONTRACT_VERSION).
#[macro_export]
macro_rules! plugin {
    ($plugin:ty $(,)?) => {
        $crate::plugin!($plugin, manifest = "dvor-plugin.toml");
    };
    ($plugin:ty, manifest = $manifest:literal $(,)?) => {
        /// The component's exports; public so that native builds see the plugin as used.
        #[doc(hidden)]
        pub struct __DvorPluginExports;

        #[allow(unsafe_code)]
        const _: () = {
            const MANIFEST: &str =
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $manifest));
            const _: () = $crate::__private::check_manifest(MANIFEST);

            impl $crate::__private::Guest for __DvorPluginExports {
                fn manifest() -> ::std::string::String {
                    ::std::string::String::from(MANIFEST)
                }

                fn handle_request(
                    request: $crate::ApiRequest,
                ) -> $crate::__private::WitResult<$crate::ApiResponse> {
                    $crate::__private::handle_request::<$plugin>(request)
                }

                fn render_page(
                    route: ::std::string::String,
                    query: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                ) -> $crate::__private::WitResult<$crate::ui::Page> {
                    $crate::__private::render_page::<$plugin>(route, query)
                }

                fn handle_action(
                    route: ::std::string::String,
                    action: ::std::string::String,
                    form: ::std::vec::Vec<$crate::ui::FormEntry>,
                ) -> $crate::__private::WitResult<$crate::ui::ActionOutcome> {
                    $crate::__private::handle_action::<$plugin>(route, action, form)
                }

                fn on_event(event: $crate::Event) -> $crate::__private::WitResult<()> {
                    $crate::__private::on_event::<$plugin>(event)
                }

                fn run_job(
                    run: $crate::jobs::Job,
                ) -> $crate::__private::WitResult<$crate::jobs::JobStep> {
                    $crate::__private::run_job::<$plugin>(run)
                }

                fn summary(
                    place: $crate::ui::TilePlace,
                ) -> $crate::__private::WitResult<::std::option::Option<$crate::ui::Tile>> {
                    $crate::__private::summary::<$plugin>(place)
                }

                fn subscribe(channel: ::std::string::String) -> $crate::__private::WitResult<()> {
                    $crate::__private::subscribe::<$plugin>(channel)
                }
            }

            // Only a component exports: a native build (for unit tests) cannot link the
            // contract's export names.
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::export! { __DvorPluginExports with_types_in $crate::bindings }
        };
    };
}

/// What [`plugin!`](crate::plugin!) expands to; not part of the API.
#[doc(hidden)]
pub mod private {
    use super::*;
    use crate::bindings::dvor::plugin::types;

    pub use crate::bindings::exports::dvor::plugin::plugin::Guest;

    /// A result with the contract's error.
    pub type WitResult<T> = core::result::Result<T, types::Error>;

    fn to_wit<T>(result: Result<T>) -> WitResult<T> {
        result.map_err(Into::into)
    }

    pub fn handle_request<P: Plugin>(request: ApiRequest) -> WitResult<ApiResponse> {
        to_wit(P::default().handle_request(request))
    }

    pub fn render_page<P: Plugin>(route: String, query: Vec<(String, String)>) -> WitResult<Page> {
        to_wit(P::default().render_page(&route, &Params::new(query)))
    }

    pub fn handle_action<P: Plugin>(
        route: String,
        action: String,
        form: Vec<crate::ui::FormEntry>,
    ) -> WitResult<ActionOutcome> {
        to_wit(P::default().handle_action(&route, &action, &Params::from_form(form)))
    }

    pub fn on_event<P: Plugin>(event: Event) -> WitResult<()> {
        to_wit(P::default().on_event(event))
    }

    pub fn run_job<P: Plugin>(run: Job) -> WitResult<JobStep> {
        to_wit(P::default().job(run))
    }

    pub fn summary<P: Plugin>(place: TilePlace) -> WitResult<Option<Tile>> {
        to_wit(P::default().summary(place))
    }

    pub fn subscribe<P: Plugin>(channel: String) -> WitResult<()> {
        to_wit(P::default().subscribe(&channel))
    }

    /// Fails compilation unless the manifest's top-level `contract = "…"` is
    /// [`CONTRACT_VERSION`](crate::CONTRACT_VERSION).
    pub const fn check_manifest(manifest: &str) {
        match manifest_contract(manifest.as_bytes()) {
            Some(contract) if bytes_eq(contract, crate::CONTRACT_VERSION.as_bytes()) => {}
            Some(_) => panic!(concat!(
                "dvor-plugin.toml: `contract` is not the version this dvor-sdk implements, ",
                crate::contract_version!(),
                ": set `contract = \"",
                crate::contract_version!(),
                "\"` (or use the dvor-sdk of the contract the manifest names)"
            )),
            None => panic!(
                "dvor-plugin.toml: no top-level `contract = \"…\"` line (before any [table])"
            ),
        }
    }

    /// The value of the first top-level `contract = "…"` line, before any `[table]`.
    const fn manifest_contract(toml: &[u8]) -> Option<&[u8]> {
        let mut line_start = 0;
        while line_start < toml.len() {
            let mut i = skip_blanks(toml, line_start);
            if i < toml.len() && toml[i] == b'[' {
                return None;
            }
            if starts_with_at(toml, i, b"contract") {
                i = skip_blanks(toml, i + b"contract".len());
                if i < toml.len() && toml[i] == b'=' {
                    i = skip_blanks(toml, i + 1);
                    if i < toml.len() && toml[i] == b'"' {
                        let start = i + 1;
                        let mut end = start;
                        while end < toml.len() && toml[end] != b'"' && toml[end] != b'\n' {
                            end += 1;
                        }
                        if end < toml.len() && toml[end] == b'"' {
                            return Some(toml.split_at(end).0.split_at(start).1);
                        }
                    }
                    return None;
                }
            }
            while line_start < toml.len() && toml[line_start] != b'\n' {
                line_start += 1;
            }
            line_start += 1;
        }
        None
    }

    const fn skip_blanks(s: &[u8], mut i: usize) -> usize {
        while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
            i += 1;
        }
        i
    }

    const fn starts_with_at(s: &[u8], at: usize, prefix: &[u8]) -> bool {
        if at + prefix.len() > s.len() {
            return false;
        }
        let mut k = 0;
        while k < prefix.len() {
            if s[at + k] != prefix[k] {
                return false;
            }
            k += 1;
        }
        true
    }

    const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && starts_with_at(a, 0, b)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn finds_the_top_level_contract() {
            let toml = "id = \"x\"\n  contract   =  \"0.1.0\" # built against\n[a]\n";
            assert_eq!(manifest_contract(toml.as_bytes()), Some(&b"0.1.0"[..]));
            assert_eq!(
                manifest_contract(b"id = \"x\"\n[capabilities]\ncontract = \"0.1.0\"\n"),
                None
            );
            assert_eq!(manifest_contract(b"contracts = \"0.1.0\"\n"), None);
            assert_eq!(manifest_contract(b"contract = 1\n"), None);
            check_manifest(include_str!("../../plugins/hello/dvor-plugin.toml"));
        }

        #[test]
        #[should_panic(expected = "is not the version this dvor-sdk implements, 0.2.0")]
        fn rejects_another_contract() {
            check_manifest("contract = \"9.9.9\"\n");
        }
    }
}
