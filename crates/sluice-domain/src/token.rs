//! Secrets: session tokens (`dft_…`) and API tokens (`slc_…`). Each is 32 random bytes from
//! the operating system's CSPRNG, base64url without padding, shown once and stored only as its
//! SHA-256 (a slow KDF buys nothing for 256-bit random secrets).

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};

/// SHA-256 of a secret. Its `Debug` never prints the bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// Constant-time equality, for the few places a hash is compared in memory.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A freshly minted secret: the clear text to show once, and the hash to store.
pub struct MintedSecret {
    pub secret: String,
    pub hash: TokenHash,
}

impl fmt::Debug for MintedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MintedSecret(..)")
    }
}

pub const SESSION_TOKEN_PREFIX: &str = "dft_";
pub const API_TOKEN_PREFIX: &str = "slc_";

fn mint(prefix: &str) -> MintedSecret {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    let secret = format!("{prefix}{}", BASE64URL_NOPAD.encode(&bytes));
    MintedSecret {
        hash: TokenHash::of(&secret),
        secret,
    }
}

/// `dft_` + base64url(32 random bytes): 47 characters.
pub fn mint_session_token() -> MintedSecret {
    mint(SESSION_TOKEN_PREFIX)
}

/// `slc_` + base64url(32 random bytes).
pub fn mint_api_token() -> MintedSecret {
    mint(API_TOKEN_PREFIX)
}

/// The first 8 characters after `slc_`: stored in clear so that operators and logs can name
/// a token without revealing it.
pub fn api_token_prefix(token: &str) -> Option<&str> {
    token
        .strip_prefix(API_TOKEN_PREFIX)
        .and_then(|rest| rest.get(..8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_have_the_spec_format() {
        let t = mint_session_token();
        assert_eq!(t.secret.len(), 47);
        assert!(t.secret.starts_with("dft_"));
        let body = &t.secret[4..];
        assert_eq!(BASE64URL_NOPAD.decode(body.as_bytes()).unwrap().len(), 32);
        assert_eq!(t.hash, TokenHash::of(&t.secret));
        assert_ne!(t.secret, mint_session_token().secret);
    }

    #[test]
    fn api_token_prefix_is_eight_characters() {
        let t = mint_api_token();
        assert_eq!(api_token_prefix(&t.secret).unwrap(), &t.secret[4..12]);
        assert_eq!(api_token_prefix("dft_abcdefghijkl"), None);
        assert_eq!(api_token_prefix("slc_abc"), None);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let t = mint_api_token();
        assert!(!format!("{t:?} {:?}", t.hash).contains(&t.secret[4..12]));
    }
}
