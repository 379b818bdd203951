//! The payment QR code of a bill, per ГОСТ Р 56042-2014: one implementation for every plugin
//! that asks for money (the housing ЕПД, the SNT's dues and electricity, the co-op's purchases).
//!
//! - [`payload`] builds the text: the header `ST00012` (format `ST0001`, encoding `2` = UTF-8)
//!   followed by `|Key=Value` pairs — the required `Name`, `PersonalAcc`, `BankName`, `BIC`,
//!   `CorrespAcc`, then `PayeeINN`, `KPP`, `Sum` (kopecks, digits only), `Purpose`, `PersAcc`,
//!   `PaymPeriod` (`MMYYYY`), `LastName`, `PayerAddress`; optional pairs are left out when empty.
//!   Values are trimmed and checked; a value containing the separator `|` is refused with an
//!   error naming the field.
//! - [`parse_payload`] reads such a text back into `(key, value)` pairs.
//! - [`svg`] renders any text as a QR code (error correction level M) in a standalone SVG.

use crate::money::Kopecks;
use qrcode::{Color, EcLevel, QrCode};
use serde::{Deserialize, Serialize};

/// The header of a ГОСТ Р 56042-2014 payload: format `ST0001`, encoding `2` (UTF-8).
pub const HEADER: &str = "ST00012";

/// The separator between pairs.
pub const SEPARATOR: char = '|';

/// The keys every payload must carry, in the order they are written.
pub const REQUIRED_KEYS: [&str; 5] = ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"];

/// The quiet zone around the code, in modules.
pub const QUIET_ZONE: usize = 4;

/// Longest `Name` the standard allows, in characters.
const MAX_NAME: usize = 160;
/// Longest `BankName` the standard allows, in characters.
const MAX_BANK_NAME: usize = 45;
/// Longest `Purpose` the standard allows, in characters.
const MAX_PURPOSE: usize = 210;

/// The recipient of the payment (a managing company, an SNT, a co-op's organizer) and its bank
/// details.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct Payee {
    /// `Name`: the recipient's name.
    pub name: String,
    /// `BankName`: the recipient's bank.
    pub bank_name: String,
    /// `BIC`: the bank's identification code, 9 digits.
    pub bic: String,
    /// `PersonalAcc`: the recipient's settlement account, 20 digits.
    pub account: String,
    /// `CorrespAcc`: the bank's correspondent account, 20 digits.
    pub corr_account: String,
    /// `PayeeINN`: the recipient's taxpayer number, 10 or 12 digits (optional).
    pub inn: String,
    /// `KPP`: the recipient's registration reason code, 9 digits (optional).
    pub kpp: String,
}

/// One bill's payment details.
#[derive(Clone, Debug)]
pub struct PaymentQr<'a> {
    /// Who is paid.
    pub payee: &'a Payee,
    /// `Sum`: the amount due; must be positive.
    pub sum: Kopecks,
    /// `Purpose`: the purpose of the payment (optional).
    pub purpose: String,
    /// `PersAcc`: the payer's personal account number (optional).
    pub personal_account: String,
    /// `PaymPeriod` month, 1–12; `0` together with `period_year == 0` leaves the period out.
    pub period_month: u8,
    /// `PaymPeriod` year, four digits.
    pub period_year: i32,
    /// `LastName`: the payer's last name (optional).
    pub last_name: String,
    /// `PayerAddress`: the payer's address (optional).
    pub payer_address: String,
}

/// Trims `value` and checks it can go into a payload: no separator, no control characters.
fn clean<'v>(field: &str, value: &'v str) -> Result<&'v str, String> {
    let value = value.trim();
    if value.contains(SEPARATOR) {
        return Err(format!("{field}: must not contain {SEPARATOR}"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field}: must not contain control characters"));
    }
    Ok(value)
}

/// [`clean`], and also not empty and at most `max` characters.
fn text<'v>(field: &str, value: &'v str, required: bool, max: usize) -> Result<&'v str, String> {
    let value = clean(field, value)?;
    if required && value.is_empty() {
        return Err(format!("{field}: required"));
    }
    if value.chars().count() > max {
        return Err(format!("{field}: longer than {max} characters"));
    }
    Ok(value)
}

/// [`clean`], and also all ASCII digits of one of the `lengths` (or empty, unless `required`).
fn digits<'v>(
    field: &str,
    value: &'v str,
    required: bool,
    lengths: &[usize],
) -> Result<&'v str, String> {
    let value = clean(field, value)?;
    if value.is_empty() && !required {
        return Ok(value);
    }
    if !lengths.contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_digit()) {
        let lengths = lengths
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(format!("{field}: must be {lengths} digits"));
    }
    Ok(value)
}

/// The ГОСТ Р 56042-2014 text of `qr`: `ST00012|Name=…|PersonalAcc=…|…`.
///
/// Errors name the offending field (`"payee.bic: must be 9 digits"`).
pub fn payload(qr: &PaymentQr) -> Result<String, String> {
    let p = qr.payee;
    let name = text("payee.name", &p.name, true, MAX_NAME)?;
    let account = digits("payee.account", &p.account, true, &[20])?;
    let bank_name = text("payee.bank_name", &p.bank_name, true, MAX_BANK_NAME)?;
    let bic = digits("payee.bic", &p.bic, true, &[9])?;
    let corr_account = digits("payee.corr_account", &p.corr_account, true, &[20])?;
    let inn = digits("payee.inn", &p.inn, false, &[10, 12])?;
    let kpp = digits("payee.kpp", &p.kpp, false, &[9])?;
    if qr.sum.0 <= 0 {
        return Err("sum: must be greater than zero".to_string());
    }
    let sum = qr.sum.0.to_string();
    let purpose = text("purpose", &qr.purpose, false, MAX_PURPOSE)?;
    let personal_account = clean("personal_account", &qr.personal_account)?;
    let period = match (qr.period_month, qr.period_year) {
        (0, 0) => String::new(),
        (1..=12, 1000..=9999) => format!("{:02}{:04}", qr.period_month, qr.period_year),
        (1..=12, _) => return Err("period_year: must have four digits".to_string()),
        _ => return Err("period_month: must be 1 to 12".to_string()),
    };
    let last_name = clean("last_name", &qr.last_name)?;
    let payer_address = clean("payer_address", &qr.payer_address)?;

    let pairs = [
        ("Name", name),
        ("PersonalAcc", account),
        ("BankName", bank_name),
        ("BIC", bic),
        ("CorrespAcc", corr_account),
        ("PayeeINN", inn),
        ("KPP", kpp),
        ("Sum", &sum),
        ("Purpose", purpose),
        ("PersAcc", personal_account),
        ("PaymPeriod", &period),
        ("LastName", last_name),
        ("PayerAddress", payer_address),
    ];
    let mut out = String::from(HEADER);
    for (key, value) in pairs {
        if !value.is_empty() {
            out.push(SEPARATOR);
            out.push_str(key);
            out.push('=');
            out.push_str(value);
        }
    }
    Ok(out)
}

/// Reads a ГОСТ Р 56042-2014 UTF-8 text back into its `(key, value)` pairs, in order.
///
/// The header must be `ST00012`; the character after it is the separator (`|` in what
/// [`payload`] writes). Errors on a missing header, a pair without `=`, a repeated key, or a
/// missing required key.
pub fn parse_payload(text: &str) -> Result<Vec<(String, String)>, String> {
    let text = text.trim_end_matches(['\r', '\n']);
    let Some(rest) = text.strip_prefix(HEADER) else {
        return Err(format!("not a payment QR text: no {HEADER} header"));
    };
    let mut chars = rest.chars();
    let Some(separator) = chars.next() else {
        return Err("no payment details after the header".to_string());
    };
    if separator.is_alphanumeric() || separator == '=' {
        return Err(format!("bad separator {separator:?} after the header"));
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in chars.as_str().split(separator) {
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("malformed pair {part:?}: no ="));
        };
        if key.is_empty() {
            return Err(format!("malformed pair {part:?}: empty key"));
        }
        if pairs.iter().any(|(k, _)| k == key) {
            return Err(format!("repeated key {key}"));
        }
        pairs.push((key.to_string(), value.to_string()));
    }
    for key in REQUIRED_KEYS {
        if !pairs.iter().any(|(k, v)| k == key && !v.is_empty()) {
            return Err(format!("missing required key {key}"));
        }
    }
    Ok(pairs)
}

/// The smallest side of the drawn code in CSS pixels: a phone camera reads it from there.
pub const MIN_SIDE_PX: usize = 240;

/// `text` as a QR code (error correction level M) in a standalone SVG.
///
/// The `viewBox` is in module units and includes a 4-module quiet zone; a white background
/// `<rect>` covers it, and each horizontal run of dark modules is one
/// `<rect x=".." y=".." width="n" height="1"/>` inside a black `<g>`. No external resources, no
/// script. Its `width` and `height` are a whole number of pixels per module, at least
/// [`MIN_SIDE_PX`] (so it scans when opened as it is, and prints at 63 mm or more); it still
/// scales to any box it is put in.
pub fn svg(text: &str) -> Result<String, String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot encode QR code: {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    let total = width + 2 * QUIET_ZONE;
    let side = total * MIN_SIDE_PX.div_ceil(total);

    let mut out = String::with_capacity(width * width * 20 + 400);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{side}\" height=\"{side}\" \
         viewBox=\"0 0 {total} {total}\" shape-rendering=\"crispEdges\">\n"
    ));
    out.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{total}\" height=\"{total}\" fill=\"#fff\"/>\n"
    ));
    out.push_str("<g fill=\"#000\">\n");
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == Color::Dark {
                x += 1;
            }
            out.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"1\"/>\n",
                start + QUIET_ZONE,
                y + QUIET_ZONE,
                x - start
            ));
        }
    }
    out.push_str("</g>\n</svg>\n");
    Ok(out)
}

/// The value of attribute `name` in the tag text `tag`, if present.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let pattern = format!("{name}=\"");
    let mut from = 0;
    while let Some(at) = tag[from..].find(&pattern) {
        let at = from + at;
        let preceded_by_space = tag[..at].ends_with(char::is_whitespace);
        let value_start = at + pattern.len();
        if preceded_by_space {
            let len = tag[value_start..].find('"')?;
            return Some(&tag[value_start..value_start + len]);
        }
        from = value_start;
    }
    None
}

/// Parses the `<rect>`s of an SVG made by [`svg`] back into a square module grid, row by row,
/// `true` for dark; the width includes the quiet zone. None if the SVG is not of that shape.
#[doc(hidden)]
pub fn modules_from_svg(svg: &str) -> Option<(usize, Vec<bool>)> {
    let root_start = svg.find("<svg")?;
    let root = &svg[root_start..root_start + svg[root_start..].find('>')?];
    let view_box: Vec<&str> = attribute(root, "viewBox")?.split_whitespace().collect();
    let [x0, y0, w, h] = view_box.as_slice() else {
        return None;
    };
    if *x0 != "0" || *y0 != "0" || w != h {
        return None;
    }
    let size: usize = w.parse().ok()?;
    if size == 0 {
        return None;
    }
    let mut grid = vec![false; size * size];

    let mut rest = svg;
    while let Some(at) = rest.find("<rect") {
        let end = at + rest[at..].find('>')?;
        let tag = &rest[at..end];
        rest = &rest[end..];
        if let Some(fill) = attribute(tag, "fill") {
            let fill = fill.to_ascii_lowercase();
            if matches!(fill.as_str(), "#fff" | "#ffffff" | "white" | "none") {
                continue;
            }
        }
        let number = |name: &str, default: Option<usize>| match attribute(tag, name) {
            Some(v) => v.parse::<usize>().ok(),
            None => default,
        };
        let x = number("x", Some(0))?;
        let y = number("y", Some(0))?;
        let rw = number("width", None)?;
        let rh = number("height", None)?;
        if x.checked_add(rw)? > size || y.checked_add(rh)? > size {
            return None;
        }
        for row in y..y + rh {
            grid[row * size + x..row * size + x + rw].fill(true);
        }
    }
    Some((size, grid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payee() -> Payee {
        Payee {
            name: "ООО «УК Садовая»".to_string(),
            bank_name: "ПАО Сбербанк".to_string(),
            bic: "044525225".to_string(),
            account: "40702810938000012345".to_string(),
            corr_account: "30101810400000000225".to_string(),
            inn: "7701234567".to_string(),
            kpp: "770101001".to_string(),
        }
    }

    fn bill(payee: &Payee) -> PaymentQr<'_> {
        PaymentQr {
            payee,
            sum: Kopecks(4_123_456),
            purpose: "Оплата ЖКУ за 11.2026, л/с 100012".to_string(),
            personal_account: "100012".to_string(),
            period_month: 11,
            period_year: 2026,
            last_name: "Смирнова".to_string(),
            payer_address: "Демо-город, ул. Садовая, д. 1, кв. 12".to_string(),
        }
    }

    fn get<'p>(pairs: &'p [(String, String)], key: &str) -> Option<&'p str> {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Decodes an SVG made by [`svg`] with the real decoder, as a camera would see it.
    fn decode_svg(svg: &str) -> String {
        const SCALE: usize = 4;
        let (size, modules) = modules_from_svg(svg).expect("modules");
        let px = size * SCALE;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(px, px, |x, y| {
            if modules[(y / SCALE) * size + x / SCALE] {
                0
            } else {
                255
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code in the image");
        let (meta, content) = grids[0].decode().expect("decodes");
        // rqrr numbers the levels as they are encoded in the format bits: M = 0.
        assert_eq!(meta.ecc_level, 0, "error correction level M");
        content
    }

    #[test]
    fn payload_has_the_fields_in_order() {
        let payee = payee();
        let text = payload(&bill(&payee)).unwrap();
        assert_eq!(
            text,
            "ST00012|Name=ООО «УК Садовая»|PersonalAcc=40702810938000012345\
             |BankName=ПАО Сбербанк|BIC=044525225|CorrespAcc=30101810400000000225\
             |PayeeINN=7701234567|KPP=770101001|Sum=4123456\
             |Purpose=Оплата ЖКУ за 11.2026, л/с 100012|PersAcc=100012|PaymPeriod=112026\
             |LastName=Смирнова|PayerAddress=Демо-город, ул. Садовая, д. 1, кв. 12"
        );
    }

    #[test]
    fn bill_round_trips_through_svg_and_a_real_decoder() {
        let payee = payee();
        let text = payload(&bill(&payee)).unwrap();
        let svg = svg(&text).unwrap();
        let decoded = decode_svg(&svg);
        assert_eq!(decoded, text);

        let pairs = parse_payload(&decoded).unwrap();
        assert_eq!(get(&pairs, "Sum"), Some("4123456"));
        assert_eq!(get(&pairs, "PaymPeriod"), Some("112026"));
        assert_eq!(get(&pairs, "PersAcc"), Some("100012"));
        assert_eq!(get(&pairs, "Name"), Some("ООО «УК Садовая»"));
        assert_eq!(get(&pairs, "LastName"), Some("Смирнова"));
        assert_eq!(
            get(&pairs, "PayerAddress"),
            Some("Демо-город, ул. Садовая, д. 1, кв. 12")
        );
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "Name",
                "PersonalAcc",
                "BankName",
                "BIC",
                "CorrespAcc",
                "PayeeINN",
                "KPP",
                "Sum",
                "Purpose",
                "PersAcc",
                "PaymPeriod",
                "LastName",
                "PayerAddress"
            ]
        );
    }

    #[test]
    fn svg_is_standalone_and_matches_the_code() {
        let text = "ST00012|Name=Тест";
        let svg = svg(text).unwrap();
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
        assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("fill=\"#fff\""));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("href"));
        assert!(!svg.contains("url("));

        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        let (size, modules) = modules_from_svg(&svg).unwrap();
        let width = code.width();
        assert_eq!(size, width + 2 * QUIET_ZONE);
        let colors = code.to_colors();
        for y in 0..size {
            for x in 0..size {
                let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + width).contains(&y);
                let expected =
                    inside && colors[(y - QUIET_ZONE) * width + (x - QUIET_ZONE)] == Color::Dark;
                assert_eq!(modules[y * size + x], expected, "module ({x}, {y})");
            }
        }
        assert_eq!(decode_svg(&svg), text);
    }

    /// Opened as it is, the code is at least 240 px and a whole number of pixels per module
    /// (crisp, so a camera reads it).
    #[test]
    fn svg_has_a_size_that_scans() {
        let payee = payee();
        let svg = svg(&payload(&bill(&payee)).unwrap()).unwrap();
        let root = &svg[svg.find("<svg").unwrap()..];
        let root = &root[..root.find('>').unwrap()];
        let side: usize = attribute(root, "width").unwrap().parse().unwrap();
        assert_eq!(attribute(root, "height"), attribute(root, "width"));
        let (modules, _) = modules_from_svg(&svg).unwrap();
        assert!(side >= MIN_SIDE_PX, "{side} px");
        assert_eq!(side % modules, 0, "{side} px for {modules} modules");
    }

    #[test]
    fn modules_from_svg_reads_single_module_rects_too() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 3 3\">\
                   <rect width=\"3\" height=\"3\" fill=\"white\"/>\
                   <rect x=\"1\" y=\"0\" width=\"1\" height=\"1\"/>\
                   <rect x=\"0\" y=\"2\" width=\"1\" height=\"1\"/></svg>";
        let (size, modules) = modules_from_svg(svg).unwrap();
        assert_eq!(size, 3);
        assert_eq!(
            modules,
            [false, true, false, false, false, false, true, false, false]
        );
        assert_eq!(
            modules_from_svg(
                "<svg viewBox=\"0 0 3 3\"><rect x=\"2\" y=\"0\" width=\"2\" height=\"1\"/></svg>"
            ),
            None
        );
        assert_eq!(modules_from_svg("not an svg"), None);
    }

    #[test]
    fn separator_in_a_value_is_refused_naming_the_field() {
        let mut payee = payee();
        payee.name = "ООО «УК | Садовая»".to_string();
        let err = payload(&bill(&payee)).unwrap_err();
        assert_eq!(err, "payee.name: must not contain |");

        let payee = self::payee();
        let mut qr = bill(&payee);
        qr.payer_address = "ул. Садовая|д. 1".to_string();
        assert_eq!(
            payload(&qr).unwrap_err(),
            "payer_address: must not contain |"
        );
    }

    #[test]
    fn bad_details_are_refused() {
        let mut payee = payee();
        payee.bic = "04452522".to_string();
        let err = payload(&bill(&payee)).unwrap_err();
        assert!(err.starts_with("payee.bic:"), "{err}");
        payee.bic = "04452522X".to_string();
        assert!(
            payload(&bill(&payee))
                .unwrap_err()
                .starts_with("payee.bic:")
        );

        let mut p = self::payee();
        p.account = "4070281093800001234".to_string();
        assert!(
            payload(&bill(&p))
                .unwrap_err()
                .starts_with("payee.account:")
        );
        let mut p = self::payee();
        p.corr_account = "3010181040000000022a".to_string();
        assert!(
            payload(&bill(&p))
                .unwrap_err()
                .starts_with("payee.corr_account:")
        );
        let mut p = self::payee();
        p.inn = "77012345".to_string();
        assert!(payload(&bill(&p)).unwrap_err().starts_with("payee.inn:"));
        p.inn = "770123456789".to_string();
        assert!(payload(&bill(&p)).is_ok());
        let mut p = self::payee();
        p.kpp = "7701010".to_string();
        assert!(payload(&bill(&p)).unwrap_err().starts_with("payee.kpp:"));
        let mut p = self::payee();
        p.name = "   ".to_string();
        assert_eq!(payload(&bill(&p)).unwrap_err(), "payee.name: required");

        let p = self::payee();
        let mut qr = bill(&p);
        qr.sum = Kopecks(0);
        assert!(payload(&qr).unwrap_err().starts_with("sum:"));
        qr.sum = Kopecks(-5);
        assert!(payload(&qr).unwrap_err().starts_with("sum:"));
        let mut qr = bill(&p);
        qr.period_month = 13;
        assert!(payload(&qr).unwrap_err().starts_with("period_month:"));
        let mut qr = bill(&p);
        qr.purpose = "Оплата\nЖКУ".to_string();
        assert!(payload(&qr).unwrap_err().starts_with("purpose:"));
    }

    #[test]
    fn values_are_trimmed_and_empty_optionals_omitted() {
        let mut p = payee();
        p.name = "  ООО «УК Садовая» \t".to_string();
        p.bic = " 044525225 ".to_string();
        p.kpp = String::new();
        let qr = PaymentQr {
            payee: &p,
            sum: Kopecks(100),
            purpose: String::new(),
            personal_account: " ".to_string(),
            period_month: 0,
            period_year: 0,
            last_name: String::new(),
            payer_address: String::new(),
        };
        assert_eq!(
            payload(&qr).unwrap(),
            "ST00012|Name=ООО «УК Садовая»|PersonalAcc=40702810938000012345\
             |BankName=ПАО Сбербанк|BIC=044525225|CorrespAcc=30101810400000000225\
             |PayeeINN=7701234567|Sum=100"
        );
    }

    #[test]
    fn text_without_the_header_fails_to_parse() {
        assert!(parse_payload("Name=ООО|PersonalAcc=40702810938000012345").is_err());
        assert!(parse_payload("ST00011|Name=ООО").is_err());
        assert!(parse_payload("").is_err());
        let err = parse_payload(
            "ST00012|Name=ООО|PersonalAcc=40702810938000012345|BankName=Банк|BIC=044525225",
        )
        .unwrap_err();
        assert!(err.contains("CorrespAcc"), "{err}");
        assert!(parse_payload("ST00012|Name=ООО|garbage").is_err());
    }

    #[test]
    fn cyrillic_survives_as_utf8() {
        let payee = payee();
        let text = payload(&bill(&payee)).unwrap();
        assert!(text.starts_with("ST00012|Name=ООО «УК Садовая»|"));
        // The QR code carries the UTF-8 bytes: «О» is two bytes, «»» too.
        assert!(text.len() > text.chars().count());
        let pairs = parse_payload(&text).unwrap();
        assert_eq!(get(&pairs, "BankName"), Some("ПАО Сбербанк"));
        assert_eq!(
            get(&pairs, "Purpose"),
            Some("Оплата ЖКУ за 11.2026, л/с 100012")
        );

        let word = "Ёлкин Щ. Ъ. — ЖКУ №5";
        let text = format!("ST00012|Name={word}|PersonalAcc=1|BankName=Б|BIC=1|CorrespAcc=1");
        let decoded = decode_svg(&svg(&text).unwrap());
        assert_eq!(decoded, text);
        assert_eq!(get(&parse_payload(&decoded).unwrap(), "Name"), Some(word));
    }

    #[test]
    fn payee_serializes() {
        let payee = payee();
        let json = serde_json::to_string(&payee).unwrap();
        let back: Payee = serde_json::from_str(&json).unwrap();
        assert_eq!(back, payee);
    }

    #[test]
    fn too_long_text_is_an_error() {
        let text = "Щ".repeat(3000);
        assert!(svg(&text).is_err());
    }
}
