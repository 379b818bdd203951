//! Plugins built against contract 0.1.0, run on the 0.2.0 host logic.
//!
//! Imports: every 0.1.0 host function is implemented here by converting its arguments to the
//! 0.2.0 types, calling the one implementation of the latest contract (`host.rs`), and
//! converting the answer back. Nothing here touches storage, events or files itself, so the two
//! versions cannot drift apart.
//!
//! Exports: a 0.1.0 plugin is called through its own bindings, with the invocation converted
//! down (typed form values become the strings 0.1.0 promised), and what it answers is converted
//! up (tuples become records). What 0.1.0 has no export for is answered here: it has no
//! summaries and no live channels.

use wasmtime::Store;

use super::bindings::v0_1_0 as old;
use super::latest as new;
use super::state::CallState;
use super::{Invocation, Outcome};
use new::dvor::plugin as n;
use old::dvor::plugin as o;

type OldResult<T> = wasmtime::Result<Result<T, o::types::Error>>;

fn code_down(code: n::types::ErrorCode) -> o::types::ErrorCode {
    use n::types::ErrorCode as N;
    use o::types::ErrorCode as O;
    match code {
        N::Invalid => O::Invalid,
        N::Unauthenticated => O::Unauthenticated,
        N::Forbidden => O::Forbidden,
        N::NotFound => O::NotFound,
        N::Conflict => O::Conflict,
        N::Limited => O::Limited,
        N::Unavailable => O::Unavailable,
        N::Internal => O::Internal,
    }
}

fn code_up(code: o::types::ErrorCode) -> n::types::ErrorCode {
    use n::types::ErrorCode as N;
    use o::types::ErrorCode as O;
    match code {
        O::Invalid => N::Invalid,
        O::Unauthenticated => N::Unauthenticated,
        O::Forbidden => N::Forbidden,
        O::NotFound => N::NotFound,
        O::Conflict => N::Conflict,
        O::Limited => N::Limited,
        O::Unavailable => N::Unavailable,
        O::Internal => N::Internal,
    }
}

fn err_down(e: n::types::Error) -> o::types::Error {
    o::types::Error {
        code: code_down(e.code),
        message: e.message,
        field: e.field,
    }
}

fn err_up(e: o::types::Error) -> n::types::Error {
    n::types::Error {
        code: code_up(e.code),
        message: e.message,
        field: e.field,
    }
}

/// A 0.2.0 host answer as the 0.1.0 plugin expects it.
fn down<T, U>(
    answer: wasmtime::Result<Result<T, n::types::Error>>,
    convert: impl FnOnce(T) -> U,
) -> OldResult<U> {
    Ok(answer?.map(convert).map_err(err_down))
}

impl o::types::Host for CallState {}
impl o::ui::Host for CallState {}

impl o::context::Host for CallState {
    async fn caller(&mut self) -> wasmtime::Result<Option<o::context::CallerInfo>> {
        Ok(n::context::Host::caller(self)
            .await?
            .map(|c| o::context::CallerInfo {
                person_id: c.person_id,
                display_name: c.display_name,
                roles: c
                    .roles
                    .into_iter()
                    .map(|r| o::context::Role {
                        name: r.name,
                        community: r.community,
                        organization: r.organization,
                    })
                    .collect(),
            }))
    }

    async fn community(&mut self) -> wasmtime::Result<String> {
        n::context::Host::community(self).await
    }

    async fn trigger(&mut self) -> wasmtime::Result<o::context::CallTrigger> {
        use n::context::CallTrigger as N;
        use o::context::CallTrigger as O;
        Ok(match n::context::Host::trigger(self).await? {
            N::Api => O::Api,
            // 0.1.0 plugins are never asked for summaries or subscriptions (see
            // `run_v0_1`), so these two cannot be seen; the nearest is a page.
            N::Ui | N::Summary | N::Subscription => O::Ui,
            N::Event => O::Event,
            N::Schedule => O::Schedule,
        })
    }

    async fn locale(&mut self) -> wasmtime::Result<String> {
        n::context::Host::locale(self).await
    }

    async fn now(&mut self) -> wasmtime::Result<i64> {
        n::context::Host::now(self).await
    }

    async fn timezone(&mut self) -> wasmtime::Result<String> {
        n::context::Host::timezone(self).await
    }

    async fn has_role(&mut self, role: String) -> wasmtime::Result<bool> {
        n::context::Host::has_role(self, role).await
    }
}

fn community_down(c: n::directory::CommunityInfo) -> o::directory::CommunityInfo {
    o::directory::CommunityInfo {
        id: c.id,
        name: c.name,
        kind: c.kind,
        parent: c.parent,
        address: c.address,
    }
}

fn unit_down(u: n::directory::Unit) -> o::directory::Unit {
    o::directory::Unit {
        id: u.id,
        community: u.community,
        number: u.number,
        kind: u.kind,
        area_centi_m2: u.area_centi_m2,
        cadastral_number: u.cadastral_number,
    }
}

impl o::directory::Host for CallState {
    async fn get_community(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Option<o::directory::CommunityInfo>> {
        Ok(n::directory::Host::get_community(self, id)
            .await?
            .map(community_down))
    }

    async fn children(
        &mut self,
        id: String,
        kind: Option<String>,
    ) -> wasmtime::Result<Vec<o::directory::CommunityInfo>> {
        Ok(n::directory::Host::children(self, id, kind)
            .await?
            .into_iter()
            .map(community_down)
            .collect())
    }

    async fn descendants(
        &mut self,
        id: String,
        kind: Option<String>,
    ) -> wasmtime::Result<Vec<o::directory::CommunityInfo>> {
        Ok(n::directory::Host::descendants(self, id, kind)
            .await?
            .into_iter()
            .map(community_down)
            .collect())
    }

    async fn units(&mut self, community: String) -> wasmtime::Result<Vec<o::directory::Unit>> {
        Ok(n::directory::Host::units(self, community)
            .await?
            .into_iter()
            .map(unit_down)
            .collect())
    }

    async fn owners(&mut self, unit_id: String) -> wasmtime::Result<Vec<o::directory::Ownership>> {
        Ok(n::directory::Host::owners(self, unit_id)
            .await?
            .into_iter()
            .map(|w| o::directory::Ownership {
                person_id: w.person_id,
                unit_id: w.unit_id,
                share_numerator: w.share_numerator,
                share_denominator: w.share_denominator,
                verified: w.verified,
            })
            .collect())
    }

    async fn units_of(&mut self, person_id: String) -> wasmtime::Result<Vec<o::directory::Unit>> {
        Ok(n::directory::Host::units_of(self, person_id)
            .await?
            .into_iter()
            .map(unit_down)
            .collect())
    }

    async fn get_person(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Option<o::directory::PersonInfo>> {
        Ok(n::directory::Host::get_person(self, id)
            .await?
            .map(|p| o::directory::PersonInfo {
                id: p.id,
                display_name: p.display_name,
                phone: p.phone,
            }))
    }

    async fn people_with_role(
        &mut self,
        community: String,
        role: String,
    ) -> wasmtime::Result<Vec<String>> {
        n::directory::Host::people_with_role(self, community, role, None).await
    }
}

fn value_up(v: o::storage::Value) -> n::storage::Value {
    match v {
        o::storage::Value::Null => n::storage::Value::Null,
        o::storage::Value::Boolean(b) => n::storage::Value::Boolean(b),
        o::storage::Value::Integer(i) => n::storage::Value::Integer(i),
        o::storage::Value::Text(t) => n::storage::Value::Text(t),
    }
}

fn value_down(v: n::storage::Value) -> o::storage::Value {
    match v {
        n::storage::Value::Null => o::storage::Value::Null,
        n::storage::Value::Boolean(b) => o::storage::Value::Boolean(b),
        n::storage::Value::Integer(i) => o::storage::Value::Integer(i),
        n::storage::Value::Text(t) => o::storage::Value::Text(t),
    }
}

fn conditions_up(conditions: Vec<o::storage::Condition>) -> Vec<n::storage::Condition> {
    use n::storage::Compare as N;
    use o::storage::Compare as O;
    conditions
        .into_iter()
        .map(|c| n::storage::Condition {
            field: c.field,
            op: match c.op {
                O::Eq => N::Eq,
                O::Ne => N::Ne,
                O::Lt => N::Lt,
                O::Le => N::Le,
                O::Gt => N::Gt,
                O::Ge => N::Ge,
                O::Prefix => N::Prefix,
            },
            value: value_up(c.value),
        })
        .collect()
}

fn document_down(d: n::storage::Document) -> o::storage::Document {
    o::storage::Document {
        id: d.id,
        community: d.community,
        data: d.data,
        version: d.version,
        created: d.created,
        updated: d.updated,
    }
}

fn write_up(w: o::storage::Write, expected_version: Option<u64>) -> n::storage::DocumentWrite {
    n::storage::DocumentWrite {
        id: w.id,
        community: w.community,
        data: w.data,
        expected_version,
    }
}

impl o::storage::Host for CallState {
    async fn get(
        &mut self,
        collection: String,
        id: String,
    ) -> OldResult<Option<o::storage::Document>> {
        down(
            n::storage::Host::get(self, collection, id, false).await,
            |d| d.map(document_down),
        )
    }

    async fn insert(
        &mut self,
        collection: String,
        doc: o::storage::Write,
    ) -> OldResult<o::storage::Document> {
        down(
            n::storage::Host::insert(self, collection, write_up(doc, None)).await,
            document_down,
        )
    }

    async fn put(
        &mut self,
        collection: String,
        doc: o::storage::Write,
        expected_version: Option<u64>,
    ) -> OldResult<o::storage::Document> {
        down(
            n::storage::Host::put(self, collection, write_up(doc, expected_version)).await,
            document_down,
        )
    }

    async fn put_many(
        &mut self,
        collection: String,
        docs: Vec<o::storage::Write>,
    ) -> OldResult<u32> {
        let docs = docs.into_iter().map(|d| write_up(d, None)).collect();
        down(
            n::storage::Host::put_many(self, collection, docs).await,
            |n| n,
        )
    }

    async fn delete(&mut self, collection: String, id: String) -> OldResult<bool> {
        down(n::storage::Host::delete(self, collection, id).await, |b| b)
    }

    async fn query(&mut self, q: o::storage::QueryRequest) -> OldResult<o::storage::Page> {
        let q = n::storage::QueryRequest {
            collection: q.collection,
            conditions: conditions_up(q.conditions),
            order: q.order.map(|o| n::storage::Order {
                field: o.field,
                descending: o.descending,
            }),
            limit: q.limit,
            cursor: q.cursor,
            include_ancestors: false,
        };
        down(n::storage::Host::query(self, q).await, |page| {
            o::storage::Page {
                documents: page.documents.into_iter().map(document_down).collect(),
                next_cursor: page.next_cursor,
            }
        })
    }

    async fn aggregate(
        &mut self,
        a: o::storage::AggregateRequest,
    ) -> OldResult<Vec<o::storage::Group>> {
        let a = n::storage::AggregateRequest {
            collection: a.collection,
            conditions: conditions_up(a.conditions),
            group_by: a.group_by,
            sum_of: a.sum_of,
            include_ancestors: false,
        };
        down(n::storage::Host::aggregate(self, a).await, |groups| {
            groups
                .into_iter()
                .map(|g| o::storage::Group {
                    key: value_down(g.key),
                    count: g.count,
                    sum: g.sum,
                })
                .collect()
        })
    }
}

impl o::events::Host for CallState {
    async fn emit(
        &mut self,
        kind: String,
        community: String,
        payload: String,
    ) -> OldResult<String> {
        down(
            n::events::Host::emit(self, kind, community, payload).await,
            |id| id,
        )
    }
}

fn localized_up(l: o::types::Localized) -> n::types::Localized {
    n::types::Localized { ru: l.ru, en: l.en }
}

fn message_up(m: o::notifications::Message) -> n::notifications::Message {
    n::notifications::Message {
        title: localized_up(m.title),
        body: localized_up(m.body),
        link: m.link,
        urgency: match m.urgency {
            o::notifications::Urgency::Low => n::notifications::Urgency::Low,
            o::notifications::Urgency::Normal => n::notifications::Urgency::Normal,
            o::notifications::Urgency::High => n::notifications::Urgency::High,
        },
    }
}

impl o::notifications::Host for CallState {
    async fn notify(
        &mut self,
        recipients: Vec<String>,
        message: o::notifications::Message,
    ) -> OldResult<()> {
        down(
            n::notifications::Host::notify(self, recipients, message_up(message)).await,
            |()| (),
        )
    }

    async fn notify_community(
        &mut self,
        community: String,
        role: String,
        message: o::notifications::Message,
    ) -> OldResult<u32> {
        down(
            n::notifications::Host::notify_community(self, community, role, message_up(message))
                .await,
            |count| count,
        )
    }
}

impl o::outbound_http::Host for CallState {
    async fn send(
        &mut self,
        req: o::outbound_http::Request,
    ) -> OldResult<o::outbound_http::Response> {
        let req = n::outbound_http::Request {
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: req.body,
            timeout_ms: req.timeout_ms,
        };
        down(n::outbound_http::Host::send(self, req).await, |r| {
            o::outbound_http::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }
        })
    }
}

fn file_down(f: n::files::FileInfo) -> o::files::FileInfo {
    o::files::FileInfo {
        id: f.id,
        name: f.name,
        content_type: f.content_type,
        size: f.size,
        community: f.community,
        created: f.created,
    }
}

impl o::files::Host for CallState {
    async fn store(
        &mut self,
        community: String,
        name: String,
        content_type: String,
        bytes: Vec<u8>,
    ) -> OldResult<o::files::FileInfo> {
        down(
            n::files::Host::store(self, community, name, content_type, bytes).await,
            file_down,
        )
    }

    async fn info(&mut self, id: String) -> OldResult<Option<o::files::FileInfo>> {
        down(n::files::Host::info(self, id).await, |f| f.map(file_down))
    }

    async fn read(&mut self, id: String) -> OldResult<Vec<u8>> {
        down(n::files::Host::read(self, id).await, |bytes| bytes)
    }

    async fn delete(&mut self, id: String) -> OldResult<bool> {
        down(n::files::Host::delete(self, id).await, |b| b)
    }
}

impl o::settings::Host for CallState {
    async fn get(&mut self) -> wasmtime::Result<String> {
        n::settings::Host::get(self).await
    }
}

impl o::log::Host for CallState {
    async fn write(&mut self, level: o::log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            o::log::Level::Debug => n::log::Level::Debug,
            o::log::Level::Info => n::log::Level::Info,
            o::log::Level::Warn => n::log::Level::Warn,
            o::log::Level::Error => n::log::Level::Error,
        };
        n::log::Host::write(self, level, message).await
    }
}

/// Typed form values as 0.1.0 promised them: strings, kopecks as digits, days as `YYYY-MM-DD`,
/// decimals with a point, locations as `lat,lon`, multi-selects as repeated names, a ticked
/// checkbox as `true` and an unticked one absent.
pub(crate) fn form_down(form: Vec<n::ui::FormEntry>) -> Vec<(String, String)> {
    use n::ui::FieldValue as V;
    let mut pairs = Vec::with_capacity(form.len());
    for entry in form {
        let value = match entry.value {
            V::None => String::new(),
            V::Text(text) | V::Choice(text) | V::File(text) => text,
            V::Number(d) => decimal_text(d.value, d.scale),
            V::Money(kopecks) => kopecks.to_string(),
            V::Day(d) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
            V::Choices(values) => {
                pairs.extend(values.into_iter().map(|v| (entry.name.clone(), v)));
                continue;
            }
            V::Flag(true) => "true".into(),
            V::Flag(false) => continue,
            V::Point(p) => format!("{},{}", p.lat, p.lon),
        };
        pairs.push((entry.name, value));
    }
    pairs
}

/// `value × 10^-scale` written with a point: 543, 1 → `54.3`.
fn decimal_text(value: i64, scale: u8) -> String {
    if scale == 0 {
        return value.to_string();
    }
    let digits = value.unsigned_abs().to_string();
    let scale = usize::from(scale);
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{int}.{frac}", if value < 0 { "-" } else { "" })
}

fn tone_up(t: o::ui::Tone) -> n::ui::Tone {
    match t {
        o::ui::Tone::Neutral => n::ui::Tone::Neutral,
        o::ui::Tone::Info => n::ui::Tone::Info,
        o::ui::Tone::Success => n::ui::Tone::Success,
        o::ui::Tone::Warning => n::ui::Tone::Warning,
        o::ui::Tone::Danger => n::ui::Tone::Danger,
    }
}

fn link_up(l: o::ui::Link) -> n::ui::Link {
    n::ui::Link {
        label: l.label,
        route: l.route,
        query: l.query,
    }
}

fn button_up(b: o::ui::Button) -> n::ui::Button {
    n::ui::Button {
        label: b.label,
        action: b.action,
        args: b.args,
        confirm: b.confirm,
        // 0.1.0 plugins marked their main action with the `info` tone.
        primary: matches!(b.tone, o::ui::Tone::Info),
        tone: tone_up(b.tone),
    }
}

fn badge_up(b: o::ui::Badge) -> n::ui::Badge {
    n::ui::Badge {
        label: b.label,
        tone: tone_up(b.tone),
    }
}

fn cell_up(c: o::ui::Cell) -> n::ui::Cell {
    use n::ui::Cell as N;
    use o::ui::Cell as O;
    match c {
        O::Text(t) => N::Text(t),
        O::Integer(i) => N::Integer(i),
        O::Decimal((value, scale)) => N::Decimal(n::types::Decimal { value, scale }),
        O::Money(k) => N::Money(k),
        O::Date(t) => N::Date(t),
        O::Datetime(t) => N::Datetime(t),
        O::Badge(b) => N::Badge(badge_up(b)),
        O::Link(l) => N::Link(link_up(l)),
        O::Empty => N::Empty,
    }
}

fn choices_up(choices: Vec<o::ui::Choice>) -> Vec<n::ui::Choice> {
    choices
        .into_iter()
        .map(|c| n::ui::Choice {
            value: c.value,
            label: c.label,
        })
        .collect()
}

fn kind_up(k: o::ui::FieldKind) -> n::ui::FieldKind {
    use n::ui::FieldKind as N;
    use o::ui::FieldKind as O;
    match k {
        O::Text(max) => N::Text(max),
        O::Multiline(max) => N::Multiline(max),
        O::Phone => N::Phone,
        O::Email => N::Email,
        O::Number(scale) => N::Number(scale),
        O::Money => N::Money,
        O::Date => N::Date,
        O::Select(c) => N::Select(choices_up(c)),
        O::MultiSelect(c) => N::MultiSelect(choices_up(c)),
        O::Checkbox => N::Checkbox,
        O::File(types) => N::File(types),
        O::Location => N::Location,
        O::Hidden => N::Hidden,
    }
}

fn form_up(f: o::ui::Form) -> n::ui::Form {
    n::ui::Form {
        action: f.action,
        fields: f
            .fields
            .into_iter()
            .map(|field| {
                let kind = kind_up(field.kind);
                n::ui::Field {
                    value: crate::web::value_of_text(&kind, field.value),
                    name: field.name,
                    label: field.label,
                    kind,
                    required: field.required,
                    help: field.help,
                    error: field.error,
                }
            })
            .collect(),
        submit: f.submit,
        confirm: f.confirm,
    }
}

fn block_up(b: o::ui::Block) -> n::ui::Block {
    use n::ui::Block as N;
    use o::ui::Block as O;
    match b {
        O::Heading(t) => N::Heading(t),
        O::Paragraph(t) => N::Paragraph(t),
        O::Notice((tone, text)) => N::Notice(n::ui::Notice {
            tone: tone_up(tone),
            text,
        }),
        O::Fields(pairs) => N::Fields(
            pairs
                .into_iter()
                .map(|kv| n::ui::KeyValue {
                    label: kv.label,
                    value: cell_up(kv.value),
                })
                .collect(),
        ),
        O::Table(t) => N::Table(n::ui::Table {
            columns: t
                .columns
                .into_iter()
                .map(|c| n::ui::Column {
                    label: c.label,
                    numeric: c.numeric,
                })
                .collect(),
            rows: t
                .rows
                .into_iter()
                .map(|r| n::ui::Row {
                    cells: r.cells.into_iter().map(cell_up).collect(),
                    actions: r.actions.into_iter().map(button_up).collect(),
                    link: r.link.map(link_up),
                    tone: tone_up(r.tone),
                })
                .collect(),
            empty_text: t.empty_text,
            next_page: t.next_page.map(link_up),
        }),
        O::Form(f) => N::Form(form_up(f)),
        O::Buttons(buttons) => N::Buttons(buttons.into_iter().map(button_up).collect()),
        O::Links(links) => N::Links(links.into_iter().map(link_up).collect()),
        O::Stats(stats) => N::Stats(
            stats
                .into_iter()
                .map(|s| n::ui::Stat {
                    label: s.label,
                    value: cell_up(s.value),
                    hint: s.hint,
                    tone: tone_up(s.tone),
                })
                .collect(),
        ),
        O::Chart(c) => N::Chart(n::ui::Chart {
            kind: match c.kind {
                o::ui::ChartKind::Bar => n::ui::ChartKind::Bar,
                o::ui::ChartKind::Line => n::ui::ChartKind::Line,
                o::ui::ChartKind::Pie => n::ui::ChartKind::Pie,
            },
            title: c.title,
            labels: c.labels,
            series: c
                .series
                .into_iter()
                .map(|s| n::ui::Series {
                    name: s.name,
                    values: s.values,
                })
                .collect(),
            format: n::ui::ValueFormat::Number,
            unit: String::new(),
        }),
        O::Markers(markers) => N::Markers(
            markers
                .into_iter()
                .map(|m| n::ui::Marker {
                    point: n::types::GeoPoint {
                        lat: m.lat,
                        lon: m.lon,
                    },
                    label: m.label,
                    link: m.link.map(link_up),
                    tone: tone_up(m.tone),
                })
                .collect(),
        ),
        O::Progress(p) => N::Progress(n::ui::Progress {
            label: p.label,
            current: p.current,
            target: p.target,
            unit: p.unit,
        }),
        O::Timeline(entries) => N::Timeline(
            entries
                .into_iter()
                .map(|e| n::ui::TimelineEntry {
                    at: e.at,
                    title: e.title,
                    note: e.note,
                    actor: e.actor,
                    tone: tone_up(e.tone),
                })
                .collect(),
        ),
        O::Badges(badges) => N::Badges(badges.into_iter().map(badge_up).collect()),
        O::Empty(e) => N::Empty(n::ui::EmptyState {
            title: e.title,
            text: e.text,
            link: e.link.map(link_up),
        }),
        // 0.1.0 attachments carry no type or size: the page shows the name alone.
        O::Attachment((file_id, name)) => N::Attachment(n::ui::Attachment {
            file_id,
            name,
            mime: String::new(),
            size: 0,
        }),
    }
}

/// A 0.1.0 page as the 0.2.0 renderer draws it.
pub(crate) fn page_up(p: o::ui::Page) -> n::ui::Page {
    n::ui::Page {
        title: p.title,
        breadcrumbs: p.breadcrumbs.into_iter().map(link_up).collect(),
        sections: p
            .sections
            .into_iter()
            .map(|s| n::ui::Section {
                title: s.title,
                blocks: s.blocks.into_iter().map(block_up).collect(),
                live: None,
            })
            .collect(),
    }
}

fn outcome_up(o: o::ui::ActionOutcome) -> n::ui::ActionOutcome {
    match o {
        o::ui::ActionOutcome::Redirect((link, notice)) => {
            n::ui::ActionOutcome::Redirect(n::ui::Redirect {
                to: link_up(link),
                notice,
            })
        }
        o::ui::ActionOutcome::Invalid(errors) => {
            n::ui::ActionOutcome::Invalid(n::ui::InvalidForm {
                errors: errors
                    .into_iter()
                    .map(|e| n::ui::FieldError {
                        field: e.field,
                        message: e.message,
                    })
                    .collect(),
                form: None,
            })
        }
        o::ui::ActionOutcome::Show(page) => n::ui::ActionOutcome::Show(page_up(page)),
    }
}

/// Call a 0.1.0 plugin's export for an invocation of the latest host.
pub(crate) async fn run_v0_1(
    store: &mut Store<CallState>,
    pre: &old::DvorPluginPre<CallState>,
    invocation: Invocation,
) -> wasmtime::Result<Result<Outcome, n::types::Error>> {
    // What 0.1.0 cannot be asked is answered without instantiating the plugin.
    match &invocation {
        Invocation::Summary(_) => return Ok(Ok(Outcome::Summary(None))),
        Invocation::Subscribe(_) => {
            return Ok(Err(n::types::Error {
                code: n::types::ErrorCode::NotFound,
                message: "this plugin has no live channels".into(),
                field: None,
            }));
        }
        _ => {}
    }
    let instance = pre.instantiate_async(&mut *store).await?;
    let guest = instance.dvor_plugin_plugin();
    let answer = match invocation {
        Invocation::Request(r) => {
            let request = old::exports::dvor::plugin::plugin::ApiRequest {
                method: r.method,
                path: r.path,
                query: r.query,
                headers: r.headers,
                body: r.body,
            };
            guest
                .call_handle_request(&mut *store, &request)
                .await?
                .map(|r| {
                    Outcome::Response(new::exports::dvor::plugin::plugin::ApiResponse {
                        status: r.status,
                        content_type: r.content_type,
                        headers: r.headers,
                        body: r.body,
                    })
                })
        }
        Invocation::RenderPage { route, query } => guest
            .call_render_page(&mut *store, &route, &query)
            .await?
            .map(|page| Outcome::Page(page_up(page))),
        Invocation::Action {
            route,
            action,
            form,
            ..
        } => guest
            .call_handle_action(&mut *store, &route, &action, &form_down(form))
            .await?
            .map(|outcome| Outcome::Action(outcome_up(outcome))),
        Invocation::Event(e) => {
            let event = o::events::Event {
                id: e.id,
                kind: e.kind,
                source: e.source,
                community: e.community,
                actor: e.actor,
                occurred: e.occurred,
                payload: e.payload,
            };
            guest
                .call_on_event(&mut *store, &event)
                .await?
                .map(|()| Outcome::EventHandled)
        }
        Invocation::Job(run) => guest
            .call_run_job(&mut *store, &run.name, run.cursor.as_deref())
            .await?
            .map(|cursor| {
                Outcome::JobStep(new::exports::dvor::plugin::plugin::JobStep {
                    cursor,
                    progress: None,
                    output: None,
                })
            }),
        Invocation::Summary(_) | Invocation::Subscribe(_) => unreachable!("answered above"),
    };
    Ok(answer.map_err(err_up))
}

#[cfg(test)]
mod tests {
    use super::*;
    use n::ui::{FieldValue as V, FormEntry};

    fn entry(name: &str, value: V) -> FormEntry {
        FormEntry {
            name: name.into(),
            value,
        }
    }

    #[test]
    fn typed_form_values_become_the_strings_0_1_promised() {
        let pairs = form_down(vec![
            entry("text", V::Text("Привет".into())),
            entry("amount", V::Money(123_450)),
            entry(
                "day",
                V::Day(n::types::Date {
                    year: 2026,
                    month: 3,
                    day: 5,
                }),
            ),
            entry(
                "area",
                V::Number(n::types::Decimal {
                    value: 543,
                    scale: 1,
                }),
            ),
            entry(
                "tiny",
                V::Number(n::types::Decimal {
                    value: -5,
                    scale: 2,
                }),
            ),
            entry("tags", V::Choices(vec!["a".into(), "b".into()])),
            entry("agree", V::Flag(true)),
            entry("spam", V::Flag(false)),
            entry(
                "where",
                V::Point(n::types::GeoPoint {
                    lat: 55.75,
                    lon: 37.62,
                }),
            ),
            entry("empty", V::None),
        ]);
        let expected: Vec<(String, String)> = [
            ("text", "Привет"),
            ("amount", "123450"),
            ("day", "2026-03-05"),
            ("area", "54.3"),
            ("tiny", "-0.05"),
            ("tags", "a"),
            ("tags", "b"),
            ("agree", "true"),
            ("where", "55.75,37.62"),
            ("empty", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(pairs, expected);
    }

    #[test]
    fn a_0_1_page_keeps_its_content_as_records() {
        let page = o::ui::Page {
            title: "Заметки".into(),
            breadcrumbs: vec![],
            sections: vec![o::ui::Section {
                title: None,
                blocks: vec![
                    o::ui::Block::Notice((o::ui::Tone::Warning, "Внимание".into())),
                    o::ui::Block::Attachment(("f1".into(), "фото.jpg".into())),
                    o::ui::Block::Form(o::ui::Form {
                        action: "pay".into(),
                        fields: vec![o::ui::Field {
                            name: "amount".into(),
                            label: "Сумма".into(),
                            kind: o::ui::FieldKind::Money,
                            required: true,
                            value: Some("150000".into()),
                            help: None,
                            error: None,
                        }],
                        submit: "Оплатить".into(),
                        confirm: None,
                    }),
                ],
            }],
        };
        let page = page_up(page);
        let blocks = &page.sections[0].blocks;
        assert!(matches!(&blocks[0], n::ui::Block::Notice(n) if n.text == "Внимание"));
        assert!(matches!(&blocks[1], n::ui::Block::Attachment(a) if a.file_id == "f1"));
        match &blocks[2] {
            n::ui::Block::Form(f) => assert_eq!(f.fields[0].value, V::Money(150_000)),
            other => panic!("{other:?}"),
        }
    }
}
