//! Sending SMS: to the log (the embedded default) or through an HTTP gateway.

use super::config::{SmsConfig, SmsGatewayKind};

/// Where SMS go.
#[derive(Clone, Debug)]
pub struct SmsGateway {
    config: SmsConfig,
    client: reqwest::Client,
}

/// Why an SMS was not sent.
#[derive(Debug, thiserror::Error)]
#[error("the SMS gateway failed: {0}")]
pub struct SmsError(pub String);

impl SmsGateway {
    /// A gateway from config, posting with `client`.
    pub fn new(config: SmsConfig, client: reqwest::Client) -> Self {
        SmsGateway { config, client }
    }

    /// Whether SMS really leave the instance (false for the log gateway).
    pub fn is_real(&self) -> bool {
        self.config.gateway == SmsGatewayKind::Http
    }

    /// Send `text` to `phone` (normalised).
    ///
    /// The HTTP gateway gets `POST {url}` with JSON `{"to", "text", "from"}` and a bearer
    /// token if configured; any 2xx answer is success.
    pub async fn send(&self, phone: &str, text: &str) -> Result<(), SmsError> {
        match self.config.gateway {
            SmsGatewayKind::Log => {
                tracing::info!(target: "dvor::sms", to = %phone, %text, "SMS (log gateway)");
                Ok(())
            }
            SmsGatewayKind::Http => {
                let url = self.config.url.as_deref().unwrap_or_default();
                let mut request = self
                    .client
                    .post(url)
                    .timeout(std::time::Duration::from_secs(10))
                    .json(&serde_json::json!({
                        "to": phone,
                        "text": text,
                        "from": self.config.sender,
                    }));
                if let Some(token) = &self.config.token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.map_err(|e| SmsError(e.to_string()))?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(SmsError(format!("status {}", response.status())))
                }
            }
        }
    }
}
