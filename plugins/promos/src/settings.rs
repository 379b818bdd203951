//! The plugin's settings, as the operator writes them under `[plugins.promos.settings]` (the
//! manifest gives the defaults).

use dvor_sdk::prelude::*;
use serde::Deserialize;

use crate::audience::AudienceSettings;
use crate::coupon_code::CodeSettings;
use crate::model::BusinessKind;
use crate::rating::RatingSettings;

/// Everything configurable.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Seed the demo on the codes job's first run.
    pub demo: bool,
    /// The coupon code's step, digits and skew.
    pub code: CodeSettings,
    /// The audience floor.
    pub audience: AudienceSettings,
    /// How lists by rating damp small counts.
    pub rating: RatingSettings,
    /// Reviews' moderation and length.
    pub reviews: ReviewSettings,
    /// The categories to choose from.
    pub categories: Vec<Category>,
}

/// Reviews: when reports hide one, and how long one may be.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct ReviewSettings {
    /// Reports weighing this much hide a review until a moderator decides.
    pub hide_at_weight: u32,
    /// The longest review, characters.
    pub max_length: u32,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        Self {
            hide_at_weight: 3,
            max_length: 2000,
        }
    }
}

/// A category of businesses or services.
#[derive(Clone, Debug, Deserialize)]
pub struct Category {
    /// Its code.
    pub code: String,
    /// Its name in Russian.
    pub name_ru: String,
    /// Its name in English.
    pub name_en: String,
    /// Shops' or specialists'.
    pub kind: BusinessKind,
}

impl Settings {
    /// The settings, checked: a bad code setting fails every call that needs a code, naming it.
    pub fn load() -> Result<Settings> {
        let settings: Settings = dvor_sdk::settings()?;
        settings
            .code
            .validate()
            .map_err(|e| Error::internal(format!("settings.code.{:?}: {}", e.field, e.message)))?;
        Ok(settings)
    }

    /// The category `code`.
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The name of category `code` in the call's locale (the code itself if unknown).
    pub fn category_name(&self, code: &str) -> String {
        self.category(code)
            .map(|c| tr(&c.name_ru, &c.name_en).to_owned())
            .unwrap_or_else(|| code.to_owned())
    }

    /// The categories of `kind`, as `(code, name)` choices.
    pub fn choices(&self, kind: BusinessKind) -> Vec<(String, String)> {
        self.categories
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| (c.code.clone(), tr(&c.name_ru, &c.name_en).to_owned()))
            .collect()
    }
}
