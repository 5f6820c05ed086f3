//! Engine API tokens: [`JwtSecret::check_authorization`] checks an `Authorization: Bearer
//! <token>` header, [`JwtSecret::validate`] a token, [`JwtSecret::token`] mints one (for tests
//! and tools). The checks run in order — header algorithm, signature, `iat` — and the first
//! failure is the error (see the parent module for the rules).
//!
//! The header's `alg` is read here, before `jsonwebtoken` sees the token: `jsonwebtoken` cannot
//! parse `none`, and naming the refused algorithm makes the 401 useful. `jsonwebtoken` then
//! verifies the HMAC with its own `exp`/`nbf`/`aud` checks and required claims switched off (the
//! spec requires `iat` only, which is checked here against an explicit `now`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::Deserialize;
use serde_json::Value;

use super::{JwtError, JwtSecret};

/// How far `iat` may lie from the current time, in seconds, either way.
pub const IAT_WINDOW_SECS: u64 = 60;

/// The current Unix time in seconds (0 if the clock is before 1970).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The claims read from a token; the others are ignored.
#[derive(Deserialize)]
struct Claims {
    iat: Option<u64>,
}

impl JwtSecret {
    /// Checks the value of an `Authorization` header (`None`: no header) at time `now` (Unix
    /// seconds): it must be `Bearer <token>` with a valid token.
    pub fn check_authorization(&self, header: Option<&str>, now: u64) -> Result<(), JwtError> {
        let token = header
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or(JwtError::MissingToken)?;
        self.validate(token, now)
    }

    /// Validates `token` at time `now` (Unix seconds).
    pub fn validate(&self, token: &str, now: u64) -> Result<(), JwtError> {
        let algorithm = header_algorithm(token)?;
        if algorithm != "HS256" {
            return Err(JwtError::Algorithm(algorithm));
        }
        let key = DecodingKey::from_secret(self.as_bytes())
            .map_err(|e| JwtError::MalformedToken(e.to_string()))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => JwtError::Signature,
                _ => JwtError::MalformedToken(e.to_string()),
            })?
            .claims;
        let iat = claims.iat.ok_or(JwtError::MissingIat)?;
        match (iat.checked_sub(now), now.checked_sub(iat)) {
            (Some(ahead), _) if ahead > IAT_WINDOW_SECS => Err(JwtError::IatDrift {
                seconds: ahead,
                when: "future",
            }),
            (_, Some(behind)) if behind > IAT_WINDOW_SECS => Err(JwtError::IatDrift {
                seconds: behind,
                when: "past",
            }),
            _ => Ok(()),
        }
    }

    /// A token signed with this secret (HS256) whose only claim is `iat`.
    pub fn token(&self, iat: u64) -> Result<String, JwtError> {
        let key = EncodingKey::from_secret(self.as_bytes())
            .map_err(|e| JwtError::Signing(e.to_string()))?;
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({ "iat": iat }),
            &key,
        )
        .map_err(|e| JwtError::Signing(e.to_string()))
    }
}

/// The `alg` of `token`'s header.
fn header_algorithm(token: &str) -> Result<String, JwtError> {
    let malformed = |what: &str| JwtError::MalformedToken(what.to_string());
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("expected three dot-separated parts"));
    };
    let header = base64url_decode(header).ok_or_else(|| malformed("header is not base64url"))?;
    let header: Value =
        serde_json::from_slice(&header).map_err(|_| malformed("header is not JSON"))?;
    header
        .get("alg")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| malformed("header has no alg"))
}

/// Decodes unpadded (or padded) base64url text; `None` if it is not.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    // A lone trailing character (6 bits) cannot end a valid encoding.
    (count < 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: u64 = 1_700_000_000;

    fn secret() -> JwtSecret {
        JwtSecret::from_bytes([7; 32])
    }

    /// A token over `claims` signed with `key` under `algorithm`.
    fn signed(algorithm: Algorithm, key: &[u8], claims: Value) -> String {
        let key = EncodingKey::from_secret(key).unwrap();
        jsonwebtoken::encode(&Header::new(algorithm), &claims, &key).unwrap()
    }

    fn hs256(claims: Value) -> String {
        signed(Algorithm::HS256, secret().as_bytes(), claims)
    }

    fn base64url(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn hive_auth_cases() {
        let secret = secret();
        let short_key = [7u8; 31];
        let long_key = [7u8; 33];
        let with_key = |key: &[u8]| signed(Algorithm::HS256, key, json!({ "iat": NOW }));
        let at = |iat: u64| hs256(json!({ "iat": iat }));
        let cases: [(&str, String, Option<&str>); 7] = [
            ("valid token, iat now", at(NOW), None),
            (
                "shorter key",
                with_key(&short_key),
                Some("signature mismatch"),
            ),
            (
                "longer key",
                with_key(&long_key),
                Some("signature mismatch"),
            ),
            ("iat 50 s in the past", at(NOW - 50), None),
            ("iat 50 s in the future", at(NOW + 50), None),
            (
                "iat 70 s in the past",
                at(NOW - 70),
                Some("iat 70 s in the past: outside ±60 s"),
            ),
            (
                "iat 70 s in the future",
                at(NOW + 70),
                Some("iat 70 s in the future: outside ±60 s"),
            ),
        ];
        for (name, token, expected) in cases {
            let got = secret.validate(&token, NOW).map_err(|e| e.to_string());
            match expected {
                None => assert_eq!(got, Ok(()), "{name}"),
                Some(message) => assert_eq!(got, Err(message.to_string()), "{name}"),
            }
        }
    }

    #[test]
    fn the_window_edges_are_inclusive() {
        let secret = secret();
        for iat in [NOW - 60, NOW + 60] {
            assert!(secret.validate(&hs256(json!({ "iat": iat })), NOW).is_ok());
        }
        for iat in [NOW - 61, NOW + 61] {
            let err = secret.validate(&hs256(json!({ "iat": iat })), NOW);
            assert!(
                matches!(err, Err(JwtError::IatDrift { seconds: 61, .. })),
                "{err:?}"
            );
        }
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = base64url(json!({ "iat": NOW }).to_string().as_bytes());
        for token in [
            format!("{header}.{claims}."),
            format!("{header}.{claims}.c2ln"),
        ] {
            let err = secret().validate(&token, NOW).unwrap_err();
            assert_eq!(
                err.to_string(),
                "algorithm none is not accepted (only HS256)"
            );
        }
    }

    #[test]
    fn other_hmac_algorithms_are_refused_even_with_the_right_secret() {
        for (algorithm, name) in [(Algorithm::HS384, "HS384"), (Algorithm::HS512, "HS512")] {
            let token = signed(algorithm, secret().as_bytes(), json!({ "iat": NOW }));
            let err = secret().validate(&token, NOW).unwrap_err();
            assert!(
                matches!(&err, JwtError::Algorithm(a) if a == name),
                "{err:?}"
            );
        }
    }

    #[test]
    fn iat_is_required_and_other_claims_are_ignored() {
        let no_iat = hs256(json!({ "id": "cl-1", "clv": "lighthouse/v8" }));
        let err = secret().validate(&no_iat, NOW).unwrap_err();
        assert!(matches!(err, JwtError::MissingIat), "{err:?}");
        // `exp` in the past is not checked: the spec does not use it.
        let extra = hs256(json!({ "iat": NOW, "id": "cl-1", "clv": "v1", "exp": NOW - 3600 }));
        assert!(secret().validate(&extra, NOW).is_ok());
    }

    #[test]
    fn garbage_and_tampered_tokens_are_refused() {
        let valid = hs256(json!({ "iat": NOW }));
        let tampered = {
            let (rest, _) = valid.rsplit_once('.').unwrap();
            let (header, _) = rest.split_once('.').unwrap();
            let claims = base64url(json!({ "iat": NOW + 1 }).to_string().as_bytes());
            let signature = valid.rsplit('.').next().unwrap();
            format!("{header}.{claims}.{signature}")
        };
        let err = secret().validate(&tampered, NOW).unwrap_err();
        assert!(matches!(err, JwtError::Signature), "{err:?}");
        for garbage in [
            "",
            "garbage",
            "a.b",
            "a.b.c.d",
            "!!!.e30.",
            "bm90IGpzb24.e30.c2ln",
        ] {
            let err = secret().validate(garbage, NOW).unwrap_err();
            assert!(
                matches!(err, JwtError::MalformedToken(_)),
                "{garbage:?}: {err:?}"
            );
        }
    }

    #[test]
    fn the_authorization_header_must_carry_a_bearer_token() {
        let secret = secret();
        let token = hs256(json!({ "iat": NOW }));
        assert!(
            secret
                .check_authorization(Some(&format!("Bearer {token}")), NOW)
                .is_ok()
        );
        assert!(
            secret
                .check_authorization(Some(&format!("bearer  {token} ")), NOW)
                .is_ok()
        );
        for header in [None, Some(""), Some("Bearer "), Some(token.as_str())] {
            let err = secret.check_authorization(header, NOW).unwrap_err();
            assert_eq!(err.to_string(), "missing bearer token", "{header:?}");
        }
        let basic = secret.check_authorization(Some(&format!("Basic {token}")), NOW);
        assert!(matches!(basic, Err(JwtError::MissingToken)), "{basic:?}");
    }

    #[test]
    fn minted_tokens_validate_and_the_decoder_reads_what_the_encoder_writes() {
        let token = secret().token(NOW).unwrap();
        assert!(secret().validate(&token, NOW).is_ok());
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base64url_decode(&base64url(&bytes)), Some(bytes));
        }
        assert_eq!(base64url_decode("A"), None, "6 bits cannot end an encoding");
    }
}
