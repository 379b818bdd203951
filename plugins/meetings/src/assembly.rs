//! General meetings: of the owners of a block of flats (МКД, ЖК РФ ст.44–48, 47.1), where each
//! verified owner votes with the area they own, and of the members of an SNT (217-ФЗ ст.17), one
//! member one vote, with non-member owners voting on the questions the law lets them.
//!
//! The notice is given some days before voting starts, and voting lasts within bounds, both dated
//! rules of the law by kind of meeting (`tally::NoticeRule`: 10 days and 7–60 days for МКД, two
//! weeks for СНТ), which an operator may override.
//! Ballots are recorded with who, when and how (online, or entered from paper by the
//! organizer); once the meeting closes they cannot change. The tally is computed from the
//! ballots by `tally`, stored at closing, and can be recomputed and compared at any time.
//!
//! While voting is open the running tally and the ballots are seen only by those who count: the
//! organizer and the counting commission (the people named in `commission`). The results are
//! everyone's once the meeting closes; the protocol, and the names of the chair, the secretary
//! and the commission, are the people of the place's.

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message, Urgency};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::roll::Roll;
use crate::tally::{self, BallotView, Choice, Electorate, Form, MeetingKind, Weight};
use crate::{BALLOTS, Ballot, How, MEETINGS, Settings, Viewer, without};

/// Emitted when a meeting closes.
pub const MEETING_CLOSED: &str = "meeting.closed";
const DAY_MS: i64 = 86_400_000;

/// Where a meeting is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Announced; voting has not started.
    Announced,
    /// Voting.
    Open,
    /// Closed and counted.
    Closed,
}

/// A question of the agenda.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// What is decided.
    pub title: String,
    /// The question's kind, which sets its threshold (`ordinary`, `management_method`, …).
    pub kind: String,
    /// The proposed decision.
    #[serde(default)]
    pub proposal: String,
}

/// A general meeting.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meeting {
    /// МКД or SNT.
    pub kind: MeetingKind,
    /// In person, absentee, mixed or electronic.
    pub form: Form,
    /// The protocol's number.
    pub number: String,
    /// Who called it (an owner, the management company, the board).
    pub initiator: String,
    /// Where it is held (or where ballots are handed in).
    pub place: String,
    /// Where the decisions are kept.
    pub storage_place: String,
    /// The day the notice was given (YYYY-MM-DD).
    pub notice_date: String,
    /// Voting opens (ms).
    pub voting_from: i64,
    /// Voting closes (ms).
    pub voting_to: i64,
    /// The agenda.
    pub questions: Vec<Question>,
    /// The person who registered it.
    pub created_by: String,
    /// Its status.
    pub status: Status,
    /// Members present in person (SNT in-person meetings), entered at closing.
    #[serde(default)]
    pub present_members: Option<u64>,
    /// The chair.
    #[serde(default)]
    pub chair: Option<String>,
    /// The secretary.
    #[serde(default)]
    pub secretary: Option<String>,
    /// The counting commission, as the protocol names it.
    #[serde(default)]
    pub counting_commission: Vec<String>,
    /// The people of the counting commission (person ids): they see the running tally and the
    /// ballots while voting is open.
    #[serde(default)]
    pub commission: Vec<String>,
    /// The tally stored at closing.
    #[serde(default)]
    pub result: Option<tally::Tally>,
    /// The electorate at closing.
    #[serde(default)]
    pub electorate: Option<Electorate>,
    /// Closed (ms).
    #[serde(default)]
    pub closed_at: Option<i64>,
    /// The meeting's materials, open to the people of the place (ЖК РФ ст. 45 ч. 5: where to
    /// read them is part of the notice).
    #[serde(default)]
    pub documents: Vec<MeetingDocument>,
}

/// One of a meeting's materials: the notice, a draft decision, a report, the signed protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeetingDocument {
    /// What it is, as the organizer named it.
    pub title: String,
    /// The stored file.
    pub file: String,
    /// Its MIME type.
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
    /// Who added it (person id).
    pub added_by: String,
    /// When (ms).
    pub added_at: i64,
}

/// The most materials one meeting lists.
pub const MAX_DOCUMENTS: usize = 30;

/// Add the stored file `file` to meeting `id`'s materials under `title` (the file's name when
/// empty). Only those who organize meetings here may.
pub fn attach_document(id: &str, title: &str, file: &str) -> Result<Doc<Meeting>> {
    let caller = ctx::caller().ok_or_else(|| Error::unauthenticated("sign in first"))?;
    if !is_organizer() {
        return Err(Error::forbidden(tr(
            "Материалы собрания добавляют его организаторы",
            "only the meeting's organizers add its materials",
        )));
    }
    let doc = MEETINGS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого собрания", "no such meeting")))?;
    let mut meeting = doc.data.clone();
    if meeting.documents.len() >= MAX_DOCUMENTS {
        return Err(Error::invalid(
            "file",
            format!(
                "{} {MAX_DOCUMENTS}",
                tr(
                    "У собрания уже столько материалов, сколько можно:",
                    "the meeting already has as many materials as allowed:"
                )
            ),
        ));
    }
    let info = dvor_sdk::files::info(file)?.ok_or_else(|| {
        Error::invalid("file", tr("Файл не загрузился", "the file did not upload"))
    })?;
    let title = title.trim();
    meeting.documents.push(MeetingDocument {
        title: if title.is_empty() {
            info.name.clone()
        } else {
            title.chars().take(200).collect()
        },
        file: info.id,
        mime: info.content_type,
        size: info.size,
        added_by: caller.person_id,
        added_at: ctx::now(),
    });
    MEETINGS.put(&doc.community, &doc.id, &meeting, Some(doc.version))
}

/// A new meeting.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    /// In person, absentee, mixed or electronic.
    pub form: Form,
    /// The protocol's number.
    pub number: String,
    /// Who called it.
    pub initiator: String,
    /// Where.
    pub place: String,
    /// Where the decisions will be kept.
    pub storage_place: String,
    /// The day the notice was given.
    pub notice_date: String,
    /// Voting opens (ms).
    pub voting_from: i64,
    /// Voting closes (ms).
    pub voting_to: i64,
    /// The agenda.
    pub questions: Vec<Question>,
    /// The chair.
    #[serde(default)]
    pub chair: Option<String>,
    /// The secretary.
    #[serde(default)]
    pub secretary: Option<String>,
    /// The counting commission, as the protocol names it.
    #[serde(default)]
    pub counting_commission: Vec<String>,
    /// The people of the counting commission (person ids of people of the place).
    #[serde(default)]
    pub commission: Vec<String>,
}

/// Whether the caller organizes meetings here: the management company's operators, the SNT's
/// chairman and board, admins.
pub fn is_organizer() -> bool {
    ["operator", "admin", "chairman", "board"]
        .iter()
        .any(|r| ctx::has_role(r))
}

fn today_string() -> Result<String> {
    Ok(ctx::today()?.to_string())
}

/// The kind of general meeting the call's community holds: owners' in a house, members' in an
/// SNT; none elsewhere.
pub fn meeting_kind_here() -> Option<MeetingKind> {
    match directory::community(&ctx::community())?.kind.as_str() {
        "house" => Some(MeetingKind::Mkd),
        "snt" => Some(MeetingKind::Snt),
        _ => None,
    }
}

/// Register a meeting of the call's community (a house or an SNT) and send the notice.
pub fn create(input: NewMeeting) -> Result<Doc<Meeting>> {
    let caller = ctx::require_caller()?;
    if !(is_organizer() || ctx::has_role("owner")) {
        return Err(Error::forbidden(tr(
            "Собрание созывают собственники, управляющая организация или правление",
            "owners, the management company or the board call a meeting",
        )));
    }
    let here = ctx::community();
    let Some(kind) = meeting_kind_here() else {
        return Err(Error::invalid(
            "community",
            tr(
                "Собрание проводится в доме или СНТ",
                "a meeting is held in a house or an SNT",
            ),
        ));
    };
    let settings = Settings::load()?;
    let rules = settings.rules()?.in_force(&today_string()?);
    if input.number.trim().is_empty() {
        return Err(Error::invalid(
            "number",
            tr("Нужен номер протокола", "the protocol needs a number"),
        ));
    }
    if input.questions.is_empty() {
        return Err(Error::invalid(
            "questions",
            tr("Нужна повестка дня", "an agenda is required"),
        ));
    }
    for (i, question) in input.questions.iter().enumerate() {
        let known = rules.kind(&question.kind);
        let fits = known.is_some_and(|k| k.code.starts_with("snt_") == (kind == MeetingKind::Snt));
        if !fits {
            return Err(Error::invalid(
                format!("questions[{i}].kind"),
                format!(
                    "{}: {}",
                    tr(
                        "Неизвестный вид вопроса для этого собрания",
                        "unknown question kind for this meeting"
                    ),
                    question.kind
                ),
            ));
        }
        if question.title.trim().is_empty() {
            return Err(Error::invalid(
                format!("questions[{i}].title"),
                tr("Нужна формулировка", "a wording is required"),
            ));
        }
    }
    for (i, person) in input.commission.iter().enumerate() {
        if directory::person(person).is_none() {
            return Err(Error::invalid(
                format!("commission[{i}]"),
                tr(
                    "В счётную комиссию входят люди этого дома или СНТ",
                    "the counting commission are people of this house or SNT",
                ),
            ));
        }
    }
    let notice = Date::parse_field("notice_date", &input.notice_date)?;
    let offset = ctx::utc_offset_minutes()?;
    if notice > ctx::today()? {
        return Err(Error::invalid(
            "notice_date",
            tr(
                "Уведомление не может быть из будущего",
                "the notice cannot be in the future",
            ),
        ));
    }
    let Some(call) = rules.notice(kind) else {
        return Err(Error::invalid(
            "notice_date",
            tr(
                "Для такого собрания не заданы сроки уведомления",
                "no notice period is set for this meeting",
            ),
        ));
    };
    let earliest = notice
        .add_days(call.days_before.into())
        .map_or(i64::MAX, |d| d.start_timestamp(offset));
    if input.voting_from < earliest {
        return Err(Error::invalid(
            "voting_from",
            tr(
                &format!(
                    "Голосование начинается не ранее чем через {} дн. после уведомления ({})",
                    call.days_before, call.basis
                ),
                &format!(
                    "voting starts at least {} days after the notice ({})",
                    call.days_before, call.basis
                ),
            )
            .to_owned(),
        ));
    }
    let length = input.voting_to - input.voting_from;
    let shortest = i64::from(call.min_voting_days.unwrap_or(0)) * DAY_MS;
    let longest = call
        .max_voting_days
        .map_or(i64::MAX, |days| i64::from(days) * DAY_MS);
    if length <= 0 || !(shortest..=longest).contains(&length) {
        let bounds = match call.voting_length() {
            Some((ru, en)) if length > 0 => tr(
                &format!("Голосование длится {ru} ({})", call.basis),
                &format!("voting lasts {en} ({})", call.basis),
            )
            .to_owned(),
            _ => tr(
                "Голосование заканчивается позже, чем начинается",
                "voting must end after it starts",
            )
            .to_owned(),
        };
        return Err(Error::invalid("voting_to", bounds));
    }
    let meeting = Meeting {
        kind,
        form: input.form,
        number: input.number.trim().to_owned(),
        initiator: input.initiator.trim().to_owned(),
        place: input.place.trim().to_owned(),
        storage_place: input.storage_place.trim().to_owned(),
        notice_date: notice.to_string(),
        voting_from: input.voting_from,
        voting_to: input.voting_to,
        questions: input.questions,
        created_by: caller.person_id,
        status: if ctx::now() >= input.voting_from {
            Status::Open
        } else {
            Status::Announced
        },
        present_members: None,
        chair: input.chair,
        secretary: input.secretary,
        counting_commission: input.counting_commission,
        commission: input.commission,
        result: None,
        electorate: None,
        closed_at: None,
        documents: Vec::new(),
    };
    let doc = MEETINGS.insert(&here, None, &meeting)?;
    let voters = electorate_people(kind, &here)?;
    if !voters.is_empty() {
        notifications::notify(
            &voters,
            &Message::new(
                Localized::new("Общее собрание", "General meeting"),
                Localized::new(
                    format!(
                        "Собрание №{}: {} вопрос(ов) повестки. Голосование — до {}.",
                        meeting.number,
                        meeting.questions.len(),
                        Date::from_timestamp(meeting.voting_to, offset)
                            .map(|d| format!("{:02}.{:02}.{}", d.day(), d.month(), d.year()))
                            .unwrap_or_default()
                    ),
                    format!(
                        "Meeting No. {}: {} agenda item(s). Voting until {}.",
                        meeting.number,
                        meeting.questions.len(),
                        Date::from_timestamp(meeting.voting_to, offset)
                            .map(|d| d.to_string())
                            .unwrap_or_default()
                    ),
                ),
            )
            .link(format!("meeting/{}", doc.id))
            .urgency(Urgency::High),
        )?;
    }
    Ok(doc)
}

/// Who is notified: the owners of the house's units, or the SNT's members and plot owners.
fn electorate_people(kind: MeetingKind, community: &str) -> Result<Vec<String>> {
    if kind == MeetingKind::Snt {
        return Ok(Roll::of(community)?.people());
    }
    let mut people: Vec<String> = directory::units(community)
        .iter()
        .flat_map(|u| directory::owners(&u.id))
        .map(|o| o.person_id)
        .collect();
    people.sort();
    people.dedup();
    Ok(people)
}

/// The electorate: МКД — the area of every unit of the house; SNT — its members, and the
/// plot owners who are not members, as the partnership's register has them ([`Roll`]).
pub fn electorate(kind: MeetingKind, community: &str) -> Result<Electorate> {
    Ok(match kind {
        MeetingKind::Mkd => {
            let total = directory::units(community)
                .iter()
                .fold(Weight::ZERO, |sum, u| {
                    sum + Weight::of_area(u.area_centi_m2, 1, 1)
                });
            Electorate {
                total,
                non_member_total: Weight::ZERO,
            }
        }
        MeetingKind::Snt => {
            let roll = Roll::of(community)?;
            Electorate {
                total: Weight::integer(roll.member_count as u128),
                non_member_total: Weight::integer(roll.owner_count as u128),
            }
        }
    })
}

/// A voter's standing: МКД — their verified area × share over the house's units; SNT — one vote,
/// as a member or a non-member owner. None when they may not vote.
pub fn voter_weight(
    kind: MeetingKind,
    community: &str,
    person: &str,
) -> Result<Option<(Weight, bool)>> {
    Ok(match kind {
        MeetingKind::Mkd => {
            let weight = directory::units(community)
                .iter()
                .flat_map(|u| {
                    directory::owners(&u.id)
                        .into_iter()
                        .filter(|o| o.person_id == person && o.verified)
                        .map(move |o| {
                            Weight::of_area(u.area_centi_m2, o.share_numerator, o.share_denominator)
                        })
                })
                .fold(Weight::ZERO, |sum, w| sum + w);
            (weight > Weight::ZERO).then_some((weight, true))
        }
        MeetingKind::Snt => {
            let roll = Roll::of(community)?;
            if roll.is_member(person) {
                Some((Weight::integer(1), true))
            } else {
                roll.is_owner(person).then_some((Weight::integer(1), false))
            }
        }
    })
}

/// Whether the caller counts `meeting`'s votes: an organizer here, the person who registered
/// it, or a member of its counting commission.
pub fn counts(meeting: &Doc<Meeting>) -> bool {
    let Some(caller) = ctx::caller() else {
        return false;
    };
    is_organizer()
        || meeting.data.created_by == caller.person_id
        || meeting.data.commission.contains(&caller.person_id)
}

/// A meeting as `viewer` may read it: who registered it only for those who count, the names
/// of the chair, the secretary and the commission only for the people of the place.
pub fn json(doc: &Doc<Meeting>, viewer: &Viewer) -> serde_json::Value {
    let mut data = serde_json::to_value(&doc.data).unwrap_or_default();
    if !counts(doc) {
        data = without(data, &["created_by", "commission"]);
    }
    if !viewer.sees_names() {
        data = without(data, &["chair", "secretary", "counting_commission"]);
    }
    serde_json::json!({ "id": doc.id, "community": doc.community, "data": data })
}

/// The meeting `id`.
pub fn get(id: &str) -> Result<Doc<Meeting>> {
    MEETINGS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого собрания", "no such meeting")))
}

/// Answers as given: `for`, `against`, `abstain`, or null for a question left unanswered.
fn answers_of(meeting: &Meeting, given: &[Option<Choice>]) -> Result<Vec<Option<Choice>>> {
    if given.len() != meeting.questions.len() {
        return Err(Error::invalid(
            "answers",
            format!(
                "{} {}",
                tr(
                    "Нужно ответов по числу вопросов:",
                    "answers needed, one per question:"
                ),
                meeting.questions.len()
            ),
        ));
    }
    Ok(given.to_vec())
}

/// Cast (or, before closing, change) the caller's ballot online, or — for an organizer —
/// enter `person`'s paper ballot.
pub fn cast(id: &str, given: &[Option<Choice>], paper_for: Option<&str>) -> Result<Doc<Ballot>> {
    let caller = ctx::require_caller()?;
    let doc = get(id)?;
    let m = &doc.data;
    let now = ctx::now();
    if m.status == Status::Closed || now >= m.voting_to {
        return Err(Error::conflict(tr(
            "Голосование закончено: бюллетени не принимаются и не меняются",
            "voting is over: ballots are neither taken nor changed",
        )));
    }
    if now < m.voting_from {
        return Err(Error::conflict(tr(
            "Голосование ещё не началось",
            "voting has not started",
        )));
    }
    let (person, how, entered_by) = match paper_for {
        Some(person) => {
            if !(is_organizer() || m.created_by == caller.person_id) {
                return Err(Error::forbidden(tr(
                    "Бумажные бюллетени вносит организатор",
                    "the organizer enters paper ballots",
                )));
            }
            (
                person.to_owned(),
                How::Paper,
                Some(caller.person_id.clone()),
            )
        }
        None => (caller.person_id.clone(), How::Online, None),
    };
    let (weight, member) = voter_weight(m.kind, &doc.community, &person)?.ok_or_else(|| {
        Error::forbidden(match m.kind {
            MeetingKind::Mkd => tr(
                "Голосуют только подтверждённые собственники помещений дома",
                "only verified owners of the house vote",
            ),
            MeetingKind::Snt => tr(
                "Голосуют члены СНТ и собственники участков",
                "SNT members and plot owners vote",
            ),
        })
    })?;
    let answers = answers_of(m, given)?;
    if !member {
        let rules = Settings::load()?.rules()?.in_force(&today_string()?);
        for (i, (answer, question)) in answers.iter().zip(&m.questions).enumerate() {
            let allowed = rules
                .kind(&question.kind)
                .is_some_and(|k| k.non_members_vote);
            if answer.is_some() && !allowed {
                return Err(Error::invalid(
                    format!("answers[{i}]"),
                    tr(
                        "Собственники, не являющиеся членами СНТ, голосуют только по вопросам общего имущества и платежей (217-ФЗ ст.17 ч.3)",
                        "non-member owners vote only on common property and payments (217-ФЗ ст.17 ч.3)",
                    ),
                ));
            }
        }
    }
    let ballot_id = format!("meeting:{}:{person}", doc.id);
    let existing = BALLOTS.get(&ballot_id)?;
    let name = directory::person(&person)
        .map(|p| p.display_name)
        .unwrap_or_else(|| person.clone());
    let ballot = Ballot {
        target: format!("meeting:{}", doc.id),
        voter: person.clone(),
        person: person.clone(),
        name,
        choices: Vec::new(),
        text: None,
        answers,
        weight: Some(weight),
        member,
        how,
        entered_by,
        at: now,
        changes: existing.as_ref().map_or(0, |d| d.data.changes + 1),
    };
    BALLOTS.put(
        &doc.community,
        &ballot_id,
        &ballot,
        Some(existing.map_or(0, |d| d.version)),
    )
}

/// Every ballot of a meeting.
pub fn ballots(id: &str) -> Result<Vec<Doc<Ballot>>> {
    BALLOTS
        .query()
        .filter("target", Compare::Eq, format!("meeting:{id}"))
        .fetch_all()
}

/// Count a meeting's ballots now.
pub fn count(doc: &Doc<Meeting>, electorate: &Electorate) -> Result<tally::Tally> {
    let m = &doc.data;
    let rules = Settings::load()?.rules()?.in_force(&day_of(m.voting_to)?);
    let views: Vec<BallotView> = ballots(&doc.id)?
        .into_iter()
        .map(|b| BallotView {
            voter: b.data.voter,
            weight: b.data.weight.unwrap_or(Weight::ZERO),
            member: b.data.member,
            answers: b.data.answers,
        })
        .collect();
    let kinds: Vec<String> = m.questions.iter().map(|q| q.kind.clone()).collect();
    tally::tally(
        m.kind,
        m.form,
        &rules,
        &kinds,
        electorate,
        &views,
        m.present_members,
    )
    .map_err(Error::internal)
}

fn day_of(ms: i64) -> Result<String> {
    Ok(Date::from_timestamp(ms, ctx::utc_offset_minutes()?)
        .map(|d| d.to_string())
        .unwrap_or_default())
}

/// Close a meeting whose voting is over: count, store the result, tell the voters.
pub fn close(id: &str, present_members: Option<u64>) -> Result<Doc<Meeting>> {
    let doc = get(id)?;
    if doc.data.status == Status::Closed {
        return Ok(doc);
    }
    if ctx::now() < doc.data.voting_to {
        return Err(Error::conflict(tr(
            "Голосование ещё идёт",
            "voting is still going on",
        )));
    }
    let mut meeting = doc.data.clone();
    if present_members.is_some() {
        meeting.present_members = present_members;
    }
    let electorate = electorate(meeting.kind, &doc.community)?;
    let counted = count(
        &Doc {
            data: meeting.clone(),
            ..doc.clone()
        },
        &electorate,
    )?;
    meeting.status = Status::Closed;
    meeting.closed_at = Some(ctx::now());
    meeting.electorate = Some(electorate);
    let adopted = counted.questions.iter().filter(|q| q.adopted).count();
    let quorum = counted.quorum;
    meeting.result = Some(counted);
    let saved = MEETINGS.put(&doc.community, &doc.id, &meeting, Some(doc.version))?;
    dvor_sdk::events::emit(
        MEETING_CLOSED,
        &doc.community,
        &serde_json::json!({ "meeting": doc.id, "quorum": quorum, "adopted": adopted, "questions": meeting.questions.len() }),
    )?;
    let voters = electorate_people(meeting.kind, &doc.community)?;
    if !voters.is_empty() {
        notifications::notify(
            &voters,
            &Message::new(
                Localized::new("Итоги собрания", "Meeting results"),
                Localized::new(
                    format!(
                        "Собрание №{}: {}; принято решений: {adopted}",
                        meeting.number,
                        if quorum {
                            "кворум есть"
                        } else {
                            "кворума нет"
                        }
                    ),
                    format!(
                        "Meeting No. {}: {}; decisions adopted: {adopted}",
                        meeting.number,
                        if quorum { "quorum" } else { "no quorum" }
                    ),
                ),
            )
            .link(format!("meeting/{}", doc.id)),
        )?;
    }
    Ok(saved)
}

/// Close the meetings whose voting is over (the `close` job).
pub fn close_due() -> Result<u32> {
    let due = MEETINGS
        .query()
        .filter("voting_to", Compare::Le, ctx::now())
        .filter("status", Compare::Ne, "closed")
        .limit(20)
        .fetch()?;
    let mut closed = 0;
    for doc in due.docs {
        close(&doc.id, None)?;
        closed += 1;
    }
    Ok(closed)
}

/// The stored tally, and a fresh count from the ballots, and whether they agree. While voting
/// is open this is the running tally: only those who count see it.
pub fn verify(id: &str) -> Result<serde_json::Value> {
    let doc = get(id)?;
    if doc.data.status != Status::Closed && !counts(&doc) {
        let why = tr(
            "Промежуточные итоги видят организатор и счётная комиссия",
            "the organizer and the counting commission see the running tally",
        );
        return Err(match ctx::caller() {
            None => Error::unauthenticated(why),
            Some(_) => Error::forbidden(why),
        });
    }
    let stored = doc.data.result.clone();
    let electorate = match doc.data.electorate {
        Some(stored) => stored,
        None => electorate(doc.data.kind, &doc.community)?,
    };
    let recounted = count(&doc, &electorate)?;
    Ok(serde_json::json!({
        "status": doc.data.status,
        "stored": stored,
        "recounted": recounted,
        "matches": stored.as_ref().map(|s| s == &recounted),
    }))
}

/// The protocol of a closed meeting.
pub fn protocol(id: &str) -> Result<crate::protocol::Protocol> {
    let doc = get(id)?;
    let m = &doc.data;
    let Some(result) = &m.result else {
        return Err(Error::conflict(tr(
            "Протокол — после закрытия собрания",
            "the protocol comes after the meeting closes",
        )));
    };
    let place = directory::community(&doc.community);
    let offset = ctx::utc_offset_minutes()?;
    let rules = Settings::load()?.rules()?.in_force(&day_of(m.voting_to)?);
    let when = |ms: i64| {
        Date::from_timestamp(ms, offset)
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let total_area_text = match m.kind {
        MeetingKind::Mkd => format!("{} м²", result.total.as_m2_string()),
        MeetingKind::Snt => tally::votes_text(m.kind, result.total),
    };
    Ok(crate::protocol::build(&crate::protocol::ProtocolInput {
        number: m.number.clone(),
        date: when(m.closed_at.unwrap_or(m.voting_to)),
        house_address: place
            .as_ref()
            .and_then(|p| p.address.clone().or(Some(p.name.clone())))
            .unwrap_or_default(),
        initiator: m.initiator.clone(),
        form: m.form,
        place: m.place.clone(),
        voting_from: when(m.voting_from),
        voting_to: when(m.voting_to),
        agenda: m
            .questions
            .iter()
            .map(|q| crate::protocol::AgendaItem {
                title: q.title.clone(),
                kind_name: rules
                    .kind(&q.kind)
                    .map(|k| k.name_ru.clone())
                    .unwrap_or_else(|| q.kind.clone()),
                proposal: q.proposal.clone(),
            })
            .collect(),
        tally: result.clone(),
        total_area_text,
        storage_place: m.storage_place.clone(),
        chair: m.chair.clone(),
        secretary: m.secretary.clone(),
        counting_commission: commission_names(m),
        kind: m.kind,
    }))
}

/// The counting commission as the protocol names it: the names given, then those of its people
/// not among them.
fn commission_names(m: &Meeting) -> Vec<String> {
    let mut names = m.counting_commission.clone();
    for person in &m.commission {
        if let Some(name) = directory::person(person).map(|p| p.display_name)
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// The ballots as CSV: who, how, when, weight and the answers.
pub fn ballots_csv(id: &str) -> Result<Vec<u8>> {
    let doc = get(id)?;
    let offset = ctx::utc_offset_minutes()?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::internal(e.to_string());
    let mut header = vec![
        "voter".to_owned(),
        "name".into(),
        "member".into(),
        "how".into(),
        "entered_by".into(),
        "at".into(),
        "weight".into(),
        "changes".into(),
    ];
    header.extend((1..=doc.data.questions.len()).map(|i| format!("q{i}")));
    out.write_record(&header).map_err(failed)?;
    for b in ballots(id)? {
        let b = b.data;
        let mut row = vec![
            b.voter,
            b.name,
            b.member.to_string(),
            match b.how {
                How::Online => "online".into(),
                How::Paper => "paper".into(),
            },
            b.entered_by.unwrap_or_default(),
            Date::from_timestamp(b.at, offset)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            b.weight
                .map(|w| match doc.data.kind {
                    MeetingKind::Mkd => w.as_m2_string(),
                    MeetingKind::Snt => tally::votes_text(MeetingKind::Snt, w),
                })
                .unwrap_or_default(),
            b.changes.to_string(),
        ];
        row.extend(b.answers.iter().map(|a| match a {
            Some(Choice::For) => "for".to_owned(),
            Some(Choice::Against) => "against".to_owned(),
            Some(Choice::Abstain) => "abstain".to_owned(),
            None => String::new(),
        }));
        out.write_record(&row).map_err(failed)?;
    }
    out.into_inner().map_err(|e| Error::internal(e.to_string()))
}
