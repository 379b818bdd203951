use crate::runtime::latest::dvor::plugin::ui::{
    Badge, Block, Button, Cell, Chart, ChartKind, Choice, Column, EmptyState, Field, FieldKind,
    Form, KeyValue, Link, Marker, Page, Progress, Row, Section, Series, Stat, Table, TimelineEntry,
    Tone,
};

use super::*;

fn ctx() -> PageContext<'static> {
    PageContext {
        locale: "ru",
        instance_name: "Демо-город",
        community_name: "Дом 1",
        base: "/c/demo-house-1/p/housing",
        route: "requests",
        notice: None,
        form_values: &[],
        field_errors: &[],
        refilled_action: None,
        utc_offset_minutes: 180,
        nav: &[],
        csrf_token: "",
    }
}

fn page(blocks: Vec<Block>) -> Page {
    Page {
        title: "Заявки".into(),
        breadcrumbs: vec![],
        sections: vec![Section {
            title: Some("Раздел".into()),
            blocks,
        }],
    }
}

fn body(blocks: Vec<Block>) -> String {
    render_page_body(&page(blocks), &ctx())
}

fn link(label: &str, route: &str) -> Link {
    Link {
        label: label.into(),
        route: route.into(),
        query: vec![],
    }
}

fn field(name: &str, kind: FieldKind) -> Field {
    Field {
        name: name.into(),
        label: format!("Поле {name}"),
        kind,
        required: false,
        value: None,
        help: None,
        error: None,
    }
}

#[test]
fn script_in_paragraph_is_escaped() {
    let html = body(vec![Block::Paragraph("<script>alert(1)</script>".into())]);
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
}

#[test]
fn escape_covers_quotes() {
    assert_eq!(
        escape(r#"<a href="x" onclick='y'>&"#),
        "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;"
    );
}

#[test]
fn unsafe_routes_are_not_links() {
    for route in [
        "../admin",
        "a/../../admin",
        "//evil.example",
        "javascript:alert(1)",
        "/abs",
        "a\\b",
    ] {
        let html = body(vec![Block::Links(vec![link("Админка", route)])]);
        assert!(!html.contains("<a "), "{route}: {html}");
        assert!(html.contains("Админка"), "{html}");
    }
    let html = body(vec![Block::Links(vec![Link {
        label: "Заявка".into(),
        route: "requests/42".into(),
        query: vec![("q".into(), "a b&c=\"".into())],
    }])]);
    assert!(
        html.contains("href=\"/c/demo-house-1/p/housing/requests/42?q=a%20b%26c%3D%22\""),
        "{html}"
    );
}

#[test]
fn attribute_injection_in_query_is_encoded() {
    let href = link_href("/b", "x", &[("a\"><script>".into(), "1".into())]).unwrap();
    assert!(!href.contains('"') && !href.contains('<'), "{href}");
}

#[test]
fn form_field_error_is_shown() {
    let mut f = field("phone", FieldKind::Phone);
    f.required = true;
    f.help = Some("Мобильный".into());
    let form = Form {
        action: "create".into(),
        fields: vec![f, field("title", FieldKind::Text(80))],
        submit: "Отправить".into(),
        confirm: None,
    };
    let errors = [("phone".to_owned(), "Неверный номер".to_owned())];
    let values = [("phone".to_owned(), "12<3".to_owned())];
    let c = PageContext {
        field_errors: &errors,
        form_values: &values,
        ..ctx()
    };
    let html = render_page_body(&page(vec![Block::Form(form)]), &c);
    assert!(html.contains("Неверный номер"), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(html.contains("type=\"tel\""), "{html}");
    assert!(html.contains("value=\"12&lt;3\""), "{html}");
    assert!(html.contains("maxlength=\"80\""), "{html}");
    assert!(
        html.contains("action=\"/c/demo-house-1/p/housing/requests?action=create\""),
        "{html}"
    );
    assert!(html.contains(" required"), "{html}");
    // The error and the help are tied to the input.
    let input = html.split("<input type=\"tel\"").nth(1).unwrap();
    let input = &input[..input.find('>').unwrap()];
    assert!(
        input.contains("aria-describedby=\"f2-0-h f2-0-e\""),
        "{input}"
    );
    assert_eq!(html.matches("aria-invalid").count(), 1);
}

#[test]
fn own_field_error_and_unknown_errors() {
    let mut f = field("amount", FieldKind::Money);
    f.error = Some("Слишком много".into());
    f.value = Some("123456".into());
    let form = Form {
        action: "pay".into(),
        fields: vec![f],
        submit: "".into(),
        confirm: Some("Точно?".into()),
    };
    let errors = [("nope".to_owned(), "Потерянная ошибка".to_owned())];
    let c = PageContext {
        field_errors: &errors,
        ..ctx()
    };
    let html = render_page_body(&page(vec![Block::Form(form)]), &c);
    assert!(
        html.contains("Слишком много") && html.contains("aria-invalid=\"true\""),
        "{html}"
    );
    assert!(html.contains("Потерянная ошибка"), "{html}");
    assert!(html.contains("value=\"1234,56\""), "{html}");
    assert!(html.contains("₽"), "{html}");
    assert!(
        html.contains("name=\"confirm\" value=\"1\" required"),
        "{html}"
    );
    assert!(html.contains("Подтверждаю"), "{html}");
}

#[test]
fn money_formatting() {
    assert_eq!(format_money(123456, "ru"), "1\u{202F}234,56\u{A0}₽");
    assert_eq!(format_money(123456, "en"), "1,234.56\u{A0}₽");
    assert_eq!(format_money(-123456, "ru"), "-1\u{202F}234,56\u{A0}₽");
    assert_eq!(format_money(-5, "en"), "-0.05\u{A0}₽");
    assert_eq!(format_money(0, "ru"), "0,00\u{A0}₽");
    assert_eq!(format_money(1, "ru"), "0,01\u{A0}₽");
    assert_eq!(format_money(1, "en"), "0.01\u{A0}₽");
    assert_eq!(format_money(10_000_000_000, "en"), "100,000,000.00\u{A0}₽");
    assert_eq!(
        format_money(i64::MIN, "en"),
        "-92,233,720,368,547,758.08\u{A0}₽"
    );
    assert_eq!(format_decimal(543, 1, "ru"), "54,3");
    assert_eq!(format_decimal(5, 3, "en"), "0.005");
    assert_eq!(format_integer(1234567, "en"), "1,234,567");
    assert_eq!(format_integer(-999, "ru"), "-999");
}

#[test]
fn date_formatting() {
    // 2026-11-23 21:30 UTC is 2026-11-24 00:30 in Moscow.
    let ms = 1_795_469_400_000;
    assert_eq!(format_date(ms, 0, "en"), "2026-11-23");
    assert_eq!(format_date(ms, 180, "ru"), "24.11.2026");
    assert_eq!(format_datetime(ms, 180, "ru"), "24.11.2026 00:30");
    assert_eq!(format_datetime(ms, 0, "en"), "2026-11-23 21:30");
}

#[test]
fn table_with_numeric_column() {
    let t = Table {
        columns: vec![
            Column {
                label: "Квартира".into(),
                numeric: false,
            },
            Column {
                label: "Долг".into(),
                numeric: true,
            },
        ],
        rows: vec![Row {
            cells: vec![Cell::Text("12".into()), Cell::Money(-150000)],
            actions: vec![Button {
                label: "Напомнить".into(),
                action: "remind".into(),
                args: vec![("id".into(), "12".into())],
                confirm: Some("Отправить напоминание?".into()),
                tone: Tone::Warning,
            }],
            link: Some(link("", "debts/12")),
            tone: Tone::Danger,
        }],
        empty_text: "Долгов нет".into(),
        next_page: Some(Link {
            label: "".into(),
            route: "debts".into(),
            query: vec![("page".into(), "2".into())],
        }),
    };
    let html = body(vec![Block::Table(t)]);
    assert!(
        html.contains("<th scope=\"col\" class=\"num\">Долг</th>"),
        "{html}"
    );
    assert!(
        html.contains(
            "<td class=\"num\"><span class=\"money neg\">-1\u{202F}500,00\u{A0}₽</span></td>"
        ),
        "{html}"
    );
    assert!(html.contains("class=\"table-wrap\""), "{html}");
    assert!(html.contains("tone-danger linked"), "{html}");
    assert!(
        html.contains("href=\"/c/demo-house-1/p/housing/debts/12\""),
        "{html}"
    );
    assert!(html.contains("name=\"id\" value=\"12\""), "{html}");
    assert!(
        html.contains("name=\"confirm\" value=\"1\" required"),
        "{html}"
    );
    assert!(
        html.contains("rel=\"next\" href=\"/c/demo-house-1/p/housing/debts?page=2\""),
        "{html}"
    );
    assert!(html.contains("Далее"), "{html}");
    let empty = body(vec![Block::Table(Table {
        columns: vec![],
        rows: vec![],
        empty_text: "Долгов нет".into(),
        next_page: None,
    })]);
    assert!(
        empty.contains("Долгов нет") && !empty.contains("<table"),
        "{empty}"
    );
}

#[test]
fn pie_chart_has_svg_and_table() {
    let c = Chart {
        kind: ChartKind::Pie,
        title: "Голоса".into(),
        labels: vec!["За".into(), "Против".into(), "<b>".into()],
        series: vec![Series {
            name: "Голоса".into(),
            values: vec![60.0, 30.0, 10.0],
        }],
    };
    let html = body(vec![Block::Chart(c)]);
    assert!(
        html.contains("<svg") && html.contains("role=\"img\""),
        "{html}"
    );
    assert!(html.contains("<title id="), "{html}");
    assert_eq!(html.matches("class=\"slice").count(), 3, "{html}");
    assert!(html.contains("<table class=\"vh\">"), "{html}");
    assert!(
        html.contains("<th scope=\"row\">За</th><td>60</td><td>60</td>"),
        "{html}"
    );
    assert!(
        html.contains("&lt;b&gt;") && !html.contains("<b>"),
        "{html}"
    );
    assert!(!html.contains("style="), "{html}");
}

#[test]
fn bar_and_line_charts() {
    for kind in [ChartKind::Bar, ChartKind::Line] {
        let c = Chart {
            kind,
            title: "Показания".into(),
            labels: vec!["Янв".into(), "Фев".into(), "Мар".into()],
            series: vec![
                Series {
                    name: "Вода".into(),
                    values: vec![1.5, -2.0, f64::NAN],
                },
                Series {
                    name: "Газ".into(),
                    values: vec![3.0, 4.0, 5.0],
                },
            ],
        };
        let html = body(vec![Block::Chart(c)]);
        assert!(
            html.contains("<svg") && html.contains("<table class=\"vh\">"),
            "{html}"
        );
        assert!(!html.contains("NaN") && !html.contains("inf"), "{html}");
    }
    let empty = Chart {
        kind: ChartKind::Pie,
        title: "".into(),
        labels: vec![],
        series: vec![],
    };
    assert!(body(vec![Block::Chart(empty)]).contains("Нет данных"));
}

#[test]
fn english_strings() {
    let form = Form {
        action: "a".into(),
        fields: vec![],
        submit: "".into(),
        confirm: Some("Sure?".into()),
    };
    let c = PageContext {
        locale: "en",
        ..ctx()
    };
    let html = render_page(&page(vec![Block::Form(form)]), &c);
    assert!(
        html.contains("I confirm") && html.contains("Next") && html.contains("<html lang=\"en\">"),
        "{html}"
    );
}

#[test]
fn shell_is_a_document() {
    let nav = [
        ("Заявки".to_owned(), "/c/demo-house-1/p/housing".to_owned()),
        ("Bad".to_owned(), "javascript:x".to_owned()),
    ];
    let c = PageContext {
        nav: &nav,
        notice: Some("Сохранено <ok>"),
        ..ctx()
    };
    let html = render_page(&page(vec![]), &c);
    assert!(html.starts_with("<!doctype html>"));
    for needle in [
        "<html lang=\"ru\">",
        "name=\"viewport\"",
        "rel=\"manifest\" href=\"/manifest.webmanifest\"",
        "name=\"theme-color\"",
        "href=\"/assets/dvor.css\"",
        "class=\"skip\" href=\"#main\"",
        "id=\"main\"",
        "Сохранено &lt;ok&gt;",
        "aria-current=\"page\"",
        "<title>Заявки · Дом 1 · Демо-город</title>",
    ] {
        assert!(html.contains(needle), "{needle}: {html}");
    }
    assert!(!html.contains("javascript:"), "{html}");
    assert!(
        !html.contains("style") || !html.contains(" style="),
        "{html}"
    );
}

/// One of every block (and every field kind and cell).
fn every_block() -> Vec<Block> {
    let kinds = vec![
        FieldKind::Text(10),
        FieldKind::Multiline(0),
        FieldKind::Phone,
        FieldKind::Email,
        FieldKind::Number(2),
        FieldKind::Money,
        FieldKind::Date,
        FieldKind::Select(vec![Choice {
            value: "a".into(),
            label: "А".into(),
        }]),
        FieldKind::MultiSelect(vec![
            Choice {
                value: "a".into(),
                label: "А".into(),
            },
            Choice {
                value: "b".into(),
                label: "Б".into(),
            },
        ]),
        FieldKind::Checkbox,
        FieldKind::File(vec!["image/jpeg".into(), "application/pdf".into()]),
        FieldKind::Location,
        FieldKind::Hidden,
    ];
    let fields = kinds
        .into_iter()
        .enumerate()
        .map(|(i, k)| field(&format!("f{i}"), k))
        .collect();
    let cells = vec![
        Cell::Text("t".into()),
        Cell::Integer(1),
        Cell::Decimal((15, 1)),
        Cell::Money(100),
        Cell::Date(0),
        Cell::Datetime(0),
        Cell::Badge(Badge {
            label: "b".into(),
            tone: Tone::Info,
        }),
        Cell::Link(link("l", "x")),
        Cell::Empty,
    ];
    vec![
        Block::Heading("h".into()),
        Block::Paragraph("p".into()),
        Block::Notice((Tone::Warning, "n".into())),
        Block::Fields(
            cells
                .iter()
                .map(|c| KeyValue {
                    label: "k".into(),
                    value: c.clone(),
                })
                .collect(),
        ),
        Block::Table(Table {
            columns: vec![Column {
                label: "c".into(),
                numeric: true,
            }],
            rows: vec![Row {
                cells,
                actions: vec![],
                link: None,
                tone: Tone::Neutral,
            }],
            empty_text: "".into(),
            next_page: None,
        }),
        Block::Form(Form {
            action: "go".into(),
            fields,
            submit: "Go".into(),
            confirm: None,
        }),
        Block::Buttons(vec![Button {
            label: "b".into(),
            action: "a".into(),
            args: vec![],
            confirm: None,
            tone: Tone::Danger,
        }]),
        Block::Links(vec![link("l", "x")]),
        Block::Stats(vec![Stat {
            label: "s".into(),
            value: Cell::Integer(5),
            hint: Some("+1".into()),
            tone: Tone::Success,
        }]),
        Block::Chart(Chart {
            kind: ChartKind::Line,
            title: "c".into(),
            labels: vec!["a".into()],
            series: vec![Series {
                name: "s".into(),
                values: vec![1.0],
            }],
        }),
        Block::Markers(vec![
            Marker {
                lat: 55.75,
                lon: 37.61,
                label: "m".into(),
                link: Some(link("", "x")),
                tone: Tone::Danger,
            },
            Marker {
                lat: 55.76,
                lon: 37.62,
                label: "m2".into(),
                link: None,
                tone: Tone::Neutral,
            },
            Marker {
                lat: f64::NAN,
                lon: 0.0,
                label: "bad".into(),
                link: None,
                tone: Tone::Neutral,
            },
        ]),
        Block::Progress(Progress {
            label: "p".into(),
            current: 30,
            target: 120,
            unit: "голосов".into(),
        }),
        Block::Timeline(vec![TimelineEntry {
            at: 0,
            title: "t".into(),
            note: Some("n".into()),
            actor: Some("a".into()),
            tone: Tone::Info,
        }]),
        Block::Badges(vec![Badge {
            label: "b".into(),
            tone: Tone::Neutral,
        }]),
        Block::Empty(EmptyState {
            title: "e".into(),
            text: "".into(),
            link: Some(link("Создать", "new")),
        }),
        Block::Attachment(("abc123".into(), "Фото".into())),
    ]
}

#[test]
fn every_block_renders_something() {
    let c = ctx();
    let blocks = every_block();
    assert_eq!(blocks.len(), 16);
    for b in &blocks {
        let mut r = blocks::Renderer::new(&c);
        r.block(b, None);
        let html = r.out;
        assert!(!html.trim().is_empty(), "{b:?}");
        assert!(!html.contains(" style="), "{html}");
        assert!(!html.contains("NaN"), "{html}");
    }
    let html = body(blocks);
    for needle in [
        "<h3>h</h3>",
        "<textarea",
        "type=\"email\"",
        "inputmode=\"decimal\"",
        "type=\"date\"",
        "<select",
        "type=\"file\"",
        "accept=\"image/jpeg,application/pdf\"",
        "enctype=\"multipart/form-data\"",
        "name=\"f11.lat\"",
        "name=\"f11.lon\"",
        "type=\"hidden\" name=\"f12\"",
        "<progress max=\"120\" value=\"30\"",
        "30 / 120 голосов (25\u{A0}%)",
        "<ol class=\"timeline\">",
        "href=\"/files/abc123\"",
        "class=\"map-svg\"",
        "geo:55.750000,37.610000",
        "<dl class=\"kv\">",
        "1,5",
        "1,00\u{A0}₽",
        "01.01.1970 03:00",
    ] {
        assert!(html.contains(needle), "{needle}: {html}");
    }
    // Ids are unique.
    let mut ids: Vec<&str> = html
        .split(" id=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids");
    // Every label points at an existing id.
    for target in html
        .split("<label for=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
    {
        assert!(ids.contains(&target), "label for missing {target}");
    }
}

#[test]
fn normalize_converts_typed_values() {
    let pairs: Vec<(String, String)> = [
        ("_dvor.money", "amount"),
        ("amount", "1 234,5 ₽"),
        ("_dvor.decimal", "2:reading"),
        ("reading", "12,25"),
        ("_dvor.location", "where"),
        ("where.lat", "55.75"),
        ("where.lon", "37,61"),
        ("note", "as is"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let out = normalize_form(&pairs, "ru").unwrap();
    let expected: Vec<(String, String)> = [
        ("amount", "123450"),
        ("reading", "12.25"),
        ("where", "55.75,37.61"),
        ("note", "as is"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(out, expected);
    let bad = vec![
        ("_dvor.money".to_owned(), "a".to_owned()),
        ("a".to_owned(), "12,345".to_owned()),
    ];
    let errs = normalize_form(&bad, "en").unwrap_err();
    assert_eq!(errs[0].0, "a");
}

#[test]
fn row_link_skips_link_cells_and_headings_keep_levels() {
    let t = Table {
        columns: vec![
            Column {
                label: "Дом".into(),
                numeric: false,
            },
            Column {
                label: "Заявка".into(),
                numeric: false,
            },
        ],
        rows: vec![Row {
            cells: vec![
                Cell::Link(link("Дом 1", "houses/1")),
                Cell::Text("Течёт кран".into()),
            ],
            actions: vec![],
            link: Some(link("", "requests/7")),
            tone: Tone::Neutral,
        }],
        empty_text: "".into(),
        next_page: None,
    };
    let html = body(vec![Block::Table(t)]);
    assert!(
        html.contains(
            "<a class=\"row-link\" href=\"/c/demo-house-1/p/housing/requests/7\">Течёт кран</a>"
        ),
        "{html}"
    );
    let untitled = Page {
        title: "T".into(),
        breadcrumbs: vec![],
        sections: vec![Section {
            title: None,
            blocks: vec![Block::Heading("H".into())],
        }],
    };
    assert!(render_page_body(&untitled, &ctx()).contains("<h2>H</h2>"));
}

#[test]
fn only_the_posted_form_is_refilled() {
    let form = |action: &str| Form {
        action: action.into(),
        fields: vec![field("title", FieldKind::Text(80))],
        submit: "Отправить".into(),
        confirm: None,
    };
    let errors = [("title".to_owned(), "Слишком коротко".to_owned())];
    let values = [("title".to_owned(), "Ёлка".to_owned())];
    let c = PageContext {
        field_errors: &errors,
        form_values: &values,
        refilled_action: Some("propose"),
        ..ctx()
    };
    let html = render_page_body(
        &page(vec![
            Block::Form(form("create_poll")),
            Block::Form(form("propose")),
        ]),
        &c,
    );
    assert_eq!(html.matches("Слишком коротко").count(), 2, "{html}");
    assert_eq!(html.matches("value=\"Ёлка\"").count(), 1, "{html}");
    let poll_form = &html[..html.find("action=propose").unwrap_or(html.len())];
    assert!(!poll_form.contains("Ёлка"), "{poll_form}");
}

#[test]
fn an_error_naming_no_field_of_the_posted_form_is_listed_above_it() {
    let form = |action: &str, name: &str| Form {
        action: action.into(),
        fields: vec![field(name, FieldKind::Text(80))],
        submit: "Отправить".into(),
        confirm: None,
    };
    // `note` is a field of the other form only: the posted one must still show the error.
    let errors = [("note".to_owned(), "Решение уже принято".to_owned())];
    let c = PageContext {
        field_errors: &errors,
        refilled_action: Some("approve"),
        ..ctx()
    };
    let html = render_page_body(
        &page(vec![
            Block::Form(form("approve", "share")),
            Block::Form(form("reject", "note")),
        ]),
        &c,
    );
    assert_eq!(html.matches("Решение уже принято").count(), 1, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
}

#[test]
fn every_form_carries_the_token_and_a_page_without_one_has_none() {
    let blocks = vec![
        Block::Form(Form {
            action: "save".into(),
            fields: vec![field("text", FieldKind::Text(80))],
            submit: "Сохранить".into(),
            confirm: None,
        }),
        Block::Buttons(vec![
            Button {
                label: "Закрыть".into(),
                action: "close".into(),
                args: vec![],
                tone: Tone::Info,
                confirm: None,
            },
            Button {
                label: "Удалить".into(),
                action: "delete".into(),
                args: vec![("id".into(), "7".into())],
                tone: Tone::Danger,
                confirm: Some("Точно?".into()),
            },
        ]),
    ];
    let with = PageContext {
        csrf_token: "tok<en>",
        ..ctx()
    };
    let html = render_page_body(&page(blocks.clone()), &with);
    let forms = html.matches("<form").count();
    assert_eq!(forms, 3, "{html}");
    assert_eq!(
        html.matches(r#"<input type="hidden" name="dvor_csrf" value="tok&lt;en&gt;">"#)
            .count(),
        forms,
        "{html}"
    );
    let without = render_page_body(&page(blocks), &ctx());
    assert!(!without.contains("dvor_csrf"), "{without}");
}
