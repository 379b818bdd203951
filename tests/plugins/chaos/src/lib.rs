//! `chaos`: a plugin that misbehaves on purpose, so the host's tests can check that one bad
//! plugin cannot hurt the host or other plugins.
//!
//! | route | behaviour |
//! |---|---|
//! | `* echo` | returns the request body; touches nothing else |
//! | `GET ok` | `200 ok`, quickly |
//! | `GET loop` | loops forever |
//! | `GET alloc` | allocates 1 MiB blocks forever |
//! | `GET recurse` | recurses without end |
//! | `GET panic` | panics |
//! | `GET huge` | answers with a 64 MiB body |
//! | `POST write-then-fail?id=` | inserts into `scratch`, then returns `internal` |
//! | `POST write-then-trap?id=` | inserts into `scratch`, then panics |
//! | `POST write?id=&community=` | inserts into `scratch` (the call's community by default), `201` |
//! | `GET read?id=` | the `scratch` document, or `404` |
//! | `GET list` | the ids of every `scratch` document, as a JSON array |
//! | `GET sneak?collection=notes` | reads an undeclared collection; the host's error as `403` |
//! | `POST emit-undeclared` | emits an undeclared event kind; the host's error as `403` |
//! | `GET fetch?url=` | outbound HTTP; a denial as `403`, other failures as `502` |
//! | `POST write-then-loop?id=` | inserts into `scratch`, then loops until the deadline |
//! | `GET whoami?role=` | the caller and their roles as the contract gives them, and `has-role(role)` |
//! | `POST poke?fail=` | emits `chaos.poked`; its handler fails every time when `fail=true` |
//! | `POST count?id=` | adds one to the `count` of a `scratch` document (created at 1) |
//! | `GET count-slowly?id=&ms=` | reads the count, spins for `ms`, then writes it plus one: a read that writes late |

use std::hint::black_box;

use dvor_sdk::prelude::*;
use serde_json::{Value, json};

const SCRATCH: Collection<Value> = Collection::new("scratch");

#[derive(Default)]
struct Chaos;

impl Plugin for Chaos {
    fn handle_request(&self, req: ApiRequest) -> Result<ApiResponse> {
        if req.path == "echo" {
            return Ok(echo(req));
        }
        match req.route() {
            ("GET", "ok") => Ok(ApiResponse::text(200, "ok")),
            ("GET", "loop") => spin_forever(),
            ("GET", "alloc") => allocate_forever(),
            ("GET", "recurse") => {
                let depth = recurse(black_box(0));
                ApiResponse::ok(&depth)
            }
            ("GET", "panic") => panic!("chaos: a deliberate panic"),
            ("GET", "huge") => Ok(ApiResponse::bytes(
                200,
                "application/octet-stream",
                vec![b'x'; 64 << 20],
            )),
            ("POST", "write-then-fail") => {
                write_scratch(&req)?;
                Err(Error::internal("chaos: failing after a write"))
            }
            ("POST", "write-then-trap") => {
                write_scratch(&req)?;
                panic!("chaos: trapping after a write")
            }
            ("POST", "write-then-loop") => {
                write_scratch(&req)?;
                spin_forever()
            }
            ("POST", "write") => ApiResponse::created(&write_scratch(&req)?),
            ("POST", "poke") => {
                let fail = req.param("fail") == Some("true");
                let id = events::emit("chaos.poked", &ctx::community(), &json!({ "fail": fail }))?;
                ApiResponse::json(202, &json!({ "event": id }))
            }
            ("POST", "count") => ApiResponse::ok(&count(&req, 0)?),
            ("GET", "count-slowly") => {
                let ms = req.params().require("ms")?.parse().unwrap_or(0u64);
                ApiResponse::ok(&count(&req, ms)?)
            }
            ("GET", "read") => {
                let id = req.params().require("id")?.to_owned();
                match SCRATCH.get(&id)? {
                    Some(doc) => ApiResponse::ok(&doc),
                    None => Err(Error::not_found(format!("no scratch document `{id}`"))),
                }
            }
            ("GET", "list") => {
                let ids: Vec<String> = SCRATCH
                    .query()
                    .limit(1000)
                    .fetch_all()?
                    .into_iter()
                    .map(|doc| doc.id)
                    .collect();
                ApiResponse::ok(&ids)
            }
            ("GET", "sneak") => {
                let name = req.param("collection").unwrap_or("notes");
                match Collection::<Value>::named(name).query().fetch() {
                    Ok(page) => ApiResponse::ok(&json!({ "leaked": page.docs })),
                    Err(e) => host_error(403, &e),
                }
            }
            ("POST", "emit-undeclared") => {
                match events::emit("chaos.undeclared", &ctx::community(), &json!({})) {
                    Ok(id) => ApiResponse::ok(&json!({ "emitted": id })),
                    Err(e) => host_error(403, &e),
                }
            }
            ("GET", "fetch") => {
                let url = req.params().require("url")?.to_owned();
                match dvor_sdk::http::get(&url) {
                    Ok(resp) => ApiResponse::ok(&json!({
                        "status": resp.status,
                        "body_len": resp.body.len(),
                    })),
                    Err(e) if e.is(ErrorCode::Forbidden) => host_error(403, &e),
                    Err(e) => host_error(502, &e),
                }
            }
            ("GET", "whoami") => {
                let role = req.param("role").unwrap_or("resident");
                ApiResponse::ok(&json!({
                    "caller": ctx::caller().map(|c| json!({
                        "person_id": c.person_id,
                        "display_name": c.display_name,
                        "roles": c.roles.iter().map(|r| json!({
                            "name": r.name,
                            "community": r.community,
                            "organization": r.organization,
                        })).collect::<Vec<_>>(),
                    })),
                    "has_role": ctx::has_role(role),
                }))
            }
            _ => Err(Error::not_found("chaos: no such route")),
        }
    }

    fn on_event(&self, event: Event) -> Result<()> {
        let payload: Value = event.payload()?;
        if payload["fail"] == json!(true) {
            return Err(Error::internal("chaos: this poke always fails"));
        }
        Ok(())
    }
}

dvor_sdk::plugin!(Chaos, manifest = "dvor-plugin.toml");

/// The request body back, with its content type; no host calls at all.
fn echo(req: ApiRequest) -> ApiResponse {
    let content_type = req
        .header("content-type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    ApiResponse::bytes(200, content_type, req.body)
}

/// A host error as `{"code", "message"}` JSON with `status`.
fn host_error(status: u16, e: &Error) -> Result<ApiResponse> {
    ApiResponse::json(
        status,
        &json!({ "code": dvor_sdk::error::code_name(e.code), "message": e.message }),
    )
}

/// Insert `{"id", "community"}` into `scratch` with the query's `id` (required) in the query's
/// `community` (default: the call's).
fn write_scratch(req: &ApiRequest) -> Result<Doc<Value>> {
    let params = req.params();
    let id = params.require("id")?;
    let community = match params.get("community") {
        Some(c) => c.to_owned(),
        None => ctx::community(),
    };
    SCRATCH.insert(
        &community,
        Some(id),
        &json!({ "id": id, "community": community }),
    )
}

/// Read the `count` of the `scratch` document `id`, spin for `spin_ms`, then write one more:
/// nothing but the host's isolation keeps a write landing meanwhile from being lost.
fn count(req: &ApiRequest, spin_ms: u64) -> Result<Value> {
    let id = req.params().require("id")?.to_owned();
    let before = SCRATCH
        .get(&id)?
        .and_then(|doc| doc.data["count"].as_i64())
        .unwrap_or(0);
    // The call's own clock is fixed for the call; WASI's monotonic clock is not.
    let started = std::time::Instant::now();
    let mut n: u64 = 0;
    while started.elapsed() < std::time::Duration::from_millis(spin_ms) {
        n = black_box(n.wrapping_add(1));
    }
    let written = json!({ "id": id, "count": before + 1 });
    SCRATCH.put(&ctx::community(), &id, &written, None)?;
    Ok(written)
}

fn spin_forever() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

fn allocate_forever() -> ! {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        // Non-zero bytes, so every page is really written.
        blocks.push(vec![1u8; 1 << 20]);
        black_box(&blocks);
    }
}

/// Recursion that neither ends nor becomes a loop: each frame keeps a buffer alive across the
/// call and uses the result.
#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 16]);
    let deeper = recurse(black_box(depth + 1));
    black_box(deeper.wrapping_add(frame[(depth % 16) as usize]))
}
