//! Coinbase Developer Platform (CDP) API keys and the JWT that authenticates each request.
//! A key is ECDSA P-256 (`ES256`, a PEM block) or Ed25519 (`EdDSA`, base64 of its 64 bytes),
//! as CDP issues them; the file may be CDP's JSON download (`privateKey` field) or the key
//! alone. The private key stays in this process: nothing here prints or logs it, and errors
//! never repeat the file's content.

use data_encoding::{BASE64, BASE64URL_NOPAD, HEXLOWER};
use serde_json::{Value, json};

/// How long a request JWT is valid (CDP's own SDKs use 120 s).
const JWT_LIFETIME_SECS: u64 = 120;

enum Signer {
    Es256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

pub struct CdpKey {
    name: String,
    signer: Signer,
}

impl std::fmt::Debug for CdpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CdpKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Why a key file could not be used; says what is wrong, never what the file holds.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(&'static str);

fn signer_from(text: &str) -> Result<Signer, KeyError> {
    let text = text.trim();
    if text.contains("-----BEGIN") {
        use p256::pkcs8::DecodePrivateKey;
        let secret = p256::SecretKey::from_sec1_pem(text)
            .or_else(|_| p256::SecretKey::from_pkcs8_pem(text))
            .map_err(|_| KeyError("the PEM block is not a P-256 (ES256) private key"))?;
        return Ok(Signer::Es256(secret.into()));
    }
    let bytes = BASE64
        .decode(text.as_bytes())
        .map_err(|_| KeyError("the key is neither a PEM block nor base64 (Ed25519)"))?;
    let key = match bytes.len() {
        64 => ed25519_dalek::SigningKey::from_keypair_bytes(bytes[..].try_into().expect("64"))
            .map_err(|_| KeyError("the Ed25519 key's two halves do not match"))?,
        32 => ed25519_dalek::SigningKey::from_bytes(bytes[..].try_into().expect("32")),
        _ => return Err(KeyError("an Ed25519 key is 32 or 64 bytes")),
    };
    Ok(Signer::Ed25519(key))
}

impl CdpKey {
    /// Reads a key from a key file's content: CDP's JSON (`{"privateKey": …}`) or the key.
    pub fn parse(name: &str, file_content: &str) -> Result<Self, KeyError> {
        let json = serde_json::from_str::<Value>(file_content).ok();
        let private = match &json {
            Some(v) => v["privateKey"]
                .as_str()
                .ok_or(KeyError("the JSON key file has no privateKey"))?,
            None => file_content,
        };
        Ok(Self {
            name: name.to_owned(),
            signer: signer_from(private)?,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn algorithm(&self) -> &'static str {
        match self.signer {
            Signer::Es256(_) => "ES256",
            Signer::Ed25519(_) => "EdDSA",
        }
    }

    /// A bearer JWT for one request: `uri` is `"{METHOD} {host}{path}"`, as CDP checks it.
    pub fn request_jwt(&self, uri: &str, now_secs: u64) -> String {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).expect("the OS random source works");
        let header = json!({"alg": self.algorithm(), "kid": self.name, "typ": "JWT", "nonce": HEXLOWER.encode(&nonce)});
        let claims = json!({"sub": self.name, "iss": "cdp", "nbf": now_secs, "exp": now_secs + JWT_LIFETIME_SECS, "uri": uri});
        let input = format!(
            "{}.{}",
            BASE64URL_NOPAD.encode(header.to_string().as_bytes()),
            BASE64URL_NOPAD.encode(claims.to_string().as_bytes())
        );
        let signature = match &self.signer {
            Signer::Es256(key) => {
                use p256::ecdsa::signature::Signer as _;
                let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
                signature.to_bytes().to_vec()
            }
            Signer::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(input.as_bytes()).to_bytes().to_vec()
            }
        };
        format!("{input}.{}", BASE64URL_NOPAD.encode(&signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PEM block whose content is not a key.
    const GARBLED_PEM: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBYsMY2Yf1qVq5Ke1F3Zx6dP0c8pT8ZLh8H0o6Xz2mYdoAoGCCqGSM49\nAwEHoUQDQgAE7qZ0K8kM9cHkQm7l6kx0u4nK2Rk4m0b0l1k7c9tQYzQ5l8f3Y2Yh\n-----END EC PRIVATE KEY-----\n";

    #[test]
    fn refuses_what_is_not_a_key_without_repeating_it() {
        for bad in [
            "not a key",
            GARBLED_PEM,
            "{\"name\": \"k\"}",
            &BASE64.encode(&[1u8; 48]),
        ] {
            let err = CdpKey::parse("k", bad).unwrap_err().to_string();
            assert!(!err.contains("MHcC") && !err.contains("not a key"), "{err}");
        }
    }

    #[test]
    fn p256_keys_in_sec1_pem_sign_verifiable_jwts() {
        use p256::ecdsa::signature::Verifier;
        use p256::pkcs8::LineEnding;
        let secret = p256::SecretKey::from_slice(&[9u8; 32]).unwrap();
        let pem = secret.to_sec1_pem(LineEnding::LF).unwrap();
        let key = CdpKey::parse("organizations/o/apiKeys/k", &pem).unwrap();
        assert_eq!(key.algorithm(), "ES256");
        let jwt = key.request_jwt("POST h/onramp/v1/token", 1);
        let parts: Vec<&str> = jwt.split('.').collect();
        let signature = p256::ecdsa::Signature::from_slice(
            &BASE64URL_NOPAD.decode(parts[2].as_bytes()).unwrap(),
        )
        .unwrap();
        let verifying = p256::ecdsa::VerifyingKey::from(secret.public_key());
        let message = format!("{}.{}", parts[0], parts[1]);
        verifying.verify(message.as_bytes(), &signature).unwrap();
    }

    #[test]
    fn ed25519_keys_sign_verifiable_jwts() {
        let seed = [7u8; 32];
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let file = json!({"id": "key-1", "privateKey": BASE64.encode(&signing.to_keypair_bytes())});
        let key = CdpKey::parse("key-1", &file.to_string()).unwrap();
        let jwt = key.request_jwt(
            "POST api.developer.coinbase.com/onramp/v1/token",
            1_800_000_000,
        );
        let parts: Vec<&str> = jwt.split('.').collect();
        let claims: Value =
            serde_json::from_slice(&BASE64URL_NOPAD.decode(parts[1].as_bytes()).unwrap()).unwrap();
        assert_eq!(
            (claims["iss"].as_str(), claims["sub"].as_str()),
            (Some("cdp"), Some("key-1"))
        );
        assert_eq!(claims["exp"], 1_800_000_120u64);
        let signature = ed25519_dalek::Signature::from_slice(
            &BASE64URL_NOPAD.decode(parts[2].as_bytes()).unwrap(),
        )
        .unwrap();
        let message = format!("{}.{}", parts[0], parts[1]);
        signing
            .verifying_key()
            .verify_strict(message.as_bytes(), &signature)
            .unwrap();
        assert!(!format!("{key:?}").contains(&BASE64.encode(&seed)[..10]));
    }
}
