//! Files plugins keep (photos, documents), stored in the database with the plugin's other data
//! so that a call's files commit or roll back with it.

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::runtime::latest::dvor::plugin::files::FileInfo;
use crate::runtime::latest::dvor::plugin::types::{Error, ErrorCode};

/// The largest file a plugin may store.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

fn invalid(field: &str, message: &str) -> Error {
    Error {
        code: ErrorCode::Invalid,
        message: message.to_owned(),
        field: Some(field.to_owned()),
    }
}

/// Check a file before storing it.
pub fn validate(name: &str, content_type: &str, size: usize) -> Result<(), Error> {
    if name.trim().is_empty() || name.len() > 255 || name.contains(['/', '\\', '\0']) {
        return Err(invalid(
            "name",
            "a file name of 1 to 255 characters without slashes is required",
        ));
    }
    let well_formed = content_type.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && !content_type.contains(['\r', '\n'])
    });
    if !well_formed {
        return Err(invalid(
            "content-type",
            "a MIME type such as image/jpeg is required",
        ));
    }
    if size > MAX_FILE_BYTES {
        return Err(Error {
            code: ErrorCode::Limited,
            message: format!("a file may be at most {} MiB", MAX_FILE_BYTES >> 20),
            field: Some("bytes".into()),
        });
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct FileRow {
    id: String,
    community_id: String,
    name: String,
    content_type: String,
    size: i64,
    created: i64,
}

impl From<FileRow> for FileInfo {
    fn from(r: FileRow) -> Self {
        FileInfo {
            id: r.id,
            name: r.name,
            content_type: r.content_type,
            size: r.size.max(0) as u64,
            community: r.community_id,
            created: r.created,
        }
    }
}

/// Store a file; the caller checked capability, scope and [`validate`].
#[allow(clippy::too_many_arguments)]
pub async fn store<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    community: &str,
    community_path: &str,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
    now: i64,
) -> Result<FileInfo, DbErr> {
    let id = crate::events::new_id(now);
    let size = bytes.len() as i64;
    let insert = Query::insert()
        .into_table(Alias::new("files"))
        .columns(
            [
                "id",
                "plugin",
                "community_id",
                "community_path",
                "name",
                "content_type",
                "size",
                "bytes",
                "created",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.clone().into(),
            plugin.into(),
            community.into(),
            community_path.into(),
            name.into(),
            content_type.into(),
            size.into(),
            bytes.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(FileInfo {
        id,
        name: name.to_owned(),
        content_type: content_type.to_owned(),
        size: size as u64,
        community: community.to_owned(),
        created: now,
    })
}

fn scoped(plugin: &str, path: &str, id: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .from(Alias::new("files"))
        .and_where(Expr::col(Alias::new("plugin")).eq(plugin))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .and_where(
            Expr::col(Alias::new("community_path"))
                .like(format!("{}%", crate::inbox::escape_like(path))),
        )
        .to_owned()
}

/// A file's description, if it is the plugin's and in scope.
pub async fn info<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    path: &str,
    id: &str,
) -> Result<Option<FileInfo>, DbErr> {
    let query = scoped(plugin, path, id)
        .columns(
            [
                "id",
                "community_id",
                "name",
                "content_type",
                "size",
                "created",
            ]
            .map(Alias::new),
        )
        .to_owned();
    Ok(
        FileRow::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?
            .map(FileInfo::from),
    )
}

#[derive(FromQueryResult)]
struct Bytes {
    bytes: Vec<u8>,
}

/// A file's bytes, if it is the plugin's and in scope.
pub async fn read<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    path: &str,
    id: &str,
) -> Result<Option<Vec<u8>>, DbErr> {
    let query = scoped(plugin, path, id)
        .column(Alias::new("bytes"))
        .to_owned();
    Ok(
        Bytes::find_by_statement(db.get_database_backend().build(&query))
            .one(db)
            .await?
            .map(|b| b.bytes),
    )
}

/// Delete a file; true if it existed.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    plugin: &str,
    path: &str,
    id: &str,
) -> Result<bool, DbErr> {
    let query = Query::delete()
        .from_table(Alias::new("files"))
        .and_where(Expr::col(Alias::new("plugin")).eq(plugin))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .and_where(
            Expr::col(Alias::new("community_path"))
                .like(format!("{}%", crate::inbox::escape_like(path))),
        )
        .to_owned();
    let result = db.execute(db.get_database_backend().build(&query)).await?;
    Ok(result.rows_affected() > 0)
}

/// The path a person downloads a stored file of `plugin` in `community` from, signed for
/// `viewer` (none: whoever holds the link) until `expires_ms`.
pub fn download_path(
    shared: &crate::runtime::Shared,
    plugin: &str,
    community: &str,
    id: &str,
    viewer: Option<&str>,
    expires_ms: i64,
) -> String {
    shared
        .file_links
        .path(id, plugin, community, viewer, expires_ms)
}
