//! Membership as workflows (ст.12–13): a person applies from their phone, the board reviews the
//! application, the general meeting (or the board, where the charter says so) admits or
//! refuses on a lawful ground; a member leaves on the day; the meeting expels a member for dues
//! unpaid more than two months, after the chairman's warning, and the decision reaches them
//! within ten days. Each step notifies the person and is written into their record's history.

use dvor_sdk::notifications::Urgency;
use dvor_sdk::prelude::*;

use crate::access::{self, require_board};
use crate::law;
use crate::ledgers::Ledger;
use crate::membership::{AdmissionDecider, DecidedBy, ExitReason, Membership, RefusalReason};
use crate::model::{
    APPLICATIONS, Application, ApplicationStatus, Departure, DepartureReason, Expulsion, RECORDS,
    Record, Settings, Standing, Warning, name_key,
};
use crate::register;
use crate::signals;
use crate::tell::{board, tell};

/// What a person writes in their application.
#[derive(Clone, Debug, Default)]
pub struct ApplicationForm {
    /// Фамилия, имя, отчество.
    pub full_name: String,
    /// The postal address.
    pub postal_address: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Their plot's number.
    pub plot: String,
    /// A copy of the title document (a stored file), if attached.
    pub document: Option<String>,
    /// They agree to the processing of their personal data (152-ФЗ).
    pub consent: bool,
}

/// The application `id`.
pub fn application(id: &str) -> Result<Doc<Application>> {
    APPLICATIONS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого заявления", "no such application")))
}

/// The caller's open application, if any.
pub fn open_application_of(person: &str) -> Result<Option<Doc<Application>>> {
    Ok(APPLICATIONS
        .query()
        .filter("person_id", Compare::Eq, person)
        .fetch_all()?
        .into_iter()
        .find(|d| {
            matches!(
                d.data.status,
                ApplicationStatus::Submitted | ApplicationStatus::Reviewed
            )
        }))
}

/// The caller applies for membership.
pub fn apply(form: &ApplicationForm) -> Result<Doc<Application>> {
    let caller = ctx::require_caller()?;
    let viewer = access::Viewer::of_call()?;
    if viewer.is_member() {
        return Err(Error::conflict(tr(
            "Вы уже член товарищества",
            "you are a member already",
        )));
    }
    if open_application_of(&caller.person_id)?.is_some() {
        return Err(Error::conflict(tr(
            "Ваше заявление уже подано и ждёт решения",
            "your application is already waiting for a decision",
        )));
    }
    let full_name = form.full_name.trim();
    if full_name.split_whitespace().count() < 2 {
        return Err(Error::invalid(
            "full_name",
            tr(
                "Укажите фамилию, имя и отчество (при наличии)",
                "enter your surname, name and patronymic (if any)",
            ),
        ));
    }
    let postal_address = form.postal_address.trim();
    if postal_address.is_empty() {
        return Err(Error::invalid(
            "postal_address",
            tr(
                "Укажите почтовый адрес для уведомлений",
                "enter the postal address for notices",
            ),
        ));
    }
    let email = form.email.trim();
    if !email.is_empty() && !register::is_email(email) {
        return Err(Error::invalid(
            "email",
            tr("Неверный адрес электронной почты", "not an e-mail address"),
        ));
    }
    let phone = match form.phone.trim() {
        "" => None,
        text => Some(register::normalize_phone(text).map_err(|m| Error::invalid("phone", m))?),
    };
    let plot = access::plot("plot", &form.plot)?;
    if !form.consent {
        return Err(Error::invalid(
            "consent",
            tr(
                "Без согласия на обработку персональных данных товарищество не может вести реестр (ст.15 217-ФЗ)",
                "without consent to the processing of personal data the register cannot be kept (217-FZ art.15)",
            ),
        ));
    }
    let today = ctx::today()?;
    let application = Application {
        person_id: caller.person_id.clone(),
        full_name: full_name.to_owned(),
        postal_address: postal_address.to_owned(),
        email: Some(email.to_lowercase()).filter(|e| !e.is_empty()),
        phone,
        plot: plot.number.clone(),
        documents: form.document.iter().cloned().collect(),
        applied_on: today,
        status: ApplicationStatus::Submitted,
        review: None,
        decided_on: None,
        minutes: None,
        refusal: None,
        record: None,
        at: ctx::now(),
    };
    let doc = APPLICATIONS.insert(&ctx::community(), None, &application)?;
    signals::emit(
        signals::APPLICATION_SUBMITTED,
        &serde_json::json!({ "person_id": caller.person_id, "plot": plot.number, "application": doc.id }),
    )?;
    tell(
        &board(),
        ("Заявление о вступлении", "Membership application"),
        (
            format!("{full_name}, участок {}", plot.number),
            format!("{full_name}, plot {}", plot.number),
        ),
        &format!("application/{}", doc.id),
        Urgency::Normal,
    )?;
    tell(
        &[caller.person_id],
        ("Заявление принято", "Application received"),
        (
            "Правление рассмотрит ваше заявление о вступлении в товарищество; о решении мы сообщим."
                .to_owned(),
            "The board will review your membership application; we will let you know the decision."
                .to_owned(),
        ),
        "",
        Urgency::Normal,
    )?;
    Ok(doc)
}

/// The board reviews an application before the decision.
pub fn review(id: &str, note: &str) -> Result<Doc<Application>> {
    require_board()?;
    let doc = application(id)?;
    if doc.data.status != ApplicationStatus::Submitted {
        return Err(Error::conflict(tr(
            "Заявление уже рассмотрено",
            "the application was reviewed already",
        )));
    }
    let settings = Settings::load()?;
    let mut app = doc.data.clone();
    app.status = ApplicationStatus::Reviewed;
    app.review = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
    let saved = APPLICATIONS.put(&doc.community, &doc.id, &app, Some(doc.version))?;
    let (ru, en) = match settings.admission {
        AdmissionDecider::GeneralMeeting => (
            "Правление рассмотрело ваше заявление; решение о приёме примет общее собрание.",
            "The board reviewed your application; the general meeting will decide on admission.",
        ),
        AdmissionDecider::Board => (
            "Правление рассмотрело ваше заявление и скоро примет решение.",
            "The board reviewed your application and will decide soon.",
        ),
    };
    tell(
        &[app.person_id],
        ("Заявление рассмотрено", "Application reviewed"),
        (ru.to_owned(), en.to_owned()),
        "",
        Urgency::Normal,
    )?;
    Ok(saved)
}

/// Who records a decision: the meeting, when minutes are given, else the board. The charter
/// may leave admission to the general meeting only.
fn decided_by(minutes: &str, decider: AdmissionDecider) -> Result<DecidedBy> {
    if !minutes.trim().is_empty() {
        return Ok(DecidedBy::GeneralMeeting);
    }
    match decider {
        AdmissionDecider::Board => Ok(DecidedBy::Board),
        AdmissionDecider::GeneralMeeting => Err(Error::invalid(
            "minutes",
            tr(
                "По уставу о приёме решает общее собрание: укажите его протокол",
                "under the charter the general meeting decides on admission: give its minutes",
            ),
        )),
    }
}

fn open_state(app: &Application) -> Result<Membership> {
    if !matches!(
        app.status,
        ApplicationStatus::Submitted | ApplicationStatus::Reviewed
    ) {
        return Err(Error::conflict(tr(
            "По заявлению уже принято решение",
            "the application was decided already",
        )));
    }
    Ok(Membership::apply(app.applied_on))
}

/// Admit the applicant by the decision of `decided_on` (the meeting's, with `minutes`, or the
/// board's where the charter allows): membership starts that day, with book `book_number`.
pub fn admit(
    id: &str,
    decided_on: Date,
    book_number: &str,
    minutes: &str,
) -> Result<(Doc<Application>, Doc<Record>)> {
    require_board()?;
    let doc = application(id)?;
    let settings = Settings::load()?;
    let by = decided_by(minutes, settings.admission)?;
    if decided_on > ctx::today()? {
        return Err(Error::invalid(
            "decided_on",
            tr(
                "Решение не может быть из будущего",
                "the decision cannot be in the future",
            ),
        ));
    }
    let member = open_state(&doc.data)?.admit(decided_on, book_number, by, settings.admission)?;
    let Membership::Member { since, book_number } = member else {
        return Err(Error::internal("admission did not make a member"));
    };
    let records = access::all_records()?;
    if let Some(other) = records.iter().find(|r| {
        r.data.book_number.as_deref() == Some(book_number.as_str())
            && r.data.standing == Standing::Member
    }) {
        return Err(Error::invalid(
            "book_number",
            format!(
                "{} {}",
                tr(
                    "Этот номер членской книжки уже у",
                    "this membership book number belongs to"
                ),
                other.data.full_name
            ),
        ));
    }
    let app = &doc.data;
    // The applicant's record: theirs already (a non-member owner), the plot's owner of that
    // name, or a new one.
    let existing = records
        .iter()
        .find(|r| r.data.person_id.as_deref() == Some(app.person_id.as_str()))
        .or_else(|| {
            records.iter().find(|r| {
                r.data.person_id.is_none()
                    && r.data.name_key == name_key(&app.full_name)
                    && r.data.holds(&app.plot)
            })
        });
    let decision_ru = match by {
        DecidedBy::GeneralMeeting => format!("решением общего собрания ({})", minutes.trim()),
        DecidedBy::Board => "решением правления".to_owned(),
    };
    let decision_en = match by {
        DecidedBy::GeneralMeeting => format!("by the general meeting ({})", minutes.trim()),
        DecidedBy::Board => "by the board".to_owned(),
    };
    let mut record = existing.map(|d| d.data.clone()).unwrap_or(Record {
        standing: Standing::Member,
        full_name: app.full_name.clone(),
        name_key: name_key(&app.full_name),
        postal_address: app.postal_address.clone(),
        email: app.email.clone(),
        phone: app.phone.clone(),
        person_id: None,
        holdings: Vec::new(),
        member_since: None,
        book_number: None,
        warning: None,
        expulsion: None,
        departure: None,
        history: Vec::new(),
    });
    record.standing = Standing::Member;
    record.person_id = Some(app.person_id.clone());
    record.member_since = Some(since);
    record.book_number = Some(book_number.clone());
    record.postal_address = app.postal_address.clone();
    record.email = app.email.clone().or(record.email);
    record.phone = app.phone.clone().or(record.phone);
    record.departure = None;
    record.expulsion = None;
    record.warning = None;
    if !record.holds(&app.plot) {
        record.holdings.push(crate::model::Holding {
            plot: app.plot.clone(),
            share: None,
        });
    }
    record.note(
        since,
        format!("Принят в члены товарищества {decision_ru}, членская книжка № {book_number}"),
        format!("Admitted as a member {decision_en}, membership book No. {book_number}"),
    );
    let community = ctx::community();
    let saved_record = match existing {
        Some(d) => RECORDS.put(&d.community, &d.id, &record, Some(d.version))?,
        None => RECORDS.insert(&community, None, &record)?,
    };
    let mut decided = app.clone();
    decided.status = ApplicationStatus::Admitted;
    decided.decided_on = Some(since);
    decided.minutes = Some(minutes.trim().to_owned()).filter(|m| !m.is_empty());
    decided.record = Some(saved_record.id.clone());
    let saved = APPLICATIONS.put(&doc.community, &doc.id, &decided, Some(doc.version))?;
    signals::emit(
        signals::MEMBER_ADMITTED,
        &serde_json::json!({
            "person_id": app.person_id,
            "record": saved_record.id,
            "plots": record.holdings.iter().map(|h| h.plot.clone()).collect::<Vec<_>>(),
            "since": since,
            "book_number": book_number,
        }),
    )?;
    signals::register_changed([&saved_record])?;
    tell(
        std::slice::from_ref(&app.person_id),
        ("Вы приняты в товарищество", "You are a member now"),
        (
            format!(
                "Вы приняты в члены товарищества {decision_ru} с {}. Членская книжка № {book_number}.",
                crate::show::date_text(since)
            ),
            format!(
                "You were admitted as a member {decision_en} from {since}. Membership book No. {book_number}."
            ),
        ),
        "",
        Urgency::Normal,
    )?;
    Ok((saved, saved_record))
}

/// Refuse the application on a lawful ground (`reason` is its code).
pub fn refuse(id: &str, decided_on: Date, reason: &str, minutes: &str) -> Result<Doc<Application>> {
    require_board()?;
    let reason = RefusalReason::from_code("reason", reason)?;
    let doc = application(id)?;
    let settings = Settings::load()?;
    let by = decided_by(minutes, settings.admission)?;
    open_state(&doc.data)?.refuse(decided_on, reason, by, settings.admission)?;
    let mut app = doc.data.clone();
    app.status = ApplicationStatus::Refused;
    app.decided_on = Some(decided_on);
    app.refusal = Some(reason);
    app.minutes = Some(minutes.trim().to_owned()).filter(|m| !m.is_empty());
    let saved = APPLICATIONS.put(&doc.community, &doc.id, &app, Some(doc.version))?;
    let label_ru = {
        // The reason in Russian whatever the board's language: the notice is the applicant's.
        match reason {
            RefusalReason::ExpelledForUnpaidDues => {
                "ранее исключены за неуплату взносов, долг не погашен"
            }
            RefusalReason::NotAnOwner => {
                "заявитель не является правообладателем участка в границах товарищества"
            }
            RefusalReason::MissingDocuments => "не представлены документы, предусмотренные законом",
            RefusalReason::DefectiveApplication => "заявление не соответствует требованиям закона",
        }
    };
    tell(
        &[app.person_id],
        ("В приёме отказано", "Admission refused"),
        (
            format!(
                "В приёме в члены товарищества отказано: {label_ru}. Устраните причину и подайте заявление снова."
            ),
            format!(
                "Admission refused: {}. Remove the reason and apply again.",
                reason.code().replace('_', " ")
            ),
        ),
        "",
        Urgency::Normal,
    )?;
    Ok(saved)
}

/// Where a member's record is a member's, the domain's view of it.
fn member_state(record: &Record) -> Result<Membership> {
    match (record.standing, record.member_since, &record.book_number) {
        (Standing::Member, Some(since), book) => Ok(Membership::Member {
            since,
            book_number: book.clone().unwrap_or_default(),
        }),
        _ => Err(Error::conflict(tr(
            "Это не член товарищества",
            "this is not a member",
        ))),
    }
}

/// A member leaves: of their own will (the member), or the plot sold or death (the board
/// records it). It takes effect on `on`, without a decision.
pub fn leave(record_id: &str, on: Date, reason: ExitReason) -> Result<Doc<Record>> {
    let caller = ctx::require_caller()?;
    let doc = access::record(record_id)?;
    let own = doc.data.person_id.as_deref() == Some(caller.person_id.as_str());
    if !(access::is_board() || own && reason == ExitReason::Voluntary) {
        return Err(Error::forbidden(tr(
            "Выйти из товарищества может сам член; продажу участка и смерть отмечает правление",
            "a member leaves by themselves; the board records a sale or a death",
        )));
    }
    if own && on != ctx::today()? && !access::is_board() {
        return Err(Error::invalid(
            "on",
            tr(
                "Выход вступает в силу в день заявления",
                "an exit takes effect on the day it is made",
            ),
        ));
    }
    member_state(&doc.data)?.leave(on, reason)?;
    let mut record = doc.data.clone();
    let departure = DepartureReason::from(reason);
    record.standing = match reason {
        // A member who leaves still owns the plot: they pay as a non-member owner (ст.5).
        ExitReason::Voluntary => Standing::Owner,
        ExitReason::PlotSold | ExitReason::Death => Standing::Former,
    };
    record.departure = Some(Departure {
        on,
        reason: departure,
    });
    record.note(
        on,
        format!("Прекращено членство: {}", departure_ru(departure)),
        format!("Membership ended: {}", departure.code().replace('_', " ")),
    );
    let saved = RECORDS.put(&doc.community, &doc.id, &record, Some(doc.version))?;
    left(&saved, on, departure)?;
    if let Some(person) = &record.person_id
        && reason == ExitReason::Voluntary
    {
        tell(
            std::slice::from_ref(person),
            ("Членство прекращено", "Membership ended"),
            (
                format!(
                    "Ваше членство в товариществе прекращено с {}. Вы остаётесь собственником участка и платите взносы наравне с членами (ст.5 217-ФЗ).",
                    crate::show::date_text(on)
                ),
                format!(
                    "Your membership ended on {on}. You remain the plot's owner and pay as members do (217-FZ art.5)."
                ),
            ),
            "",
            Urgency::Normal,
        )?;
    }
    Ok(saved)
}

fn departure_ru(reason: DepartureReason) -> &'static str {
    match reason {
        DepartureReason::Voluntary => "добровольный выход",
        DepartureReason::PlotSold => "участок продан",
        DepartureReason::Death => "смерть",
        DepartureReason::Expelled => "исключён общим собранием",
    }
}

fn left(saved: &Doc<Record>, on: Date, reason: DepartureReason) -> Result<()> {
    signals::emit(
        signals::MEMBER_LEFT,
        &serde_json::json!({
            "person_id": saved.data.person_id,
            "record": saved.id,
            "on": on,
            "reason": reason.code(),
        }),
    )?;
    signals::register_changed([saved])
}

/// The due date of a member's oldest membership dues unpaid on `day`, over all their plots.
pub fn oldest_unpaid_membership_due(record: &Record, day: Date) -> Result<Option<Date>> {
    let mut oldest = None;
    for holding in &record.holdings {
        let movements = crate::accounts::movements(&Ledger::Membership.account(&holding.plot))?;
        if let Some(due) = crate::ledgers::position(&movements, day).oldest_unpaid_due
            && due < day
        {
            oldest = Some(oldest.map_or(due, |o: Date| o.min(due)));
        }
    }
    Ok(oldest)
}

/// The chairman warns a member that the meeting of `meeting` may expel them for unpaid dues: at
/// least a month before it, and only when the debt will be old enough by then.
pub fn warn(record_id: &str, meeting: Date) -> Result<Doc<Record>> {
    require_board()?;
    let doc = access::record(record_id)?;
    member_state(&doc.data)?;
    let settings = Settings::load()?;
    let periods = settings.law_periods.in_force_on(meeting);
    let today = ctx::today()?;
    let deadline = law::expulsion_warning_deadline(meeting, periods)?;
    if today > deadline {
        return Err(Error::invalid(
            "meeting",
            format!(
                "{} {}",
                tr(
                    "Предупреждение должно быть направлено не позднее чем за месяц до собрания, а для этого собрания срок прошёл",
                    "the warning must go at least a month before the meeting; for this one it is too late:"
                ),
                crate::show::date_text(deadline)
            ),
        ));
    }
    let Some(due) = oldest_unpaid_membership_due(&doc.data, today)? else {
        return Err(Error::conflict(tr(
            "У члена нет просроченных членских взносов",
            "the member has no overdue membership dues",
        )));
    };
    let earliest = law::expulsion_earliest_meeting(due, periods)?;
    if meeting < earliest {
        return Err(Error::invalid(
            "meeting",
            format!(
                "{} {}",
                tr(
                    "Взносы не будут просрочены более двух месяцев: исключать можно на собрании не ранее",
                    "the dues will not be unpaid long enough: expulsion may be decided at a meeting from"
                ),
                crate::show::date_text(earliest)
            ),
        ));
    }
    let mut record = doc.data.clone();
    record.warning = Some(Warning {
        sent_on: today,
        meeting,
    });
    record.note(
        today,
        format!(
            "Предупреждение о возможном исключении на собрании {}",
            crate::show::date_text(meeting)
        ),
        format!("Warned of a possible expulsion at the meeting of {meeting}"),
    );
    let saved = RECORDS.put(&doc.community, &doc.id, &record, Some(doc.version))?;
    if let Some(person) = &record.person_id {
        tell(
            std::slice::from_ref(person),
            ("Предупреждение о неуплате взносов", "Warning: unpaid dues"),
            (
                format!(
                    "Членские взносы не оплачены с {}. Общее собрание {} может рассмотреть ваше исключение из товарищества (ст.13 217-ФЗ). Оплатите долг до собрания.",
                    crate::show::date_text(due),
                    crate::show::date_text(meeting)
                ),
                format!(
                    "Membership dues unpaid since {due}. The general meeting of {meeting} may consider expelling you (217-FZ art.13). Pay the debt before the meeting."
                ),
            ),
            "",
            Urgency::High,
        )?;
    }
    Ok(saved)
}

/// The general meeting of `meeting` expelled the member (`minutes`): refused unless the law's
/// timers allow it; the decision, its grounds and how to be re-admitted are sent at once.
pub fn expel(record_id: &str, meeting: Date, minutes: &str) -> Result<Doc<Record>> {
    require_board()?;
    let doc = access::record(record_id)?;
    let settings = Settings::load()?;
    let today = ctx::today()?;
    if meeting > today {
        return Err(Error::invalid(
            "meeting",
            tr(
                "Решение собрания не может быть из будущего",
                "the meeting's decision cannot be in the future",
            ),
        ));
    }
    let due = oldest_unpaid_membership_due(&doc.data, meeting)?;
    let warned = doc.data.warning.as_ref().map(|w| w.sent_on);
    let expelled = member_state(&doc.data)?
        .expel(meeting, minutes, due, warned, &settings.law_periods)
        .map_err(|e| {
            if e.is(ErrorCode::Conflict) {
                Error::invalid("meeting", e.message)
            } else {
                e
            }
        })?;
    let Membership::Expelled {
        notify_by, minutes, ..
    } = expelled
    else {
        return Err(Error::internal("expulsion did not expel"));
    };
    let mut record = doc.data.clone();
    record.standing = Standing::Owner;
    record.departure = Some(Departure {
        on: meeting,
        reason: DepartureReason::Expelled,
    });
    record.expulsion = Some(Expulsion {
        meeting,
        minutes: minutes.clone(),
        notify_by,
        notified_on: record.person_id.as_ref().map(|_| today),
    });
    record.note(
        meeting,
        format!("Исключён из членов общим собранием ({minutes}) за неуплату взносов"),
        format!("Expelled by the general meeting ({minutes}) for unpaid dues"),
    );
    let saved = RECORDS.put(&doc.community, &doc.id, &record, Some(doc.version))?;
    left(&saved, meeting, DepartureReason::Expelled)?;
    if let Some(person) = &record.person_id {
        tell(
            std::slice::from_ref(person),
            ("Решение об исключении", "Expulsion decision"),
            (
                format!(
                    "Общее собрание {} ({minutes}) исключило вас из членов товарищества: членские взносы не оплачены более двух месяцев (ст.13 ч.4 217-ФЗ). Вы остаётесь собственником участка. Чтобы снова вступить, погасите долг и подайте заявление.",
                    crate::show::date_text(meeting)
                ),
                format!(
                    "The general meeting of {meeting} ({minutes}) expelled you: membership dues unpaid more than two months (217-FZ art.13 p.4). You remain the plot's owner. To be re-admitted, pay the debt and apply again."
                ),
            ),
            "",
            Urgency::High,
        )?;
    }
    Ok(saved)
}

/// The board records the day the decision was sent by post (when the person has no account,
/// or in addition to it).
pub fn notice_sent(record_id: &str, on: Date) -> Result<Doc<Record>> {
    require_board()?;
    let doc = access::record(record_id)?;
    let mut record = doc.data.clone();
    let Some(expulsion) = record.expulsion.as_mut() else {
        return Err(Error::conflict(tr(
            "Решения об исключении нет",
            "there is no expulsion decision",
        )));
    };
    expulsion.notified_on = Some(on);
    let late = on > expulsion.notify_by;
    record.note(
        on,
        if late {
            "Решение об исключении направлено с опозданием"
        } else {
            "Решение об исключении направлено"
        },
        if late {
            "The expulsion decision was sent late"
        } else {
            "The expulsion decision was sent"
        },
    );
    RECORDS.put(&doc.community, &doc.id, &record, Some(doc.version))
}
