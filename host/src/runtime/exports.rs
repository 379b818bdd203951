//! The newest contract's exports, found once per plugin and type-checked once.
//!
//! wit-bindgen's `DvorPluginPre::instantiate_async` looks up and type-checks all eight
//! exports of the `plugin` interface on every instantiation, though a call uses one; with a
//! fresh instance per call that was about a tenth of the CPU of a small API request (the
//! greeting bench in `docs/benchmarks.md`). Here the exports' indices are found when the
//! plugin is linked, every export is type-checked against the component once (on the
//! instance that reads the manifest, see [`Exports::check`]), and a call looks up only the
//! export it calls.
//!
//! An export's type depends on the component alone, never on the instance, so a check made
//! on one instance holds for every later instance of the same [`InstancePre`]. Each export is
//! called with exactly one Rust signature, written once in [`Exports::call`] or
//! [`Exports::manifest`]; that is what makes skipping the per-instance check sound.

use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::Store;
use wasmtime::component::{
    ComponentExportIndex, ComponentNamedList, Instance, InstancePre, Lift, Lower, TypedFunc,
};

use super::latest::dvor::plugin::{events, types, ui};
use super::latest::exports::dvor::plugin::plugin as guest;
use super::state::CallState;
use super::{Invocation, Outcome, WitError};

/// The interface every plugin on the newest contract exports.
const INTERFACE: &str = "dvor:plugin/plugin@0.2.0";

/// The functions of [`INTERFACE`], in the order of [`Exports::funcs`].
#[derive(Clone, Copy, Debug)]
enum Export {
    Manifest,
    HandleRequest,
    RenderPage,
    HandleAction,
    OnEvent,
    RunJob,
    Summary,
    Subscribe,
}

impl Export {
    const ALL: [Export; 8] = [
        Export::Manifest,
        Export::HandleRequest,
        Export::RenderPage,
        Export::HandleAction,
        Export::OnEvent,
        Export::RunJob,
        Export::Summary,
        Export::Subscribe,
    ];

    fn name(self) -> &'static str {
        match self {
            Export::Manifest => "manifest",
            Export::HandleRequest => "handle-request",
            Export::RenderPage => "render-page",
            Export::HandleAction => "handle-action",
            Export::OnEvent => "on-event",
            Export::RunJob => "run-job",
            Export::Summary => "summary",
            Export::Subscribe => "subscribe",
        }
    }
}

/// The exports' Rust signatures, the one place each is written.
type ManifestFn = TypedFunc<(), (String,)>;
type HandleRequestFn<'a> =
    TypedFunc<(&'a guest::ApiRequest,), (Result<guest::ApiResponse, WitError>,)>;
type RenderPageFn<'a> = TypedFunc<(&'a str, &'a [(String, String)]), (Result<ui::Page, WitError>,)>;
type HandleActionFn<'a> =
    TypedFunc<(&'a str, &'a str, &'a [ui::FormEntry]), (Result<ui::ActionOutcome, WitError>,)>;
type OnEventFn<'a> = TypedFunc<(&'a events::Event,), (Result<(), types::Error>,)>;
type RunJobFn<'a> = TypedFunc<(&'a guest::JobRun,), (Result<guest::JobStep, WitError>,)>;
type SummaryFn = TypedFunc<(ui::TilePlace,), (Result<Option<ui::Tile>, WitError>,)>;
type SubscribeFn<'a> = TypedFunc<(&'a str,), (Result<(), WitError>,)>;

/// A linked plugin on the newest contract: its pre-instance and where its exports are.
pub(crate) struct Exports {
    pre: InstancePre<CallState>,
    funcs: [ComponentExportIndex; Export::ALL.len()],
    /// Every export was type-checked against this component.
    checked: AtomicBool,
}

impl Exports {
    /// Find the exports of a linked component; an export missing is an error naming it.
    pub(crate) fn new(pre: InstancePre<CallState>) -> wasmtime::Result<Self> {
        let component = pre.component();
        let interface = component
            .get_export_index(None, INTERFACE)
            .ok_or_else(|| wasmtime::format_err!("no exported instance named `{INTERFACE}`"))?;
        let mut funcs = Vec::with_capacity(Export::ALL.len());
        for export in Export::ALL {
            let index = component
                .get_export_index(Some(&interface), export.name())
                .ok_or_else(|| {
                    wasmtime::format_err!(
                        "no function `{}` exported by `{INTERFACE}`",
                        export.name()
                    )
                })?;
            funcs.push(index);
        }
        Ok(Self {
            pre,
            funcs: funcs.try_into().expect("one index per export"),
            checked: AtomicBool::new(false),
        })
    }

    /// A fresh instance in `store`.
    pub(crate) async fn instantiate(
        &self,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Instance> {
        self.pre.instantiate_async(store).await
    }

    /// Type-check every export on `instance` (the plugin's first), so later calls skip it.
    /// A mismatch is an error naming the export.
    pub(crate) fn check(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<()> {
        let _: ManifestFn = self.checked_func(store, instance, Export::Manifest)?;
        let _: HandleRequestFn<'_> = self.checked_func(store, instance, Export::HandleRequest)?;
        let _: RenderPageFn<'_> = self.checked_func(store, instance, Export::RenderPage)?;
        let _: HandleActionFn<'_> = self.checked_func(store, instance, Export::HandleAction)?;
        let _: OnEventFn<'_> = self.checked_func(store, instance, Export::OnEvent)?;
        let _: RunJobFn<'_> = self.checked_func(store, instance, Export::RunJob)?;
        let _: SummaryFn = self.checked_func(store, instance, Export::Summary)?;
        let _: SubscribeFn<'_> = self.checked_func(store, instance, Export::Subscribe)?;
        self.checked.store(true, Ordering::Release);
        Ok(())
    }

    /// The export's function on `instance`, type-checked as `P -> R`.
    fn checked_func<P, R>(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        export: Export,
    ) -> wasmtime::Result<TypedFunc<P, R>>
    where
        P: ComponentNamedList + Lower,
        R: ComponentNamedList + Lift,
    {
        self.untyped(store, instance, export)?
            .typed::<P, R>(&*store)
            .map_err(|e| e.context(format!("the export `{}`", export.name())))
    }

    /// The export's function on `instance`, typed as `P -> R`: without a check once
    /// [`Exports::check`] passed, with one before.
    #[allow(unsafe_code)]
    fn func<P, R>(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        export: Export,
    ) -> wasmtime::Result<TypedFunc<P, R>>
    where
        P: ComponentNamedList + Lower,
        R: ComponentNamedList + Lift,
    {
        if !self.checked.load(Ordering::Acquire) {
            return self.checked_func(store, instance, export);
        }
        let func = self.untyped(store, instance, export)?;
        // SAFETY: `check` type-checked this export of this component as `P -> R`: each
        // export is called with the one signature its alias above gives, in `check` and at
        // its call, and an export's type is the component's, the same in every instance.
        Ok(unsafe { TypedFunc::new_unchecked(func) })
    }

    fn untyped(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        export: Export,
    ) -> wasmtime::Result<wasmtime::component::Func> {
        instance
            .get_func(&mut *store, self.funcs[export as usize])
            .ok_or_else(|| {
                wasmtime::format_err!("the export `{}` is not a function", export.name())
            })
    }

    /// Ask the plugin for its manifest.
    pub(crate) async fn manifest(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<String> {
        let manifest: ManifestFn = self.func(store, instance, Export::Manifest)?;
        Ok(manifest.call_async(&mut *store, ()).await?.0)
    }

    /// Answer an API request.
    pub(crate) async fn handle_request(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        request: &guest::ApiRequest,
    ) -> wasmtime::Result<Result<guest::ApiResponse, WitError>> {
        let func: HandleRequestFn<'_> = self.func(store, instance, Export::HandleRequest)?;
        Ok(func.call_async(&mut *store, (request,)).await?.0)
    }

    /// Call the export an invocation asks for.
    pub(crate) async fn call(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        invocation: Invocation,
    ) -> wasmtime::Result<Result<Outcome, WitError>> {
        Ok(match invocation {
            Invocation::Request(request) => self
                .handle_request(store, instance, &request)
                .await?
                .map(Outcome::Response),
            Invocation::RenderPage { route, query } => {
                let func: RenderPageFn<'_> = self.func(store, instance, Export::RenderPage)?;
                let (answer,) = func.call_async(&mut *store, (&route, &query)).await?;
                answer.map(Outcome::Page)
            }
            Invocation::Action {
                route,
                action,
                form,
                ..
            } => {
                let func: HandleActionFn<'_> = self.func(store, instance, Export::HandleAction)?;
                let (answer,) = func
                    .call_async(&mut *store, (&route, &action, &form))
                    .await?;
                answer.map(Outcome::Action)
            }
            Invocation::Event(event) => {
                let func: OnEventFn<'_> = self.func(store, instance, Export::OnEvent)?;
                let (answer,) = func.call_async(&mut *store, (&event,)).await?;
                answer.map(|()| Outcome::EventHandled)
            }
            Invocation::Job(run) => {
                let func: RunJobFn<'_> = self.func(store, instance, Export::RunJob)?;
                let (answer,) = func.call_async(&mut *store, (&run,)).await?;
                answer.map(Outcome::JobStep)
            }
            Invocation::Summary(place) => {
                let func: SummaryFn = self.func(store, instance, Export::Summary)?;
                let (answer,) = func.call_async(&mut *store, (place,)).await?;
                answer.map(Outcome::Summary)
            }
            Invocation::Subscribe(channel) => {
                let func: SubscribeFn<'_> = self.func(store, instance, Export::Subscribe)?;
                let (answer,) = func.call_async(&mut *store, (&channel,)).await?;
                answer.map(|()| Outcome::Subscribed)
            }
        })
    }
}
