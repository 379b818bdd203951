//! The host side of the latest contract: what plugins import.
//!
//! Every function checks the two-key capabilities first, then works inside the call's
//! transaction and scope. Failures of the plugin's input come back as contract errors naming
//! the field; failures of the host (the database) fail the whole call.

use super::capabilities::CapabilityKind;
use super::latest::dvor::plugin::{
    context, directory, events, files, jobs, live, log, notifications, outbound_http, settings,
    storage, types, ui,
};
use super::state::CallState;
use crate::storage as store;
use types::{Error, ErrorCode};

type HostResult<T> = wasmtime::Result<Result<T, Error>>;

pub(crate) fn error(code: ErrorCode, message: impl Into<String>, field: Option<&str>) -> Error {
    Error {
        code,
        message: message.into(),
        field: field.map(str::to_owned),
    }
}

impl CallState {
    /// Refuse, log and count a capability the plugin does not hold.
    fn deny(&self, kind: CapabilityKind, name: &str) -> Error {
        let plugin = self.plugin.id();
        tracing::warn!(
            plugin,
            capability = kind.label(),
            name,
            "capability denied: not both requested in the manifest and granted in the config"
        );
        self.shared.metrics.record_denial(plugin, kind.label());
        let requested = match kind {
            CapabilityKind::Collection => self.plugin.requested.collections.contains(name),
            CapabilityKind::Emit => self.plugin.requested.emits.contains(name),
            CapabilityKind::OutboundHost => {
                let asked = &self.plugin.requested.outbound_hosts;
                asked.contains(super::capabilities::ANY_HOST)
                    || asked
                        .iter()
                        .any(|entry| super::capabilities::narrowest(entry, name).is_some())
            }
            CapabilityKind::Notifications => self.plugin.requested.notifications,
            CapabilityKind::Files => self.plugin.requested.files,
            CapabilityKind::Live => self.plugin.requested.live,
            CapabilityKind::Schedule => self.plugin.requested.schedules.contains(name),
        };
        let why = if requested {
            "the instance config does not grant it"
        } else {
            "the plugin's manifest does not request it"
        };
        error(
            ErrorCode::Forbidden,
            format!("capability denied: {} `{name}`: {why}", kind.label()),
            None,
        )
    }

    /// The collection's spec, if the plugin holds both keys to it. Cloned out of the plugin
    /// so that the call's transaction can be borrowed mutably while it is used.
    fn collection(&self, name: &str) -> Result<store::CollectionSpec, Error> {
        match self.plugin.collections.get(name) {
            Some(spec) if self.plugin.effective.collections.contains(name) => Ok(spec.clone()),
            _ => Err(self.deny(CapabilityKind::Collection, name)),
        }
    }

    /// The path of a community the plugin names, if it exists and is inside the call's scope.
    fn community_in_scope(&self, id: &str, field: &str) -> Result<String, Error> {
        let tree = self.shared.communities();
        match tree.get(id) {
            Some(c) if c.path.starts_with(&self.community_path) => Ok(c.path.clone()),
            Some(_) => Err(error(
                ErrorCode::Forbidden,
                format!("community `{id}` is outside this call's scope"),
                Some(field),
            )),
            None => Err(error(
                ErrorCode::NotFound,
                format!("no community `{id}`"),
                Some(field),
            )),
        }
    }

    /// Record a host failure (it fails the call) and give the plugin an internal error.
    fn host_failed(&mut self, what: &str, failure: impl std::fmt::Display) -> Error {
        let detail = format!("{what}: {failure}");
        if self.lost_race {
            // Not a failure yet: the call runs again (and if it cannot, the runtime logs the
            // call's failure).
            tracing::debug!(plugin = self.plugin.id(), %detail, "lost a race with a concurrent transaction");
        } else {
            tracing::error!(plugin = self.plugin.id(), %detail, "host failure during a plugin call");
        }
        self.host_failure.get_or_insert(detail);
        error(ErrorCode::Internal, "внутренняя ошибка хранилища", None)
    }

    fn storage_error(&mut self, failure: store::StorageError) -> Error {
        match failure {
            store::StorageError::Invalid { field, message } => {
                error(ErrorCode::Invalid, message, Some(&field))
            }
            store::StorageError::NotFound(message) => error(ErrorCode::NotFound, message, None),
            store::StorageError::Conflict(message) => error(ErrorCode::Conflict, message, None),
            store::StorageError::ConflictAt { field, message } => {
                error(ErrorCode::Conflict, message, Some(&field))
            }
            store::StorageError::OutOfScope(message) => error(ErrorCode::Forbidden, message, None),
            store::StorageError::Database(db) => {
                self.lost_race |= crate::storage::lost_race(&db);
                self.host_failed("storage", db)
            }
        }
    }

    fn scope(&self) -> (String, String) {
        (self.plugin.id().to_owned(), self.community_path.clone())
    }

    /// The paths of the communities above the call's, for reads that ask for them.
    fn ancestor_paths(&self, include: bool) -> Vec<String> {
        if !include {
            return Vec::new();
        }
        let tree = self.shared.communities();
        tree.ancestors(&self.context.community)
            .into_iter()
            .filter(|c| c.path != self.community_path)
            .map(|c| c.path.clone())
            .collect()
    }

    fn new_document(&self, doc: &storage::DocumentWrite) -> Result<store::NewDocument, Error> {
        let path = self.community_in_scope(&doc.community, "community")?;
        Ok(store::NewDocument {
            id: doc.id.clone(),
            community_id: doc.community.clone(),
            community_path: path,
            data: doc.data.clone(),
        })
    }
}

fn to_wit_document(doc: store::StoredDocument) -> storage::Document {
    storage::Document {
        id: doc.id,
        community: doc.community_id,
        data: doc.data,
        version: doc.version,
        created: doc.created,
        updated: doc.updated,
    }
}

fn to_value(value: storage::Value) -> store::Value {
    match value {
        storage::Value::Null => store::Value::Null,
        storage::Value::Boolean(b) => store::Value::Boolean(b),
        storage::Value::Integer(i) => store::Value::Integer(i),
        storage::Value::Text(t) => store::Value::Text(t),
    }
}

fn from_value(value: store::Value) -> storage::Value {
    match value {
        store::Value::Null => storage::Value::Null,
        store::Value::Boolean(b) => storage::Value::Boolean(b),
        store::Value::Integer(i) => storage::Value::Integer(i),
        store::Value::Text(t) => storage::Value::Text(t),
    }
}

fn to_conditions(conditions: Vec<storage::Condition>) -> Vec<store::Condition> {
    conditions
        .into_iter()
        .map(|c| store::Condition {
            field: c.field,
            op: match c.op {
                storage::Compare::Eq => store::Compare::Eq,
                storage::Compare::Ne => store::Compare::Ne,
                storage::Compare::Lt => store::Compare::Lt,
                storage::Compare::Le => store::Compare::Le,
                storage::Compare::Gt => store::Compare::Gt,
                storage::Compare::Ge => store::Compare::Ge,
                storage::Compare::Prefix => store::Compare::Prefix,
            },
            value: to_value(c.value),
        })
        .collect()
}

/// Run a storage operation in the call's scope (reads may also see the communities above it:
/// `$ancestors`): a `read` where the call reads ([`CallState::reader`]), a `write` in its write
/// transaction.
macro_rules! with_storage {
    ($self:ident, $mode:ident, $collection:expr, $ancestors:expr, |$tx:ident, $scope:ident, $spec:ident| $body:expr) => {{
        let loaded = match $self.collection(&$collection) {
            Ok(loaded) => loaded,
            Err(denied) => return Ok(Err(denied)),
        };
        let (plugin, path) = $self.scope();
        let ancestors = $self.ancestor_paths($ancestors);
        let shared = $self.shared.clone();
        let tree = shared.communities();
        let result = {
            let $tx = with_storage!(@connection $self, $mode);
            let $scope = store::Scope {
                plugin: &plugin,
                community_path: &path,
                ancestors: &ancestors,
                estimates: Some(shared.db.estimates()),
                paths: Some(&*tree),
            };
            let $spec = &loaded;
            $body.await
        };
        Ok(result.map_err(|failure| $self.storage_error(failure)))
    }};
    (@connection $self:ident, read) => {
        $self.reader().await?
    };
    (@connection $self:ident, write) => {
        $self.tx().await?
    };
}

/// Run a file operation on the plugin's files inside the call's scope and transaction, if the
/// plugin holds both keys to files; a database failure fails the call.
macro_rules! with_files {
    ($self:ident, $mode:ident, $op:literal, |$tx:ident, $plugin:ident, $path:ident| $body:expr) => {{
        if !$self.plugin.effective.files {
            return Ok(Err($self.deny(CapabilityKind::Files, $op)));
        }
        let ($plugin, $path) = $self.scope();
        let result = {
            let $tx = with_storage!(@connection $self, $mode);
            $body.await
        };
        result.map_err(|db| $self.host_failed("files", db))
    }};
}

impl types::Host for CallState {}
impl ui::Host for CallState {}

impl storage::Host for CallState {
    async fn get(
        &mut self,
        collection: String,
        id: String,
        include_ancestors: bool,
    ) -> HostResult<Option<storage::Document>> {
        let found: HostResult<Option<storage::Document>> = with_storage!(
            self,
            read,
            collection,
            include_ancestors,
            |tx, scope, spec| async {
                store::get(tx, &scope, spec, &id)
                    .await
                    .map(|doc| doc.map(to_wit_document))
            }
        );
        let found = found?;
        if let Ok(doc) = &found {
            let version = doc.as_ref().map_or(0, |d| d.version);
            self.note_read(&collection, [(id.as_str(), version)]);
        }
        Ok(found)
    }

    async fn insert(
        &mut self,
        collection: String,
        doc: storage::DocumentWrite,
    ) -> HostResult<storage::Document> {
        if doc.expected_version.is_some_and(|v| v != 0) {
            return Ok(Err(error(
                ErrorCode::Invalid,
                "insert creates a document: its expected version can only be 0",
                Some("expected-version"),
            )));
        }
        let new = match self.new_document(&doc) {
            Ok(new) => new,
            Err(e) => return Ok(Err(e)),
        };
        let now = self.now;
        with_storage!(self, write, collection, false, |tx, scope, spec| async {
            store::insert(tx, &scope, spec, new, now)
                .await
                .map(to_wit_document)
        })
    }

    async fn put(
        &mut self,
        collection: String,
        doc: storage::DocumentWrite,
    ) -> HostResult<storage::Document> {
        let new = match self.new_document(&doc) {
            Ok(new) => new,
            Err(e) => return Ok(Err(e)),
        };
        let now = self.now;
        let expected = doc.expected_version;
        with_storage!(self, write, collection, false, |tx, scope, spec| async {
            store::put(tx, &scope, spec, new, expected, now)
                .await
                .map(to_wit_document)
        })
    }

    async fn put_many(
        &mut self,
        collection: String,
        docs: Vec<storage::DocumentWrite>,
    ) -> HostResult<u32> {
        let mut resolved = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            match self.new_document(doc) {
                Ok(new) => resolved.push(new),
                Err(mut e) => {
                    e.field = Some(format!("docs[{i}].community"));
                    return Ok(Err(e));
                }
            }
        }
        let expected: Vec<(usize, &str, u64)> = docs
            .iter()
            .enumerate()
            .filter_map(|(i, doc)| Some((i, doc.id.as_deref()?, doc.expected_version?)))
            .collect();
        if let Some((i, _)) = docs
            .iter()
            .enumerate()
            .find(|(_, doc)| doc.id.is_none() && doc.expected_version.is_some_and(|v| v != 0))
        {
            return Ok(Err(error(
                ErrorCode::Invalid,
                "a document without an id is new: its expected version can only be 0",
                Some(&format!("docs[{i}].expected-version")),
            )));
        }
        let now = self.now;
        with_storage!(self, write, collection, false, |tx, scope, spec| async {
            if !expected.is_empty() {
                let ids: Vec<&str> = expected.iter().map(|(_, id, _)| *id).collect();
                let stored = store::versions(tx, &scope, spec, &ids).await?;
                for (i, id, version) in &expected {
                    let actual = stored.get(*id).copied().unwrap_or(0);
                    if actual != *version {
                        return Err(store::StorageError::ConflictAt {
                            field: format!("docs[{i}]"),
                            message: format!(
                                "document `{id}` is at version {actual}, not {version}: it changed since it was read"
                            ),
                        });
                    }
                }
            }
            store::put_many(tx, &scope, spec, resolved, now).await
        })
    }

    async fn delete(&mut self, collection: String, id: String) -> HostResult<bool> {
        with_storage!(self, write, collection, false, |tx, scope, spec| async {
            store::delete(tx, &scope, spec, &id).await
        })
    }

    async fn query(&mut self, q: storage::QueryRequest) -> HostResult<storage::DocumentPage> {
        let query = store::Query {
            conditions: to_conditions(q.conditions),
            order: q.order.map(|o| store::Order {
                field: o.field,
                descending: o.descending,
            }),
            limit: q.limit,
            cursor: q.cursor,
        };
        let page: HostResult<storage::DocumentPage> = with_storage!(
            self,
            read,
            q.collection,
            q.include_ancestors,
            |tx, scope, spec| async {
                store::query(tx, &scope, spec, query)
                    .await
                    .map(|page| storage::DocumentPage {
                        documents: page.documents.into_iter().map(to_wit_document).collect(),
                        next_cursor: page.next_cursor,
                    })
            }
        );
        let page = page?;
        if let Ok(page) = &page {
            self.note_read(
                &q.collection,
                page.documents.iter().map(|d| (d.id.as_str(), d.version)),
            );
        }
        Ok(page)
    }

    async fn aggregate(&mut self, a: storage::AggregateRequest) -> HostResult<Vec<storage::Group>> {
        let aggregate = store::Aggregate {
            conditions: to_conditions(a.conditions),
            group_by: a.group_by,
            sum_of: a.sum_of,
        };
        with_storage!(
            self,
            read,
            a.collection,
            a.include_ancestors,
            |tx, scope, spec| async {
                store::aggregate(tx, &scope, spec, aggregate)
                    .await
                    .map(|groups| {
                        groups
                            .into_iter()
                            .map(|g| storage::Group {
                                key: from_value(g.key),
                                count: g.count,
                                sum: g.sum,
                            })
                            .collect()
                    })
            }
        )
    }
}

impl context::Host for CallState {
    async fn caller(&mut self) -> wasmtime::Result<Option<context::CallerInfo>> {
        Ok(self.context.caller.as_ref().map(|c| context::CallerInfo {
            person_id: c.person_id.clone(),
            display_name: c.display_name.clone(),
            roles: c
                .roles
                .iter()
                .map(|r| context::Role {
                    name: r.name.clone(),
                    community: r.community.clone(),
                    organization: r.organization.clone(),
                })
                .collect(),
        }))
    }

    async fn community(&mut self) -> wasmtime::Result<String> {
        Ok(self.context.community.clone())
    }

    async fn trigger(&mut self) -> wasmtime::Result<context::CallTrigger> {
        Ok(self.context.trigger)
    }

    async fn locale(&mut self) -> wasmtime::Result<String> {
        Ok(self.context.locale.clone())
    }

    async fn now(&mut self) -> wasmtime::Result<i64> {
        Ok(self.now)
    }

    async fn timezone(&mut self) -> wasmtime::Result<String> {
        Ok(self.shared.instance.timezone.clone())
    }

    async fn utc_offset_minutes(&mut self) -> wasmtime::Result<i32> {
        Ok(self.shared.instance.utc_offset_minutes)
    }

    async fn today(&mut self) -> wasmtime::Result<types::Date> {
        use chrono::Datelike as _;
        let local = self.now + i64::from(self.shared.instance.utc_offset_minutes) * 60_000;
        let day = chrono::DateTime::from_timestamp_millis(local)
            .unwrap_or_default()
            .date_naive();
        Ok(types::Date {
            year: day.year(),
            month: day.month() as u8,
            day: day.day() as u8,
        })
    }

    async fn has_role(&mut self, role: String) -> wasmtime::Result<bool> {
        let Some(caller) = &self.context.caller else {
            return Ok(false);
        };
        let tree = self.shared.communities();
        Ok(caller.roles.iter().any(|r| {
            r.name == role
                && r.community
                    .as_deref()
                    .is_none_or(|held| tree.is_within(&self.context.community, held))
        }))
    }
}

impl settings::Host for CallState {
    async fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.plugin.settings_json.clone())
    }
}

impl log::Host for CallState {
    async fn write(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let plugin = self.plugin.id();
        let community = self.context.community.as_str();
        let message: String = message.chars().take(4096).collect();
        match level {
            log::Level::Debug => tracing::debug!(plugin, community, "{message}"),
            log::Level::Info => tracing::info!(plugin, community, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, community, "{message}"),
            log::Level::Error => tracing::error!(plugin, community, "{message}"),
        }
        Ok(())
    }
}

impl CallState {
    /// Check one event to emit and queue it for the end of the call; `at` prefixes the fields
    /// its errors name (`events[2].`).
    fn queue_event(
        &mut self,
        kind: String,
        community: String,
        payload: String,
        at: &str,
    ) -> Result<String, Error> {
        if !self.plugin.effective.emits.contains(&kind) {
            return Err(self.deny(CapabilityKind::Emit, &kind));
        }
        self.community_in_scope(&community, &format!("{at}community"))?;
        match serde_json::from_str::<serde_json::Value>(&payload) {
            Ok(serde_json::Value::Object(_)) => {}
            _ => {
                return Err(error(
                    ErrorCode::Invalid,
                    "the payload must be a JSON object",
                    Some(&format!("{at}payload")),
                ));
            }
        }
        let subscribers = {
            let subs = self
                .shared
                .subscriptions
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            subs.subscribers(&kind, &community, &self.shared.communities())
        };
        let event = crate::events::NewEvent {
            kind,
            source: self.plugin.id().to_owned(),
            community,
            actor: self.context.caller.as_ref().map(|c| c.person_id.clone()),
            occurred: self.now,
            payload,
        };
        let id = crate::events::new_id(self.now);
        self.pending_events.push(crate::events::PendingEvent {
            id: id.clone(),
            event,
            subscribers,
        });
        self.emitted_events += 1;
        Ok(id)
    }
}

impl events::Host for CallState {
    async fn emit(
        &mut self,
        kind: String,
        community: String,
        payload: String,
    ) -> HostResult<String> {
        let id = match self.queue_event(kind, community, payload, "") {
            Ok(id) => id,
            Err(e) => return Ok(Err(e)),
        };
        // The call's transaction begins now, so the events are written in it at the end (one
        // statement for many events, instead of one per event).
        if let Err(db) = self.tx().await {
            return Ok(Err(self.host_failed("events", db)));
        }
        Ok(Ok(id))
    }

    async fn emit_many(&mut self, list: Vec<events::NewEvent>) -> HostResult<Vec<String>> {
        if list.len() > 100_000 {
            return Ok(Err(error(
                ErrorCode::Limited,
                "at most 100 000 events per call",
                Some("events"),
            )));
        }
        let queued_before = self.pending_events.len();
        let mut ids = Vec::with_capacity(list.len());
        for (i, event) in list.into_iter().enumerate() {
            match self.queue_event(
                event.kind,
                event.community,
                event.payload,
                &format!("events[{i}]."),
            ) {
                Ok(id) => ids.push(id),
                Err(e) => {
                    // All or none.
                    self.emitted_events -= self.pending_events.len() - queued_before;
                    self.pending_events.truncate(queued_before);
                    return Ok(Err(e));
                }
            }
        }
        if let Err(db) = self.tx().await {
            return Ok(Err(self.host_failed("events", db)));
        }
        Ok(Ok(ids))
    }
}

impl notifications::Host for CallState {
    async fn notify(
        &mut self,
        recipients: Vec<String>,
        message: notifications::Message,
    ) -> HostResult<()> {
        if !self.plugin.effective.notifications {
            return Ok(Err(self.deny(CapabilityKind::Notifications, "notify")));
        }
        if recipients.len() > 10_000 {
            return Ok(Err(error(
                ErrorCode::Limited,
                "at most 10 000 recipients per call",
                Some("recipients"),
            )));
        }
        let note = crate::inbox::NewNotification::from_wit(
            self.plugin.id(),
            &self.context.community,
            message,
        );
        let now = self.now;
        let result = {
            let tx = self.tx().await?;
            crate::inbox::deliver(tx, &recipients, &note, now).await
        };
        match result {
            Ok(_) => Ok(Ok(())),
            Err(db) => Ok(Err(self.host_failed("notifications", db))),
        }
    }

    async fn notify_community(
        &mut self,
        community: String,
        role: String,
        message: notifications::Message,
    ) -> HostResult<u32> {
        if !self.plugin.effective.notifications {
            return Ok(Err(self.deny(CapabilityKind::Notifications, "notify")));
        }
        let path = match self.community_in_scope(&community, "community") {
            Ok(path) => path,
            Err(e) => return Ok(Err(e)),
        };
        let note = crate::inbox::NewNotification::from_wit(
            self.plugin.id(),
            &self.context.community,
            message,
        );
        let now = self.now;
        let result = {
            let tx = self.tx().await?;
            match crate::inbox::people_with_role_below(tx, &path, &role).await {
                Ok(people) => crate::inbox::deliver(tx, &people, &note, now).await,
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(count) => Ok(Ok(count)),
            Err(db) => Ok(Err(self.host_failed("notifications", db))),
        }
    }
}

impl outbound_http::Host for CallState {
    async fn send(&mut self, req: outbound_http::Request) -> HostResult<outbound_http::Response> {
        let url = match reqwest::Url::parse(&req.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => {
                return Ok(Err(error(
                    ErrorCode::Invalid,
                    "an absolute http or https URL is required",
                    Some("url"),
                )));
            }
        };
        if !self.plugin.effective.allows_url(&url) {
            let host = match url.port_or_known_default() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_owned(),
            };
            return Ok(Err(self.deny(CapabilityKind::OutboundHost, &host)));
        }
        let method = match reqwest::Method::from_bytes(req.method.as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                return Ok(Err(error(
                    ErrorCode::Invalid,
                    "unknown HTTP method",
                    Some("method"),
                )));
            }
        };
        let cap = self.plugin.limits.deadline;
        let timeout = std::time::Duration::from_millis(u64::from(req.timeout_ms.max(1))).min(cap);
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut builder = self
            .shared
            .http
            .request(method, url)
            .timeout(timeout)
            .body(req.body);
        for (name, value) in req.headers {
            builder = builder.header(name, value);
        }
        self.reached_out = true;
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => return Ok(Err(outbound_failure(&host, timeout, &e))),
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_owned())))
            .collect();
        const MAX_BODY: usize = 8 * 1024 * 1024;
        let mut body = Vec::new();
        let mut response = response;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY {
                        return Ok(Err(error(
                            ErrorCode::Limited,
                            "the response is larger than 8 MiB",
                            None,
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Ok(Err(outbound_failure(&host, timeout, &e))),
            }
        }
        Ok(Ok(outbound_http::Response {
            status,
            headers,
            body,
        }))
    }
}

impl files::Host for CallState {
    async fn store(
        &mut self,
        community: String,
        name: String,
        content_type: String,
        bytes: Vec<u8>,
    ) -> HostResult<files::FileInfo> {
        if !self.plugin.effective.files {
            return Ok(Err(self.deny(CapabilityKind::Files, "store")));
        }
        let path = match self.community_in_scope(&community, "community") {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = crate::files::validate(&name, &content_type, bytes.len()) {
            return Ok(Err(e));
        }
        let plugin = self.plugin.id().to_owned();
        let now = self.now;
        let result = {
            let tx = self.tx().await?;
            crate::files::store(
                tx,
                &plugin,
                &community,
                &path,
                &name,
                &content_type,
                bytes,
                now,
            )
            .await
        };
        match result {
            Ok(info) => Ok(Ok(info)),
            Err(db) => Ok(Err(self.host_failed("files", db))),
        }
    }

    async fn info(&mut self, id: String) -> HostResult<Option<files::FileInfo>> {
        Ok(with_files!(self, read, "info", |tx, plugin, path| {
            crate::files::info(tx, &plugin, &path, &id)
        }))
    }

    async fn read(&mut self, id: String) -> HostResult<Vec<u8>> {
        let found = with_files!(self, read, "read", |tx, plugin, path| {
            crate::files::read(tx, &plugin, &path, &id)
        });
        Ok(found.and_then(|bytes| {
            bytes.ok_or_else(|| error(ErrorCode::NotFound, format!("no file `{id}`"), Some("id")))
        }))
    }

    async fn delete(&mut self, id: String) -> HostResult<bool> {
        Ok(with_files!(self, write, "delete", |tx, plugin, path| {
            crate::files::delete(tx, &plugin, &path, &id)
        }))
    }

    async fn link(&mut self, id: String, ttl_seconds: u32) -> HostResult<String> {
        const WEEK_S: u32 = 7 * 24 * 3600;
        if ttl_seconds == 0 || ttl_seconds > WEEK_S {
            return Ok(Err(error(
                ErrorCode::Invalid,
                "a link lives from 1 second to a week (604 800 seconds)",
                Some("ttl-seconds"),
            )));
        }
        let found = with_files!(self, read, "link", |tx, plugin, path| {
            crate::files::info(tx, &plugin, &path, &id)
        });
        match found {
            Ok(Some(info)) => {
                let viewer = self.context.caller.as_ref().map(|c| c.person_id.clone());
                let expires = self.now + i64::from(ttl_seconds) * 1000;
                Ok(Ok(crate::files::download_path(
                    &self.shared,
                    self.plugin.id(),
                    &self.context.community,
                    &info.id,
                    viewer.as_deref(),
                    expires,
                )))
            }
            Ok(None) => Ok(Err(error(
                ErrorCode::NotFound,
                format!("no file `{id}`"),
                Some("id"),
            ))),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl live::Host for CallState {
    async fn publish(&mut self, community: String, update: live::Update) -> HostResult<()> {
        if !self.plugin.effective.live {
            return Ok(Err(self.deny(CapabilityKind::Live, "publish")));
        }
        if let Err(e) = self.community_in_scope(&community, "community") {
            return Ok(Err(e));
        }
        let pending = match crate::live::PendingUpdate::check(self.plugin.id(), &community, update)
        {
            Ok(pending) => pending,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(db) = self.tx().await {
            return Ok(Err(self.host_failed("live", db)));
        }
        self.pending_live.push(pending);
        Ok(Ok(()))
    }
}

impl jobs::Host for CallState {
    async fn request(&mut self, name: String, args: String) -> HostResult<String> {
        let declared = self.plugin.manifest.schedules.iter().any(|s| s.job == name);
        if !declared || !self.plugin.effective.schedules.contains(&name) {
            return Ok(Err(self.deny(CapabilityKind::Schedule, &name)));
        }
        match serde_json::from_str::<serde_json::Value>(&args) {
            Ok(serde_json::Value::Object(_)) => {}
            _ => {
                return Ok(Err(error(
                    ErrorCode::Invalid,
                    "the arguments must be a JSON object",
                    Some("args"),
                )));
            }
        }
        let run = crate::scheduler::RequestedRun {
            id: crate::events::new_id(self.now),
            plugin: self.plugin.id().to_owned(),
            job: name,
            community: self.context.community.clone(),
            requested_by: self.context.caller.as_ref().map(|c| c.person_id.clone()),
            args,
        };
        let now = self.now;
        let result = {
            let tx = self.tx().await?;
            crate::scheduler::queue_run(tx, &run, now).await
        };
        match result {
            Ok(()) => {
                self.requested_runs += 1;
                Ok(Ok(run.id))
            }
            Err(db) => Ok(Err(self.host_failed("jobs", db))),
        }
    }
}

/// An outbound request that got no usable answer, in words that say why: it timed out, or the
/// connection failed.
fn outbound_failure(host: &str, timeout: std::time::Duration, failure: &reqwest::Error) -> Error {
    let message = if failure.is_timeout() {
        format!(
            "the request to {host} timed out after {} ms",
            timeout.as_millis()
        )
    } else if failure.is_connect() {
        format!("could not connect to {host}")
    } else {
        format!("the request to {host} failed: {failure}")
    };
    error(ErrorCode::Unavailable, message, None)
}

fn to_community_info(c: &crate::communities::Community) -> directory::CommunityInfo {
    directory::CommunityInfo {
        id: c.id.clone(),
        name: c.name.clone(),
        kind: c.kind.clone(),
        parent: c.parent.clone(),
        address: c.address.clone(),
    }
}

impl CallState {
    /// The communities of a list that lie inside the call's scope, as the contract shows them.
    fn visible(&self, list: Vec<&crate::communities::Community>) -> Vec<directory::CommunityInfo> {
        list.into_iter()
            .filter(|c| c.path.starts_with(&self.community_path))
            .map(to_community_info)
            .collect()
    }
}

impl directory::Host for CallState {
    async fn get_community(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Option<directory::CommunityInfo>> {
        let tree = self.shared.communities();
        Ok(tree
            .get(&id)
            .filter(|c| c.path.starts_with(&self.community_path))
            .map(to_community_info))
    }

    async fn ancestors(&mut self) -> wasmtime::Result<Vec<directory::CommunityInfo>> {
        let tree = self.shared.communities();
        let mut chain: Vec<directory::CommunityInfo> = tree
            .ancestors(&self.context.community)
            .into_iter()
            .filter(|c| c.id != self.context.community)
            .map(to_community_info)
            .collect();
        chain.reverse();
        Ok(chain)
    }

    async fn children(
        &mut self,
        id: String,
        kind: Option<String>,
    ) -> wasmtime::Result<Vec<directory::CommunityInfo>> {
        let tree = self.shared.communities();
        Ok(self.visible(tree.children(&id, kind.as_deref())))
    }

    async fn descendants(
        &mut self,
        id: String,
        kind: Option<String>,
    ) -> wasmtime::Result<Vec<directory::CommunityInfo>> {
        let tree = self.shared.communities();
        Ok(self.visible(tree.descendants(&id, kind.as_deref())))
    }

    async fn units(&mut self, community: String) -> wasmtime::Result<Vec<directory::Unit>> {
        if self.community_in_scope(&community, "community").is_err() {
            return Ok(Vec::new());
        }
        let tx = self.reader().await?;
        Ok(crate::directory::units(tx, &community).await?)
    }

    async fn owners(&mut self, unit_id: String) -> wasmtime::Result<Vec<directory::Ownership>> {
        let path = self.community_path.clone();
        let tx = self.reader().await?;
        Ok(crate::directory::owners(tx, &path, &unit_id).await?)
    }

    async fn units_of(&mut self, person_id: String) -> wasmtime::Result<Vec<directory::Unit>> {
        let path = self.community_path.clone();
        let tx = self.reader().await?;
        Ok(crate::directory::units_of(tx, &path, &person_id).await?)
    }

    async fn get_person(&mut self, id: String) -> wasmtime::Result<Option<directory::PersonInfo>> {
        let path = self.community_path.clone();
        let handles_cases = self.context.caller.as_ref().is_some_and(|c| {
            c.roles.iter().any(|r| {
                matches!(
                    r.name.as_str(),
                    "operator" | "executor" | "moderator" | "official" | "chairman" | "admin"
                )
            })
        });
        let tx = self.reader().await?;
        Ok(crate::directory::person(tx, &path, &id, handles_cases).await?)
    }

    async fn people_with_role(
        &mut self,
        community: String,
        role: String,
        organization: Option<String>,
    ) -> wasmtime::Result<Vec<String>> {
        let tree = self.shared.communities();
        if !tree
            .get(&community)
            .is_some_and(|c| c.path.starts_with(&self.community_path))
        {
            return Ok(Vec::new());
        }
        let above: Vec<String> = tree
            .ancestors(&community)
            .into_iter()
            .map(|c| c.id.clone())
            .collect();
        drop(tree);
        let tx = self.reader().await?;
        Ok(
            crate::directory::people_with_role_at(tx, &above, &role, organization.as_deref())
                .await?,
        )
    }

    async fn organizations(
        &mut self,
        community: String,
        kind: Option<String>,
    ) -> wasmtime::Result<Vec<directory::OrganizationInfo>> {
        let tree = self.shared.communities();
        if !tree
            .get(&community)
            .is_some_and(|c| c.path.starts_with(&self.community_path))
        {
            return Ok(Vec::new());
        }
        let above: Vec<String> = tree
            .ancestors(&community)
            .into_iter()
            .map(|c| c.id.clone())
            .collect();
        drop(tree);
        let tx = self.reader().await?;
        Ok(crate::directory::organizations_serving(tx, &above, kind.as_deref()).await?)
    }
}
