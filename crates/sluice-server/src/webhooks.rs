//! Webhook secrets and signatures. An endpoint's secret is never stored: it is derived as
//! `whsec_` + base64(HMAC-SHA256(webhook key, "{endpoint id}:{secret version}")), so rotating
//! bumps the version and a database dump cannot forge a signature. Every delivery carries the
//! Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
//! HMAC-SHA256 of "id.timestamp.body" keyed with the secret's decoded bytes>`) and Dynamic's
//! `x-dynamic-signature-256: sha256=<hex HMAC-SHA256 of the body keyed with the whole secret
//! string>`.

use std::fmt;

use data_encoding::{BASE64, BASE64URL_NOPAD, HEXLOWER};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The server's webhook key: 32 bytes every instance must share. `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookKey([u8; 32]);

impl fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookKey(..)")
    }
}

impl WebhookKey {
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
        Self(bytes)
    }

    /// Parses base64url (or standard base64) of exactly 32 bytes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = BASE64URL_NOPAD
            .decode(text.trim_end_matches('=').as_bytes())
            .or_else(|_| BASE64.decode(text.as_bytes()))
            .map_err(|_| "the webhook key must be base64 of 32 random bytes".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the webhook key must be exactly 32 bytes".to_owned())?;
        Ok(Self(bytes))
    }

    pub fn encode(&self) -> String {
        BASE64URL_NOPAD.encode(&self.0)
    }

    /// The secret of an endpoint at a secret version.
    pub fn endpoint_secret(&self, endpoint_id: &str, version: i64) -> String {
        let derived = hmac(
            &self.0,
            &[endpoint_id.as_bytes(), b":", version.to_string().as_bytes()],
        );
        format!("whsec_{}", BASE64.encode(&derived))
    }
}

/// The signature headers of one delivery attempt.
pub fn signature_headers(
    secret: &str,
    webhook_id: &str,
    timestamp: i64,
    body: &[u8],
) -> [(&'static str, String); 4] {
    let key = BASE64
        .decode(secret.trim_start_matches("whsec_").as_bytes())
        .expect("derived secrets are base64");
    let signed = hmac(
        &key,
        &[
            webhook_id.as_bytes(),
            b".",
            timestamp.to_string().as_bytes(),
            b".",
            body,
        ],
    );
    let dynamic = hmac(secret.as_bytes(), &[body]);
    [
        ("webhook-id", webhook_id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        (
            "webhook-signature",
            format!("v1,{}", BASE64.encode(&signed)),
        ),
        (
            "x-dynamic-signature-256",
            format!("sha256={}", HEXLOWER.encode(&dynamic)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_derived_per_endpoint_and_version() {
        let key = WebhookKey::random();
        let a = key.endpoint_secret("e1", 1);
        assert!(a.starts_with("whsec_"));
        assert_eq!(BASE64.decode(&a.as_bytes()[6..]).unwrap().len(), 32);
        assert_eq!(a, key.endpoint_secret("e1", 1));
        assert_ne!(a, key.endpoint_secret("e1", 2));
        assert_ne!(a, key.endpoint_secret("e2", 1));
        assert_eq!(
            WebhookKey::parse(&key.encode())
                .unwrap()
                .endpoint_secret("e1", 1),
            a
        );
        assert!(!format!("{key:?}").contains(&key.encode()));
    }
}
