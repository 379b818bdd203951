//! Jobs: chunks of long work, scheduled by the manifest's cron or asked for now.
//!
//! ```no_run
//! # fn f() -> dvor_sdk::Result<()> {
//! // The operator's "export all debtors" button: the run starts after this call commits, and
//! // the file its last chunk hands back reaches the operator's inbox.
//! let run = dvor_sdk::jobs::request("export_debtors", &serde_json::json!({ "month": "2026-11" }))?;
//! # Ok(()) }
//! ```
//!
//! A job is declared in the manifest's `[[schedules]]` (with a `cron`, or without one to run only
//! when asked) and granted by the operator.

use serde::Serialize;

use crate::bindings::dvor::plugin::jobs as wit;
use crate::error::Result;

pub use crate::bindings::exports::dvor::plugin::plugin::{
    JobProgress, JobRequest, JobRun as Job, JobStep,
};

/// Ask for a run of job `name` in the call's community with `args` (a JSON object). Returns the
/// run's id.
pub fn request<A: Serialize + ?Sized>(name: &str, args: &A) -> Result<String> {
    Ok(wit::request(name, &serde_json::to_string(args)?)?)
}

impl JobStep {
    /// Continue from `cursor`, or finish when it is none.
    pub fn continue_from(cursor: Option<String>) -> Self {
        JobStep {
            cursor,
            progress: None,
            output: None,
        }
    }

    /// The last chunk.
    pub fn done() -> Self {
        Self::continue_from(None)
    }

    /// How far the run got: `done` of `total` (0: unknown).
    pub fn progress(mut self, done: u64, total: u64) -> Self {
        self.progress = Some(JobProgress { done, total });
        self
    }

    /// The file the run produced (a stored file's id), given to the person who asked.
    pub fn output(mut self, file_id: impl Into<String>) -> Self {
        self.output = Some(file_id.into());
        self
    }
}

impl Job {
    /// The run's arguments, if it was requested with some.
    pub fn args<T: serde::de::DeserializeOwned + Default>(&self) -> Result<T> {
        match &self.request {
            Some(request) if !request.args.trim().is_empty() => {
                Ok(serde_json::from_str(&request.args)?)
            }
            _ => Ok(T::default()),
        }
    }

    /// Who asked for the run, if a person did.
    pub fn requested_by(&self) -> Option<&str> {
        self.request.as_ref()?.requested_by.as_deref()
    }
}
