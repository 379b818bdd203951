//! Links to stored files: the host serves `/files/{id}` only through a link it signed when it
//! drew a page that showed the file, so a person downloads what a plugin page showed them and
//! nobody else does.
//!
//! A link is `/files/{id}?c={community}&e={expires}&s={signature}`: an HMAC-SHA256 over the file,
//! the plugin whose page showed it, the page's community, the viewer (the signed-in person, or
//! nobody for a page drawn for anyone) and the expiry. The key is the instance's own, kept in the
//! database (`instance_secrets`), so every host behind a load balancer signs and checks alike.
//! A link works for about a day and only for its viewer (a link drawn for nobody works for
//! anyone); a file of another plugin, or outside the page's community, never matches. Anything
//! else is 404, the same as for a file that does not exist.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query as Sql};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use sha2::Sha256;

use crate::error::AppError;
use crate::http::AppState;

/// The row of `instance_secrets` that holds the key.
const SECRET_NAME: &str = "file_links";
/// A link works at least this long after the page was drawn.
const VALID_HOURS: i64 = 24;
const HOUR_S: i64 = 3600;

/// The instance's key for file links.
pub struct FileLinks {
    key: Vec<u8>,
}

impl std::fmt::Debug for FileLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileLinks")
    }
}

#[derive(FromQueryResult)]
struct SecretRow {
    value: String,
}

impl FileLinks {
    /// The instance's key: made by the first host that starts, read by the others.
    pub async fn load<C: ConnectionTrait>(db: &C, now_ms: i64) -> Result<FileLinks, DbErr> {
        let table = Alias::new("instance_secrets");
        let fresh: [u8; 32] = rand::random();
        let insert = Sql::insert()
            .into_table(table.clone())
            .columns([
                Alias::new("name"),
                Alias::new("value"),
                Alias::new("created"),
            ])
            .values_panic([SECRET_NAME.into(), hex::encode(fresh).into(), now_ms.into()])
            .on_conflict(
                OnConflict::column(Alias::new("name"))
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        let backend = db.get_database_backend();
        db.execute(backend.build(&insert)).await?;
        let select = Sql::select()
            .column(Alias::new("value"))
            .from(table)
            .and_where(Expr::col(Alias::new("name")).eq(SECRET_NAME))
            .to_owned();
        let row = SecretRow::find_by_statement(backend.build(&select))
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("the file links key".into()))?;
        let key = hex::decode(&row.value)
            .map_err(|e| DbErr::Custom(format!("the file links key is not hex: {e}")))?;
        Ok(FileLinks { key })
    }

    /// Links signed with `key` (tests, tools).
    pub fn from_key(key: Vec<u8>) -> FileLinks {
        FileLinks { key }
    }

    /// The path of a link to `file` of `plugin` in `community`, for `viewer` (none: for anyone
    /// holding it), valid until `expires_ms`: what `files.link` and a finished job's
    /// notification hand out.
    pub fn path(
        &self,
        file: &str,
        plugin: &str,
        community: &str,
        viewer: Option<&str>,
        expires_ms: i64,
    ) -> String {
        let signer = LinkSigner {
            links: self,
            plugin,
            community,
            viewer,
            expires: expires_ms.div_euclid(1000),
        };
        crate::web::file_path(file, &signer)
    }

    /// A signer for the links of one page: drawn by `plugin` in `community` for `viewer`.
    pub fn signer<'a>(
        &'a self,
        plugin: &'a str,
        community: &'a str,
        viewer: Option<&'a str>,
        now_ms: i64,
    ) -> LinkSigner<'a> {
        // On the hour, so a page drawn twice within an hour links the same (cacheable) URL.
        let hour = now_ms.div_euclid(1000 * HOUR_S);
        LinkSigner {
            links: self,
            plugin,
            community,
            viewer,
            expires: (hour + 1 + VALID_HOURS) * HOUR_S,
        }
    }

    fn mac(
        &self,
        file: &str,
        plugin: &str,
        community: &str,
        viewer: Option<&str>,
        expires: i64,
    ) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        for part in [
            file,
            plugin,
            community,
            viewer.unwrap_or(""),
            &expires.to_string(),
        ] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        mac
    }
}

/// Signs the file links of one page.
#[derive(Clone, Copy, Debug)]
pub struct LinkSigner<'a> {
    links: &'a FileLinks,
    plugin: &'a str,
    community: &'a str,
    viewer: Option<&'a str>,
    expires: i64,
}

impl LinkSigner<'_> {
    /// The query of the link to `file`, `c=…&e=…&s=…`, as pairs for the caller to encode.
    pub fn query(&self, file: &str) -> Vec<(String, String)> {
        let signature = self
            .links
            .mac(file, self.plugin, self.community, self.viewer, self.expires)
            .finalize()
            .into_bytes();
        vec![
            ("c".to_owned(), self.community.to_owned()),
            ("e".to_owned(), self.expires.to_string()),
            ("s".to_owned(), hex::encode(signature)),
        ]
    }
}

/// A stored file as `/files/{id}` serves it.
#[derive(FromQueryResult)]
struct StoredFile {
    plugin: String,
    community_path: String,
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

/// `GET /files/{id}?c&e&s`: the file, if the link is one the host signed for this viewer and
/// has not expired; 404 otherwise.
pub async fn serve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let missing = || AppError::not_found("Нет такого файла / No such file");
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(community), Some(expires), Some(signature)) = (param("c"), param("e"), param("s"))
    else {
        return Err(missing());
    };
    let expires: i64 = expires.parse().map_err(|_| missing())?;
    let signature = hex::decode(signature).map_err(|_| missing())?;
    if expires * 1000 < crate::identity::now_ms() {
        return Err(missing());
    }
    let tree = state.runtime.shared().communities();
    let Some(place) = tree.get(community) else {
        return Err(missing());
    };
    let db = state.runtime.shared().db.connection();
    let select = Sql::select()
        .columns(["plugin", "community_path", "name", "content_type", "bytes"].map(Alias::new))
        .from(Alias::new("files"))
        .and_where(Expr::col(Alias::new("id")).eq(id.as_str()))
        .to_owned();
    let Some(file) = StoredFile::find_by_statement(db.get_database_backend().build(&select))
        .one(db)
        .await?
    else {
        return Err(missing());
    };
    if !file.community_path.starts_with(&place.path) {
        return Err(missing());
    }
    // A dead session is someone not signed in: a link drawn for anyone still works.
    let viewer = crate::api::extract::principal_of(&state, crate::api::extract::token_in(&headers))
        .await
        .ok()
        .flatten()
        .map(|p| p.person.id);
    let links = &state.runtime.shared().file_links;
    let signed_for = |viewer: Option<&str>| {
        links
            .mac(&id, &file.plugin, community, viewer, expires)
            .verify_slice(&signature)
            .is_ok()
    };
    if !(signed_for(viewer.as_deref()) || (viewer.is_some() && signed_for(None))) {
        return Err(missing());
    }
    Ok(file_response(file))
}

/// Types a browser may show in place; everything else is downloaded.
const SHOWN_INLINE: [&str; 5] = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
];

fn file_response(file: StoredFile) -> Response {
    let content_type = file.content_type.to_ascii_lowercase();
    let inline = SHOWN_INLINE
        .iter()
        .any(|t| content_type.split(';').next().map(str::trim) == Some(*t));
    let mut response = file.bytes.into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        crate::web::percent_encode(&file.name)
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        out.insert(header::CONTENT_DISPOSITION, value);
    }
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    crate::http::sandbox(out);
    out.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
