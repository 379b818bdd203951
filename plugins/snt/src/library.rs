//! The partnership's papers: its documents with their versions (ст.11 ч.3), read by members and
//! non-member owners; requests for certified copies tracked to their deadline, with a fee no
//! higher than the cost; and the produce certificate (НК ст.217 п.13) the board issues to a
//! member who sells what they grow.

use dvor_sdk::notifications::Urgency;
use dvor_sdk::prelude::*;

use crate::access::{self, Viewer, require_board, scoped};
use crate::documents::{self, CopyRequest, DocumentKind};
use crate::model::{
    CERTIFICATES, COPIES, Certificate, CertificateStatus, CopyDoc, DOCUMENTS, Document, STATE,
    Settings, Standing, Version,
};
use crate::tell::{board, board_of, everyone, tell, tell_at};

/// Every kind, in the order of ст.11 ч.3.
pub const KINDS: [DocumentKind; 8] = [
    DocumentKind::Charter,
    DocumentKind::Accounts,
    DocumentKind::Estimate,
    DocumentKind::AuditReport,
    DocumentKind::PropertyTitle,
    DocumentKind::Minutes,
    DocumentKind::Feo,
    DocumentKind::Internal,
];

/// A kind's code in forms.
pub fn kind_code(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Charter => "charter",
        DocumentKind::Accounts => "accounts",
        DocumentKind::Estimate => "estimate",
        DocumentKind::AuditReport => "audit_report",
        DocumentKind::PropertyTitle => "property_title",
        DocumentKind::Minutes => "minutes",
        DocumentKind::Feo => "feo",
        DocumentKind::Internal => "internal",
    }
}

/// The document `id`, for those who may read it.
pub fn get(id: &str) -> Result<Doc<Document>> {
    let viewer = Viewer::of_call()?;
    if !viewer.reads_documents() {
        return Err(viewer.refusal());
    }
    DOCUMENTS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого документа", "no such document")))
}

/// Every document, newest first, for those who may read them.
pub fn all() -> Result<Vec<Doc<Document>>> {
    let viewer = Viewer::of_call()?;
    if !viewer.reads_documents() {
        return Err(viewer.refusal());
    }
    DOCUMENTS
        .query()
        .in_community(&ctx::community())
        .order_by("updated_on", Direction::Desc)
        .fetch_all()
}

fn version_of(file: &str, note: &str) -> Result<Version> {
    let caller = ctx::require_caller()?;
    let Some(info) = dvor_sdk::files::info(file)? else {
        return Err(Error::invalid(
            "file",
            tr("Приложите файл документа", "attach the document's file"),
        ));
    };
    Ok(Version {
        file: info.id,
        name: info.name,
        mime: info.content_type,
        size: info.size,
        on: ctx::today()?,
        by: caller.display_name,
        note: note.trim().to_owned(),
    })
}

/// Add a document with its first version (a stored file), and tell everyone.
pub fn add(kind: &str, title: &str, file: &str) -> Result<Doc<Document>> {
    require_board()?;
    let kind = KINDS
        .into_iter()
        .find(|k| kind_code(*k) == kind)
        .ok_or_else(|| {
            Error::invalid(
                "kind",
                tr("Выберите вид документа", "choose the document's kind"),
            )
        })?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(Error::invalid(
            "title",
            tr(
                "Название — от 1 до 200 знаков",
                "the title is 1–200 characters",
            ),
        ));
    }
    let version = version_of(file, "")?;
    let doc = DOCUMENTS.insert(
        &ctx::community(),
        None,
        &Document {
            kind,
            title: title.to_owned(),
            updated_on: version.on,
            versions: vec![version],
        },
    )?;
    tell(
        &everyone(&access::all_records()?),
        ("Новый документ", "New document"),
        (title.to_owned(), title.to_owned()),
        &format!("document/{}", doc.id),
        Urgency::Normal,
    )?;
    Ok(doc)
}

/// Add a new version of document `id`.
pub fn add_version(id: &str, file: &str, note: &str) -> Result<Doc<Document>> {
    require_board()?;
    let doc = get(id)?;
    let version = version_of(file, note)?;
    let mut document = doc.data.clone();
    document.updated_on = version.on;
    document.versions.push(version);
    DOCUMENTS.put(&doc.community, &doc.id, &document, Some(doc.version))
}

/// A member or owner asks for a certified copy of document `id`; due by the charter's deadline.
pub fn request_copy(id: &str) -> Result<Doc<CopyDoc>> {
    let caller = ctx::require_caller()?;
    let viewer = Viewer::of_call()?;
    if !viewer.is_owner() {
        return Err(Error::forbidden(tr(
            "Копии документов получают члены товарищества и собственники участков",
            "members and plot owners get copies of documents",
        )));
    }
    let doc = get(id)?;
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let request = CopyRequest::new(
        &doc.id,
        today,
        Kopecks::ZERO,
        Kopecks::ZERO,
        &settings.law_periods,
    )?;
    let name = viewer
        .record()
        .map(|r| r.data.full_name.clone())
        .unwrap_or_else(|| caller.display_name.clone());
    let copy = COPIES.insert(
        &ctx::community(),
        None,
        &CopyDoc {
            person_id: caller.person_id.clone(),
            name: name.clone(),
            title: doc.data.title.clone(),
            due_by: request.due_by,
            request,
            cost: Kopecks::ZERO,
            open: true,
            reminded: false,
        },
    )?;
    tell(
        &board(),
        ("Запрос копии документа", "Copy requested"),
        (
            format!(
                "{name}: заверенная копия «{}» — до {}",
                doc.data.title,
                crate::show::date_text_ru(copy.data.due_by)
            ),
            format!(
                "{name}: a certified copy of «{}» — by {}",
                doc.data.title, copy.data.due_by
            ),
        ),
        "copies",
        Urgency::Normal,
    )?;
    Ok(copy)
}

/// The copy requests: every one for the board, the caller's own for others.
pub fn copies() -> Result<Vec<Doc<CopyDoc>>> {
    let caller = ctx::require_caller()?;
    let query = COPIES.query().in_community(&ctx::community());
    let query = if access::is_board() {
        query
    } else {
        query.filter("person_id", Compare::Eq, caller.person_id.as_str())
    };
    let mut all = query.fetch_all()?;
    all.sort_by_key(|d| (!d.data.open, d.data.due_by));
    Ok(all)
}

/// The board hands over copy `id` on `on` for `fee`, which may not exceed `cost`.
pub fn provide_copy(id: &str, on: Date, fee: Kopecks, cost: Kopecks) -> Result<Doc<CopyDoc>> {
    require_board()?;
    let doc = COPIES
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого запроса", "no such request")))?;
    if !doc.data.open {
        return Err(Error::conflict(tr(
            "Копия уже выдана",
            "the copy was provided already",
        )));
    }
    documents::check_copy_fee(fee, cost)?;
    if on < doc.data.request.requested_on || on > ctx::today()? {
        return Err(Error::invalid(
            "on",
            tr(
                "День выдачи — между запросом и сегодня",
                "the day is between the request and today",
            ),
        ));
    }
    let mut copy = doc.data.clone();
    copy.request.provided_on = Some(on);
    copy.request.fee = fee;
    copy.cost = cost;
    copy.open = false;
    let saved = COPIES.put(&doc.community, &doc.id, &copy, Some(doc.version))?;
    tell(
        &[copy.person_id.clone()],
        ("Копия документа готова", "Your copy is ready"),
        (
            format!(
                "Заверенная копия «{}» выдана {}; плата {}.",
                copy.title,
                crate::show::date_text_ru(on),
                fee
            ),
            format!(
                "The certified copy of «{}» was provided on {on}; fee {fee}.",
                copy.title
            ),
        ),
        "copies",
        Urgency::Normal,
    )?;
    Ok(saved)
}

/// A member asks for a produce certificate for `plot` and `year`.
pub fn request_certificate(plot: &str, year: i32) -> Result<Doc<Certificate>> {
    let caller = ctx::require_caller()?;
    let viewer = Viewer::of_call()?;
    let Some(record) = viewer.record().filter(|_| viewer.is_member()) else {
        return Err(Error::forbidden(tr(
            "Справку выдают членам товарищества",
            "the certificate is for members",
        )));
    };
    if !record.data.holds(plot) {
        return Err(Error::invalid(
            "plot",
            tr(
                "Справка выдаётся на ваш участок",
                "the certificate is for your own plot",
            ),
        ));
    }
    let unit = access::plot("plot", plot)?;
    let today = ctx::today()?;
    if year > today.year() || year < today.year() - 3 {
        return Err(Error::invalid(
            "year",
            tr(
                "Год — этот или один из трёх прошлых",
                "the year is this one or one of the three before",
            ),
        ));
    }
    let cert = CERTIFICATES.insert(
        &ctx::community(),
        None,
        &Certificate {
            person_id: caller.person_id.clone(),
            record: record.id.clone(),
            name: record.data.full_name.clone(),
            plot: unit.number.clone(),
            area_centi_m2: unit.area_centi_m2,
            cadastral_number: crate::records::cadastral_number(&unit)?,
            year,
            status: CertificateStatus::Requested,
            requested_on: today,
            number: None,
            issued_on: None,
            signed_by: None,
        },
    )?;
    tell(
        &board(),
        (
            "Запрос справки о продукции",
            "Produce certificate requested",
        ),
        (
            format!(
                "{}, участок {}, {year} год",
                record.data.full_name, unit.number
            ),
            format!(
                "{}, plot {}, year {year}",
                record.data.full_name, unit.number
            ),
        ),
        &format!("certificate/{}", cert.id),
        Urgency::Normal,
    )?;
    Ok(cert)
}

/// The certificate `id`: the member's own, or any for the board.
pub fn certificate(id: &str) -> Result<Doc<Certificate>> {
    let caller = ctx::require_caller()?;
    let doc = CERTIFICATES
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой справки", "no such certificate")))?;
    if doc.data.person_id != caller.person_id && !access::is_board() {
        return Err(Error::forbidden(tr(
            "Справку видит тот, кому она выдана, и правление",
            "the certificate is its holder's and the board's",
        )));
    }
    Ok(doc)
}

/// The certificates: every one for the board, the caller's own for others.
pub fn certificates() -> Result<Vec<Doc<Certificate>>> {
    let caller = ctx::require_caller()?;
    let query = CERTIFICATES.query().in_community(&ctx::community());
    let query = if access::is_board() {
        query
    } else {
        query.filter("person_id", Compare::Eq, caller.person_id.as_str())
    };
    query.fetch_all()
}

/// The board issues certificate `id`, numbered in its year; only to a member still a member.
pub fn issue_certificate(id: &str) -> Result<Doc<Certificate>> {
    let caller = require_board()?;
    let doc = certificate(id)?;
    if doc.data.status == CertificateStatus::Issued {
        return Ok(doc);
    }
    let record = access::record(&doc.data.record)?;
    if record.data.standing != Standing::Member {
        return Err(Error::conflict(tr(
            "Справку выдают только члену товарищества",
            "the certificate is issued to a member only",
        )));
    }
    let counter_id = scoped(&format!("certificates:{}", doc.data.year));
    let counter = STATE.get(&counter_id)?;
    // The year's last number, kept as `{"last": n}` (a document is a JSON object).
    let number = counter
        .as_ref()
        .and_then(|d| d.data["last"].as_u64())
        .unwrap_or(0)
        + 1;
    STATE.put(
        &ctx::community(),
        &counter_id,
        &serde_json::json!({ "last": number }),
        Some(counter.map_or(0, |d| d.version)),
    )?;
    let mut cert = doc.data.clone();
    cert.status = CertificateStatus::Issued;
    cert.number = Some(u32::try_from(number).unwrap_or(u32::MAX));
    cert.issued_on = Some(ctx::today()?);
    cert.signed_by = Some(caller.display_name);
    let saved = CERTIFICATES.put(&doc.community, &doc.id, &cert, Some(doc.version))?;
    // Other plugins show it where the produce is offered (coop's listings between neighbours).
    let issuer = dvor_sdk::directory::community(&ctx::community()).map(|c| c.name);
    crate::signals::emit(
        crate::signals::CERTIFICATE_ISSUED,
        &serde_json::json!({
            "person_id": cert.person_id,
            "number": format!("{number}/{}", cert.year),
            "plot": cert.plot,
            "year": cert.year,
            "valid_until": format!("{}-12-31", cert.year),
            "issuer": issuer,
        }),
    )?;
    tell(
        &[cert.person_id.clone()],
        ("Справка готова", "Certificate ready"),
        (
            format!("Справка № {number} о выращенной продукции готова: её можно распечатать."),
            format!("Produce certificate No. {number} is ready to print."),
        ),
        &format!("certificate/{}", doc.id),
        Urgency::Normal,
    )?;
    Ok(saved)
}

/// Tell the board once about copies falling due tomorrow or overdue (the upkeep job).
pub fn remind_copies(today: Date) -> Result<u32> {
    let due = COPIES
        .query()
        .filter("open", Compare::Eq, true)
        .fetch_all()?;
    let mut told = 0;
    for doc in due {
        if doc.data.reminded || doc.data.due_by > today.add_days(1).unwrap_or(today) {
            continue;
        }
        let mut copy = doc.data.clone();
        copy.reminded = true;
        COPIES.put(&doc.community, &doc.id, &copy, Some(doc.version))?;
        tell_at(
            &doc.community,
            &board_of(&doc.community),
            ("Срок выдачи копии", "A copy falls due"),
            (
                format!(
                    "{}: копия «{}» должна быть выдана до {}",
                    copy.name,
                    copy.title,
                    crate::show::date_text_ru(copy.due_by)
                ),
                format!(
                    "{}: the copy of «{}» is due by {}",
                    copy.name, copy.title, copy.due_by
                ),
            ),
            "copies",
            Urgency::Normal,
        )?;
        told += 1;
    }
    Ok(told)
}
