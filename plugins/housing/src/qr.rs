//! The payment QR code of a housing bill (ЕПД): the SDK's ГОСТ Р 56042-2014 implementation,
//! [`dvor_sdk::payment_qr`], under the name the housing plugin has always used.

pub use dvor_sdk::payment_qr::*;
