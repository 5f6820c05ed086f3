//! The Engine API's authentication (execution-apis `authentication.md`): a 32-byte secret shared
//! with the execution client, read from a file of 64 hex digits (`0x` optional, surrounding
//! whitespace ignored), and a fresh HS256 token per request whose only claim is `iat`.

use std::{
    path::Path,
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_primitives::hex;
use jsonwebtoken::{EncodingKey, Header};

use crate::{Error, Result};

/// The shared secret of one execution client's authenticated port.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JwtSecret([u8; 32]);

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

impl JwtSecret {
    pub const fn new(bytes: [u8; 32]) -> Self {
        JwtSecret(bytes)
    }

    /// The secret in the file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let err = |reason: String| Error::Secret {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        Self::from_hex(&text).map_err(err)
    }

    /// The secret of 64 hex digits in `text` (`0x` optional).
    pub fn from_hex(text: &str) -> std::result::Result<Self, String> {
        let digits = text.trim();
        let bytes = hex::decode(digits).map_err(|e| format!("not hex: {e}"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("{} bytes, expected 32", b.len()))?;
        Ok(JwtSecret(bytes))
    }

    /// The file contents the execution clients read: `0x` and 64 hex digits.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }

    /// An HS256 token whose only claim is `iat` (seconds since the epoch).
    pub fn token(&self, iat: u64) -> Result<String> {
        #[derive(serde::Serialize)]
        struct Claims {
            iat: u64,
        }
        let key = EncodingKey::from_secret(&self.0).map_err(|e| Error::Secret {
            path: "(in memory)".into(),
            reason: e.to_string(),
        })?;
        jsonwebtoken::encode(&Header::default(), &Claims { iat }, &key).map_err(|e| Error::Secret {
            path: "(in memory)".into(),
            reason: e.to_string(),
        })
    }

    /// A token issued now.
    pub fn token_now(&self) -> Result<String> {
        self.token(now_secs())
    }
}

/// Seconds since the epoch (0 if the clock is before it).
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_parses_with_or_without_0x_and_rejects_other_lengths() {
        let hex64 = "ab".repeat(32);
        let plain = JwtSecret::from_hex(&format!("{hex64}\n")).unwrap();
        let prefixed = JwtSecret::from_hex(&format!("0x{hex64}")).unwrap();
        assert_eq!(plain, prefixed);
        assert_eq!(JwtSecret::from_hex(&plain.to_hex()).unwrap(), plain);
        assert!(JwtSecret::from_hex("abcd").unwrap_err().contains("2 bytes"));
        assert!(JwtSecret::from_hex("zz").is_err());
    }

    #[test]
    fn token_is_hs256_with_the_iat_claim() {
        let token = JwtSecret::new([7; 32]).token(1_700_000_000).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |part: &str| {
            let bytes = base64url_decode(part);
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        };
        assert_eq!(decode(parts[0])["alg"], "HS256");
        assert_eq!(
            decode(parts[1]),
            serde_json::json!({"iat": 1_700_000_000u64})
        );
    }

    /// Base64url without padding, decoded (enough for the test's JSON parts).
    fn base64url_decode(text: &str) -> Vec<u8> {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let values: Vec<u32> = text
            .bytes()
            .map(|c| ALPHABET.iter().position(|a| *a == c).unwrap() as u32)
            .collect();
        let mut out = Vec::new();
        for chunk in values.chunks(4) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, v)| n | v << (18 - 6 * i));
            for byte in 0..chunk.len() - 1 {
                out.push((n >> (16 - 8 * byte)) as u8);
            }
        }
        out
    }
}
