use crate::runtime::latest::dvor::plugin::types::{Date, Decimal, GeoPoint};
use crate::runtime::latest::dvor::plugin::ui::{
    Attachment, Badge, Block, Button, Cell, Chart, ChartKind, Choice, Column, EmptyState, Field,
    FieldKind, FieldValue, Form, FormEntry, Image, ImageSource, KeyValue, Link, Marker, Notice,
    Page, Progress, Row, Section, Series, Stat, Table, TimelineEntry, Tone, ValueFormat,
};

use super::*;

/// A key for file links, fixed so the tests can check what a link carries.
static LINKS: std::sync::LazyLock<crate::file_links::FileLinks> =
    std::sync::LazyLock::new(|| crate::file_links::FileLinks::from_key(b"test key".to_vec()));

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
        files: Some(LINKS.signer("housing", "demo-house-1", Some("p-1"), 0)),
        csrf_token: "",
        tiles: None,
    }
}

fn page(blocks: Vec<Block>) -> Page {
    Page {
        title: "Заявки".into(),
        breadcrumbs: vec![],
        sections: vec![Section {
            title: Some("Раздел".into()),
            blocks,
            live: None,
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
        value: FieldValue::None,
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

/// A file field says which files fit by the names people know, not by MIME type.
#[test]
fn file_fields_name_their_kinds_without_mime_types() {
    let form = Form {
        action: "import".into(),
        fields: vec![field(
            "file",
            FieldKind::File(vec![
                "text/csv".into(),
                "text/plain".into(),
                "image/jpeg".into(),
            ]),
        )],
        submit: "Загрузить".into(),
        confirm: None,
    };
    let html = body(vec![Block::Form(form)]);
    assert!(html.contains("Подходят файлы: CSV, TXT, JPEG."), "{html}");
    // The browser still filters by the types.
    assert!(
        html.contains("accept=\"text/csv,text/plain,image/jpeg\""),
        "{html}"
    );
    let shown = html.replace("accept=\"text/csv,text/plain,image/jpeg\"", "");
    assert!(
        !shown.contains("text/csv") && !shown.contains("image/"),
        "{html}"
    );
}

#[test]
fn own_field_error_and_unknown_errors() {
    let mut f = field("amount", FieldKind::Money);
    f.error = Some("Слишком много".into());
    f.value = FieldValue::Money(123456);
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
    assert_eq!(format_money(123456, "ru"), "1\u{A0}234,56\u{A0}₽");
    assert_eq!(format_money(123456, "en"), "1,234.56\u{A0}₽");
    assert_eq!(format_money(-123456, "ru"), "-1\u{A0}234,56\u{A0}₽");
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
                primary: false,
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
            "<td class=\"num\"><span class=\"money neg\">-1\u{A0}500,00\u{A0}₽</span></td>"
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

/// A table too wide for a phone names each cell's column, so the stylesheet can draw its
/// rows as cards there; the roles keep it a table for screen readers.
#[test]
fn wide_tables_become_cards_with_labelled_cells() {
    let column = |label: &str, numeric| Column {
        label: label.into(),
        numeric,
    };
    let t = Table {
        columns: vec![
            column("Месяц", false),
            column("Начислено", true),
            column("Статус", false),
        ],
        rows: vec![Row {
            cells: vec![
                Cell::Text("11.2026".into()),
                Cell::Money(233_112),
                Cell::Text("Не оплачен".into()),
            ],
            actions: vec![],
            link: None,
            tone: Tone::Neutral,
        }],
        empty_text: "".into(),
        next_page: None,
    };
    let html = body(vec![Block::Table(t)]);
    assert!(html.contains("class=\"table-wrap cards\""), "{html}");
    assert!(html.contains("<table role=\"table\">"), "{html}");
    assert!(
        html.contains("<td class=\"num\" role=\"cell\" data-label=\"Начислено\">"),
        "{html}"
    );
    assert!(
        html.contains("<td role=\"cell\" data-label=\"Месяц\">11.2026</td>"),
        "{html}"
    );
    // Two columns fit a phone as they are.
    let narrow = body(vec![Block::Table(Table {
        columns: vec![column("Счёт", false), column("Долг", true)],
        rows: vec![Row {
            cells: vec![Cell::Text("12".into()), Cell::Money(1)],
            actions: vec![],
            link: None,
            tone: Tone::Neutral,
        }],
        empty_text: "".into(),
        next_page: None,
    })]);
    assert!(
        !narrow.contains("cards") && !narrow.contains("data-label"),
        "{narrow}"
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
        format: ValueFormat::Percent,
        unit: String::new(),
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
            format: ValueFormat::Number,
            unit: "м³".into(),
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
        format: ValueFormat::Number,
        unit: String::new(),
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
        Cell::Decimal(Decimal {
            value: 15,
            scale: 1,
        }),
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
        Block::Notice(Notice {
            tone: Tone::Warning,
            text: "n".into(),
        }),
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
            primary: false,
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
            format: ValueFormat::Money,
            unit: String::new(),
        }),
        Block::Markers(vec![
            Marker {
                point: GeoPoint {
                    lat: 55.75,
                    lon: 37.61,
                },
                label: "m".into(),
                link: Some(link("", "x")),
                tone: Tone::Danger,
            },
            Marker {
                point: GeoPoint {
                    lat: 55.76,
                    lon: 37.62,
                },
                label: "m2".into(),
                link: None,
                tone: Tone::Neutral,
            },
            Marker {
                point: GeoPoint {
                    lat: f64::NAN,
                    lon: 0.0,
                },
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
        Block::Attachment(Attachment {
            file_id: "abc123".into(),
            name: "Фото".into(),
            mime: "image/jpeg".into(),
            size: 120_000,
        }),
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
        "href=\"/files/abc123?c=demo-house-1&amp;e=90000&amp;s=",
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
fn a_posted_form_becomes_typed_values_by_its_fields_markers() {
    let pairs: Vec<(String, String)> = [
        ("_dvor.field", "money:amount"),
        ("amount", "1 234,5 ₽"),
        ("_dvor.field", "number2:reading"),
        ("reading", "12,25"),
        ("_dvor.field", "point:where"),
        ("where.lat", "55.75"),
        ("where.lon", "37,61"),
        ("_dvor.field", "day:on"),
        ("on", "2026-12-15"),
        ("_dvor.field", "choices:tags"),
        ("tags", "a"),
        ("tags", "b"),
        ("_dvor.field", "flag:agree"),
        ("_dvor.field", "text:note"),
        ("note", "  as is\nsecond line  "),
        ("id", "42"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let out = typed_form(&pairs, "ru").unwrap();
    let entry = |name: &str, value: FieldValue| FormEntry {
        name: name.into(),
        value,
    };
    assert_eq!(
        out,
        vec![
            entry("amount", FieldValue::Money(123_450)),
            entry(
                "reading",
                FieldValue::Number(Decimal {
                    value: 1225,
                    scale: 2
                })
            ),
            entry(
                "where",
                FieldValue::Point(GeoPoint {
                    lat: 55.75,
                    lon: 37.61
                })
            ),
            entry(
                "on",
                FieldValue::Day(Date {
                    year: 2026,
                    month: 12,
                    day: 15
                })
            ),
            entry("tags", FieldValue::Choices(vec!["a".into(), "b".into()])),
            entry("note", FieldValue::Text("as is\nsecond line".into())),
            // A button's argument, without a marker, is text.
            entry("id", FieldValue::Text("42".into())),
            // An unticked box is not sent by browsers; its marker says it is false.
            entry("agree", FieldValue::Flag(false)),
        ]
    );
    let bad = vec![
        ("_dvor.field".to_owned(), "money:a".to_owned()),
        ("a".to_owned(), "12,345".to_owned()),
        ("_dvor.field".to_owned(), "day:d".to_owned()),
        ("d".to_owned(), "2026-02-30".to_owned()),
    ];
    let errs = typed_form(&bad, "en").unwrap_err();
    assert_eq!(
        errs.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["a", "d"]
    );
}

#[test]
fn a_qr_image_is_drawn_inline_big_enough_to_scan_and_a_file_image_links_the_file() {
    let html = body(vec![
        Block::Image(Image {
            source: ImageSource::Qr("ST00012|Name=УК|Sum=150000".into()),
            alt: "QR-код для оплаты".into(),
            width: Some(100),
        }),
        Block::Image(Image {
            source: ImageSource::File("photo-1".into()),
            alt: "Фото ямы".into(),
            width: None,
        }),
    ]);
    assert!(
        html.contains("<svg role=\"img\" aria-label=\"QR-код для оплаты\""),
        "{html}"
    );
    // Asked for 100 px, drawn at least at the 240 px a phone's camera needs.
    let svg = &html[html.find("<svg").unwrap()..];
    let width: u32 = svg[svg.find("width=\"").unwrap() + 7..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(width >= 240, "{width}");
    // The photo links the file through a link signed for the viewer.
    assert!(
        html.contains("<img class=\"image\" loading=\"lazy\" src=\"/files/photo-1?c=")
            && html.contains("alt=\"Фото ямы\">"),
        "{html}"
    );
}

#[test]
fn a_live_section_names_its_channel_and_where_to_follow_it() {
    let page = Page {
        title: "Чат".into(),
        breadcrumbs: vec![],
        sections: vec![Section {
            title: Some("Подъезд 2".into()),
            blocks: vec![Block::Paragraph("Анна: привет".into())],
            live: Some("room:entrance-2".into()),
        }],
    };
    let html = render_page_body(&page, &ctx());
    assert!(
        html.contains(
            "data-live=\"room:entrance-2\" data-live-src=\"/api/live/c/demo-house-1/p/housing\""
        ),
        "{html}"
    );
    // A malformed channel is not followed.
    let mut bad = page.clone();
    bad.sections[0].live = Some("Room 2".into());
    assert!(!render_page_body(&bad, &ctx()).contains("data-live"));
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
            live: None,
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
fn file_links_are_signed_for_the_viewer_and_absent_without_a_signer() {
    let blocks = || {
        vec![Block::Attachment(Attachment {
            file_id: "abc123".into(),
            name: "Фото".into(),
            mime: "image/jpeg".into(),
            size: 1000,
        })]
    };
    let href = |html: &str| {
        let start = html.find("href=\"/files/").expect("a file link") + 6;
        html[start..start + html[start..].find('"').unwrap()].to_owned()
    };
    let mine = href(&body(blocks()));
    let theirs = href(&render_page_body(
        &page(blocks()),
        &PageContext {
            files: Some(LINKS.signer("housing", "demo-house-1", Some("p-2"), 0)),
            ..ctx()
        },
    ));
    assert_ne!(mine, theirs, "a link is signed for one viewer");
    let bare = render_page_body(
        &page(blocks()),
        &PageContext {
            files: None,
            ..ctx()
        },
    );
    assert!(!bare.contains("/files/"), "{bare}");
    assert!(bare.contains("class=\"refused\""), "{bare}");
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
                primary: true,
            },
            Button {
                label: "Удалить".into(),
                action: "delete".into(),
                args: vec![("id".into(), "7".into())],
                tone: Tone::Danger,
                confirm: Some("Точно?".into()),
                primary: false,
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
