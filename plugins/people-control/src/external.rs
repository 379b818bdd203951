//! The link to an external people's-control system over Open311, both ways:
//!
//! - appeals of the categories the config names are forwarded to it (POST `requests.json`),
//!   retried with backoff until it acknowledges them with its id; a refusal (4xx) stops the
//!   retries and tells the moderators;
//! - its status updates come back by polling its `servicerequestupdates.json` and by its
//!   HMAC-signed webhook, and land on the appeal's timeline once each;
//! - when this instance is the external system for someone else, the status updates of the
//!   appeals an Open311 client filed are posted to the client's webhook, signed, with retries.

use dvor_sdk::http::Request;
use dvor_sdk::notifications::{Localized, Message, Urgency};
use dvor_sdk::prelude::*;

use crate::model::{
    APPEALS, Appeal, Entry, External, ForwardState, OUTBOX, STATE, Settings, Status,
};
use crate::open311;

/// The header carrying a webhook's signature: `sha256=` and the hex HMAC-SHA256 of the body.
pub const SIGNATURE_HEADER: &str = "x-dvor-signature";
const MINUTE_MS: i64 = 60_000;
const HTTP_TIMEOUT_MS: u32 = 10_000;

/// The wait before attempt `attempts + 1`: `base` (a minute by default), doubling, at most an
/// hour. Retries never stop: an appeal must reach the system that answers it.
pub fn backoff_ms(base: i64, attempts: u32) -> i64 {
    (base.max(0) << attempts.min(10)).min(60 * MINUTE_MS)
}

use dvor_sdk::webhooks::{sign, signature_is_valid};

fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The form that files `appeal` in the external system.
pub fn request_form(external: &External, appeal: &Appeal) -> String {
    let mut pairs: Vec<(String, String)> = vec![
        ("api_key".into(), external.api_key.clone()),
        ("service_code".into(), appeal.category.clone()),
        ("description".into(), appeal.description.clone()),
    ];
    if let Some(jurisdiction) = &external.jurisdiction_id {
        pairs.push(("jurisdiction_id".into(), jurisdiction.clone()));
    }
    if let Some(point) = appeal.point {
        pairs.push(("lat".into(), point.lat.to_string()));
        pairs.push(("long".into(), point.lon.to_string()));
    }
    if let Some(address) = &appeal.address {
        pairs.push(("address_string".into(), address.clone()));
    }
    let name = appeal.author_name.trim();
    let (first, last) = name.split_once(' ').unwrap_or((name, name));
    pairs.push(("first_name".into(), first.trim().to_owned()));
    pairs.push(("last_name".into(), last.trim().to_owned()));
    pairs.push(("account_id".into(), appeal.number.to_string()));
    for (code, values) in &appeal.attributes {
        let key = if values.len() > 1 {
            format!("attribute[{code}][]")
        } else {
            format!("attribute[{code}]")
        };
        for value in values {
            pairs.push((key.clone(), value.clone()));
        }
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn system_entry(kind: &str, status: Option<Status>, note: String) -> Entry {
    Entry {
        at: ctx::now(),
        by: None,
        by_name: String::new(),
        kind: kind.into(),
        status,
        note,
        update_id: None,
    }
}

/// Forward appeals waiting for it, at most `limit`. Returns how many were tried.
pub fn forward_pending(limit: u32) -> Result<u32> {
    let settings = Settings::load()?;
    let Some(external) = settings.external()? else {
        return Ok(0);
    };
    let now = ctx::now();
    let waiting = APPEALS
        .query()
        .filter("forward", Compare::Eq, ForwardState::Pending.as_str())
        .order_by("created", Direction::Asc)
        .limit(limit)
        .fetch()?;
    let url = format!("{}/requests.json", external.base_url.trim_end_matches('/'));
    let mut tried = 0;
    for doc in waiting.docs {
        if doc.data.forward_next > now {
            continue;
        }
        tried += 1;
        let mut appeal = doc.data.clone();
        appeal.forward_attempts += 1;
        let sent = dvor_sdk::http::send(
            &Request::new("POST", &url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .body(request_form(&external, &appeal))
                .timeout_ms(HTTP_TIMEOUT_MS),
        );
        let outcome = match sent {
            Ok(response) if response.is_success() => {
                match open311::parse_acks_json(&response.body)
                    .ok()
                    .and_then(|acks| acks.into_iter().find_map(|a| a.service_request_id))
                {
                    Some(id) => Ok(id),
                    None => Err((
                        false,
                        format!(
                            "{} answered {} without a service_request_id",
                            external.name, response.status
                        ),
                    )),
                }
            }
            Ok(response) if (400..500).contains(&response.status) => {
                let reason = open311::parse_errors_json(&response.body)
                    .and_then(|errors| errors.into_iter().next())
                    .map(|e| e.description)
                    .unwrap_or_else(|| {
                        String::from_utf8_lossy(&response.body)
                            .chars()
                            .take(300)
                            .collect()
                    });
                Err((
                    true,
                    format!("{} {}: {reason}", external.name, response.status),
                ))
            }
            Ok(response) => Err((
                false,
                format!("{} answered {}", external.name, response.status),
            )),
            Err(error) => Err((false, format!("{}: {}", external.name, error.message))),
        };
        match outcome {
            Ok(id) => {
                appeal.forward = ForwardState::Sent;
                appeal.external_id = Some(id.clone());
                appeal.forward_error = None;
                appeal.timeline.push(system_entry(
                    "forward",
                    None,
                    format!(
                        "{} «{}», №{id}",
                        tr("Передано в систему", "Forwarded to"),
                        external.name
                    ),
                ));
            }
            Err((true, reason)) => {
                appeal.forward = ForwardState::Refused;
                appeal.forward_error = Some(reason.clone());
                appeal.timeline.push(system_entry(
                    "forward",
                    None,
                    format!(
                        "{}: {reason}",
                        tr("Внешняя система отказала", "The external system refused")
                    ),
                ));
                crate::appeals::notify_role_over(
                    &doc.community,
                    &["moderator"],
                    &Message::new(
                        Localized::new(
                            format!("Обращение №{}", appeal.number),
                            format!("Appeal No. {}", appeal.number),
                        ),
                        Localized::new(
                            format!("Внешняя система не приняла обращение: {reason}"),
                            format!("The external system refused the appeal: {reason}"),
                        ),
                    )
                    .link(format!("appeal/{}", doc.id))
                    .urgency(Urgency::Normal),
                )?;
            }
            Err((false, reason)) => {
                dvor_sdk::log::warn(format!(
                    "forwarding appeal {} (attempt {}): {reason}",
                    doc.id, appeal.forward_attempts
                ));
                appeal.forward_error = Some(reason);
                appeal.forward_next =
                    now + backoff_ms(external.retry_base_ms, appeal.forward_attempts - 1);
            }
        }
        APPEALS.put(&doc.community, &doc.id, &appeal, Some(doc.version))?;
    }
    Ok(tried)
}

/// Put the external system's updates on the appeals they are about, each once. Returns how
/// many were new.
pub fn apply_updates(external: &External, updates: &[open311::Update]) -> Result<u32> {
    let mut applied = 0;
    for update in updates {
        let found = APPEALS
            .query()
            .filter(
                "external_id",
                Compare::Eq,
                update.service_request_id.as_str(),
            )
            .limit(1)
            .fetch()?;
        let Some(doc) = found.docs.into_iter().next() else {
            continue;
        };
        let update_key = format!("{}:{}", external.name, update.update_id);
        if doc
            .data
            .timeline
            .iter()
            .any(|e| e.update_id.as_deref() == Some(update_key.as_str()))
        {
            continue;
        }
        let mut appeal = doc.data.clone();
        let status = match update.status {
            open311::Status::Closed if !appeal.status.is_closed() => Some(Status::Resolved),
            open311::Status::Open if appeal.status.is_closed() => Some(Status::Accepted),
            open311::Status::Open if appeal.status == Status::New => Some(Status::Accepted),
            _ => None,
        };
        let note = format!(
            "{}: {}",
            external.name,
            update
                .description
                .as_deref()
                .unwrap_or(match update.status {
                    open311::Status::Open => tr("в работе", "open"),
                    open311::Status::Closed => tr("закрыто", "closed"),
                })
        );
        let mut entry = system_entry("external", status, note.clone());
        entry.at = update.updated_datetime;
        entry.update_id = Some(update_key);
        appeal.timeline.push(entry);
        appeal.updated = ctx::now();
        if let Some(status) = status {
            if status == Status::Resolved {
                appeal.resolve_ms =
                    Some(update.updated_datetime.max(appeal.created) - appeal.created);
            }
            appeal.status = status;
            appeal.overdue = false;
        }
        crate::appeals::save_change(&doc, appeal, status.map(|s| (s, note)))?;
        applied += 1;
    }
    Ok(applied)
}

/// Ask the external system for the updates since the last poll and apply them.
pub fn poll() -> Result<u32> {
    let settings = Settings::load()?;
    let Some(external) = settings.external()?.filter(|e| e.poll) else {
        return Ok(0);
    };
    let state_id = "external-poll";
    let state = STATE.get(state_id)?;
    let since = state
        .as_ref()
        .and_then(|d| d.data.get("since").and_then(|v| v.as_i64()))
        .unwrap_or_else(|| ctx::now() - 7 * 24 * 60 * MINUTE_MS);
    let mut url = format!(
        "{}/servicerequestupdates.json?api_key={}&start_date={}",
        external.base_url.trim_end_matches('/'),
        urlencode(&external.api_key),
        urlencode(&open311::format_datetime(since, 0)),
    );
    if let Some(jurisdiction) = &external.jurisdiction_id {
        url.push_str(&format!("&jurisdiction_id={}", urlencode(jurisdiction)));
    }
    let response = dvor_sdk::http::send(
        &Request::new("GET", &url)
            .header("accept", "application/json")
            .timeout_ms(HTTP_TIMEOUT_MS),
    );
    let response = match response {
        Ok(r) if r.is_success() => r,
        Ok(r) => {
            dvor_sdk::log::warn(format!("polling {}: status {}", external.name, r.status));
            return Ok(0);
        }
        Err(error) => {
            dvor_sdk::log::warn(format!("polling {}: {}", external.name, error.message));
            return Ok(0);
        }
    };
    let updates = open311::parse_updates_json(&response.body).map_err(|e| {
        Error::unavailable(format!(
            "{} sent updates this plugin cannot read: {e}",
            external.name
        ))
    })?;
    let applied = apply_updates(&external, &updates)?;
    // Start the next poll a minute before the newest update seen, so that an update written
    // while this one ran is not missed (each counts once anyway).
    let newest = updates
        .iter()
        .map(|u| u.updated_datetime)
        .max()
        .unwrap_or(since);
    let next = newest.max(since) - MINUTE_MS;
    let next = next.max(since);
    STATE.put(
        &state.map_or_else(ctx::community, |d| d.community),
        state_id,
        &serde_json::json!({ "since": next }),
        None,
    )?;
    Ok(applied)
}

/// The external system's webhook: a signed JSON update or array of updates.
pub fn receive_webhook(body: &[u8], signature: Option<&str>) -> Result<u32> {
    let settings = Settings::load()?;
    let external = settings.external()?.ok_or_else(|| {
        Error::not_found(tr(
            "Внешняя система не настроена",
            "no external system is configured",
        ))
    })?;
    let Some(secret) = external.webhook_secret.as_deref().filter(|s| !s.is_empty()) else {
        return Err(Error::not_found(tr(
            "Приём уведомлений не настроен",
            "the webhook is not configured",
        )));
    };
    if !signature.is_some_and(|s| signature_is_valid(secret, body, s)) {
        return Err(Error::unauthenticated(tr(
            "Подпись не сходится",
            "the signature does not match",
        )));
    }
    let trimmed = body.iter().position(|b| !b.is_ascii_whitespace());
    let updates = if trimmed.is_some_and(|i| body[i] == b'{') {
        let mut wrapped = b"[".to_vec();
        wrapped.extend_from_slice(body);
        wrapped.push(b']');
        open311::parse_updates_json(&wrapped)
    } else {
        open311::parse_updates_json(body)
    }
    .map_err(|e| Error::invalid("body", e))?;
    apply_updates(&external, &updates)
}

/// Post waiting webhooks to the Open311 clients, at most `limit`. Returns how many were
/// delivered.
pub fn deliver_webhooks(limit: u32) -> Result<u32> {
    let settings = Settings::load()?;
    let now = ctx::now();
    let due = OUTBOX
        .query()
        .filter("next_try", Compare::Le, now)
        .order_by("next_try", Direction::Asc)
        .limit(limit)
        .fetch()?;
    let mut delivered = 0;
    for doc in due.docs {
        let hook = &doc.data;
        let Some(client) = settings.client_named(&hook.client) else {
            OUTBOX.delete(&doc.id)?;
            continue;
        };
        let Some(url) = &client.webhook_url else {
            OUTBOX.delete(&doc.id)?;
            continue;
        };
        let mut request = Request::new("POST", url)
            .header("content-type", "application/json")
            .body(hook.body.clone().into_bytes())
            .timeout_ms(HTTP_TIMEOUT_MS);
        if let Some(secret) = &client.webhook_secret {
            request = request.header(SIGNATURE_HEADER, sign(secret, hook.body.as_bytes()));
        }
        let error = match dvor_sdk::http::send(&request) {
            Ok(response) if response.is_success() => None,
            Ok(response) => Some(format!("status {}", response.status)),
            Err(error) => Some(error.message),
        };
        match error {
            None => {
                OUTBOX.delete(&doc.id)?;
                delivered += 1;
            }
            Some(error) => {
                let mut hook = hook.clone();
                hook.attempts += 1;
                hook.next_try = now + backoff_ms(MINUTE_MS, hook.attempts - 1);
                dvor_sdk::log::warn(format!(
                    "webhook to {} (attempt {}): {error}",
                    hook.client, hook.attempts
                ));
                hook.last_error = Some(error);
                OUTBOX.put(&doc.community, &doc.id, &hook, Some(doc.version))?;
            }
        }
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_an_hour_and_stays() {
        assert_eq!(backoff_ms(60_000, 0), 60_000);
        assert_eq!(backoff_ms(60_000, 1), 120_000);
        assert_eq!(backoff_ms(60_000, 5), 32 * 60_000);
        assert_eq!(backoff_ms(60_000, 6), 60 * 60_000);
        assert_eq!(backoff_ms(60_000, 60), 60 * 60_000);
        assert_eq!(backoff_ms(0, 3), 0);
    }

    #[test]
    fn a_signature_checks_the_body_and_the_secret() {
        let signature = sign("s3cret", b"[{\"update_id\":\"1\"}]");
        assert!(signature.starts_with("sha256="));
        assert!(signature_is_valid(
            "s3cret",
            b"[{\"update_id\":\"1\"}]",
            &signature
        ));
        assert!(!signature_is_valid(
            "s3cret",
            b"[{\"update_id\":\"2\"}]",
            &signature
        ));
        assert!(!signature_is_valid(
            "other",
            b"[{\"update_id\":\"1\"}]",
            &signature
        ));
        assert!(!signature_is_valid("s3cret", b"x", "md5=00"));
    }

    #[test]
    fn the_form_carries_the_place_the_name_and_the_answers() {
        let external = External {
            name: "НК".into(),
            base_url: "http://x/open311/v2".into(),
            jurisdiction_id: Some("region".into()),
            api_key: "k&y".into(),
            categories: vec!["roads".into()],
            webhook_secret: None,
            poll: true,
            retry_base_ms: 60_000,
        };
        let appeal: Appeal = serde_json::from_value(serde_json::json!({
            "number": 7, "kind": "problem", "category": "roads",
            "description": "Яма на дороге", "point": {"lat": 55.5, "lon": 37.25},
            "address": null, "photos": [], "attributes": {"depth": ["12"], "lanes": ["a", "b"]},
            "author": "p1", "author_name": "Анна Петрова", "status": "new",
            "moderation": "approved", "public": true, "created": 0, "updated": 0,
            "deadline": 0, "forward": "pending", "timeline": []
        }))
        .unwrap();
        let form = request_form(&external, &appeal);
        assert!(
            form.starts_with("api_key=k%26y&service_code=roads&description="),
            "{form}"
        );
        assert!(form.contains("&lat=55.5&long=37.25"), "{form}");
        assert!(
            form.contains("&first_name=%D0%90%D0%BD%D0%BD%D0%B0&"),
            "{form}"
        );
        assert!(form.contains("&attribute%5Bdepth%5D=12"), "{form}");
        assert!(
            form.contains("&attribute%5Blanes%5D%5B%5D=a&attribute%5Blanes%5D%5B%5D=b"),
            "{form}"
        );
        assert!(form.contains("&jurisdiction_id=region"), "{form}");
    }
}
