//! The protocol of a general meeting as a structured, renderable document.
//!
//! For МКД the contents follow the requirements for protocols of owners' general meetings
//! (приказ Минстроя России от 28.01.2019 № 44/пр): the title with the number, the date and
//! the address; the introductory part (date and place, initiator, form, voting period, the
//! total number of votes, the votes of the participants and the quorum); the agenda; the
//! substantive part with the result on every question; where the decisions are stored; the
//! signatures. An СНТ meeting's protocol (217-ФЗ ст.17 ч.25) uses the same layout.
//!
//! [`build`] turns a [`ProtocolInput`] (the meeting's data and its [`Tally`]) into a
//! [`Protocol`]: a title and a list of sections, each a heading and its paragraphs, which the
//! plugin renders as HTML or, through [`Protocol::to_text`], as plain text. Percentages are of
//! the participants' votes, computed exactly from the rational weights and rounded half-up to
//! two decimals.

use serde::{Deserialize, Serialize};

use crate::tally::{Form, MeetingKind, QuestionResult, Tally, percent_string, votes_text};

/// One item of the agenda.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    /// The question as put on the agenda.
    pub title: String,
    /// The Russian name of the question's kind (its threshold class).
    pub kind_name: String,
    /// The proposed decision.
    pub proposal: String,
}

/// Everything the protocol is drawn up from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolInput {
    /// The protocol's number.
    pub number: String,
    /// The date it is drawn up, `YYYY-MM-DD`.
    pub date: String,
    /// The building's address (СНТ: the partnership's name and address).
    pub house_address: String,
    /// Who called the meeting.
    pub initiator: String,
    /// The form of the meeting.
    pub form: Form,
    /// Where it was held (for electronic voting: the information system).
    pub place: String,
    /// Start of the voting, human-readable date and time.
    pub voting_from: String,
    /// End of the voting, human-readable date and time.
    pub voting_to: String,
    /// The agenda, in order; matches the tally's questions by index.
    pub agenda: Vec<AgendaItem>,
    /// The count.
    pub tally: Tally,
    /// МКД: the total area of the premises as text, e.g. "4000.00 м²" (may be empty). СНТ:
    /// not shown — the protocol states the number of members from the tally.
    pub total_area_text: String,
    /// Where the decisions and the protocol are stored.
    pub storage_place: String,
    /// Chair of the meeting, if one was elected.
    pub chair: Option<String>,
    /// Secretary of the meeting, if one was elected.
    pub secretary: Option<String>,
    /// Members of the counting commission.
    pub counting_commission: Vec<String>,
    /// The kind of meeting.
    pub kind: MeetingKind,
}

/// A protocol ready to render.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    /// The title line.
    pub title: String,
    /// Sections in order: heading → paragraphs.
    pub sections: Vec<(String, Vec<String>)>,
}

/// The heading of the introductory part.
pub const SECTION_INTRO: &str = "Вводная часть";
/// The heading of the agenda.
pub const SECTION_AGENDA: &str = "Повестка дня";
/// The heading of the substantive part.
pub const SECTION_MAIN: &str = "Основная часть";
/// The heading of the storage place.
pub const SECTION_STORAGE: &str = "Место хранения";
/// The heading of the signatures.
pub const SECTION_SIGNATURES: &str = "Подписи";

/// `YYYY-MM-DD` as `DD.MM.YYYY`; anything else unchanged.
fn russian_date(date: &str) -> String {
    let parts: Vec<&str> = date.split('-').collect();
    match parts.as_slice() {
        [y, m, d]
            if y.len() == 4
                && m.len() == 2
                && d.len() == 2
                && date.bytes().all(|c| c.is_ascii_digit() || c == b'-') =>
        {
            format!("{d}.{m}.{y}")
        }
        _ => date.to_string(),
    }
}

/// "голосов" or "членов" counted, with units.
fn votes_phrase(kind: MeetingKind, votes: &str) -> String {
    match kind {
        MeetingKind::Mkd => format!("{votes} голосов (м²)"),
        MeetingKind::Snt => format!("{votes} голосов"),
    }
}

/// The introductory part.
fn intro(input: &ProtocolInput) -> Vec<String> {
    let tally = &input.tally;
    let kind = input.kind;
    let mut lines = vec![
        format!("Дата составления протокола: {}.", russian_date(&input.date)),
        format!("Место проведения собрания: {}.", input.place),
        format!("Инициатор собрания: {}.", input.initiator),
        format!(
            "Форма проведения собрания: {}.",
            capitalize(input.form.name_ru_genitive())
        ),
        format!(
            "Период голосования: с {} по {}.",
            input.voting_from, input.voting_to
        ),
    ];
    let total = votes_text(kind, tally.total);
    let participants = votes_text(kind, tally.participants);
    let share = percent_string(tally.participants, tally.total);
    match kind {
        MeetingKind::Mkd => {
            if !input.total_area_text.trim().is_empty() {
                lines.push(format!(
                    "Общая площадь помещений в многоквартирном доме: {}.",
                    input.total_area_text
                ));
            }
            lines.push(format!(
                "Общее количество голосов собственников помещений: {} \
                 (один голос равен одному квадратному метру площади помещения, ЖК РФ ст.48 ч.3).",
                votes_phrase(kind, &total)
            ));
            lines.push(format!(
                "Количество голосов собственников, принявших участие в собрании: {}, \
                 что составляет {share}% от общего числа голосов.",
                votes_phrase(kind, &participants)
            ));
            let verdict = if tally.quorum {
                "Кворум имеется, собрание правомочно"
            } else {
                "Кворума нет, собрание неправомочно"
            };
            lines.push(format!(
                "{verdict}: для кворума необходимо участие собственников, обладающих более чем \
                 50% голосов от общего числа голосов ({} голосов), ЖК РФ ст.45 ч.3.",
                tally.quorum_needed
            ));
        }
        MeetingKind::Snt => {
            lines.push(format!("Общее количество членов товарищества: {total}."));
            let who = if input.form.is_absentee() {
                "принявших участие в голосовании"
            } else {
                "присутствующих на собрании"
            };
            lines.push(format!(
                "Количество членов товарищества (их представителей), {who}: {participants}, \
                 что составляет {share}% от общего числа членов."
            ));
            let verdict = if tally.quorum {
                "Кворум имеется, собрание правомочно"
            } else {
                "Кворума нет, собрание неправомочно"
            };
            lines.push(format!(
                "{verdict}: для кворума необходимо участие более чем 50% членов товарищества \
                 или их представителей ({} членов), 217-ФЗ ст.17 ч.19.",
                tally.quorum_needed
            ));
        }
    }
    lines
}

/// First letter upper-case.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The paragraphs for one question of the substantive part.
fn question_lines(input: &ProtocolInput, result: &QuestionResult) -> Vec<String> {
    let kind = input.kind;
    let number = result.index + 1;
    let item = input.agenda.get(result.index);
    let title = item.map_or_else(|| format!("Вопрос № {number}"), |i| i.title.clone());
    let mut lines = vec![format!(
        "{number}. По вопросу № {number} повестки дня: {title}."
    )];
    if let Some(item) = item
        && !item.kind_name.trim().is_empty()
    {
        lines.push(format!("Вид вопроса: {}.", item.kind_name));
    }
    lines.push(format!(
        "СЛУШАЛИ: {} по вопросу «{title}».",
        input.chair.as_deref().unwrap_or(&input.initiator)
    ));
    if let Some(item) = item {
        lines.push(format!("ПРЕДЛОЖЕНО: {}", item.proposal));
    }
    let part = |w| {
        format!(
            "{} ({}%)",
            votes_text(kind, w),
            percent_string(w, result.participants_base)
        )
    };
    lines.push(format!(
        "ПРОГОЛОСОВАЛИ: «за» — {}; «против» — {}; «воздержались» — {} \
         (в процентах от числа голосов принявших участие в собрании: {}).",
        part(result.for_),
        part(result.against),
        part(result.abstain),
        votes_text(kind, result.participants_base)
    ));
    let decided = if result.adopted {
        format!(
            "РЕШИЛИ: решение принято (необходимо голосов «за»: {}; подано: {}).",
            result.needed,
            votes_text(kind, result.for_)
        )
    } else if !input.tally.quorum {
        "РЕШИЛИ: решение не принято — кворума нет.".to_string()
    } else {
        format!(
            "РЕШИЛИ: решение не принято (необходимо голосов «за»: {}; подано: {}).",
            result.needed,
            votes_text(kind, result.for_)
        )
    };
    lines.push(decided);
    lines
}

/// One signature line: "Председатель собрания: ____________ / Иванов И. И. /".
fn signature(role: &str, name: &str) -> String {
    format!("{role}: ____________ / {name} /")
}

/// Draw up the protocol.
pub fn build(input: &ProtocolInput) -> Protocol {
    let form = input.form.name_ru_genitive();
    let title = match input.kind {
        MeetingKind::Mkd => format!(
            "ПРОТОКОЛ № {} общего собрания собственников помещений в многоквартирном доме \
             по адресу: {}, проводимого в форме {form}",
            input.number, input.house_address
        ),
        MeetingKind::Snt => format!(
            "ПРОТОКОЛ № {} общего собрания членов СНТ по адресу: {}, проводимого в форме {form}",
            input.number, input.house_address
        ),
    };

    let agenda = input
        .agenda
        .iter()
        .enumerate()
        .map(|(i, item)| format!("{}. {}", i + 1, item.title))
        .collect();

    let mut main = Vec::new();
    for result in &input.tally.questions {
        main.extend(question_lines(input, result));
    }
    if main.is_empty() {
        main.push("Вопросы на голосование не ставились.".to_string());
    }

    let storage = vec![match input.kind {
        MeetingKind::Mkd => format!(
            "Протокол и решения собственников по вопросам, поставленным на голосование, \
             хранятся: {}.",
            input.storage_place
        ),
        MeetingKind::Snt => format!(
            "Протокол и бюллетени для голосования хранятся: {}.",
            input.storage_place
        ),
    }];

    let mut signatures = Vec::new();
    match &input.chair {
        Some(chair) => signatures.push(signature("Председатель общего собрания", chair)),
        None => signatures.push(signature("Инициатор общего собрания", &input.initiator)),
    }
    if let Some(secretary) = &input.secretary {
        signatures.push(signature("Секретарь общего собрания", secretary));
    }
    for member in &input.counting_commission {
        signatures.push(signature("Член счётной комиссии", member));
    }

    Protocol {
        title,
        sections: vec![
            (SECTION_INTRO.to_string(), intro(input)),
            (SECTION_AGENDA.to_string(), agenda),
            (SECTION_MAIN.to_string(), main),
            (SECTION_STORAGE.to_string(), storage),
            (SECTION_SIGNATURES.to_string(), signatures),
        ],
    }
}

impl Protocol {
    /// Plain text: the title, then each section's heading and its paragraphs, separated by
    /// blank lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&self.title);
        out.push('\n');
        for (heading, paragraphs) in &self.sections {
            out.push('\n');
            out.push_str(heading);
            out.push('\n');
            for paragraph in paragraphs {
                out.push_str(paragraph);
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::{BallotView, Choice, Electorate, Weight, default_rules, tally};

    fn m2(m2: u64) -> Weight {
        Weight::of_area(m2 * 100, 1, 1)
    }

    fn mkd_input(ballots: &[(u64, [Option<Choice>; 2])]) -> ProtocolInput {
        let ballots: Vec<BallotView> = ballots
            .iter()
            .enumerate()
            .map(|(i, (area, answers))| BallotView {
                voter: format!("owner{i}"),
                weight: m2(*area),
                member: true,
                answers: answers.to_vec(),
            })
            .collect();
        let electorate = Electorate {
            total: m2(4000),
            non_member_total: Weight::ZERO,
        };
        let tally = tally(
            MeetingKind::Mkd,
            Form::Absentee,
            &default_rules().in_force("2025-03-20"),
            &["ordinary".to_string(), "management_method".to_string()],
            &electorate,
            &ballots,
            None,
        )
        .unwrap();
        ProtocolInput {
            number: "3/2025".into(),
            date: "2025-03-20".into(),
            house_address: "г. Москва, ул. Лесная, д. 5".into(),
            initiator: "Петров П. П., собственник кв. 12".into(),
            form: Form::Absentee,
            place: "г. Москва, ул. Лесная, д. 5, холл 1-го этажа".into(),
            voting_from: "01.03.2025 10:00".into(),
            voting_to: "15.03.2025 20:00".into(),
            agenda: vec![
                AgendaItem {
                    title: "Утверждение плана текущего ремонта на 2025 год".into(),
                    kind_name: "Вопрос, решаемый большинством голосов участников собрания".into(),
                    proposal: "Утвердить план текущего ремонта на 2025 год.".into(),
                },
                AgendaItem {
                    title: "Выбор способа управления".into(),
                    kind_name: "Выбор способа управления многоквартирным домом".into(),
                    proposal: "Выбрать управление товариществом собственников жилья.".into(),
                },
            ],
            tally,
            total_area_text: "4000,00 м²".into(),
            storage_place: "ГЖИ г. Москвы и офис ООО «УК Лесная»".into(),
            chair: Some("Петров П. П.".into()),
            secretary: Some("Сидорова С. С.".into()),
            counting_commission: vec!["Иванов И. И.".into()],
            kind: MeetingKind::Mkd,
        }
    }

    fn section<'a>(protocol: &'a Protocol, heading: &str) -> &'a [String] {
        &protocol
            .sections
            .iter()
            .find(|(h, _)| h == heading)
            .unwrap_or_else(|| panic!("no section {heading}"))
            .1
    }

    #[test]
    fn mkd_protocol_has_title_quorum_results_with_percentages_and_storage() {
        let input = mkd_input(&[
            (1200, [Some(Choice::For), Some(Choice::For)]),
            (1050, [Some(Choice::Against), Some(Choice::Abstain)]),
        ]);
        let protocol = build(&input);
        assert_eq!(
            protocol.title,
            "ПРОТОКОЛ № 3/2025 общего собрания собственников помещений в многоквартирном доме \
             по адресу: г. Москва, ул. Лесная, д. 5, проводимого в форме заочного голосования"
        );
        let headings: Vec<&str> = protocol.sections.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(
            headings,
            [
                SECTION_INTRO,
                SECTION_AGENDA,
                SECTION_MAIN,
                SECTION_STORAGE,
                SECTION_SIGNATURES
            ]
        );

        let intro = section(&protocol, SECTION_INTRO).join("\n");
        assert!(
            intro.contains("Дата составления протокола: 20.03.2025."),
            "{intro}"
        );
        assert!(
            intro.contains(
                "принявших участие в собрании: 2250.00 голосов (м²), что составляет 56.25%"
            ),
            "{intro}"
        );
        assert!(
            intro.contains(
                "Кворум имеется, собрание правомочно: для кворума необходимо участие \
                 собственников, обладающих более чем 50% голосов от общего числа голосов \
                 (> 2000.00 голосов)"
            ),
            "{intro}"
        );

        let agenda = section(&protocol, SECTION_AGENDA);
        assert_eq!(
            agenda[0],
            "1. Утверждение плана текущего ремонта на 2025 год"
        );
        assert_eq!(agenda[1], "2. Выбор способа управления");

        let main = section(&protocol, SECTION_MAIN).join("\n");
        assert!(
            main.contains(
                "ПРОГОЛОСОВАЛИ: «за» — 1200.00 (53.33%); «против» — 1050.00 (46.67%); \
                 «воздержались» — 0.00 (0.00%)"
            ),
            "{main}"
        );
        assert!(
            main.contains(
                "РЕШИЛИ: решение принято (необходимо голосов «за»: > 1125.00; подано: 1200.00)."
            ),
            "{main}"
        );
        assert!(main.contains("ПРЕДЛОЖЕНО: Выбрать управление товариществом собственников жилья."));
        assert!(
            main.contains(
                "РЕШИЛИ: решение не принято (необходимо голосов «за»: > 2000.00; подано: 1200.00)."
            ),
            "{main}"
        );

        let storage = section(&protocol, SECTION_STORAGE).join("\n");
        assert!(
            storage.contains("ГЖИ г. Москвы и офис ООО «УК Лесная»"),
            "{storage}"
        );

        let signatures = section(&protocol, SECTION_SIGNATURES);
        assert_eq!(
            signatures,
            [
                "Председатель общего собрания: ____________ / Петров П. П. /",
                "Секретарь общего собрания: ____________ / Сидорова С. С. /",
                "Член счётной комиссии: ____________ / Иванов И. И. /",
            ]
        );

        let text = protocol.to_text();
        assert!(text.starts_with("ПРОТОКОЛ № 3/2025"));
        assert!(text.contains("\nОсновная часть\n1. По вопросу № 1 повестки дня:"));
    }

    #[test]
    fn mkd_protocol_without_quorum_says_so_and_adopts_nothing() {
        let input = mkd_input(&[(2000, [Some(Choice::For), Some(Choice::For)])]);
        let protocol = build(&input);
        let intro = section(&protocol, SECTION_INTRO).join("\n");
        assert!(
            intro.contains("Кворума нет, собрание неправомочно"),
            "{intro}"
        );
        assert!(intro.contains("что составляет 50.00%"), "{intro}");
        let main = section(&protocol, SECTION_MAIN);
        assert_eq!(
            main.iter()
                .filter(|l| l.as_str() == "РЕШИЛИ: решение не принято — кворума нет.")
                .count(),
            2
        );
    }

    #[test]
    fn snt_protocol_counts_members_and_names_the_partnership_meeting() {
        let ballots: Vec<BallotView> = (0..61)
            .map(|i| BallotView {
                voter: format!("member{i}"),
                weight: Weight::integer(1),
                member: true,
                answers: vec![Some(if i < 41 { Choice::For } else { Choice::Against })],
            })
            .collect();
        let electorate = Electorate {
            total: Weight::integer(120),
            non_member_total: Weight::ZERO,
        };
        let tally = tally(
            MeetingKind::Snt,
            Form::Mixed,
            &default_rules().in_force("2025-06-01"),
            &["snt_qualified".to_string()],
            &electorate,
            &ballots,
            None,
        )
        .unwrap();
        let input = ProtocolInput {
            number: "1".into(),
            date: "2025-06-01".into(),
            house_address: "СНТ «Ромашка», Московская обл., д. Берёзки".into(),
            initiator: "Правление СНТ «Ромашка»".into(),
            form: Form::Mixed,
            place: "Сторожка СНТ".into(),
            voting_from: "20.05.2025".into(),
            voting_to: "01.06.2025".into(),
            agenda: vec![AgendaItem {
                title: "Утверждение приходно-расходной сметы".into(),
                kind_name: String::new(),
                proposal: "Утвердить смету на 2025 год.".into(),
            }],
            tally,
            total_area_text: String::new(),
            storage_place: "у председателя правления".into(),
            chair: None,
            secretary: None,
            counting_commission: vec![],
            kind: MeetingKind::Snt,
        };
        let protocol = build(&input);
        assert!(
            protocol
                .title
                .starts_with("ПРОТОКОЛ № 1 общего собрания членов СНТ по адресу:")
        );
        assert!(
            protocol
                .title
                .ends_with("в форме очно-заочного голосования")
        );
        let intro = section(&protocol, SECTION_INTRO).join("\n");
        assert!(
            intro.contains("Общее количество членов товарищества: 120."),
            "{intro}"
        );
        assert!(
            intro.contains("принявших участие в голосовании: 61, что составляет 50.83%"),
            "{intro}"
        );
        assert!(intro.contains("(> 60 членов)"), "{intro}");
        let main = section(&protocol, SECTION_MAIN).join("\n");
        assert!(
            main.contains("«за» — 41 (67.21%); «против» — 20 (32.79%)"),
            "{main}"
        );
        assert!(
            main.contains("решение принято (необходимо голосов «за»: ≥ 41; подано: 41)"),
            "{main}"
        );
        assert_eq!(
            section(&protocol, SECTION_SIGNATURES),
            ["Инициатор общего собрания: ____________ / Правление СНТ «Ромашка» /"]
        );
    }
}
