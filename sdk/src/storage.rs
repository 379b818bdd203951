//! Typed document collections over serde.
//!
//! ```no_run
//! use dvor_sdk::storage::{Collection, Compare, Direction};
//! # #[derive(serde::Serialize, serde::Deserialize)] struct Reading { account: String }
//! const READINGS: Collection<Reading> = Collection::new("readings");
//! # fn f() -> dvor_sdk::Result<()> {
//! let page = READINGS
//!     .query()
//!     .filter("account", Compare::Eq, "12-345")
//!     .order_by("period", Direction::Desc)
//!     .limit(50)
//!     .fetch()?;
//! # Ok(()) }
//! ```
//!
//! A collection and its indexed fields must be declared in `dvor-plugin.toml`; only indexed
//! fields (and `community`, which matches a community's whole subtree) can be filtered,
//! ordered, grouped and summed.
//!
//! Reads see the call's community subtree; [`Collection::get_inherited`] and
//! [`Query::with_ancestors`] also see what the plugin stored at the communities above it (a
//! town's categories from a house), never to write.

use core::marker::PhantomData;
use std::borrow::Cow;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::dvor::plugin::storage as wit;
use crate::date::Date;
use crate::error::Result;
use crate::money::Kopecks;

pub use wit::{Compare, Group, Value};

/// A collection of documents of type `T`, stored as JSON objects.
///
/// It is only a name: creating one is free, and `const` works.
pub struct Collection<T> {
    name: Cow<'static, str>,
    doc_type: PhantomData<fn() -> T>,
}

impl<T> Clone for Collection<T> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            doc_type: PhantomData,
        }
    }
}

impl<T> core::fmt::Debug for Collection<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Collection({:?})", self.name)
    }
}

/// A stored document with its data decoded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Doc<T> {
    /// Unique inside the collection.
    pub id: String,
    /// The community the document belongs to.
    pub community: String,
    /// Starts at 1 and grows by one with every write.
    pub version: u64,
    /// When it was first written (ms since the epoch).
    pub created: i64,
    /// When it was last written (ms since the epoch).
    pub updated: i64,
    /// The document itself.
    pub data: T,
}

/// One page of query results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PageOf<T> {
    /// The documents of this page.
    pub docs: Vec<Doc<T>>,
    /// Pass it to [`Query::cursor`] for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

/// The direction of [`Query::order_by`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

impl<T> Collection<T> {
    /// The collection called `name` in the manifest.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name: Cow::Borrowed(name),
            doc_type: PhantomData,
        }
    }

    /// A collection whose name is only known at run time.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Cow::Owned(name.into()),
            doc_type: PhantomData,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<T: Serialize + DeserializeOwned> Collection<T> {
    /// The document `id`, if it exists and is in the call's scope.
    pub fn get(&self, id: &str) -> Result<Option<Doc<T>>> {
        wit::get(&self.name, id, false)?
            .map(Doc::decode)
            .transpose()
    }

    /// The document `id` in the call's scope, or else stored at a community above it (what a
    /// town defines for the houses in it). Such a document can be read, not written.
    pub fn get_inherited(&self, id: &str) -> Result<Option<Doc<T>>> {
        wit::get(&self.name, id, true)?.map(Doc::decode).transpose()
    }

    /// Create a document in `community`; `id: None` lets the host pick a sortable unique id.
    /// Fails with `conflict` if the id is taken.
    pub fn insert(&self, community: &str, id: Option<&str>, data: &T) -> Result<Doc<T>> {
        Doc::decode(wit::insert(
            &self.name,
            &encode(community, id, data, None)?,
        )?)
    }

    /// Create or replace document `id`. With `expected_version`, fails with `conflict` unless
    /// the stored version is that one (`Some(0)`: it must not exist yet).
    pub fn put(
        &self,
        community: &str,
        id: &str,
        data: &T,
        expected_version: Option<u64>,
    ) -> Result<Doc<T>> {
        let write = encode(community, Some(id), data, expected_version)?;
        Doc::decode(wit::put(&self.name, &write)?)
    }

    /// Create or replace many documents in one go: `(community, id, data)` each. Returns how
    /// many were written.
    pub fn put_many<'a>(
        &self,
        docs: impl IntoIterator<Item = (&'a str, Option<&'a str>, &'a T)>,
    ) -> Result<u32>
    where
        T: 'a,
    {
        let writes = docs
            .into_iter()
            .map(|(community, id, data)| encode(community, id, data, None))
            .collect::<Result<Vec<_>>>()?;
        Ok(wit::put_many(&self.name, &writes)?)
    }

    /// Write back documents that were read, each only if nobody changed it since: all are
    /// written, or none and the error is `conflict` naming the first stale one (`docs[i]`).
    pub fn put_many_checked<'a>(&self, docs: impl IntoIterator<Item = &'a Doc<T>>) -> Result<u32>
    where
        T: 'a,
    {
        let writes = docs
            .into_iter()
            .map(|doc| encode(&doc.community, Some(&doc.id), &doc.data, Some(doc.version)))
            .collect::<Result<Vec<_>>>()?;
        Ok(wit::put_many(&self.name, &writes)?)
    }

    /// Delete document `id`; true if it existed.
    pub fn delete(&self, id: &str) -> Result<bool> {
        Ok(wit::delete(&self.name, id)?)
    }

    /// A query over the whole collection (in the call's scope), to narrow down.
    pub fn query(&self) -> Query<T> {
        Query {
            collection: self.clone(),
            conditions: Vec::new(),
            order: None,
            limit: 0,
            cursor: None,
            ancestors: false,
        }
    }

    /// How many documents the collection has in the call's scope.
    pub fn count(&self) -> Result<u64> {
        self.query().count()
    }
}

/// Conditions, order and paging over a [`Collection`]; run it with [`fetch`](Query::fetch),
/// [`fetch_all`](Query::fetch_all), [`count`](Query::count), [`sum`](Query::sum) or
/// [`group_by`](Query::group_by).
pub struct Query<T> {
    collection: Collection<T>,
    conditions: Vec<wit::Condition>,
    order: Option<wit::Order>,
    limit: u32,
    cursor: Option<String>,
    ancestors: bool,
}

impl<T> Clone for Query<T> {
    fn clone(&self) -> Self {
        Self {
            collection: self.collection.clone(),
            conditions: self.conditions.clone(),
            order: self.order.clone(),
            limit: self.limit,
            cursor: self.cursor.clone(),
            ancestors: self.ancestors,
        }
    }
}

impl<T> core::fmt::Debug for Query<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Query")
            .field("collection", &self.collection)
            .field("conditions", &self.conditions)
            .field("order", &self.order)
            .field("limit", &self.limit)
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl<T: Serialize + DeserializeOwned> Query<T> {
    /// Only documents whose indexed `field` compares with `value` as `op` says.
    pub fn filter(mut self, field: &str, op: Compare, value: impl Into<Value>) -> Self {
        self.conditions.push(wit::Condition {
            field: field.to_owned(),
            op,
            value: value.into(),
        });
        self
    }

    /// Only documents of `community` and the communities under it.
    pub fn in_community(self, community: &str) -> Self {
        self.filter("community", Compare::Eq, community)
    }

    /// Order by indexed `field`; ties are broken by id. Without it, results are by id.
    pub fn order_by(mut self, field: &str, direction: Direction) -> Self {
        self.order = Some(wit::Order {
            field: field.to_owned(),
            descending: direction == Direction::Desc,
        });
        self
    }

    /// At most `limit` documents per page (1–1000; 0 means the host's default of 100).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Continue from the `next_cursor` of a previous page (none starts at the beginning).
    pub fn cursor(mut self, cursor: Option<&str>) -> Self {
        self.cursor = cursor.map(str::to_owned);
        self
    }

    /// Also read what the plugin stored at the communities above the call's (read only).
    pub fn with_ancestors(mut self) -> Self {
        self.ancestors = true;
        self
    }

    /// One page of matching documents.
    pub fn fetch(&self) -> Result<PageOf<T>> {
        let page = wit::query(&wit::QueryRequest {
            collection: self.collection.name.to_string(),
            conditions: self.conditions.clone(),
            order: self.order.clone(),
            limit: self.limit,
            cursor: self.cursor.clone(),
            include_ancestors: self.ancestors,
        })?;
        Ok(PageOf {
            docs: page
                .documents
                .into_iter()
                .map(Doc::decode)
                .collect::<Result<_>>()?,
            next_cursor: page.next_cursor,
        })
    }

    /// Every matching document, following cursors page by page. Mind the call's deadline
    /// and memory on large collections: prefer [`for_each`](Query::for_each), or
    /// [`fetch`](Query::fetch) and a job's cursor.
    pub fn fetch_all(self) -> Result<Vec<Doc<T>>> {
        let mut docs = Vec::new();
        self.for_each(|doc| {
            docs.push(doc);
            Ok(())
        })?;
        Ok(docs)
    }

    /// Hand every matching document to `each`, following cursors page by page: only one page
    /// is in memory at a time, so a file of a hundred thousand rows can be written from a
    /// collection that would not fit the plugin's memory whole. An error from `each` stops it.
    ///
    /// ```no_run
    /// # use dvor_sdk::prelude::*;
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct Reading { value: i64 }
    /// # const READINGS: Collection<Reading> = Collection::new("readings");
    /// # fn f() -> dvor_sdk::Result<()> {
    /// let mut total = 0;
    /// READINGS.query().limit(1000).for_each(|doc| {
    ///     total += doc.data.value;
    ///     Ok(())
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn for_each(mut self, mut each: impl FnMut(Doc<T>) -> Result<()>) -> Result<()> {
        loop {
            let page = self.fetch()?;
            for doc in page.docs {
                each(doc)?;
            }
            match page.next_cursor {
                Some(next) => self.cursor = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// How many documents match.
    pub fn count(&self) -> Result<u64> {
        Ok(self.aggregate(None, None)?.first().map_or(0, |g| g.count))
    }

    /// The sum of integer indexed `field` over the matching documents.
    pub fn sum(&self, field: &str) -> Result<i64> {
        Ok(self
            .aggregate(None, Some(field))?
            .first()
            .map_or(0, |g| g.sum))
    }

    /// Count (and, with `sum_of`, sum an integer indexed field) per value of indexed field
    /// `field`.
    pub fn group_by(&self, field: &str, sum_of: Option<&str>) -> Result<Vec<Group>> {
        self.aggregate(Some(field), sum_of)
    }

    fn aggregate(&self, group_by: Option<&str>, sum_of: Option<&str>) -> Result<Vec<Group>> {
        Ok(wit::aggregate(&wit::AggregateRequest {
            collection: self.collection.name.to_string(),
            conditions: self.conditions.clone(),
            group_by: group_by.map(str::to_owned),
            sum_of: sum_of.map(str::to_owned),
            include_ancestors: self.ancestors,
        })?)
    }
}

impl<T: DeserializeOwned> Doc<T> {
    fn decode(doc: wit::Document) -> Result<Self> {
        Ok(Doc {
            data: serde_json::from_str(&doc.data)?,
            id: doc.id,
            community: doc.community,
            version: doc.version,
            created: doc.created,
            updated: doc.updated,
        })
    }
}

fn encode<T: Serialize>(
    community: &str,
    id: Option<&str>,
    data: &T,
    expected_version: Option<u64>,
) -> Result<wit::DocumentWrite> {
    Ok(wit::DocumentWrite {
        id: id.map(str::to_owned),
        community: community.to_owned(),
        data: serde_json::to_string(data)?,
        expected_version,
    })
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(v.into())
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Integer(v.into())
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

/// Money is stored as integer kopecks.
impl From<Kopecks> for Value {
    fn from(v: Kopecks) -> Self {
        Value::Integer(v.0)
    }
}

/// Dates are stored as `YYYY-MM-DD` text, which orders chronologically.
impl From<Date> for Value {
    fn from(v: Date) -> Self {
        Value::Text(v.to_string())
    }
}

/// None is JSON `null`.
impl<V: Into<Value>> From<Option<V>> for Value {
    fn from(v: Option<V>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Note {
        text: String,
    }

    #[test]
    fn values_from_rust_types() {
        assert_eq!(Value::from(5i64), Value::Integer(5));
        assert_eq!(Value::from("a"), Value::Text("a".into()));
        assert_eq!(Value::from(true), Value::Boolean(true));
        assert_eq!(Value::from(Kopecks(12)), Value::Integer(12));
        assert_eq!(Value::from(None::<i64>), Value::Null);
        assert_eq!(
            Value::from("2024-02-29".parse::<Date>().unwrap()),
            Value::Text("2024-02-29".into())
        );
    }

    #[test]
    fn queries_build_the_contract_request() {
        const NOTES: Collection<Note> = Collection::new("notes");
        let q = NOTES
            .query()
            .filter("author", Compare::Eq, "p1")
            .order_by("created", Direction::Desc)
            .limit(2)
            .cursor(Some("c"));
        assert_eq!(q.conditions.len(), 1);
        assert_eq!(q.conditions[0].value, Value::Text("p1".into()));
        assert!(q.order.as_ref().is_some_and(|o| o.descending));
        assert_eq!((q.limit, q.cursor.as_deref()), (2, Some("c")));
    }

    #[test]
    fn documents_decode_and_encode() {
        let doc = Doc::<Note>::decode(wit::Document {
            id: "n1".into(),
            community: "town".into(),
            data: r#"{"text":"hi"}"#.into(),
            version: 3,
            created: 1,
            updated: 2,
        })
        .unwrap();
        assert_eq!(doc.data, Note { text: "hi".into() });
        assert_eq!(doc.version, 3);
        let bad = Doc::<Note>::decode(wit::Document {
            data: "[]".into(),
            ..wit::Document {
                id: String::new(),
                community: String::new(),
                data: String::new(),
                version: 1,
                created: 0,
                updated: 0,
            }
        });
        assert!(bad.is_err_and(|e| e.is(crate::ErrorCode::Internal)));
        let write = encode("town", None, &Note { text: "x".into() }, None).unwrap();
        assert_eq!(write.data, r#"{"text":"x"}"#);
        assert_eq!(write.id, None);
    }
}
