//! The `meetings` plugin's web pages over the real server, on both engines, as residents use
//! them in a browser: a resident starts a poll through the home page's form (an empty option
//! list comes back with the error next to the options), neighbours vote on the poll's page and
//! see the count and the results change, a second vote is refused with a message, results
//! shown after closing stay hidden until the author closes the poll; an initiative proposed
//! through the form gathers support and comments on its page, and an official decides on it.

use crate::common;

use common::server::{Answer, Client, Served};

const P: &str = "/c/house-1/p/meetings";

fn config() -> String {
    r#"
[[units]]
community = "house-1"
number = "1"
kind = "apartment"
area = "60"

[[units]]
community = "house-1"
number = "2"
kind = "apartment"
area = "85.7"

"#
    .to_owned()
        + super::meetings::PLUGIN_CONFIG
}

/// A resident who owns `unit`.
async fn resident(served: &Served, phone: &str, given: &str, unit: &str) -> Client {
    let client = served.sign_in(phone, given, "Соседова").await;
    served.own(client.person.as_deref().unwrap(), unit).await;
    client
}

/// `pairs` as a browser encodes a form.
pub(crate) fn encoded(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_owned()
}

/// The address of page `route` (`""` is the home page).
pub(crate) fn page(route: &str) -> String {
    if route.is_empty() {
        P.to_owned()
    } else {
        format!("{P}/{route}")
    }
}

/// Submit the form of `action` on page `route`, as a browser does.
pub(crate) async fn submit(
    client: &Client,
    route: &str,
    action: &str,
    pairs: &[(&str, &str)],
) -> Answer {
    client
        .post_raw(
            &format!("{}?action={action}", page(route)),
            "application/x-www-form-urlencoded",
            &encoded(pairs),
            &[],
        )
        .await
}

/// Where a 303 answer sends the browser.
pub(crate) fn location(answer: &Answer) -> String {
    assert_eq!(answer.status, 303, "a redirect: {}", answer.text);
    answer.headers["location"].to_str().unwrap().to_owned()
}

/// The page a redirect leads to, as the browser shows it.
pub(crate) async fn follow(client: &Client, answer: &Answer) -> String {
    let page = client.get(&location(answer)).await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.text
}

/// The HTML of form field `name` on the page: its label, input, help and error.
fn field<'a>(html: &'a str, name: &str) -> &'a str {
    let input = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no field `{name}` in {html}"));
    // A field is a `div`, or a `fieldset` for a group (radio buttons, a location).
    let starts = ["<div class=\"field", "<fieldset class=\"field"];
    let start = starts
        .iter()
        .filter_map(|p| html[..input].rfind(p))
        .max()
        .unwrap();
    let end = starts
        .iter()
        .filter_map(|p| html[input..].find(p))
        .min()
        .or_else(|| html[input..].find("</form>"))
        .map_or(html.len(), |e| input + e);
    &html[start..end]
}

/// The value of the "label" row of the page's label–value pairs.
fn value_of<'a>(html: &'a str, label: &str) -> &'a str {
    let at = html
        .find(&format!("<dt>{label}</dt><dd>"))
        .unwrap_or_else(|| panic!("no `{label}` in {html}"));
    let rest = &html[at + label.len() + "<dt></dt><dd>".len()..];
    &rest[..rest.find("</dd>").unwrap()]
}

#[tokio::test]
async fn a_resident_starts_a_poll_through_the_form_and_neighbours_vote_on_its_page() {
    for served in common::server::serve_all(&config()).await {
        let e = served.engine;
        let anna = resident(&served, "+79991112233", "Анна", "house-1/1").await;
        let boris = resident(&served, "+79994445566", "Борис", "house-1/2").await;

        let visitor = served.client().get(P).await;
        assert_eq!(visitor.status, 200, "{e}: {}", visitor.text);
        assert!(
            visitor
                .text
                .contains("Войдите, чтобы создать опрос или предложить инициативу"),
            "{e}: {}",
            visitor.text
        );
        assert!(
            !visitor.text.contains("action=create_poll"),
            "{e}: no forms for visitors"
        );
        let home = anna.get(P).await.text;
        assert!(
            home.contains("Новый опрос")
                && home.contains("Новая инициатива")
                && home.contains("action=create_poll")
                && home.contains("action=propose_initiative"),
            "{e}: {home}"
        );

        let question = "Ставим ёлку во дворе?";
        let empty = submit(
            &anna,
            "",
            "create_poll",
            &[
                ("title", question),
                ("kind", "single"),
                ("options", "\r\n"),
                ("hours", "24"),
                ("per", "person"),
                ("show", "live"),
            ],
        )
        .await;
        assert_eq!(empty.status, 422, "{e}: {}", empty.text);
        let options = field(&empty.text, "options");
        assert!(
            options.contains("Нужно от 2 до 20 непустых вариантов")
                && options.contains("aria-invalid=\"true\""),
            "{e}: the error is next to the options: {options}"
        );
        assert!(
            field(&empty.text, "title").contains(&format!("value=\"{question}\"")),
            "{e}: the question typed is kept"
        );

        let made = submit(
            &anna,
            "",
            "create_poll",
            &[
                ("title", question),
                ("kind", "single"),
                ("options", "Да\r\nНет\r\n"),
                ("hours", "24"),
                ("per", "person"),
                ("show", "live"),
            ],
        )
        .await;
        let to = location(&made);
        let poll = to
            .strip_prefix(&format!("{P}/poll/"))
            .and_then(|rest| rest.split('?').next())
            .unwrap_or_else(|| panic!("{e}: to the poll's page: {to}"))
            .to_owned();
        let page = follow(&anna, &made).await;
        assert!(
            page.contains(&format!("<h1>{question}</h1>")) && page.contains("Опрос создан"),
            "{e}: {page}"
        );
        assert_eq!(value_of(&page, "Проголосовали"), "0", "{e}");
        assert!(
            page.contains("Закрыть опрос"),
            "{e}: the author may close it"
        );
        assert!(
            anna.get(P)
                .await
                .text
                .contains(&format!("{P}/poll/{poll}\"")),
            "{e}: the home page links to the poll"
        );

        let before = boris.get(&format!("{P}/poll/{poll}")).await.text;
        assert!(
            before.contains("action=vote") && !before.contains("Закрыть опрос"),
            "{e}: {before}"
        );
        let nothing = submit(&boris, &format!("poll/{poll}"), "vote", &[]).await;
        assert_eq!(nothing.status, 422, "{e}: {}", nothing.text);
        assert!(
            field(&nothing.text, "choices").contains("Выберите один вариант"),
            "{e}: {}",
            nothing.text
        );
        let voted = submit(&boris, &format!("poll/{poll}"), "vote", &[("choices", "1")]).await;
        let after = follow(&boris, &voted).await;
        assert!(after.contains("Голос принят"), "{e}: {after}");
        assert_eq!(value_of(&after, "Проголосовали"), "1", "{e}");
        assert!(
            after.contains("Ваш голос учтён") && !after.contains("action=vote"),
            "{e}: no second form: {after}"
        );
        let seen = anna.get(&format!("{P}/poll/{poll}")).await.text;
        assert_eq!(value_of(&seen, "Проголосовали"), "1", "{e}");
        assert!(
            seen.contains("Голоса по вариантам") && seen.contains("Борис Соседова"),
            "{e}: the author sees the chart and the named voter: {seen}"
        );

        let again = submit(&boris, &format!("poll/{poll}"), "vote", &[("choices", "0")]).await;
        assert_eq!(again.status, 422, "{e}: {}", again.text);
        assert!(
            again.text.contains("role=\"alert\"")
                && again.text.contains("<li>Вы уже проголосовали</li>"),
            "{e}: the refusal is shown: {}",
            again.text
        );

        let anna_votes = submit(&anna, &format!("poll/{poll}"), "vote", &[("choices", "0")]).await;
        let both = follow(&anna, &anna_votes).await;
        assert_eq!(value_of(&both, "Проголосовали"), "2", "{e}");
        assert!(
            both.contains("Анна Соседова") && both.contains("Борис Соседова"),
            "{e}: {both}"
        );

        // Anonymous, per flat, results after closing: hidden until the author closes it.
        let secret = submit(
            &anna,
            "",
            "create_poll",
            &[
                ("title", "Менять домофон?"),
                ("kind", "multiple"),
                ("options", "Да\nНет\nС камерой"),
                ("hours", "48"),
                ("per", "unit"),
                ("show", "after_close"),
                ("anonymous", "true"),
            ],
        )
        .await;
        let secret_to = location(&secret);
        let secret_route = secret_to
            .strip_prefix(&format!("{P}/"))
            .and_then(|rest| rest.split('?').next())
            .unwrap()
            .to_owned();
        let voted = submit(
            &boris,
            &secret_route,
            "vote",
            &[("choices", "0"), ("choices", "2")],
        )
        .await;
        let hidden = follow(&boris, &voted).await;
        assert!(
            hidden.contains("Итоги будут видны после закрытия опроса")
                && hidden.contains("Итоги будут показаны")
                && !hidden.contains("Голоса по вариантам"),
            "{e}: {hidden}"
        );
        assert!(
            hidden.contains("За ваши квартиры и участки уже проголосовали"),
            "{e}: {hidden}"
        );
        let not_author = submit(&boris, &secret_route, "close_poll", &[]).await;
        assert_eq!(not_author.status, 403, "{e}: {}", not_author.text);
        let closed = submit(&anna, &secret_route, "close_poll", &[]).await;
        assert!(follow(&anna, &closed).await.contains("Опрос закрыт"), "{e}");
        let shown = anna.get(&format!("{P}/{secret_route}")).await.text;
        assert!(
            shown.contains("Голоса по вариантам")
                && shown.contains("С камерой")
                && !shown.contains("Борис Соседова")
                && !shown.contains("action=vote"),
            "{e}: anonymous results after closing: {shown}"
        );
    }
}

#[tokio::test]
async fn an_initiative_proposed_through_the_form_gathers_support_and_a_decision_on_its_page() {
    for served in common::server::serve_all(&config()).await {
        let e = served.engine;
        let anna = resident(&served, "+79991112233", "Анна", "house-1/1").await;
        let boris = resident(&served, "+79994445566", "Борис", "house-1/2").await;
        let vera = resident(&served, "+79995556677", "Вера", "house-1/12").await;
        let official = served.sign_in("+79990000040", "Олег", "Чиновников").await;
        served
            .grant(
                official.person.as_deref().unwrap(),
                "official",
                None,
                Some("admin-town"),
            )
            .await;

        let title = "Поставить лавочки у подъездов";
        let short = submit(
            &anna,
            "",
            "propose_initiative",
            &[("title", title), ("description", "коротко")],
        )
        .await;
        assert_eq!(short.status, 422, "{e}: {}", short.text);
        assert!(
            field(&short.text, "description").contains("Опишите предложение"),
            "{e}: {}",
            short.text
        );
        let made = submit(
            &anna,
            "",
            "propose_initiative",
            &[
                ("title", title),
                (
                    "description",
                    "Пожилым соседям негде присесть у входа, предлагаем поставить по лавочке у каждого подъезда.",
                ),
            ],
        )
        .await;
        let to = location(&made);
        let route = to
            .strip_prefix(&format!("{P}/"))
            .and_then(|rest| rest.split('?').next())
            .unwrap()
            .to_owned();
        assert!(route.starts_with("initiative/"), "{e}: {to}");
        let page = follow(&anna, &made).await;
        assert!(
            page.contains(&format!("<h1>{title}</h1>"))
                && page.contains("Инициатива опубликована")
                && page.contains("Сбор поддержки")
                && page.contains("0 / 2 голосов поддержки"),
            "{e}: {page}"
        );
        assert!(
            anna.get(P).await.text.contains(&format!("{P}/{route}\"")),
            "{e}: the home page links to it"
        );

        let supported = submit(&boris, &route, "support", &[]).await;
        let page = follow(&boris, &supported).await;
        assert!(
            page.contains("Поддержка учтена")
                && page.contains("1 / 2 голосов поддержки")
                && page.contains("Вы поддержали эту инициативу")
                && !page.contains("action=support"),
            "{e}: {page}"
        );
        let twice = submit(&boris, &route, "support", &[]).await;
        assert!(
            follow(&boris, &twice)
                .await
                .contains("Вы уже поддержали эту инициативу"),
            "{e}"
        );
        let commented = submit(&boris, &route, "comment", &[("text", "Давно пора!")]).await;
        let page = follow(&boris, &commented).await;
        assert!(
            page.contains("Комментарий добавлен") && page.contains("Давно пора!"),
            "{e}: {page}"
        );
        assert!(
            !official
                .get(&format!("{P}/{route}"))
                .await
                .text
                .contains("Отклонить"),
            "{e}: nothing to decide while support is collected"
        );

        let reached = submit(&vera, &route, "support", &[]).await;
        let page = follow(&vera, &reached).await;
        assert!(
            page.contains("2 / 2 голосов поддержки") && page.contains("На рассмотрении"),
            "{e}: {page}"
        );
        assert!(
            !page.contains("action=reject"),
            "{e}: residents do not decide"
        );
        let desk = official.get(&format!("{P}/{route}")).await.text;
        assert!(
            desk.contains("action=accept") && desk.contains("action=reject"),
            "{e}: {desk}"
        );
        let reasonless = submit(&official, &route, "reject", &[("note", "")]).await;
        assert_eq!(reasonless.status, 422, "{e}: {}", reasonless.text);
        assert!(
            field(&reasonless.text, "note").contains("Объясните причину отказа"),
            "{e}: {}",
            reasonless.text
        );
        let accepted = submit(&official, &route, "accept", &[]).await;
        let page = follow(&anna, &accepted).await;
        assert!(
            page.contains("Решение записано: Принята") && page.contains("Олег Чиновников"),
            "{e}: {page}"
        );
        let done = submit(
            &official,
            &route,
            "implemented",
            &[("note", "Лавочки установлены")],
        )
        .await;
        let page = follow(&official, &done).await;
        assert!(
            page.contains("Реализована") && page.contains("Лавочки установлены"),
            "{e}: {page}"
        );
    }
}

/// `days` after today, as a date field sends it.
fn day_after(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn the_management_company_calls_a_general_meeting_from_the_form_with_the_laws_dates() {
    for served in common::server::serve_all(&config()).await {
        let e = served.engine;
        let anna = resident(&served, "+79991112233", "Анна", "house-1/1").await;
        let operator = served.sign_in("+79990000010", "Ольга", "Операторова").await;
        served
            .grant(
                operator.person.as_deref().unwrap(),
                "operator",
                None,
                Some("uk-town"),
            )
            .await;

        // Only those who organize meetings see the form; it says the law's dates.
        let home = anna.get(P).await.text;
        assert!(
            !home.contains("action=call_meeting"),
            "{e}: a resident is not offered to call one"
        );
        let home = operator.get(P).await.text;
        assert!(
            home.contains("Созвать общее собрание")
                && home.contains("не позднее чем за 10 дн. до начала голосования")
                && home.contains("ЖК РФ ст.45, 47.1")
                && home.contains("Выбор способа управления многоквартирным домом"),
            "{e}: {home}"
        );

        let today = day_after(0);
        let (too_soon, opens, closes) = (day_after(3), day_after(10), day_after(23));
        let mut pairs = vec![
            ("form", "absentee"),
            ("number", "12"),
            ("initiator", "УК «Городская»"),
            ("place", "ул. Садовая, 1, почтовый ящик УК"),
            ("storage_place", "Офис УК, ул. Садовая, 1"),
            ("notice_date", today.as_str()),
            ("voting_from", too_soon.as_str()),
            ("voting_to", closes.as_str()),
            ("question_1_title", "Утвердить план работ на 2027 год"),
            ("question_1_kind", "ordinary"),
            ("question_2_title", ""),
            ("question_2_kind", "ordinary"),
            ("question_3_title", "Сдать крышу в аренду оператору связи"),
            ("question_3_kind", "common_property_use"),
        ];
        // Voting three days after the notice: refused next to its field, with the law's days.
        let early = submit(&operator, "", "call_meeting", &pairs).await;
        assert_eq!(early.status, 422, "{e}: {}", early.text);
        let from = field(&early.text, "voting_from");
        assert!(
            from.contains("не ранее чем через 10 дн. после уведомления")
                && from.contains("aria-invalid=\"true\""),
            "{e}: {from}"
        );
        // The third row's unknown kind is named at the third row (the second was empty).
        pairs[6].1 = opens.as_str();
        pairs[13].1 = "no_such_kind";
        let wrong_kind = submit(&operator, "", "call_meeting", &pairs).await;
        assert_eq!(wrong_kind.status, 422, "{e}: {}", wrong_kind.text);
        assert!(
            field(&wrong_kind.text, "question_3_kind").contains("Неизвестный вид вопроса"),
            "{e}: {}",
            wrong_kind.text
        );
        pairs[13].1 = "common_property_use";
        // Ten weeks of voting is longer than the law allows: said at the closing date, in words.
        let too_long = day_after(80);
        pairs[7].1 = too_long.as_str();
        let long = submit(&operator, "", "call_meeting", &pairs).await;
        assert_eq!(long.status, 422, "{e}: {}", long.text);
        assert!(
            field(&long.text, "voting_to").contains("Голосование длится от 7 до 60 дней"),
            "{e}: {}",
            field(&long.text, "voting_to")
        );
        pairs[7].1 = closes.as_str();
        let called = submit(&operator, "", "call_meeting", &pairs).await;
        let meeting = follow(&operator, &called).await;
        assert!(
            meeting.contains("Собрание №12")
                && meeting.contains("Утвердить план работ на 2027 год")
                && meeting.contains("Сдать крышу в аренду оператору связи")
                && meeting.contains("Офис УК, ул. Садовая, 1")
                && meeting.contains("Объявлено"),
            "{e}: {meeting}"
        );
        // The materials: the operator attaches the draft plan from the meeting's page; the owner
        // sees it there and opens it; a resident cannot attach one.
        let meeting_path = location(&called).split('?').next().unwrap().to_owned();
        assert!(meeting.contains("Материалов пока нет"), "{e}: {meeting}");
        let boundary = "dvor-test-boundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nПроект плана работ на 2027 год\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"plan-2027.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 план работ\r\n\
             --{boundary}--\r\n"
        );
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let attach = format!("{meeting_path}?action=attach_document");
        let refused = anna.post_raw(&attach, &content_type, &body, &[]).await;
        assert_eq!(refused.status, 403, "{e}: {}", refused.text);
        let attached = operator.post_raw(&attach, &content_type, &body, &[]).await;
        let shown = follow(&operator, &attached).await;
        assert!(
            shown.contains("Материал добавлен") && shown.contains("Проект плана работ на 2027 год"),
            "{e}: {shown}"
        );
        let owners_view = anna.get(&meeting_path).await.text;
        let link = owners_view
            .split("<p class=\"attachment\"><a href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{e}: no material for the owner: {owners_view}"))
            .replace("&amp;", "&");
        assert!(
            owners_view.contains("Проект плана работ на 2027 год") && owners_view.contains("PDF"),
            "{e}: {owners_view}"
        );
        assert!(
            !owners_view.contains("action=attach_document"),
            "{e}: the owner is not offered to attach"
        );
        let file = anna.get(&link).await;
        assert_eq!(file.status, 200, "{e}: {link}: {}", file.text);
        assert_eq!(file.text, "%PDF-1.4 план работ", "{e}");

        // The owner is told, in the app.
        let inbox = anna.get("/api/me/notifications").await;
        assert!(
            inbox.text.contains("Собрание №12: 2 вопрос(ов) повестки"),
            "{e}: {}",
            inbox.text
        );
    }
}
