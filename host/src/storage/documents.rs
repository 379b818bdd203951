//! Plugin document collections: the host side of the contract's `storage` interface.
//!
//! A document is a JSON object (at most 1 MiB) in one plugin's collection, belonging to one
//! community. The collection's declared index fields are read from the object's top level on
//! every write and stored in `document_index`, where they can be filtered, ordered and
//! aggregated. Besides the declared fields, the special field `community` (text) can be
//! filtered: `eq` means "in that community's subtree", `ne` "outside it"; it can also be
//! ordered and grouped by (the document's community id).
//!
//! Isolation is by construction: every statement filters by the calling plugin and the
//! collection, and by the call's community subtree ([`Scope`]). A document outside the scope
//! behaves as if it did not exist for reads; writing one is [`StorageError::OutOfScope`].
//!
//! Semantics worth knowing:
//! - `null` (or an absent field) is a value of its own: `eq null` finds it, `ne x` includes
//!   it, range comparisons never match it, and it sorts before every other value (first when
//!   ascending, last when descending).
//! - Text compares byte-wise (code point order) on both engines.
//! - Ties in an order are broken by document id, in the same direction.
//! - Every function writes only through the connection it is given (the call's transaction).
//!   When it fails on the plugin's input (any error but [`StorageError::Database`]) it has
//!   written nothing, so the plugin may handle the error and go on; a database error fails
//!   the call and its transaction is rolled back.
//! - An id taken by a document outside the scope still makes `insert` a conflict.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::sea_query::{Expr, OnConflict, Query as Sql, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};

use super::sql::{
    self, DocumentIndex, Documents, PluginCollections, d, execute, fetch_all, fetch_one,
    rows_per_statement,
};
use super::values::{self, check_id, index_values, invalid, stored};

/// What a call may touch: one plugin's documents, in one community subtree.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The calling plugin's id.
    pub plugin: &'a str,
    /// The materialised path of the call's community, e.g. `/demo-town/house-1/`; every
    /// document whose community path starts with it is in scope.
    pub community_path: &'a str,
    /// The paths of communities above it whose documents reads also see (`get`, queries and
    /// aggregates; never writes): what a town stored for every house in it. Usually empty.
    pub ancestors: &'a [String],
    /// What the database's recent queries chose to drive from, for a query of the same shape
    /// on SQLite to skip its probes ([`super::ProbeEstimates`]); without it every query probes.
    pub estimates: Option<&'a super::ProbeEstimates>,
    /// Where a `community` condition finds its community's path without asking the database
    /// (a community's path never changes); the database answers for any it does not know.
    pub paths: Option<&'a dyn CommunityPaths>,
}

/// The materialised paths of communities already in memory, by id.
pub trait CommunityPaths: std::fmt::Debug + Sync {
    /// The path of the community `id`, if it is known here.
    fn path_of(&self, id: &str) -> Option<&str>;
}

impl<'a> Scope<'a> {
    /// A plugin's documents in one community subtree.
    pub fn subtree(plugin: &'a str, community_path: &'a str) -> Self {
        Scope {
            plugin,
            community_path,
            ancestors: &[],
            estimates: None,
            paths: None,
        }
    }
}

/// A collection as the plugin's manifest declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSpec {
    /// The collection's name, unique within the plugin.
    pub name: String,
    /// The indexed top-level fields.
    pub indexes: Vec<IndexSpec>,
}

/// One indexed field of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// The top-level field of the document.
    pub field: String,
    /// The JSON type of the field.
    pub kind: IndexKind,
}

/// The JSON type of an indexed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexKind {
    /// A JSON string.
    Text,
    /// A JSON integer that fits 64 bits.
    Integer,
    /// A JSON boolean.
    Boolean,
}

impl IndexKind {
    fn name(self) -> &'static str {
        match self {
            IndexKind::Text => "text",
            IndexKind::Integer => "integer",
            IndexKind::Boolean => "boolean",
        }
    }

    fn from_name(name: &str) -> Option<IndexKind> {
        match name {
            "text" => Some(IndexKind::Text),
            "integer" => Some(IndexKind::Integer),
            "boolean" => Some(IndexKind::Boolean),
            _ => None,
        }
    }
}

/// A document to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// The id; `None` generates a time-ordered unique one.
    pub id: Option<String>,
    /// The community the document belongs to.
    pub community_id: String,
    /// That community's materialised path (resolved by the caller).
    pub community_path: String,
    /// The document: a JSON object of at most 1 MiB.
    pub data: String,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Unique within the plugin's collection.
    pub id: String,
    /// The community it belongs to.
    pub community_id: String,
    /// The JSON object, exactly as written.
    pub data: String,
    /// 1 on creation, one more with every write.
    pub version: u64,
    /// When it was created, ms since the epoch.
    pub created: i64,
    /// When it was last written, ms since the epoch.
    pub updated: i64,
}

/// The value of an indexed field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// Absent or JSON `null`.
    Null,
    /// A boolean.
    Boolean(bool),
    /// An integer.
    Integer(i64),
    /// Text.
    Text(String),
}

/// How a condition compares a field with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// Equal (for `community`: inside that community's subtree).
    Eq,
    /// Not equal (null counts as different from every value; for `community`: outside the
    /// subtree).
    Ne,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Text starting with the value.
    Prefix,
}

/// A condition on an indexed field or on `community`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The field.
    pub field: String,
    /// The comparison.
    pub op: Compare,
    /// The value compared with.
    pub value: Value,
}

/// The order of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The indexed field (or `community`); ties are broken by id.
    pub field: String,
    /// Largest first.
    pub descending: bool,
}

/// A query over one collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// All must hold.
    pub conditions: Vec<Condition>,
    /// `None` orders by id.
    pub order: Option<Order>,
    /// Page size, 1..=1000; 0 means 100.
    pub limit: u32,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A page of query results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The documents, in order.
    pub documents: Vec<StoredDocument>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// An aggregate over one collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregate {
    /// All must hold.
    pub conditions: Vec<Condition>,
    /// Group by this indexed field (or `community`); `None` gives one group of everything.
    pub group_by: Option<String>,
    /// Also sum this integer field.
    pub sum_of: Option<String>,
}

/// One group of an aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group's value of `group_by` (`Null` when not grouping).
    pub key: Value,
    /// How many documents.
    pub count: u64,
    /// The exact sum of `sum_of` over them (0 when not summing).
    pub sum: i64,
}

/// Why a storage function failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The plugin's input is invalid; `field` names it (`data`, `id`, `conditions[0].field`,
    /// `limit`, `cursor`, …).
    #[error("invalid `{field}`: {message}")]
    Invalid {
        /// The offending input.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Something named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The write conflicts with what is stored (id taken, version changed).
    #[error("{0}")]
    Conflict(String),
    /// One document of a bulk write conflicts with what is stored; `field` names it (`docs[3]`).
    #[error("{field}: {message}")]
    ConflictAt {
        /// The offending document.
        field: String,
        /// What conflicts.
        message: String,
    },
    /// The write touches a document or community outside the call's scope.
    #[error("{0}")]
    OutOfScope(String),
    /// The database failed; this fails the whole call.
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// The columns of `documents` in the order [`document_row`] fills them.
const DOCUMENT_COLUMNS: [Documents; 9] = [
    Documents::Plugin,
    Documents::Collection,
    Documents::Id,
    Documents::CommunityId,
    Documents::CommunityPath,
    Documents::Data,
    Documents::Version,
    Documents::Created,
    Documents::Updated,
];

/// The columns of `document_index` in the order [`write_index_rows`] fills them.
const INDEX_COLUMNS: [DocumentIndex; 4] = [
    DocumentIndex::Doc,
    DocumentIndex::Field,
    DocumentIndex::IntValue,
    DocumentIndex::TextValue,
];

/// What a single write returns: see [`read_version`].
const WRITTEN_COLUMNS: [Documents; 3] = [Documents::Key, Documents::Version, Documents::Created];

/// The document `id`, if it exists and is in scope.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    id: &str,
) -> Result<Option<StoredDocument>, StorageError> {
    check_id(id, "id")?;
    let mut select = Sql::select();
    document_columns(&mut select);
    select.from_as(Documents::Table, d());
    in_scope(&mut select, scope, coll);
    select.and_where(Expr::col((d(), Documents::Id)).eq(id));
    match fetch_one(db, &select).await? {
        Some(row) => Ok(Some(read_document(&row)?)),
        None => Ok(None),
    }
}

/// Create a document; [`StorageError::Conflict`] if its id is taken. Without an id, one is
/// generated: 26 characters of lowercase Crockford base32, 48 bits of `now` then 80 random
/// bits, so generated ids sort by creation time.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    doc: NewDocument,
    now: i64,
) -> Result<StoredDocument, StorageError> {
    let (id, values) = prepare(scope, coll, &doc, now, "")?;
    let mut insert = Sql::insert();
    insert
        .into_table(Documents::Table)
        .columns(DOCUMENT_COLUMNS)
        .values_panic(document_row(scope, coll, &id, &doc, now))
        .on_conflict(
            OnConflict::columns([Documents::Plugin, Documents::Collection, Documents::Id])
                .do_nothing()
                .to_owned(),
        )
        .returning_col(Documents::Key);
    if write_one(db, scope.plugin, coll, &id, &insert, &values)
        .await?
        .is_none()
    {
        return Err(StorageError::Conflict(format!(
            "a document with id `{id}` already exists in collection `{}`",
            coll.name
        )));
    }
    Ok(stored_document(id, doc, 1, now, now))
}

/// Create or replace a document. With `expected_version`, [`StorageError::Conflict`] unless
/// the stored version is that one (`Some(0)`: unless the document does not exist yet).
/// Replacing a document stored outside the scope is [`StorageError::OutOfScope`].
pub async fn put<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    doc: NewDocument,
    expected_version: Option<u64>,
    now: i64,
) -> Result<StoredDocument, StorageError> {
    let (id, values) = prepare(scope, coll, &doc, now, "")?;
    let written = match expected_version {
        None => {
            let mut upsert = Sql::insert();
            upsert
                .into_table(Documents::Table)
                .columns(DOCUMENT_COLUMNS)
                .values_panic(document_row(scope, coll, &id, &doc, now))
                .on_conflict(replace_in_scope(scope))
                .returning(Sql::returning().columns(WRITTEN_COLUMNS));
            match write_one(db, scope.plugin, coll, &id, &upsert, &values).await? {
                Some(row) => read_version(&row)?,
                None => return Err(out_of_scope(&id)),
            }
        }
        Some(0) => {
            let mut insert = Sql::insert();
            insert
                .into_table(Documents::Table)
                .columns(DOCUMENT_COLUMNS)
                .values_panic(document_row(scope, coll, &id, &doc, now))
                .on_conflict(
                    OnConflict::columns([Documents::Plugin, Documents::Collection, Documents::Id])
                        .do_nothing()
                        .to_owned(),
                )
                .returning_col(Documents::Key);
            match write_one(db, scope.plugin, coll, &id, &insert, &values).await? {
                Some(row) => (row.try_get_by_index(0)?, 1, now),
                None => return Err(version_failure(db, scope, coll, &id, 0).await?),
            }
        }
        Some(expected) => {
            let Ok(expected_stored) = i64::try_from(expected) else {
                return Err(version_failure(db, scope, coll, &id, expected).await?);
            };
            let mut update = Sql::update();
            update
                .table(Documents::Table)
                .value(Documents::CommunityId, doc.community_id.as_str())
                .value(Documents::CommunityPath, doc.community_path.as_str())
                .value(Documents::Data, doc.data.as_str())
                .value(
                    Documents::Version,
                    Expr::col((Documents::Table, Documents::Version)).add(1),
                )
                .value(Documents::Updated, now)
                .and_where(Expr::col((Documents::Table, Documents::Plugin)).eq(scope.plugin))
                .and_where(Expr::col((Documents::Table, Documents::Collection)).eq(&coll.name))
                .and_where(Expr::col((Documents::Table, Documents::Id)).eq(id.as_str()))
                .and_where(Expr::col((Documents::Table, Documents::Version)).eq(expected_stored))
                .and_where(sql::starts_with(
                    (Documents::Table, Documents::CommunityPath),
                    scope.community_path,
                ))
                .returning(Sql::returning().columns(WRITTEN_COLUMNS));
            match write_one(db, scope.plugin, coll, &id, &update, &values).await? {
                Some(row) => read_version(&row)?,
                None => return Err(version_failure(db, scope, coll, &id, expected).await?),
            }
        }
    };
    let (_, version, created) = written;
    Ok(stored_document(id, doc, version, created, now))
}

/// The stored versions of documents of a collection, by id, whatever their community (a
/// document outside the scope is refused by the write that follows). Ids not stored are absent.
pub async fn versions<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    ids: &[&str],
) -> Result<HashMap<String, u64>, StorageError> {
    Ok(current_versions(db, scope.plugin, &coll.name, ids).await?)
}

/// The version of each of `ids` that exists in `plugin`'s `collection`, in any community.
pub async fn current_versions<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    collection: &str,
    ids: &[&str],
) -> Result<HashMap<String, u64>, DbErr> {
    let mut found = HashMap::with_capacity(ids.len());
    let backend = db.get_database_backend();
    for chunk in ids.chunks(rows_per_statement(backend, 1).saturating_sub(8).max(1)) {
        let mut select = Sql::select();
        select
            .columns([(d(), Documents::Id), (d(), Documents::Version)])
            .from_as(Documents::Table, d())
            .and_where(Expr::col((d(), Documents::Plugin)).eq(plugin))
            .and_where(Expr::col((d(), Documents::Collection)).eq(collection))
            .and_where(Expr::col((d(), Documents::Id)).is_in(chunk.iter().copied()));
        for row in fetch_all(db, &select).await? {
            let id: String = row.try_get_by_index(0)?;
            let version: i64 = row.try_get_by_index(1)?;
            found.insert(id, u64::try_from(version).unwrap_or(0));
        }
    }
    Ok(found)
}

/// Create or replace many documents with few statements; returns how many were written.
///
/// Errors name the document: `docs[3].data.period`, `docs[0].id`. Two documents with the same
/// id in one call are invalid. Nothing is written when any document is invalid or would
/// replace a document outside the scope.
pub async fn put_many<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    docs: Vec<NewDocument>,
    now: i64,
) -> Result<u32, StorageError> {
    let count =
        u32::try_from(docs.len()).map_err(|_| invalid("docs", "too many documents in one call"))?;
    if docs.is_empty() {
        return Ok(0);
    }
    let mut prepared = Vec::with_capacity(docs.len());
    let mut seen = HashSet::with_capacity(docs.len());
    for (i, doc) in docs.iter().enumerate() {
        let (id, values) = prepare(scope, coll, doc, now, &format!("docs[{i}]."))?;
        if !seen.insert(id.clone()) {
            return Err(invalid(
                format!("docs[{i}].id"),
                format!("the id `{id}` appears twice in this call"),
            ));
        }
        prepared.push((id, values));
    }
    drop(seen);

    let backend = db.get_database_backend();

    // Refuse before writing anything if an id belongs to a document outside the scope.
    for chunk in prepared.chunks(rows_per_statement(backend, 1).saturating_sub(8)) {
        let mut select = Sql::select();
        select
            .column((d(), Documents::Id))
            .from_as(Documents::Table, d())
            .and_where(Expr::col((d(), Documents::Plugin)).eq(scope.plugin))
            .and_where(Expr::col((d(), Documents::Collection)).eq(&coll.name))
            .and_where(
                Expr::col((d(), Documents::Id)).is_in(chunk.iter().map(|(id, _)| id.as_str())),
            )
            .and_where(
                sql::starts_with((d(), Documents::CommunityPath), scope.community_path).not(),
            )
            .limit(1);
        if let Some(row) = fetch_one(db, &select).await? {
            let id: String = row.try_get_by_index(0)?;
            return Err(out_of_scope(&id));
        }
    }

    let mut keys: HashMap<String, i64> = HashMap::with_capacity(docs.len());
    let rows = rows_per_statement(backend, DOCUMENT_COLUMNS.len());
    for (docs, prepared) in docs.chunks(rows).zip(prepared.chunks(rows)) {
        let mut upsert = Sql::insert();
        upsert
            .into_table(Documents::Table)
            .columns(DOCUMENT_COLUMNS);
        for (doc, (id, _)) in docs.iter().zip(prepared) {
            upsert.values_panic(document_row(scope, coll, id, doc, now));
        }
        upsert
            .on_conflict(replace_in_scope(scope))
            .returning(Sql::returning().columns([Documents::Id, Documents::Key]));
        let written = fetch_all(db, &upsert).await?;
        if written.len() != docs.len() {
            // Only possible if a concurrent transaction moved a document out of the scope
            // since the check above: fail the whole call rather than write part of it.
            return Err(StorageError::Database(DbErr::Custom(format!(
                "put_many: {} of {} documents written (concurrent change)",
                written.len(),
                docs.len()
            ))));
        }
        for row in written {
            keys.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        }
    }

    let mut index_rows = Vec::with_capacity(prepared.len());
    for (id, values) in prepared {
        let key = keys.get(&id).copied().ok_or_else(|| {
            DbErr::Custom(format!("put_many: no key returned for document `{id}`"))
        })?;
        index_rows.push((key, values));
    }
    write_index_rows(db, scope.plugin, coll, &index_rows).await?;
    if backend == DbBackend::Postgres && index_rows.len() >= FIRST_ANALYZE_BATCH {
        analyze_if_never_analyzed(db).await?;
    }
    Ok(count)
}

/// A `put_many` at least this large makes sure PostgreSQL has statistics on the documents.
const FIRST_ANALYZE_BATCH: usize = 500;

/// Give PostgreSQL's planner statistics on the document tables if it has none yet.
///
/// Without any, right after a first bulk load and until autovacuum gets to the tables, the
/// planner can pick nested loops over whole index ranges: a query of milliseconds then takes
/// minutes. Once the tables have been analyzed, autovacuum keeps the statistics current. This
/// runs inside the caller's transaction; it takes no lock that blocks reads or writes.
async fn analyze_if_never_analyzed<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let unanalyzed = db
        .query_one(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) FROM pg_class \
             WHERE oid IN ('documents'::regclass, 'document_index'::regclass) AND reltuples < 0",
        ))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or_default();
    if unanalyzed > 0 {
        db.execute_unprepared("ANALYZE documents, document_index")
            .await?;
    }
    Ok(())
}

/// Delete a document; `true` if it existed (in scope).
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    id: &str,
) -> Result<bool, StorageError> {
    check_id(id, "id")?;
    let mut delete = Sql::delete();
    delete
        .from_table(Documents::Table)
        .and_where(Expr::col((Documents::Table, Documents::Plugin)).eq(scope.plugin))
        .and_where(Expr::col((Documents::Table, Documents::Collection)).eq(&coll.name))
        .and_where(Expr::col((Documents::Table, Documents::Id)).eq(id))
        .and_where(sql::starts_with(
            (Documents::Table, Documents::CommunityPath),
            scope.community_path,
        ))
        .returning_col(Documents::Key);
    let Some(row) = fetch_one(db, &delete).await? else {
        return Ok(false);
    };
    let key: i64 = row.try_get_by_index(0)?;
    let mut delete = Sql::delete();
    delete
        .from_table(DocumentIndex::Table)
        .and_where(Expr::col(DocumentIndex::Doc).eq(key));
    execute(db, &delete).await?;
    Ok(true)
}

/// One page of the documents in scope that match the query.
///
/// The cursor is opaque (the last document's order value and id): pages continue exactly
/// where the previous one ended, even when documents are inserted meanwhile.
pub async fn query<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    q: Query,
) -> Result<Page, StorageError> {
    super::search::query(db, scope, coll, q).await
}

/// Count (and sum an integer field over) the documents in scope that match the conditions,
/// optionally per value of a field. Groups come in ascending key order, null first; without
/// `group_by` there is always exactly one group.
pub async fn aggregate<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    a: Aggregate,
) -> Result<Vec<Group>, StorageError> {
    super::search::aggregate(db, scope, coll, a).await
}

/// Record a collection's declared indexes when its plugin loads, and bring the stored index
/// rows in line: a newly declared field (or one whose kind changed) is backfilled from the
/// stored documents, a field no longer declared loses its rows. Documents are never touched.
///
/// A stored document whose field has the wrong JSON type for a new index gets a null there
/// (it could not have been rejected when it was written); a warning is logged.
pub async fn sync_collection<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    coll: &CollectionSpec,
) -> Result<(), StorageError> {
    let mut declared: BTreeMap<&str, IndexKind> = BTreeMap::new();
    for (i, index) in coll.indexes.iter().enumerate() {
        let field = format!("indexes[{i}].field");
        if index.field.is_empty() {
            return Err(invalid(field, "an index field name must not be empty"));
        }
        if index.field == super::search::COMMUNITY {
            return Err(invalid(
                field,
                "`community` is always indexed; do not declare it",
            ));
        }
        values::check_text(&index.field, &field)?;
        if declared.insert(&index.field, index.kind).is_some() {
            return Err(invalid(
                field,
                format!("the field `{}` is declared twice", index.field),
            ));
        }
    }
    let keys: HashSet<i64> = declared
        .keys()
        .map(|field| field_key(plugin, &coll.name, field))
        .collect();
    if keys.len() != declared.len() {
        // A 64-bit hash collision between two fields of one collection: never expected.
        return Err(invalid(
            "indexes",
            "two index fields hash alike; rename one",
        ));
    }

    let mut select = Sql::select();
    select
        .column(PluginCollections::Indexes)
        .from(PluginCollections::Table)
        .and_where(Expr::col(PluginCollections::Plugin).eq(plugin))
        .and_where(Expr::col(PluginCollections::Collection).eq(&coll.name));
    let recorded: BTreeMap<String, IndexKind> = match fetch_one(db, &select).await? {
        Some(row) => parse_recorded(&row.try_get_by_index::<String>(0)?),
        None => BTreeMap::new(),
    };

    let dropped: Vec<&str> = recorded
        .iter()
        .filter(|(field, kind)| declared.get(field.as_str()) != Some(kind))
        .map(|(field, _)| field.as_str())
        .collect();
    let added: Vec<IndexSpec> = coll
        .indexes
        .iter()
        .filter(|index| recorded.get(&index.field) != Some(&index.kind))
        .cloned()
        .collect();

    for field in &dropped {
        let mut documents = Sql::select();
        documents
            .column(Documents::Key)
            .from(Documents::Table)
            .and_where(Expr::col(Documents::Plugin).eq(plugin))
            .and_where(Expr::col(Documents::Collection).eq(&coll.name));
        let mut delete = Sql::delete();
        delete
            .from_table(DocumentIndex::Table)
            .and_where(Expr::col(DocumentIndex::Field).eq(field_key(plugin, &coll.name, field)))
            .and_where(Expr::col(DocumentIndex::Doc).in_subquery(documents));
        execute(db, &delete).await?;
    }
    if !added.is_empty() {
        backfill(db, plugin, &coll.name, added).await?;
    }

    let indexes = serde_json::Value::Array(
        coll.indexes
            .iter()
            .map(|i| {
                let key = field_key(plugin, &coll.name, &i.field);
                serde_json::json!({ "field": i.field, "kind": i.kind.name(), "key": key })
            })
            .collect(),
    )
    .to_string();
    let mut upsert = Sql::insert();
    upsert
        .into_table(PluginCollections::Table)
        .columns([
            PluginCollections::Plugin,
            PluginCollections::Collection,
            PluginCollections::Indexes,
        ])
        .values_panic([plugin.into(), coll.name.as_str().into(), indexes.into()])
        .on_conflict(
            OnConflict::columns([PluginCollections::Plugin, PluginCollections::Collection])
                .update_column(PluginCollections::Indexes)
                .to_owned(),
        );
    execute(db, &upsert).await?;
    Ok(())
}

/// The indexes recorded in `plugin_collections` (unreadable entries are treated as absent,
/// so they get rebuilt).
fn parse_recorded(json: &str) -> BTreeMap<String, IndexKind> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(json) else {
        return BTreeMap::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let field = item.get("field")?.as_str()?;
            let kind = IndexKind::from_name(item.get("kind")?.as_str()?)?;
            Some((field.to_owned(), kind))
        })
        .collect()
}

/// Write index rows of `fields` for every stored document of the collection.
async fn backfill<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    collection: &str,
    fields: Vec<IndexSpec>,
) -> Result<(), StorageError> {
    const BATCH: u64 = 500;
    let partial = CollectionSpec {
        name: collection.to_owned(),
        indexes: fields,
    };
    let mut after: Option<String> = None;
    loop {
        let mut select = Sql::select();
        select
            .columns([Documents::Id, Documents::Key, Documents::Data])
            .from(Documents::Table)
            .and_where(Expr::col(Documents::Plugin).eq(plugin))
            .and_where(Expr::col(Documents::Collection).eq(collection))
            .and_where_option(after.as_deref().map(|id| Expr::col(Documents::Id).gt(id)))
            .order_by(Documents::Id, sea_orm::sea_query::Order::Asc)
            .limit(BATCH);
        let rows = fetch_all(db, &select).await?;
        let mut batch: Vec<(i64, Vec<Value>)> = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in &rows {
            let id: String = row.try_get_by_index(0)?;
            let key: i64 = row.try_get_by_index(1)?;
            let data: String = row.try_get_by_index(2)?;
            let object = serde_json::from_str::<serde_json::Value>(&data).unwrap_or_default();
            let values = partial
                .indexes
                .iter()
                .map(|index| {
                    values::read_value(object.get(&index.field), index.kind).unwrap_or_else(
                        |expected| {
                            tracing::warn!(
                                plugin,
                                collection,
                                document = %id,
                                field = %index.field,
                                "stored value is not {expected}; indexed as null"
                            );
                            Value::Null
                        },
                    )
                })
                .collect();
            batch.push((key, values));
            last = Some(id);
        }
        write_index_rows(db, plugin, &partial, &batch).await?;
        match last {
            Some(last) if rows.len() as u64 == BATCH => after = Some(last),
            _ => return Ok(()),
        }
    }
}

/// Check a document to write and read its index values; `prefix` is prepended to the names of
/// fields in errors (`docs[3].`).
fn prepare(
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    doc: &NewDocument,
    now: i64,
    prefix: &str,
) -> Result<(String, Vec<Value>), StorageError> {
    if !doc.community_path.starts_with(scope.community_path) {
        return Err(StorageError::OutOfScope(format!(
            "{prefix}community `{}` is outside this call's scope",
            doc.community_id
        )));
    }
    let id = match &doc.id {
        Some(id) => {
            check_id(id, &format!("{prefix}id"))?;
            id.clone()
        }
        None => generate_id(now),
    };
    let values = index_values(&doc.data, coll, &format!("{prefix}data"))?;
    Ok((id, values))
}

/// The `documents` row of a new document (version 1, created and updated `now`).
fn document_row(
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    id: &str,
    doc: &NewDocument,
    now: i64,
) -> [SimpleExpr; 9] {
    [
        scope.plugin.into(),
        coll.name.as_str().into(),
        id.into(),
        doc.community_id.as_str().into(),
        doc.community_path.as_str().into(),
        doc.data.as_str().into(),
        1i64.into(),
        now.into(),
        now.into(),
    ]
}

/// On an existing id: replace the document and bump its version, but only if it is stored
/// inside the scope (otherwise the row is left alone and not counted).
fn replace_in_scope(scope: &Scope<'_>) -> OnConflict {
    OnConflict::columns([Documents::Plugin, Documents::Collection, Documents::Id])
        .update_columns([
            Documents::CommunityId,
            Documents::CommunityPath,
            Documents::Data,
            Documents::Updated,
        ])
        .value(
            Documents::Version,
            Expr::col((Documents::Table, Documents::Version)).add(1),
        )
        .action_and_where(sql::starts_with(
            (Documents::Table, Documents::CommunityPath),
            scope.community_path,
        ))
        .to_owned()
}

/// Run `write`, a statement that writes document `id` of `coll` and returns its key first,
/// and write the document's index rows: its first returned row, or none if it wrote nothing.
///
/// On SQLite both statements go to the database in one round trip (each is a hop to the
/// connection's thread and back, most of a small write's cost): the index rows find the
/// document by its identity, and are written only if `write` changed a row (`changes()`), so
/// a refused write leaves the stored document's index rows alone.
async fn write_one<C: ConnectionTrait, S: sea_orm::StatementBuilder>(
    db: &C,
    plugin: &str,
    coll: &CollectionSpec,
    id: &str,
    write: &S,
    values: &[Value],
) -> Result<Option<QueryResult>, DbErr> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres && !coll.indexes.is_empty() {
        return write_one_postgres(db, plugin, coll, write, values).await;
    }
    if backend != DbBackend::Sqlite || coll.indexes.is_empty() {
        let row = db.query_one(backend.build(write)).await?;
        if let Some(row) = &row {
            let key: i64 = row.try_get_by_index(0)?;
            write_index_rows(db, plugin, coll, &[(key, values.to_vec())]).await?;
        }
        return Ok(row);
    }
    let rows = vec!["(?, ?, ?)"; coll.indexes.len()].join(", ");
    let index_sql = format!(
        "INSERT INTO \"document_index\" (\"doc\", \"field\", \"int_value\", \"text_value\") \
         SELECT (SELECT \"key\" FROM \"documents\" \
         WHERE \"plugin\" = ? AND \"collection\" = ? AND \"id\" = ?), \
         \"column1\", \"column2\", \"column3\" FROM (VALUES {rows}) WHERE changes() = 1 \
         ON CONFLICT (\"doc\", \"field\") DO UPDATE SET \"int_value\" = \"excluded\".\"int_value\", \
         \"text_value\" = \"excluded\".\"text_value\" WHERE {}",
        index_value_changed(backend),
    );
    let mut params: Vec<sea_orm::Value> = vec![plugin.into(), coll.name.as_str().into(), id.into()];
    for (index, value) in coll.indexes.iter().zip(values) {
        let (int_value, text_value) = stored(value);
        params.extend([
            field_key(plugin, &coll.name, &index.field).into(),
            int_value.into(),
            text_value.into(),
        ]);
    }
    let index_rows = sea_orm::Statement::from_sql_and_values(backend, index_sql, params);
    let mut written = None;
    for statement in sql::in_few_round_trips(backend, vec![backend.build(write), index_rows]) {
        // All rows, not one: a joined statement runs its second part only as the rows of the
        // first are read out.
        let rows = db.query_all(statement).await?;
        written = written.or(rows.into_iter().next());
    }
    Ok(written)
}

/// [`write_one`] on PostgreSQL: the document's statement and its index rows in one statement,
/// one network round trip. The write is a data-modifying `WITH` whose `RETURNING` row the index
/// rows are inserted from, so a write that changed no row (a stale expected version) writes no
/// index row either; the statement answers the write's own row.
async fn write_one_postgres<C: ConnectionTrait, S: sea_orm::StatementBuilder>(
    db: &C,
    plugin: &str,
    coll: &CollectionSpec,
    write: &S,
    values: &[Value],
) -> Result<Option<QueryResult>, DbErr> {
    let backend = DbBackend::Postgres;
    let written = backend.build(write);
    let mut params: Vec<sea_orm::Value> = written.values.map(|v| v.0).unwrap_or_default();
    let mut rows = Vec::with_capacity(coll.indexes.len());
    for (index, value) in coll.indexes.iter().zip(values) {
        let (int_value, text_value) = stored(value);
        let n = params.len();
        rows.push(format!(
            "(${}::bigint, ${}::bigint, ${}::text)",
            n + 1,
            n + 2,
            n + 3
        ));
        params.extend([
            field_key(plugin, &coll.name, &index.field).into(),
            int_value.into(),
            text_value.into(),
        ]);
    }
    let sql = format!(
        "WITH \"written\" AS ({}), \"indexed\" AS (\
         INSERT INTO \"document_index\" (\"doc\", \"field\", \"int_value\", \"text_value\") \
         SELECT \"written\".\"key\", \"v\".\"field\", \"v\".\"int_value\", \"v\".\"text_value\" \
         FROM \"written\", (VALUES {}) AS \"v\" (\"field\", \"int_value\", \"text_value\") \
         ON CONFLICT (\"doc\", \"field\") DO UPDATE SET \"int_value\" = \"excluded\".\"int_value\", \
         \"text_value\" = \"excluded\".\"text_value\" WHERE {}) \
         SELECT * FROM \"written\"",
        written.sql,
        rows.join(", "),
        index_value_changed(backend),
    );
    db.query_one(sea_orm::Statement::from_sql_and_values(
        backend, sql, params,
    ))
    .await
}

/// The condition on which an index row that exists is replaced: its value changed. A document
/// rewritten with most of its indexed fields as they were (an account billed: its balance
/// changes, its number and unit do not) then writes only the rows that changed, not every
/// index page again.
fn index_value_changed(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "\"document_index\".\"int_value\" IS DISTINCT FROM \"excluded\".\"int_value\" \
             OR \"document_index\".\"text_value\" IS DISTINCT FROM \"excluded\".\"text_value\""
        }
        _ => {
            "\"document_index\".\"int_value\" IS NOT \"excluded\".\"int_value\" \
             OR \"document_index\".\"text_value\" IS NOT \"excluded\".\"text_value\""
        }
    }
}

/// Upsert the index rows of documents (by key): one row per declared field, nulls included.
async fn write_index_rows<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    coll: &CollectionSpec,
    docs: &[(i64, Vec<Value>)],
) -> Result<(), DbErr> {
    if coll.indexes.is_empty() || docs.is_empty() {
        return Ok(());
    }
    let fields: Vec<i64> = coll
        .indexes
        .iter()
        .map(|index| field_key(plugin, &coll.name, &index.field))
        .collect();
    let per_statement = rows_per_statement(db.get_database_backend(), INDEX_COLUMNS.len());
    // A plain vector, not a lazy iterator: closures held across an await make the future's
    // lifetimes too general for the runtime's `Send` bound.
    let mut rows: Vec<(i64, i64, &Value)> = Vec::with_capacity(docs.len() * fields.len());
    for (key, values) in docs {
        for (field, value) in fields.iter().zip(values) {
            rows.push((*key, *field, value));
        }
    }
    for chunk in rows.chunks(per_statement.max(1)) {
        let mut upsert = Sql::insert();
        upsert
            .into_table(DocumentIndex::Table)
            .columns(INDEX_COLUMNS);
        for &(key, field, value) in chunk {
            let (int_value, text_value) = stored(value);
            upsert.values_panic([
                key.into(),
                field.into(),
                int_value.into(),
                text_value.into(),
            ]);
        }
        upsert.on_conflict(
            OnConflict::columns([DocumentIndex::Doc, DocumentIndex::Field])
                .update_columns([DocumentIndex::IntValue, DocumentIndex::TextValue])
                .action_and_where(Expr::cust(index_value_changed(db.get_database_backend())))
                .to_owned(),
        );
        execute(db, &upsert).await?;
    }
    Ok(())
}

/// The key of an index field in `document_index`: the first 8 bytes of a SHA-256 of plugin,
/// collection and field. Queries always join the collection's documents, so even a collision
/// with another collection's field could not expose anything.
pub(super) fn field_key(plugin: &str, collection: &str, field: &str) -> i64 {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    for part in [plugin, collection, field] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}

/// Restrict a select over `documents AS d` to the collection's documents in scope.
pub(super) fn in_scope(select: &mut SelectStatement, scope: &Scope<'_>, coll: &CollectionSpec) {
    let subtree = sql::starts_with((d(), Documents::CommunityPath), scope.community_path);
    let path = if scope.ancestors.is_empty() {
        subtree
    } else {
        subtree.or(Expr::col((d(), Documents::CommunityPath))
            .is_in(scope.ancestors.iter().map(String::as_str)))
    };
    select
        .and_where(Expr::col((d(), Documents::Plugin)).eq(scope.plugin))
        .and_where(Expr::col((d(), Documents::Collection)).eq(&coll.name))
        .and_where(path);
}

/// Select the document columns of `d`, in the order [`read_document`] reads them.
pub(super) fn document_columns(select: &mut SelectStatement) {
    select.columns([
        (d(), Documents::Id),
        (d(), Documents::CommunityId),
        (d(), Documents::Data),
        (d(), Documents::Version),
        (d(), Documents::Created),
        (d(), Documents::Updated),
    ]);
}

/// A document from the first six columns of a row of [`document_columns`].
pub(super) fn read_document(row: &QueryResult) -> Result<StoredDocument, DbErr> {
    Ok(StoredDocument {
        id: row.try_get_by_index(0)?,
        community_id: row.try_get_by_index(1)?,
        data: row.try_get_by_index(2)?,
        version: u64::try_from(row.try_get_by_index::<i64>(3)?).unwrap_or_default(),
        created: row.try_get_by_index(4)?,
        updated: row.try_get_by_index(5)?,
    })
}

/// `(key, version, created)` from a `RETURNING` [`WRITTEN_COLUMNS`] row.
fn read_version(row: &QueryResult) -> Result<(i64, u64, i64), DbErr> {
    let version: i64 = row.try_get_by_index(1)?;
    Ok((
        row.try_get_by_index(0)?,
        u64::try_from(version).unwrap_or_default(),
        row.try_get_by_index(2)?,
    ))
}

fn stored_document(
    id: String,
    doc: NewDocument,
    version: u64,
    created: i64,
    updated: i64,
) -> StoredDocument {
    StoredDocument {
        id,
        community_id: doc.community_id,
        data: doc.data,
        version,
        created,
        updated,
    }
}

fn out_of_scope(id: &str) -> StorageError {
    StorageError::OutOfScope(format!(
        "the document `{id}` belongs to a community outside this call's scope"
    ))
}

/// Why a versioned write found nothing to write: the document is outside the scope, missing,
/// or at another version.
async fn version_failure<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
    coll: &CollectionSpec,
    id: &str,
    expected: u64,
) -> Result<StorageError, DbErr> {
    let mut select = Sql::select();
    select
        .columns([Documents::CommunityPath, Documents::Version])
        .from(Documents::Table)
        .and_where(Expr::col(Documents::Plugin).eq(scope.plugin))
        .and_where(Expr::col(Documents::Collection).eq(&coll.name))
        .and_where(Expr::col(Documents::Id).eq(id));
    let Some(row) = fetch_one(db, &select).await? else {
        return Ok(StorageError::Conflict(format!(
            "the document `{id}` does not exist (expected version {expected})"
        )));
    };
    let path: String = row.try_get_by_index(0)?;
    let version: i64 = row.try_get_by_index(1)?;
    if !path.starts_with(scope.community_path) {
        return Ok(out_of_scope(id));
    }
    Ok(StorageError::Conflict(if expected == 0 {
        format!("the document `{id}` already exists (version {version})")
    } else {
        format!("the document `{id}` is at version {version}, not {expected}")
    }))
}

/// A new sortable id: 48 bits of milliseconds and 80 random bits, as 26 characters of
/// lowercase Crockford base32 (whose alphabet is in ASCII order, so ids sort by time).
fn generate_id(now: i64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let millis = u128::from(u64::try_from(now).unwrap_or_default() & 0xFFFF_FFFF_FFFF);
    let random = rand::random::<u128>() >> 48;
    let bits = (millis << 80) | random;
    (0..26)
        .rev()
        .map(|i| char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]))
        .collect()
}
