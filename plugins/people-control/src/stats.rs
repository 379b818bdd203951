//! Statistics for officials, moderators and organizations: appeals by category, status and
//! organization, the average time to resolve and the overdue share, over a period; and the
//! same as CSV.

use std::collections::BTreeMap;

use dvor_sdk::prelude::*;
use dvor_sdk::storage::Value;
use serde::Serialize;

use crate::access::{is_moderator_here, staff_of};
use crate::model::APPEALS;

/// One row of a breakdown.
#[derive(Debug, Serialize, PartialEq)]
pub struct Row {
    /// The category, status or organization.
    pub key: String,
    /// Appeals.
    pub count: u64,
}

/// The figures over a period.
#[derive(Debug, Serialize)]
pub struct Stats {
    /// Filed from (ms, inclusive).
    pub from: i64,
    /// Filed to (ms, exclusive).
    pub to: i64,
    /// Only these organizations' appeals (for their staff); empty: all.
    pub organizations: Vec<String>,
    /// Appeals filed.
    pub total: u64,
    /// By category.
    pub by_category: Vec<Row>,
    /// By status.
    pub by_status: Vec<Row>,
    /// By organization.
    pub by_organization: Vec<Row>,
    /// Resolved ones.
    pub resolved: u64,
    /// Their average time from filing to resolution, in hours (one decimal).
    pub average_hours_to_resolve: Option<f64>,
    /// Overdue ones.
    pub overdue: u64,
    /// Overdue share of the open ones, percent (one decimal).
    pub overdue_percent: f64,
}

fn key_text(value: &Value) -> String {
    match value {
        Value::Text(t) => t.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Null => "—".into(),
    }
}

fn rows(groups: Vec<dvor_sdk::storage::Group>) -> Vec<Row> {
    let mut merged: BTreeMap<String, u64> = BTreeMap::new();
    for group in groups {
        *merged.entry(key_text(&group.key)).or_default() += group.count;
    }
    let mut rows: Vec<Row> = merged
        .into_iter()
        .map(|(key, count)| Row { key, count })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    rows
}

/// Who may see the statistics, and of which organizations: moderators, admins and officials see
/// everything in the call's community; staff of an organization see its appeals.
pub fn audience() -> Result<Vec<String>> {
    let caller = ctx::require_caller()?;
    if is_moderator_here(&caller) || ctx::has_role("official") {
        return Ok(Vec::new());
    }
    let organizations = staff_of(&caller);
    if organizations.is_empty() {
        return Err(Error::forbidden(tr(
            "Статистика — для должностных лиц, модераторов и организаций",
            "statistics are for officials, moderators and organizations",
        )));
    }
    Ok(organizations)
}

/// The figures for appeals filed in `[from, to)`.
pub fn compute(from: i64, to: i64) -> Result<Stats> {
    let organizations = audience()?;
    let mut total = 0;
    let mut by_category = Vec::new();
    let mut by_status = Vec::new();
    let mut by_organization = Vec::new();
    let mut resolved = 0;
    let mut resolve_sum = 0i64;
    let mut overdue = 0;
    let mut open = 0;
    let scopes: Vec<Option<&str>> = if organizations.is_empty() {
        vec![None]
    } else {
        organizations.iter().map(|o| Some(o.as_str())).collect()
    };
    for organization in scopes {
        let mut base =
            APPEALS
                .query()
                .filter("created", Compare::Ge, from)
                .filter("created", Compare::Lt, to);
        if let Some(org) = organization {
            base = base.filter("organization", Compare::Eq, org);
        }
        total += base.count()?;
        by_category.extend(base.group_by("category", None)?);
        by_status.extend(base.group_by("status", None)?);
        by_organization.extend(base.group_by("organization", None)?);
        let done = base.clone().filter("status", Compare::Eq, "resolved");
        resolved += done.count()?;
        resolve_sum += done.sum("resolve_ms")?;
        overdue += base.clone().filter("overdue", Compare::Eq, true).count()?;
        for status in ["new", "accepted", "needs_info"] {
            open += base.clone().filter("status", Compare::Eq, status).count()?;
        }
    }
    let average_hours_to_resolve = (resolved > 0).then(|| {
        let hours = resolve_sum as f64 / resolved as f64 / 3_600_000.0;
        (hours * 10.0).round() / 10.0
    });
    // Overdue appeals are open ones (closing clears the flag): the share is of the open ones.
    let overdue_percent = if open == 0 {
        0.0
    } else {
        (overdue as f64 / open as f64 * 1000.0).round() / 10.0
    };
    Ok(Stats {
        from,
        to,
        organizations,
        total,
        by_category: rows(by_category),
        by_status: rows(by_status),
        by_organization: rows(by_organization),
        resolved,
        average_hours_to_resolve,
        overdue,
        overdue_percent,
    })
}

/// The figures as CSV: `section,key,count` lines, then the totals.
pub fn csv(stats: &Stats) -> Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::internal(e.to_string());
    out.write_record(["section", "key", "value"])
        .map_err(failed)?;
    for (section, rows) in [
        ("category", &stats.by_category),
        ("status", &stats.by_status),
        ("organization", &stats.by_organization),
    ] {
        for row in rows {
            out.write_record([section, row.key.as_str(), &row.count.to_string()])
                .map_err(failed)?;
        }
    }
    for (key, value) in [
        ("total", stats.total.to_string()),
        ("resolved", stats.resolved.to_string()),
        (
            "average_hours_to_resolve",
            stats
                .average_hours_to_resolve
                .map(|h| h.to_string())
                .unwrap_or_default(),
        ),
        ("overdue", stats.overdue.to_string()),
        ("overdue_percent", stats.overdue_percent.to_string()),
    ] {
        out.write_record(["total", key, value.as_str()])
            .map_err(failed)?;
    }
    out.into_inner().map_err(|e| Error::internal(e.to_string()))
}
