//! The supplier's price list from CSV: all articles or every bad cell, named by line and
//! column.
//!
//! Columns (Russian or English headers): `code` (артикул), `name` (наименование), `unit`
//! (ед.), `price` (цена, roubles as people type them: `1 234,50`), `box_size` (в коробе;
//! 1 when blank), `minimum` (мин. заказ), `vat` (НДС: `20`, `20%`, `0`, `без НДС`), `weighed`
//! (весовой: да/нет). A repeated code is an error on the later line.

use dvor_sdk::Kopecks;
use dvor_sdk::csv_sheet::{self, CellProblem, Column, Problems, SheetMessages, SheetRow};
use dvor_sdk::ctx::tr;

use crate::purchase::Article;

/// The columns of a price list.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "code",
        aliases: &["артикул", "код"],
        required: true,
    },
    Column {
        name: "name",
        aliases: &["наименование", "товар"],
        required: true,
    },
    Column {
        name: "unit",
        aliases: &["ед.", "ед. изм.", "единица"],
        required: false,
    },
    Column {
        name: "price",
        aliases: &["цена", "цена, руб."],
        required: true,
    },
    Column {
        name: "box_size",
        aliases: &["в коробе", "кратность", "ряд"],
        required: false,
    },
    Column {
        name: "minimum",
        aliases: &["мин. заказ", "минимум"],
        required: false,
    },
    Column {
        name: "vat",
        aliases: &["ндс", "ставка ндс"],
        required: false,
    },
    Column {
        name: "weighed",
        aliases: &["весовой"],
        required: false,
    },
];

fn count(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .map_err(|_| tr("Ожидается целое число", "expected a whole number").to_owned())
}

fn vat(text: &str) -> Result<Option<u8>, String> {
    let t = text.trim().to_lowercase().replace(' ', "");
    if matches!(t.as_str(), "безндс" | "нет" | "novat" | "none" | "-") {
        return Ok(None);
    }
    match t.trim_end_matches('%').parse::<u8>() {
        Ok(rate @ (0 | 5 | 7 | 10 | 20 | 22)) => Ok(Some(rate)),
        _ => Err(tr(
            "НДС: ожидается 0, 5, 7, 10, 20, 22 % или «без НДС»",
            "VAT: expected 0, 5, 7, 10, 20, 22 % or `no VAT`",
        )
        .to_owned()),
    }
}

fn yes_no(text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "да" | "yes" | "1" | "true" | "+" => Ok(true),
        "нет" | "no" | "0" | "false" | "-" => Ok(false),
        _ => Err(tr("Ожидается «да» или «нет»", "expected yes or no").to_owned()),
    }
}

fn read_article(row: &SheetRow, problems: &mut Problems) -> Option<Article> {
    let required = tr("Обязательное поле", "required");
    let before = problems.0.len();
    let code = row.required("code", problems, required).map(str::to_owned);
    let name = row.required("name", problems, required).map(str::to_owned);
    let price =
        row.required("price", problems, required)
            .and_then(|p| match p.parse::<Kopecks>() {
                Ok(k) if k.0 > 0 => Some(k),
                Ok(_) => {
                    problems.push(
                        row.line,
                        "price",
                        tr(
                            "Цена должна быть больше нуля",
                            "the price must be above zero",
                        ),
                    );
                    None
                }
                Err(e) => {
                    problems.push(row.line, "price", e.localized());
                    None
                }
            });
    let box_size = row
        .parse("box_size", problems, count)
        .flatten()
        .unwrap_or(1);
    if box_size == 0 {
        problems.push(
            row.line,
            "box_size",
            tr(
                "В коробе хотя бы одна единица",
                "a box holds at least one unit",
            ),
        );
    }
    let minimum = row.parse("minimum", problems, count).flatten().unwrap_or(0);
    let vat_percent = row.parse("vat", problems, vat).flatten().flatten();
    let weighed = row
        .parse("weighed", problems, yes_no)
        .flatten()
        .unwrap_or(false);
    if problems.0.len() > before {
        return None;
    }
    let unit = Some(row.get("unit"))
        .filter(|u| !u.is_empty())
        .unwrap_or(if weighed { "кг" } else { "шт" });
    Some(Article {
        code: code?,
        name: name?,
        unit: unit.to_owned(),
        price: price?,
        box_size,
        minimum,
        vat_percent,
        weighed,
        available: None,
    })
}

/// Reads a price list: every article, or every bad cell and nothing.
pub fn import_price_list(body: &[u8]) -> Result<Vec<Article>, Vec<CellProblem>> {
    let sheet = csv_sheet::read_sheet(body, COLUMNS, &SheetMessages::localized())?;
    let mut problems = Problems::default();
    let mut articles = Vec::new();
    let mut codes: Vec<(&str, u64)> = Vec::new();
    for row in &sheet.rows {
        let article = read_article(row, &mut problems);
        let code = row.get("code");
        if let Some((_, first)) = codes.iter().find(|(c, _)| !code.is_empty() && *c == code) {
            problems.push(
                row.line,
                "code",
                format!(
                    "{} {first}",
                    tr("Этот артикул уже в строке", "this code is already on line")
                ),
            );
        }
        codes.push((code, row.line));
        articles.extend(article);
    }
    problems.into_result(articles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_list_imports() {
        let csv = "Артикул;Наименование;Ед.;Цена;В коробе;НДС;Весовой\n\
            A-1;Масло подсолнечное 1 л;шт;120,00;6;20%;нет\n\
            A-2;Сыр российский;;900;1;10;да\n\
            A-3;Мёд, 0,5 кг;шт;1 250,50;;без НДС;\n";
        let articles = import_price_list(csv.as_bytes()).unwrap();
        assert_eq!(articles.len(), 3);
        assert_eq!(articles[0].price, Kopecks(12_000));
        assert_eq!(articles[0].box_size, 6);
        assert_eq!(articles[0].vat_percent, Some(20));
        assert!(articles[1].weighed);
        assert_eq!(articles[1].unit, "кг");
        assert_eq!(articles[2].price, Kopecks(125_050));
        assert_eq!(articles[2].box_size, 1);
        assert_eq!(articles[2].vat_percent, None);
    }

    #[test]
    fn every_bad_cell_is_named() {
        let csv = "code;name;price;box_size;vat;weighed\n\
            A-1;Масло;12O;0;18;может\n\
            A-1;Соль;10;1;;\n\
            A-2;;-5;x;;\n";
        let problems = import_price_list(csv.as_bytes()).unwrap_err();
        let got: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "price"),
                (2, "box_size"),
                (2, "vat"),
                (2, "weighed"),
                (3, "code"),
                (4, "name"),
                (4, "price"),
                (4, "box_size"),
            ]
        );
        let csv = "code;name;price\nA-1;Масло;120\nA-1;Соль;10\n";
        let problems = import_price_list(csv.as_bytes()).unwrap_err();
        assert_eq!((problems[0].line, problems[0].column.as_str()), (3, "code"));
        assert!(problems[0].message.contains('2'));
    }
}
