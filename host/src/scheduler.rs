//! Scheduled jobs from plugin manifests, run in chunks under a database lease.
//!
//! Each (plugin, job, enabled community root) has a row in `jobs`. A host process claims a due
//! job by moving its lease forward with a conditional UPDATE, which only one process can win,
//! even with several processes on one PostgreSQL. Each chunk is one plugin call; the cursor
//! the chunk returns is saved in that call's own transaction, on the condition that the lease
//! is still ours — so a chunk either commits with its cursor or not at all, and after a crash
//! the next holder of the lease resumes from the last committed cursor.
//!
//! Runs a plugin asks for (`jobs.request`) are rows of `job_runs`, one per request, run by the
//! same protocol: claimed under a lease, each chunk committing with its cursor, its progress and
//! the file it produced; a finished run tells the person who asked, with a link to the file.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::runtime::latest::dvor::plugin::context::CallTrigger;
use crate::runtime::latest::exports::dvor::plugin::plugin::{JobRequest, JobRun, JobStep};
use crate::runtime::{CallContext, CallError, CommitHook, Invocation, Outcome, Runtime};
use crate::shutdown::Shutdown;

/// Scheduler settings.
#[derive(Clone, Debug)]
pub struct SchedulerSettings {
    /// How long a claimed job stays ours without a chunk finishing.
    pub lease: Duration,
    /// How often to look for due jobs.
    pub tick: Duration,
    /// This process's name in leases.
    pub owner: String,
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// The next time a 6-field cron expression fires after `after` (UTC).
pub fn next_run(cron: &str, after: i64) -> Option<i64> {
    let schedule = cron::Schedule::from_str(cron).ok()?;
    let after = DateTime::<Utc>::from_timestamp_millis(after)?;
    schedule.after(&after).next().map(|t| t.timestamp_millis())
}

/// Make sure every granted schedule of every plugin has its row.
pub async fn register(runtime: &Runtime, now: i64) -> Result<(), DbErr> {
    let db = runtime.shared().db.connection();
    for plugin in runtime.plugins().values() {
        for schedule in &plugin.manifest.schedules {
            if !plugin.effective.schedules.contains(&schedule.job) {
                continue;
            }
            // A job without a cron runs only when the plugin asks for a run.
            let Some(next) = schedule
                .cron
                .as_deref()
                .and_then(|cron| next_run(cron, now))
            else {
                continue;
            };
            for root in &plugin.enabled_for {
                let insert = Query::insert()
                    .into_table(a("jobs"))
                    .columns(
                        [
                            "plugin",
                            "job",
                            "community_id",
                            "cursor",
                            "in_progress",
                            "lease_owner",
                            "lease_until",
                            "next_run_at",
                            "chunks",
                        ]
                        .map(a),
                    )
                    .values_panic([
                        plugin.id().into(),
                        schedule.job.clone().into(),
                        root.clone().into(),
                        Option::<String>::None.into(),
                        false.into(),
                        Option::<String>::None.into(),
                        0i64.into(),
                        next.into(),
                        0i64.into(),
                    ])
                    .on_conflict(
                        OnConflict::columns(["plugin", "job", "community_id"].map(a))
                            .do_nothing()
                            .to_owned(),
                    )
                    .to_owned();
                db.execute(db.get_database_backend().build(&insert)).await?;
            }
        }
    }
    Ok(())
}

/// A job's row.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct JobRow {
    /// The plugin.
    pub plugin: String,
    /// The job's name.
    pub job: String,
    /// The community root it runs for.
    pub community_id: String,
    /// Where a started run continues from.
    pub cursor: Option<String>,
    /// Whether a run is under way.
    pub in_progress: bool,
    /// Who holds the lease.
    pub lease_owner: Option<String>,
    /// Until when.
    pub lease_until: i64,
    /// When it runs next.
    pub next_run_at: i64,
    /// When the last run finished.
    pub last_finished: Option<i64>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Chunks run in all.
    pub chunks: i64,
}

const JOB_COLUMNS: [&str; 11] = [
    "plugin",
    "job",
    "community_id",
    "cursor",
    "in_progress",
    "lease_owner",
    "lease_until",
    "next_run_at",
    "last_finished",
    "last_error",
    "chunks",
];

/// Every job row.
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<JobRow>, DbErr> {
    let query = Query::select()
        .columns(JOB_COLUMNS.map(a))
        .from(a("jobs"))
        .to_owned();
    JobRow::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

/// Ask for a job to run as soon as possible (the "run now" button).
pub async fn request_run<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    job: &str,
    community: &str,
    now: i64,
) -> Result<bool, DbErr> {
    let update = Query::update()
        .table(a("jobs"))
        .value(a("next_run_at"), now)
        .and_where(Expr::col(a("plugin")).eq(plugin))
        .and_where(Expr::col(a("job")).eq(job))
        .and_where(Expr::col(a("community_id")).eq(community))
        .to_owned();
    Ok(db
        .execute(db.get_database_backend().build(&update))
        .await?
        .rows_affected()
        > 0)
}

fn key(row: &JobRow) -> sea_orm::sea_query::Condition {
    sea_orm::sea_query::Cond::all()
        .add(Expr::col(a("plugin")).eq(row.plugin.as_str()))
        .add(Expr::col(a("job")).eq(row.job.as_str()))
        .add(Expr::col(a("community_id")).eq(row.community_id.as_str()))
}

/// A job is due when a run is under way (resume it) or its next run has come.
fn due(now: i64) -> sea_orm::sea_query::Condition {
    sea_orm::sea_query::Cond::any()
        .add(Expr::col(a("in_progress")).eq(true))
        .add(Expr::col(a("next_run_at")).lte(now))
}

/// Try to take the lease of a due job; true if this process won it.
async fn claim<C: ConnectionTrait>(
    db: &C,
    row: &JobRow,
    owner: &str,
    now: i64,
    lease: Duration,
) -> Result<bool, DbErr> {
    let update = Query::update()
        .table(a("jobs"))
        .value(a("lease_owner"), owner)
        .value(a("lease_until"), now + lease.as_millis() as i64)
        .value(a("in_progress"), true)
        .value(
            a("last_started"),
            if row.in_progress { None } else { Some(now) },
        )
        .cond_where(key(row))
        // Nobody holds it: the lease is free or expired. Only one UPDATE can see this.
        .and_where(Expr::col(a("lease_until")).lt(now))
        .and_where(Expr::col(a("lease_until")).eq(row.lease_until))
        // Still due: another host may have run it to the end since this one listed it, which
        // puts the lease back to 0 (as it was) but moves the next run into the future.
        .cond_where(due(now))
        .to_owned();
    let result = db.execute(db.get_database_backend().build(&update)).await?;
    Ok(result.rows_affected() == 1)
}

/// Save a chunk's cursor in the chunk's own transaction, if the lease is still ours.
pub(crate) async fn save_chunk<C: ConnectionTrait>(
    db: &C,
    shared: &crate::runtime::Shared,
    hook: &JobChunk,
    step: Option<&JobStep>,
    now: i64,
) -> Result<(), DbErr> {
    if let Some(run) = &hook.run {
        return save_run_chunk(db, shared, hook, run, step, now).await;
    }
    let next_cursor = step.and_then(|s| s.cursor.as_deref());
    let mut update = Query::update();
    update
        .table(a("jobs"))
        .value(a("cursor"), next_cursor.map(str::to_owned))
        .value(a("chunks"), Expr::col(a("chunks")).add(1))
        .value(a("last_error"), Option::<String>::None)
        .and_where(Expr::col(a("plugin")).eq(hook.plugin.as_str()))
        .and_where(Expr::col(a("job")).eq(hook.job.as_str()))
        .and_where(Expr::col(a("community_id")).eq(hook.community.as_str()))
        .and_where(Expr::col(a("lease_owner")).eq(hook.owner.as_str()));
    if next_cursor.is_some() {
        update.value(a("lease_until"), now + hook.lease.as_millis() as i64);
    } else {
        update
            .value(a("in_progress"), false)
            .value(a("lease_owner"), Option::<String>::None)
            .value(a("lease_until"), 0i64)
            .value(a("last_finished"), now)
            .value(a("next_run_at"), hook.next_run_at);
    }
    let result = db.execute(db.get_database_backend().build(&update)).await?;
    if result.rows_affected() == 1 {
        Ok(())
    } else {
        Err(DbErr::Custom(format!(
            "job `{}` of plugin `{}`: the lease was lost; this chunk is rolled back",
            hook.job, hook.plugin
        )))
    }
}

/// What the runtime needs to save a chunk's cursor before it commits the chunk.
#[derive(Clone, Debug)]
pub struct JobChunk {
    /// The plugin.
    pub plugin: String,
    /// The job.
    pub job: String,
    /// The community root.
    pub community: String,
    /// The lease holder.
    pub owner: String,
    /// The lease length.
    pub lease: Duration,
    /// When the job runs next, if this chunk finishes it.
    pub next_run_at: i64,
    /// Set for a requested run: its id and who asked.
    pub run: Option<RunChunk>,
}

/// The requested run a chunk belongs to.
#[derive(Clone, Debug)]
pub struct RunChunk {
    /// The run's id.
    pub id: String,
    /// Who asked for it.
    pub requested_by: Option<String>,
    /// What people call the job, for the notification.
    pub title: (String, String),
}

async fn record_failure<C: ConnectionTrait>(
    db: &C,
    row: &JobRow,
    owner: &str,
    message: &str,
    retry_at: i64,
) -> Result<(), DbErr> {
    let update = Query::update()
        .table(a("jobs"))
        .value(a("last_error"), message)
        .value(a("lease_owner"), Option::<String>::None)
        .value(a("lease_until"), 0i64)
        .value(a("next_run_at"), retry_at)
        .cond_where(key(row))
        .and_where(Expr::col(a("lease_owner")).eq(owner))
        .to_owned();
    db.execute(db.get_database_backend().build(&update)).await?;
    Ok(())
}

/// Run every due job to completion (or to its first failure); returns how many chunks ran.
pub async fn run_due(runtime: &Runtime, settings: &SchedulerSettings) -> Result<usize, DbErr> {
    let db = runtime.shared().db.connection();
    let now = chrono::Utc::now().timestamp_millis();
    let query = Query::select()
        .columns(JOB_COLUMNS.map(a))
        .from(a("jobs"))
        .and_where(Expr::col(a("lease_until")).lt(now))
        .cond_where(due(now))
        .to_owned();
    let due = JobRow::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    let mut chunks = 0;
    for row in due {
        if !claim(db, &row, &settings.owner, now, settings.lease).await? {
            continue;
        }
        chunks += run_claimed(runtime, settings, row).await?;
    }
    Ok(chunks)
}

async fn run_claimed(
    runtime: &Runtime,
    settings: &SchedulerSettings,
    row: JobRow,
) -> Result<usize, DbErr> {
    let db = runtime.shared().db.connection();
    let Some(plugin) = runtime.plugin(&row.plugin) else {
        return Ok(0);
    };
    let cron = plugin
        .manifest
        .schedules
        .iter()
        .find(|s| s.job == row.job)
        .and_then(|s| s.cron.clone())
        .unwrap_or_default();
    let mut cursor = row.cursor.clone();
    let mut chunks = 0;
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let hook = JobChunk {
            plugin: row.plugin.clone(),
            job: row.job.clone(),
            community: row.community_id.clone(),
            owner: settings.owner.clone(),
            lease: settings.lease,
            next_run_at: next_run(&cron, now).unwrap_or(i64::MAX),
            run: None,
        };
        let mut context = CallContext::anonymous(row.community_id.clone(), CallTrigger::Schedule);
        context.commit_hook = Some(CommitHook::JobChunk(hook));
        let result = runtime
            .call(
                &row.plugin,
                context,
                Invocation::Job(JobRun {
                    name: row.job.clone(),
                    cursor: cursor.clone(),
                    request: None,
                }),
            )
            .await;
        chunks += 1;
        match result {
            Ok(Outcome::JobStep(JobStep {
                cursor: Some(next), ..
            })) => cursor = Some(next),
            Ok(_) => return Ok(chunks),
            Err(error) => {
                let message = match &error {
                    CallError::Plugin { error, .. } => error.message.clone(),
                    other => other.to_string(),
                };
                tracing::warn!(plugin = %row.plugin, job = %row.job, %message, "job chunk failed; retrying later");
                let retry_at = chrono::Utc::now().timestamp_millis() + 60_000;
                record_failure(db, &row, &settings.owner, &message, retry_at).await?;
                return Ok(chunks);
            }
        }
    }
}

/// Run due jobs and requested runs until `shutdown` resolves; a run requested on this host
/// starts at once, one requested on another is found at the next tick.
pub async fn run_scheduler(runtime: Arc<Runtime>, settings: SchedulerSettings, shutdown: Shutdown) {
    loop {
        let woken = runtime.shared().runs_requested.notified();
        if let Err(error) = run_due(&runtime, &settings).await {
            tracing::error!(%error, "scheduler: database error");
        }
        if let Err(error) = run_requested(&runtime, &settings).await {
            tracing::error!(%error, "scheduler: database error in requested runs");
        }
        tokio::select! {
            _ = tokio::time::sleep(settings.tick) => {}
            _ = woken => {}
            _ = shutdown.wait() => return,
        }
    }
}

/// A run of a job a plugin asked for.
#[derive(Clone, Debug)]
pub struct RequestedRun {
    /// Its id (sortable by time).
    pub id: String,
    /// The plugin.
    pub plugin: String,
    /// The job's name.
    pub job: String,
    /// The community of the call that asked: the run's calls are scoped to it.
    pub community: String,
    /// Who asked, if a person did.
    pub requested_by: Option<String>,
    /// The arguments, a JSON object.
    pub args: String,
}

/// How many times a requested run's failing chunk is tried before the run fails.
const RUN_ATTEMPTS: i32 = 3;

/// Queue a requested run, in the asking call's transaction: it exists only if that call commits.
pub async fn queue_run<C: ConnectionTrait>(
    db: &C,
    run: &RequestedRun,
    now: i64,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(a("job_runs"))
        .columns(
            [
                "id",
                "plugin",
                "job",
                "community_id",
                "requested_by",
                "args",
                "status",
                "lease_until",
                "next_attempt_at",
                "attempts",
                "chunks",
                "progress_done",
                "progress_total",
                "created",
            ]
            .map(a),
        )
        .values_panic([
            run.id.clone().into(),
            run.plugin.clone().into(),
            run.job.clone().into(),
            run.community.clone().into(),
            run.requested_by.clone().into(),
            run.args.clone().into(),
            "queued".into(),
            0i64.into(),
            now.into(),
            0i32.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(())
}

/// A requested run's row.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct RunRow {
    /// Its id.
    pub id: String,
    /// The plugin.
    pub plugin: String,
    /// The job.
    pub job: String,
    /// The community it runs in.
    pub community_id: String,
    /// Who asked.
    pub requested_by: Option<String>,
    /// Its arguments.
    pub args: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Where it continues from.
    pub cursor: Option<String>,
    /// The lease's end.
    pub lease_until: i64,
    /// Failed attempts of its current chunk.
    pub attempts: i32,
    /// Work done.
    pub progress_done: i64,
    /// Work in all (0: unknown).
    pub progress_total: i64,
    /// The file it produced.
    pub output_file: Option<String>,
    /// Why it last failed.
    pub last_error: Option<String>,
    /// When it was asked for.
    pub created: i64,
    /// When it ended.
    pub finished: Option<i64>,
}

const RUN_COLUMNS: [&str; 15] = [
    "id",
    "plugin",
    "job",
    "community_id",
    "requested_by",
    "args",
    "status",
    "cursor",
    "lease_until",
    "attempts",
    "progress_done",
    "progress_total",
    "output_file",
    "last_error",
    "created",
];

/// A requested run by id.
pub async fn run_by_id<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<RunRow>, DbErr> {
    let query = Query::select()
        .columns(RUN_COLUMNS.map(a))
        .column(a("finished"))
        .from(a("job_runs"))
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    RunRow::find_by_statement(db.get_database_backend().build(&query))
        .one(db)
        .await
}

/// Run every requested run that is due, each to its end or its failure; returns the chunks run.
pub async fn run_requested(
    runtime: &Runtime,
    settings: &SchedulerSettings,
) -> Result<usize, DbErr> {
    let db = runtime.shared().db.connection();
    let now = chrono::Utc::now().timestamp_millis();
    let query = Query::select()
        .columns(RUN_COLUMNS.map(a))
        .column(a("finished"))
        .from(a("job_runs"))
        .and_where(Expr::col(a("status")).is_in(["queued", "running"]))
        .and_where(Expr::col(a("next_attempt_at")).lte(now))
        .and_where(Expr::col(a("lease_until")).lt(now))
        .order_by(a("id"), sea_orm::sea_query::Order::Asc)
        .limit(100)
        .to_owned();
    let due = RunRow::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await?;
    let mut chunks = 0;
    for row in due {
        let claim = Query::update()
            .table(a("job_runs"))
            .value(a("lease_owner"), settings.owner.as_str())
            .value(a("lease_until"), now + settings.lease.as_millis() as i64)
            .value(a("status"), "running")
            .and_where(Expr::col(a("id")).eq(row.id.as_str()))
            .and_where(Expr::col(a("lease_until")).eq(row.lease_until))
            .and_where(Expr::col(a("status")).is_in(["queued", "running"]))
            .to_owned();
        if db
            .execute(db.get_database_backend().build(&claim))
            .await?
            .rows_affected()
            != 1
        {
            continue;
        }
        chunks += run_claimed_run(runtime, settings, row).await?;
    }
    Ok(chunks)
}

async fn run_claimed_run(
    runtime: &Runtime,
    settings: &SchedulerSettings,
    row: RunRow,
) -> Result<usize, DbErr> {
    let db = runtime.shared().db.connection();
    let Some(plugin) = runtime.plugin(&row.plugin) else {
        return Ok(0);
    };
    let title = plugin
        .manifest
        .schedules
        .iter()
        .find(|s| s.job == row.job)
        .and_then(|s| s.title.clone())
        .map(|t| {
            let en = if t.en.is_empty() { t.ru.clone() } else { t.en };
            (t.ru, en)
        })
        .unwrap_or_else(|| (row.job.clone(), row.job.clone()));
    let mut cursor = row.cursor.clone();
    let mut chunks = 0;
    loop {
        let hook = JobChunk {
            plugin: row.plugin.clone(),
            job: row.job.clone(),
            community: row.community_id.clone(),
            owner: settings.owner.clone(),
            lease: settings.lease,
            next_run_at: 0,
            run: Some(RunChunk {
                id: row.id.clone(),
                requested_by: row.requested_by.clone(),
                title: title.clone(),
            }),
        };
        let mut context = CallContext::anonymous(row.community_id.clone(), CallTrigger::Schedule);
        context.commit_hook = Some(CommitHook::JobChunk(hook));
        let result = runtime
            .call(
                &row.plugin,
                context,
                Invocation::Job(JobRun {
                    name: row.job.clone(),
                    cursor: cursor.clone(),
                    request: Some(JobRequest {
                        id: row.id.clone(),
                        requested_by: row.requested_by.clone(),
                        args: row.args.clone(),
                    }),
                }),
            )
            .await;
        chunks += 1;
        match result {
            Ok(Outcome::JobStep(JobStep {
                cursor: Some(next), ..
            })) => cursor = Some(next),
            Ok(_) => return Ok(chunks),
            Err(error) => {
                let message = match &error {
                    CallError::Plugin { error, .. } => error.message.clone(),
                    other => other.to_string(),
                };
                tracing::warn!(plugin = %row.plugin, job = %row.job, run = %row.id, %message, "requested run's chunk failed");
                fail_run_attempt(db, &row, &settings.owner, &message, &title).await?;
                return Ok(chunks);
            }
        }
    }
}

/// A chunk of a requested run failed: try again in a minute, or after the last attempt end the
/// run and tell the person who asked.
async fn fail_run_attempt<C: ConnectionTrait>(
    db: &C,
    row: &RunRow,
    owner: &str,
    message: &str,
    title: &(String, String),
) -> Result<(), DbErr> {
    let now = chrono::Utc::now().timestamp_millis();
    let attempts = row.attempts + 1;
    let failed = attempts >= RUN_ATTEMPTS;
    let update = Query::update()
        .table(a("job_runs"))
        .value(a("attempts"), attempts)
        .value(a("last_error"), message)
        .value(a("lease_owner"), Option::<String>::None)
        .value(a("lease_until"), 0i64)
        .value(a("next_attempt_at"), now + 60_000)
        .value(a("status"), if failed { "failed" } else { "running" })
        .value(a("finished"), failed.then_some(now))
        .and_where(Expr::col(a("id")).eq(row.id.as_str()))
        .and_where(Expr::col(a("lease_owner")).eq(owner))
        .to_owned();
    db.execute(db.get_database_backend().build(&update)).await?;
    if failed && let Some(person) = &row.requested_by {
        let note = crate::inbox::NewNotification {
            source: row.plugin.clone(),
            title: (
                format!("Не удалось: {}", title.0),
                format!("Failed: {}", title.1),
            ),
            body: (
                "Задание остановилось с ошибкой. Попробуйте запустить его снова позже.".into(),
                "The job stopped with an error. Try running it again later.".into(),
            ),
            link: None,
            urgency: "normal",
        };
        crate::inbox::deliver(db, std::slice::from_ref(person), &note, now).await?;
    }
    Ok(())
}

/// Save a requested run's chunk in the chunk's own transaction, if the lease is still ours;
/// the last chunk ends the run and tells the person who asked, with the file it produced.
async fn save_run_chunk<C: ConnectionTrait>(
    db: &C,
    shared: &crate::runtime::Shared,
    hook: &JobChunk,
    run: &RunChunk,
    step: Option<&JobStep>,
    now: i64,
) -> Result<(), DbErr> {
    let next_cursor = step.and_then(|s| s.cursor.clone());
    let output = step.and_then(|s| s.output.clone());
    let mut update = Query::update();
    update
        .table(a("job_runs"))
        .value(a("cursor"), next_cursor.clone())
        .value(a("chunks"), Expr::col(a("chunks")).add(1))
        .value(a("attempts"), 0i32)
        .value(a("last_error"), Option::<String>::None)
        .and_where(Expr::col(a("id")).eq(run.id.as_str()))
        .and_where(Expr::col(a("lease_owner")).eq(hook.owner.as_str()));
    if let Some(progress) = step.and_then(|s| s.progress) {
        update
            .value(a("progress_done"), progress.done as i64)
            .value(a("progress_total"), progress.total as i64);
    }
    if let Some(file) = &output {
        update.value(a("output_file"), file.as_str());
    }
    let finished = next_cursor.is_none();
    if finished {
        update
            .value(a("status"), "done")
            .value(a("lease_owner"), Option::<String>::None)
            .value(a("lease_until"), 0i64)
            .value(a("finished"), now);
    } else {
        update.value(a("lease_until"), now + hook.lease.as_millis() as i64);
    }
    let result = db.execute(db.get_database_backend().build(&update)).await?;
    if result.rows_affected() != 1 {
        return Err(DbErr::Custom(format!(
            "run `{}` of job `{}` of plugin `{}`: the lease was lost; this chunk is rolled back",
            run.id, hook.job, hook.plugin
        )));
    }
    if finished && let Some(person) = &run.requested_by {
        let file = match &output {
            Some(file) => Some(file.clone()),
            None => run_by_id(db, &run.id).await?.and_then(|r| r.output_file),
        };
        let week_later = now + 7 * 24 * 3_600_000;
        let link = file.map(|id| {
            crate::files::download_path(
                shared,
                &hook.plugin,
                &hook.community,
                &id,
                Some(person),
                week_later,
            )
        });
        let note = crate::inbox::NewNotification {
            source: hook.plugin.clone(),
            title: (
                format!("Готово: {}", run.title.0),
                format!("Ready: {}", run.title.1),
            ),
            body: if link.is_some() {
                (
                    "Файл готов: откройте уведомление, чтобы скачать его. Ссылка действует неделю."
                        .into(),
                    "The file is ready: open the notification to download it. The link works for a week."
                        .into(),
                )
            } else {
                ("Задание выполнено.".into(), "The job is done.".into())
            },
            link,
            urgency: "normal",
        };
        crate::inbox::deliver(db, std::slice::from_ref(person), &note, now).await?;
    }
    Ok(())
}

/// Helpers for tests that simulate what production cannot easily show: a crash mid-job.
pub mod testing {
    use super::*;

    /// Run a job's first chunk directly (committing it) and return the cursor it answered.
    pub async fn first_cursor(runtime: &Runtime, plugin: &str, job: &str) -> String {
        let community = runtime
            .plugin(plugin)
            .and_then(|p| p.enabled_for.first().cloned())
            .expect("the plugin is enabled somewhere");
        let context = CallContext::anonymous(community, CallTrigger::Schedule);
        match runtime
            .call(
                plugin,
                context,
                Invocation::Job(JobRun {
                    name: job.to_owned(),
                    cursor: None,
                    request: None,
                }),
            )
            .await
        {
            Ok(Outcome::JobStep(JobStep {
                cursor: Some(cursor),
                ..
            })) => cursor,
            other => panic!("the first chunk did not answer a cursor: {other:?}"),
        }
    }

    /// Leave a job as a crashed process would: in progress at `cursor`, lease expired.
    pub async fn simulate_crash<C: ConnectionTrait>(
        db: &C,
        plugin: &str,
        job: &str,
        community: &str,
        cursor: &str,
    ) -> Result<(), DbErr> {
        let now = chrono::Utc::now().timestamp_millis();
        let update = Query::update()
            .table(a("jobs"))
            .value(a("in_progress"), true)
            .value(a("cursor"), cursor)
            .value(a("lease_owner"), "crashed-process")
            .value(a("lease_until"), now - 1)
            .and_where(Expr::col(a("plugin")).eq(plugin))
            .and_where(Expr::col(a("job")).eq(job))
            .and_where(Expr::col(a("community_id")).eq(community))
            .to_owned();
        db.execute(db.get_database_backend().build(&update)).await?;
        Ok(())
    }
}
