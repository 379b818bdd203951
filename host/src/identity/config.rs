//! `[identity]`, `[notifications]` and `[[organizations]]`: how people sign in, how messages
//! reach them, and the organizations that serve the community tree.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[identity]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// How long a sign-in lasts without use, in days; default 30.
    #[serde(default = "default_session_days")]
    pub session_days: u32,
    /// Phone numbers (`+7…`) that are instance admins when they sign in.
    #[serde(default)]
    pub admins: Vec<String>,
    /// The numbers that get a sign-in code by SMS: entries such as `+7 9XX XXX-XX-XX`, `X`
    /// for any digit; default the Russian mobile numbers. Setting it replaces the default, so
    /// an instance that widens it lists the default too.
    #[serde(default = "default_phone_plan")]
    pub phone_plan: Vec<String>,
    /// `[identity.otp]`: one-time codes and their limits.
    #[serde(default)]
    pub otp: OtpConfig,
    /// `[identity.sms]`: how codes and SMS notifications are sent.
    #[serde(default)]
    pub sms: SmsConfig,
    /// `[identity.oidc.<id>]`: OpenID Connect providers people may sign in with.
    #[serde(default)]
    pub oidc: BTreeMap<String, OidcProviderConfig>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            session_days: default_session_days(),
            admins: Vec::new(),
            phone_plan: default_phone_plan(),
            otp: OtpConfig::default(),
            sms: SmsConfig::default(),
            oidc: BTreeMap::new(),
        }
    }
}

/// `[identity.otp]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpConfig {
    /// How long a code is valid, in seconds; default 300.
    #[serde(default = "default_otp_ttl_s")]
    pub ttl_s: u64,
    /// Wrong guesses one code survives; default 5.
    #[serde(default = "default_otp_attempts")]
    pub max_attempts: u32,
    /// Seconds before another code may be sent to the same phone; default 60.
    #[serde(default = "default_resend_cooldown_s")]
    pub resend_cooldown_s: u64,
    /// Codes sent to one phone per hour; default 5.
    #[serde(default = "default_sends_per_phone")]
    pub sends_per_phone_per_hour: u32,
    /// Codes requested from one IP address per hour; default 30.
    #[serde(default = "default_sends_per_ip")]
    pub sends_per_ip_per_hour: u32,
    /// Wrong codes for one phone within an hour that lock it; default 10.
    #[serde(default = "default_lockout_failures")]
    pub lockout_after_failures: u32,
    /// How long a lockout lasts, in minutes; default 60.
    #[serde(default = "default_lockout_minutes")]
    pub lockout_minutes: u64,
}

impl Default for OtpConfig {
    fn default() -> Self {
        OtpConfig {
            ttl_s: default_otp_ttl_s(),
            max_attempts: default_otp_attempts(),
            resend_cooldown_s: default_resend_cooldown_s(),
            sends_per_phone_per_hour: default_sends_per_phone(),
            sends_per_ip_per_hour: default_sends_per_ip(),
            lockout_after_failures: default_lockout_failures(),
            lockout_minutes: default_lockout_minutes(),
        }
    }
}

/// Where SMS go.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmsGatewayKind {
    /// Written to the log (the embedded default: a newcomer reads the code there).
    #[default]
    Log,
    /// POSTed as JSON `{"to", "text"}` to `url`.
    Http,
}

/// `[identity.sms]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// `log` (default) or `http`.
    #[serde(default)]
    pub gateway: SmsGatewayKind,
    /// The gateway's URL, for `http`.
    #[serde(default)]
    pub url: Option<String>,
    /// A bearer token for the gateway (set it with `DVOR_IDENTITY__SMS__TOKEN`).
    #[serde(default)]
    pub token: Option<String>,
    /// The sender name, passed to the gateway as `from`.
    #[serde(default)]
    pub sender: Option<String>,
}

/// `[identity.oidc.<id>]`: one OpenID Connect provider.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// The issuer URL; its `/.well-known/openid-configuration` is read at sign-in.
    pub issuer: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret (set it with `DVOR_IDENTITY__OIDC__<ID>__CLIENT_SECRET`); none for a
    /// public client.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The button's label in Russian.
    pub name_ru: String,
    /// The button's label in English.
    pub name_en: String,
    /// Scopes asked for; default `openid profile phone`.
    #[serde(default = "default_oidc_scopes")]
    pub scopes: Vec<String>,
}

/// `[notifications]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsConfig {
    /// `[notifications.email]`: SMTP; without it no email is sent.
    #[serde(default)]
    pub email: Option<EmailConfig>,
    /// Send SMS for `high` urgency notifications to people who allowed SMS; default true.
    #[serde(default = "yes")]
    pub sms_for_urgent: bool,
    /// Delivery attempts of one message before it is marked failed; default 5.
    #[serde(default = "default_delivery_attempts")]
    pub max_attempts: u32,
    /// How often the sender looks for due messages, in ms; default 1000.
    #[serde(default = "default_delivery_poll_ms")]
    pub poll_interval_ms: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig {
            email: None,
            sms_for_urgent: true,
            max_attempts: default_delivery_attempts(),
            poll_interval_ms: default_delivery_poll_ms(),
        }
    }
}

/// Transport security of the SMTP connection.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// STARTTLS on the submission port (default).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain text: only for a relay on the same host or in tests.
    None,
}

/// `[notifications.email]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// The SMTP server's host name.
    pub smtp_host: String,
    /// Its port; default 587.
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// The SMTP user name.
    #[serde(default)]
    pub username: Option<String>,
    /// The SMTP password (set it with `DVOR_NOTIFICATIONS__EMAIL__PASSWORD`).
    #[serde(default)]
    pub password: Option<String>,
    /// The From address, `Двор <noreply@example.org>`.
    pub from: String,
}

/// What kind of organization.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum OrganizationKind {
    /// A management company (УК).
    ManagementCompany,
    /// A homeowners' association (ТСЖ).
    Hoa,
    /// A resource supplier (РСО).
    Supplier,
    /// A local business.
    Business,
    /// A government body or municipal service.
    Government,
    /// An SNT's board (правление).
    SntBoard,
}

impl OrganizationKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationKind::ManagementCompany => "management-company",
            OrganizationKind::Hoa => "hoa",
            OrganizationKind::Supplier => "supplier",
            OrganizationKind::Business => "business",
            OrganizationKind::Government => "government",
            OrganizationKind::SntBoard => "snt-board",
        }
    }
}

/// `[[organizations]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
    /// Its id, like a community id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: OrganizationKind,
    /// The community subtrees it serves (ids of declared communities).
    #[serde(default)]
    pub serves: Vec<String>,
}

fn yes() -> bool {
    true
}
fn default_phone_plan() -> Vec<String> {
    super::phone::DEFAULT_PLAN
        .iter()
        .map(|entry| (*entry).to_owned())
        .collect()
}
fn default_session_days() -> u32 {
    30
}
fn default_otp_ttl_s() -> u64 {
    300
}
fn default_otp_attempts() -> u32 {
    5
}
fn default_resend_cooldown_s() -> u64 {
    60
}
fn default_sends_per_phone() -> u32 {
    5
}
fn default_sends_per_ip() -> u32 {
    30
}
fn default_lockout_failures() -> u32 {
    10
}
fn default_lockout_minutes() -> u64 {
    60
}
fn default_oidc_scopes() -> Vec<String> {
    ["openid", "profile", "phone"].map(String::from).to_vec()
}
fn default_delivery_attempts() -> u32 {
    5
}
fn default_delivery_poll_ms() -> u64 {
    1000
}
fn default_smtp_port() -> u16 {
    587
}

/// Problems with these sections: `(key path, message)`.
pub fn validate(
    identity: &IdentityConfig,
    notifications: &NotificationsConfig,
    organizations: &[OrganizationConfig],
    community_exists: impl Fn(&str) -> bool,
) -> Vec<(Vec<String>, String)> {
    let mut problems = Vec::new();
    let mut report = |path: &[&str], message: String| {
        problems.push((path.iter().map(|s| s.to_string()).collect(), message));
    };
    if identity.session_days == 0 {
        report(
            &["identity", "session_days"],
            "`identity.session_days` must be at least 1".into(),
        );
    }
    for (i, phone) in identity.admins.iter().enumerate() {
        match super::phone::normalize(phone) {
            None => report(
                &["identity", "admins"],
                format!(
                    "`identity.admins[{i}]`: `{phone}` is not a phone number such as +79991234567"
                ),
            ),
            // An admin whose phone gets no code could only sign in through a provider.
            Some(normal)
                if identity.oidc.is_empty()
                    && !super::phone::in_plan(&normal, &identity.phone_plan) =>
            {
                report(
                    &["identity", "admins"],
                    format!(
                        "`identity.admins[{i}]`: `{phone}` is outside `identity.phone_plan`, so no sign-in code can reach it"
                    ),
                )
            }
            Some(_) => {}
        }
    }
    if identity.phone_plan.is_empty() {
        report(
            &["identity", "phone_plan"],
            "`identity.phone_plan` is empty: no one could get a sign-in code".into(),
        );
    }
    for (i, entry) in identity.phone_plan.iter().enumerate() {
        if let Some(problem) = super::phone::plan_entry_problem(entry) {
            report(
                &["identity", "phone_plan"],
                format!("`identity.phone_plan[{i}]`: {problem}"),
            );
        }
    }
    let otp = &identity.otp;
    for (key, value) in [
        ("ttl_s", otp.ttl_s),
        ("max_attempts", otp.max_attempts.into()),
        (
            "sends_per_phone_per_hour",
            otp.sends_per_phone_per_hour.into(),
        ),
        ("sends_per_ip_per_hour", otp.sends_per_ip_per_hour.into()),
        ("lockout_after_failures", otp.lockout_after_failures.into()),
        ("lockout_minutes", otp.lockout_minutes),
    ] {
        if value == 0 {
            report(
                &["identity", "otp", key],
                format!("`identity.otp.{key}` must be at least 1"),
            );
        }
    }
    if identity.sms.gateway == SmsGatewayKind::Http {
        match &identity.sms.url {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {}
            Some(url) => report(
                &["identity", "sms", "url"],
                format!("`identity.sms.url` must start with http:// or https://, got `{url}`"),
            ),
            None => report(
                &["identity", "sms", "url"],
                "`identity.sms.url` is required when `identity.sms.gateway = \"http\"`".into(),
            ),
        }
    }
    for (id, provider) in &identity.oidc {
        if !crate::config::is_community_id(id) {
            report(
                &["identity", "oidc", id],
                format!(
                    "`identity.oidc.{id}`: the provider id must be lower-case latin letters, digits and dashes"
                ),
            );
        }
        if !(provider.issuer.starts_with("https://") || provider.issuer.starts_with("http://")) {
            report(
                &["identity", "oidc", id, "issuer"],
                format!(
                    "`identity.oidc.{id}.issuer` must be an http(s) URL, got `{}`",
                    provider.issuer
                ),
            );
        }
        if !provider.scopes.iter().any(|s| s == "openid") {
            report(
                &["identity", "oidc", id, "scopes"],
                format!("`identity.oidc.{id}.scopes` must include `openid`"),
            );
        }
    }
    if let Some(email) = &notifications.email {
        if email.smtp_host.trim().is_empty() {
            report(
                &["notifications", "email", "smtp_host"],
                "`notifications.email.smtp_host` must not be empty".into(),
            );
        }
        if email.from.parse::<lettre::message::Mailbox>().is_err() {
            report(
                &["notifications", "email", "from"],
                format!(
                    "`notifications.email.from` must be an address such as `Двор <noreply@example.org>`, got `{}`",
                    email.from
                ),
            );
        }
    }
    if notifications.max_attempts == 0 {
        report(
            &["notifications", "max_attempts"],
            "`notifications.max_attempts` must be at least 1".into(),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, organization) in organizations.iter().enumerate() {
        let n = i.to_string();
        if !crate::config::is_community_id(&organization.id) {
            report(
                &["organizations", &n, "id"],
                format!(
                    "`organizations[{i}].id`: `{}` must be lower-case latin letters, digits and dashes",
                    organization.id
                ),
            );
        }
        if !seen.insert(organization.id.as_str()) {
            report(
                &["organizations", &n, "id"],
                format!(
                    "`organizations[{i}].id`: `{}` is declared twice",
                    organization.id
                ),
            );
        }
        if organization.name.trim().is_empty() {
            report(
                &["organizations", &n, "name"],
                format!("`organizations[{i}].name` must not be empty"),
            );
        }
        for served in &organization.serves {
            if !community_exists(served) {
                report(
                    &["organizations", &n, "serves"],
                    format!(
                        "`organizations[{i}].serves`: community `{served}` is not declared in [[communities]]"
                    ),
                );
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const BASE: &str = "[instance]\nname = \"Тест\"\n\n[[communities]]\nid = \"house-1\"\nname = \"Дом\"\nkind = \"house\"\n";

    fn problems(extra: &str) -> String {
        match Config::from_str_with_env(&format!("{BASE}{extra}"), "t.toml", Vec::new()) {
            Ok(_) => String::new(),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn defaults_are_the_documented_limits() {
        let config = Config::from_str_with_env(BASE, "t.toml", Vec::new()).unwrap();
        let otp = &config.identity.otp;
        assert_eq!(
            (otp.ttl_s, otp.max_attempts, otp.resend_cooldown_s),
            (300, 5, 60)
        );
        assert_eq!((otp.lockout_after_failures, otp.lockout_minutes), (10, 60));
        assert_eq!(config.identity.session_days, 30);
        assert_eq!(config.identity.phone_plan, ["+7 9XX XXX-XX-XX"]);
        assert!(config.notifications.email.is_none());
    }

    #[test]
    fn mistakes_name_the_key_and_line() {
        let typo = problems("\n[identity.otp]\nttl = 60\n");
        assert!(typo.contains("ttl") && typo.contains("t.toml:10"), "{typo}");
        let zero = problems("\n[identity.otp]\nmax_attempts = 0\n");
        assert!(
            zero.contains("identity.otp.max_attempts") && zero.contains("at least 1"),
            "{zero}"
        );
        let admin = problems("\n[identity]\nadmins = [\"12345\"]\n");
        assert!(admin.contains("identity.admins[0]"), "{admin}");
        let landline = problems("\n[identity]\nadmins = [\"+7 495 123-45-67\"]\n");
        assert!(
            landline.contains("identity.admins[0]") && landline.contains("phone_plan"),
            "{landline}"
        );
        let plan = problems("\n[identity]\nphone_plan = [\"+7 9XX XXX-XX-XX\", \"375 29 XXX\"]\n");
        assert!(
            plan.contains("identity.phone_plan[1]") && plan.contains("country code"),
            "{plan}"
        );
        let gateway = problems("\n[identity.sms]\ngateway = \"http\"\n");
        assert!(gateway.contains("identity.sms.url"), "{gateway}");
        let oidc = problems(
            "\n[identity.oidc.esia]\nissuer = \"esia\"\nclient_id = \"x\"\nname_ru = \"Г\"\nname_en = \"G\"\nscopes = [\"profile\"]\n",
        );
        assert!(oidc.contains("issuer") && oidc.contains("openid"), "{oidc}");
        let from =
            problems("\n[notifications.email]\nsmtp_host = \"smtp\"\nfrom = \"not an address\"\n");
        assert!(from.contains("notifications.email.from"), "{from}");
        let serves = problems(
            "\n[[organizations]]\nid = \"uk\"\nname = \"УК\"\nkind = \"management-company\"\nserves = [\"house-9\"]\n",
        );
        assert!(
            serves.contains("house-9") && serves.contains("t.toml:13"),
            "{serves}"
        );
        let kind = problems("\n[[organizations]]\nid = \"uk\"\nname = \"УК\"\nkind = \"bank\"\n");
        assert!(kind.contains("bank"), "{kind}");
    }
}
