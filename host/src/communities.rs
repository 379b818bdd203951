//! The community tree: an in-memory view of the `communities` table, and the seeding of that
//! table (and of `units`) from the instance config.
//!
//! Each community stores a materialised path of ids, `/root/child/grandchild/`, so that "this
//! community and everything below it" is a prefix match. This module is the only place such
//! paths are computed ([`Communities::seed`], [`Communities::from_config`]).
//!
//! Seeding is idempotent: communities are inserted if missing and get their name, kind and
//! address updated; units are inserted if missing and get their kind, area and cadastral
//! number updated. Nothing is ever deleted. Moving a community to another parent is refused
//! ([`SeedError::ParentChanged`]): the paths of everything stored below it would change.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, TransactionTrait};

use crate::config::Config;

/// One community.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct Community {
    /// Its id, `[a-z0-9][a-z0-9-]{0,62}`.
    pub id: String,
    /// The id of the community it belongs to.
    #[sea_orm(from_alias = "parent_id")]
    pub parent: Option<String>,
    /// Its name.
    pub name: String,
    /// `region`, `municipality`, `settlement`, `district`, `house`, `snt`, `village`, `yard`.
    pub kind: String,
    /// A postal address.
    pub address: Option<String>,
    /// The materialised path, `/root/…/id/`.
    pub path: String,
}

/// The community tree.
#[derive(Clone, Debug, Default)]
pub struct Communities {
    by_id: BTreeMap<String, Community>,
    /// Children ids of each community, ordered by name, then id.
    children: BTreeMap<String, Vec<String>>,
    /// Ids of the communities without a (known) parent, ordered by name, then id.
    roots: Vec<String>,
}

/// Why seeding the tree failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database refused.
    #[error("seeding the communities: {0}")]
    Db(#[from] DbErr),
    /// The config puts an existing community under another parent than the database has.
    #[error(
        "community `{id}`: the config puts it {}, but the database has it {}; moving a community is not supported (put `parent` back)",
        under(.in_config), under(.in_database)
    )]
    ParentChanged {
        /// The community.
        id: String,
        /// Its parent in the database.
        in_database: Option<String>,
        /// Its parent in the config.
        in_config: Option<String>,
    },
    /// A parent is neither in the config nor in the database (the config's validation
    /// normally rules this out).
    #[error("community `{id}`: its parent `{parent}` does not exist")]
    UnknownParent {
        /// The community.
        id: String,
        /// The missing parent.
        parent: String,
    },
}

fn under(parent: &Option<String>) -> String {
    match parent {
        Some(parent) => format!("under `{parent}`"),
        None => "at the top".into(),
    }
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// The path of a community under a parent with path `parent_path` (`None` for a root).
fn path_under(parent_path: Option<&str>, id: &str) -> String {
    format!("{}{id}/", parent_path.unwrap_or("/"))
}

/// Paths for `(id, parent)` pairs, parents resolved among the pairs or in `known` (id →
/// path). Pairs may come in any order; a parent found nowhere is an error.
fn compute_paths(
    pairs: &[(&str, Option<&str>)],
    known: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, SeedError> {
    let parent_of: BTreeMap<&str, Option<&str>> = pairs.iter().copied().collect();
    let mut paths: BTreeMap<String, String> = BTreeMap::new();
    for &(id, _) in pairs {
        // Walk up to something with a path, then come back down.
        let mut chain = vec![id];
        let mut current = id;
        let base = loop {
            if let Some(path) = paths.get(current) {
                chain.pop();
                break Some(path.clone());
            }
            match parent_of.get(current) {
                Some(Some(parent)) => {
                    if chain.contains(parent) || chain.len() > pairs.len() {
                        return Err(SeedError::UnknownParent {
                            id: current.to_owned(),
                            parent: (*parent).to_owned(),
                        });
                    }
                    chain.push(parent);
                    current = parent;
                }
                Some(None) => break None,
                None => match known.get(current) {
                    Some(path) => {
                        chain.pop();
                        break Some(path.clone());
                    }
                    None => {
                        let child = chain.get(chain.len().wrapping_sub(2)).copied();
                        return Err(SeedError::UnknownParent {
                            id: child.unwrap_or(id).to_owned(),
                            parent: current.to_owned(),
                        });
                    }
                },
            }
        };
        let mut path = base;
        for &link in chain.iter().rev() {
            let p = path_under(path.as_deref(), link);
            paths.insert(link.to_owned(), p.clone());
            path = Some(p);
        }
    }
    Ok(paths)
}

impl Communities {
    /// Build a tree from a list of communities (their paths as given).
    pub fn from_list(list: impl IntoIterator<Item = Community>) -> Communities {
        let by_id: BTreeMap<String, Community> =
            list.into_iter().map(|c| (c.id.clone(), c)).collect();
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut roots = Vec::new();
        for community in by_id.values() {
            match &community.parent {
                Some(parent) if by_id.contains_key(parent) => children
                    .entry(parent.clone())
                    .or_default()
                    .push(community.id.clone()),
                _ => roots.push(community.id.clone()),
            }
        }
        let order = |ids: &mut Vec<String>| {
            ids.sort_by(|x, y| (&by_id[x].name, x).cmp(&(&by_id[y].name, y)));
        };
        order(&mut roots);
        children.values_mut().for_each(order);
        Communities {
            by_id,
            children,
            roots,
        }
    }

    /// The tree the config declares, without a database.
    pub fn from_config(config: &Config) -> Result<Communities, SeedError> {
        let pairs: Vec<(&str, Option<&str>)> = config
            .communities
            .iter()
            .map(|c| (c.id.as_str(), c.parent.as_deref()))
            .collect();
        let paths = compute_paths(&pairs, &BTreeMap::new())?;
        Ok(Communities::from_list(config.communities.iter().map(|c| {
            Community {
                id: c.id.clone(),
                parent: c.parent.clone(),
                name: c.name.clone(),
                kind: c.kind.as_str().to_owned(),
                address: c.address.clone(),
                path: paths[&c.id].clone(),
            }
        })))
    }

    /// Read the tree from the database.
    pub async fn load<C: ConnectionTrait>(db: &C) -> Result<Communities, DbErr> {
        let select = Query::select()
            .column(a("id"))
            .column(a("parent_id"))
            .column(a("name"))
            .column(a("kind"))
            .column(a("address"))
            .column(a("path"))
            .from(a("communities"))
            .to_owned();
        let rows = db
            .query_all(db.get_database_backend().build(&select))
            .await?;
        let list = rows
            .iter()
            .map(|row| Community::from_query_result(row, ""))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Communities::from_list(list))
    }

    /// Write the config's communities and units into the database, in one transaction:
    /// communities inserted if missing (name, kind, address updated), then units keyed by
    /// (community, number) with id `{community}/{number}` (kind, area, cadastral number
    /// updated). Idempotent; never deletes.
    pub async fn seed<C: ConnectionTrait + TransactionTrait>(
        db: &C,
        cfg: &Config,
        now_ms: i64,
    ) -> Result<(), SeedError> {
        let tx = db.begin().await?;
        let existing = Communities::load(&tx).await?;
        for community in &cfg.communities {
            if let Some(stored) = existing.get(&community.id)
                && stored.parent != community.parent
            {
                return Err(SeedError::ParentChanged {
                    id: community.id.clone(),
                    in_database: stored.parent.clone(),
                    in_config: community.parent.clone(),
                });
            }
        }
        let known: BTreeMap<String, String> = existing
            .by_id
            .values()
            .map(|c| (c.id.clone(), c.path.clone()))
            .collect();
        let pairs: Vec<(&str, Option<&str>)> = cfg
            .communities
            .iter()
            .map(|c| (c.id.as_str(), c.parent.as_deref()))
            .collect();
        let paths = compute_paths(&pairs, &known)?;

        for community in &cfg.communities {
            let insert = Query::insert()
                .into_table(a("communities"))
                .columns([
                    a("id"),
                    a("parent_id"),
                    a("name"),
                    a("kind"),
                    a("address"),
                    a("path"),
                    a("created"),
                ])
                .values_panic([
                    community.id.as_str().into(),
                    community.parent.clone().into(),
                    community.name.as_str().into(),
                    community.kind.as_str().into(),
                    community.address.clone().into(),
                    paths[&community.id].as_str().into(),
                    now_ms.into(),
                ])
                .on_conflict(
                    OnConflict::column(a("id"))
                        .update_columns([a("name"), a("kind"), a("address")])
                        .to_owned(),
                )
                .to_owned();
            tx.execute(tx.get_database_backend().build(&insert)).await?;
        }

        for unit in &cfg.units {
            let insert = Query::insert()
                .into_table(a("units"))
                .columns([
                    a("id"),
                    a("community_id"),
                    a("number"),
                    a("kind"),
                    a("area_centi_m2"),
                    a("cadastral_number"),
                    a("entrance"),
                    a("floor"),
                ])
                .values_panic([
                    unit.id().into(),
                    unit.community.as_str().into(),
                    unit.number.as_str().into(),
                    unit.kind.as_str().into(),
                    unit.area.centi_m2.into(),
                    unit.cadastral_number.clone().into(),
                    unit.entrance.clone().into(),
                    unit.floor.into(),
                ])
                .on_conflict(
                    OnConflict::column(a("id"))
                        .update_columns([
                            a("kind"),
                            a("area_centi_m2"),
                            a("cadastral_number"),
                            a("entrance"),
                            a("floor"),
                        ])
                        .to_owned(),
                )
                .to_owned();
            tx.execute(tx.get_database_backend().build(&insert)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A community by id.
    pub fn get(&self, id: &str) -> Option<&Community> {
        self.by_id.get(id)
    }

    /// How many communities there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every community, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Community> {
        self.by_id.values()
    }

    /// Whether `id` is `root` or below it (false if either is unknown).
    pub fn is_within(&self, id: &str, root: &str) -> bool {
        match (self.by_id.get(id), self.by_id.get(root)) {
            (Some(community), Some(root)) => community.path.starts_with(&root.path),
            _ => false,
        }
    }

    /// The direct children of `id`, of `kind` if given, ordered by name.
    pub fn children(&self, id: &str, kind: Option<&str>) -> Vec<&Community> {
        self.children
            .get(id)
            .into_iter()
            .flatten()
            .map(|child| &self.by_id[child])
            .filter(|c| kind.is_none_or(|k| c.kind == k))
            .collect()
    }

    /// Everything below `id` (not `id` itself), of `kind` if given, depth-first: each
    /// community comes right before its own descendants, siblings ordered by name.
    pub fn descendants(&self, id: &str, kind: Option<&str>) -> Vec<&Community> {
        let mut out = Vec::new();
        let mut stack: Vec<&String> = self.children.get(id).into_iter().flatten().rev().collect();
        while let Some(next) = stack.pop() {
            let community = &self.by_id[next];
            if kind.is_none_or(|k| community.kind == k) {
                out.push(community);
            }
            stack.extend(self.children.get(next).into_iter().flatten().rev());
        }
        out
    }

    /// The chain from the root down to `id`, both included (empty if `id` is unknown).
    pub fn ancestors(&self, id: &str) -> Vec<&Community> {
        let mut out = Vec::new();
        let mut current = self.by_id.get(id);
        while let Some(community) = current {
            if out.len() > self.by_id.len() {
                break;
            }
            out.push(community);
            current = community.parent.as_deref().and_then(|p| self.by_id.get(p));
        }
        out.reverse();
        out
    }

    /// The communities without a parent, ordered by name.
    pub fn roots(&self) -> Vec<&Community> {
        self.roots.iter().map(|id| &self.by_id[id]).collect()
    }
}

impl crate::storage::CommunityPaths for Communities {
    fn path_of(&self, id: &str) -> Option<&str> {
        self.get(id).map(|community| community.path.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dvor_migration::MigratorTrait as _;
    use sea_orm::{ConnectOptions, Database, DatabaseConnection};

    const TREE: &str = r#"
[instance]
name = "Тест"

[[communities]]
id = "house-1"
name = "Дом 1"
kind = "house"
parent = "town"
address = "ул. Садовая, 1"

[[communities]]
id = "town"
name = "Город"
kind = "settlement"

[[communities]]
id = "snt"
name = "СНТ «Рябинка»"
kind = "snt"
parent = "town"

[[communities]]
id = "other"
name = "Другой"
kind = "settlement"

[[units]]
community = "house-1"
number = "12"
kind = "apartment"
area = "54.3"

[[units]]
community = "snt"
number = "7"
kind = "plot"
area = "600"
"#;

    fn config(text: &str) -> Config {
        Config::from_str_with_env(text, "test.toml", std::iter::empty()).unwrap()
    }

    async fn database() -> DatabaseConnection {
        let mut options = ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).sqlx_logging(false);
        let db = Database::connect(options).await.unwrap();
        dvor_migration::Migrator::up(&db, None).await.unwrap();
        db
    }

    #[derive(Debug, PartialEq, FromQueryResult)]
    struct UnitRow {
        id: String,
        community_id: String,
        kind: String,
        area_centi_m2: i64,
    }

    async fn units(db: &DatabaseConnection) -> Vec<UnitRow> {
        let select = Query::select()
            .columns([a("id"), a("community_id"), a("kind"), a("area_centi_m2")])
            .from(a("units"))
            .order_by(a("id"), sea_orm::sea_query::Order::Asc)
            .to_owned();
        UnitRow::find_by_statement(db.get_database_backend().build(&select))
            .all(db)
            .await
            .unwrap()
    }

    #[test]
    fn paths_and_queries() {
        let tree = Communities::from_config(&config(TREE)).unwrap();
        assert_eq!(tree.get("town").unwrap().path, "/town/");
        assert_eq!(tree.get("house-1").unwrap().path, "/town/house-1/");
        assert_eq!(tree.get("house-1").unwrap().kind, "house");
        assert!(tree.is_within("house-1", "town"));
        assert!(tree.is_within("town", "town"));
        assert!(!tree.is_within("town", "house-1"));
        assert!(!tree.is_within("house-1", "other"));
        assert!(!tree.is_within("nowhere", "town"));
        let ids = |list: Vec<&Community>| list.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(tree.roots()), ["town", "other"]); // Город < Другой
        assert_eq!(ids(tree.children("town", None)), ["house-1", "snt"]);
        assert_eq!(ids(tree.children("town", Some("snt"))), ["snt"]);
        assert_eq!(ids(tree.descendants("town", None)), ["house-1", "snt"]);
        assert_eq!(ids(tree.descendants("town", Some("house"))), ["house-1"]);
        assert_eq!(ids(tree.ancestors("house-1")), ["town", "house-1"]);
        assert!(tree.ancestors("nowhere").is_empty());
    }

    #[test]
    fn deep_paths_in_any_order() {
        let pairs = [
            ("d", Some("c")),
            ("b", Some("a")),
            ("c", Some("b")),
            ("a", None),
        ];
        let paths = compute_paths(&pairs, &BTreeMap::new()).unwrap();
        assert_eq!(paths["d"], "/a/b/c/d/");
        let known = BTreeMap::from([("x".to_owned(), "/r/x/".to_owned())]);
        let paths = compute_paths(&[("y", Some("x"))], &known).unwrap();
        assert_eq!(paths["y"], "/r/x/y/");
        let error = compute_paths(&[("y", Some("z"))], &known).unwrap_err();
        assert_eq!(
            error.to_string(),
            "community `y`: its parent `z` does not exist"
        );
    }

    #[test]
    fn unknown_parent_in_config_is_named() {
        let text = TREE.replace("parent = \"town\"\naddress", "parent = \"city\"\naddress");
        let error = Config::from_str_with_env(&text, "test.toml", std::iter::empty())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "test.toml:9: `communities[0].parent`: community `house-1` has parent `city`, which is not declared in [[communities]]"
            ),
            "{error}"
        );
    }

    #[tokio::test]
    async fn seed_is_idempotent_and_updates() {
        let db = database().await;
        let cfg = config(TREE);
        Communities::seed(&db, &cfg, 1000).await.unwrap();
        let first = Communities::load(&db).await.unwrap();
        Communities::seed(&db, &cfg, 2000).await.unwrap();
        let second = Communities::load(&db).await.unwrap();
        assert_eq!(first.len(), 4);
        assert_eq!(
            first.iter().collect::<Vec<_>>(),
            second.iter().collect::<Vec<_>>()
        );
        assert_eq!(second.get("snt").unwrap().path, "/town/snt/");
        assert_eq!(
            second.get("house-1").unwrap().address.as_deref(),
            Some("ул. Садовая, 1")
        );
        let rows = units(&db).await;
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            UnitRow {
                id: "house-1/12".into(),
                community_id: "house-1".into(),
                kind: "apartment".into(),
                area_centi_m2: 5430,
            }
        );
        assert_eq!(rows[1].area_centi_m2, 60000);

        // Renames and new areas are applied; nothing is deleted.
        let changed = TREE
            .replace("name = \"Город\"", "name = \"Новый город\"")
            .replace("area = \"54.3\"", "area = \"55\"");
        let changed = changed[..changed.find("[[communities]]\nid = \"other\"").unwrap()]
            .to_owned()
            + "[[units]]\ncommunity = \"house-1\"\nnumber = \"12\"\nkind = \"apartment\"\narea = \"55\"\n";
        Communities::seed(&db, &config(&changed), 3000)
            .await
            .unwrap();
        let tree = Communities::load(&db).await.unwrap();
        assert_eq!(tree.get("town").unwrap().name, "Новый город");
        assert!(tree.get("other").is_some(), "never deleted");
        let rows = units(&db).await;
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].area_centi_m2, 5500);
    }

    #[tokio::test]
    async fn moving_a_community_is_refused() {
        let db = database().await;
        Communities::seed(&db, &config(TREE), 1000).await.unwrap();
        let moved = TREE.replace("parent = \"town\"\naddress", "parent = \"other\"\naddress");
        let error = Communities::seed(&db, &config(&moved), 2000)
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "community `house-1`: the config puts it under `other`, but the database has it under `town`; moving a community is not supported (put `parent` back)"
        );
    }
}
