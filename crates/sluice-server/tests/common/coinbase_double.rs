//! A local stand-in for Coinbase's Onramp session-token API (`POST /onramp/v1/token`), for
//! tests: it speaks the documented request and response and checks the CDP JWT as Coinbase
//! does (ES256 signature with the key's public half, `kid`/`sub`, `iss: cdp`, `uri`, validity
//! window). It can be told to fail (an error status) or to hang (for timeouts).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use data_encoding::BASE64URL_NOPAD;
use p256::ecdsa::signature::Verifier;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Answer,
    Fail(u16),
    Hang(Duration),
}

#[derive(Clone)]
struct Double {
    key_name: String,
    public: p256::ecdsa::VerifyingKey,
    authority: Arc<Mutex<String>>,
    mode: Arc<Mutex<Mode>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

pub struct CoinbaseDouble {
    pub url: String,
    mode: Arc<Mutex<Mode>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

fn part(text: &str) -> Option<Value> {
    serde_json::from_slice(&BASE64URL_NOPAD.decode(text.as_bytes()).ok()?).ok()
}

/// Why the JWT is not acceptable, as Coinbase would refuse it (401).
fn check_jwt(d: &Double, headers: &HeaderMap) -> Result<(), String> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("no bearer token")?;
    let parts: Vec<&str> = bearer.split('.').collect();
    let [h, c, s] = parts[..] else {
        return Err("not a JWT".into());
    };
    let (header, claims) = (part(h).ok_or("header")?, part(c).ok_or("claims")?);
    if header["alg"] != "ES256"
        || header["kid"] != d.key_name.as_str()
        || header["nonce"].as_str().is_none_or(str::is_empty)
    {
        return Err(format!("bad header {header}"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let uri = format!("POST {}/onramp/v1/token", d.authority.lock().unwrap());
    let valid = claims["iss"] == "cdp"
        && claims["sub"] == d.key_name.as_str()
        && claims["uri"] == uri.as_str()
        && claims["nbf"].as_u64().is_some_and(|t| t <= now + 5)
        && claims["exp"]
            .as_u64()
            .is_some_and(|t| t > now && t <= now + 300);
    if !valid {
        return Err(format!("bad claims {claims}"));
    }
    let signature = BASE64URL_NOPAD
        .decode(s.as_bytes())
        .map_err(|_| "signature encoding")?;
    let signature = p256::ecdsa::Signature::from_slice(&signature).map_err(|_| "signature form")?;
    d.public
        .verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| "signature does not verify".to_string())
}

async fn token(State(d): State<Double>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let mode = *d.mode.lock().unwrap();
    if let Mode::Hang(pause) = mode {
        // Answers too late to matter, and records nothing.
        tokio::time::sleep(pause).await;
        return (StatusCode::GATEWAY_TIMEOUT, String::new());
    }
    if let Err(why) = check_jwt(&d, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            json!({"errorType": "unauthorized", "errorMessage": why}).to_string(),
        );
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            json!({"errorType": "invalid_request"}).to_string(),
        );
    };
    let well_formed = request["addresses"][0]["address"].is_string()
        && request["addresses"][0]["blockchains"][0].is_string();
    if !well_formed {
        return (
            StatusCode::BAD_REQUEST,
            json!({"errorType": "invalid_request", "errorMessage": "addresses"}).to_string(),
        );
    }
    let mut requests = d.requests.lock().unwrap();
    requests.push(request);
    if let Mode::Fail(status) = mode {
        let status = StatusCode::from_u16(status).unwrap();
        return (
            status,
            json!({"errorType": "internal_error", "errorMessage": "try later"}).to_string(),
        );
    }
    let answer = json!({"token": format!("session-token-{}", requests.len()), "channel_id": ""});
    (StatusCode::OK, answer.to_string())
}

impl CoinbaseDouble {
    /// Accepts JWTs signed by `key` under `key_name`.
    pub async fn start(key_name: &str, key: &p256::SecretKey) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        let double = Double {
            key_name: key_name.to_owned(),
            public: p256::ecdsa::VerifyingKey::from(key.public_key()),
            authority: Arc::new(Mutex::new(authority.clone())),
            mode: Arc::new(Mutex::new(Mode::Answer)),
            requests: Arc::default(),
        };
        let (mode, requests) = (double.mode.clone(), double.requests.clone());
        let app = axum::Router::new()
            .route("/onramp/v1/token", post(token))
            .with_state(double);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{authority}"),
            mode,
            requests,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// The well-formed, authenticated requests received, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}

/// Configures Coinbase for `app`'s environment with `secret` (a PEM file under the system's
/// temporary directory) and loads it, as `sluice serve` does at start; returns the file.
pub async fn configure_coinbase(
    app: &super::TestApp,
    key_name: &str,
    secret: &p256::SecretKey,
) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("sluice-cdp-{}.pem", uuid::Uuid::new_v4()));
    let pem = secret.to_sec1_pem(p256::pkcs8::LineEnding::LF).unwrap();
    std::fs::write(&path, pem.as_bytes()).unwrap();
    let record = sluice_store::ExchangeRecord {
        environment_id: app.env_id,
        provider: "coinbase".into(),
        api_key_name: key_name.into(),
        api_key_file: path.to_string_lossy().into_owned(),
        updated_at: super::START,
    };
    app.store.set_exchange(&record).await.unwrap();
    app.state.exchanges.load(app.store.as_ref()).await.unwrap();
    path
}
