//! [`JwtSecret`]: the 32-byte key shared with the consensus client, kept as geth and the
//! consensus clients keep it — a file of 64 hex digits, `0x` optional, surrounding whitespace
//! (a trailing newline) ignored. [`JwtSecret::load_or_create`] creates a missing file (random
//! key, owner-only permissions 0600, parent directories created) and refuses a file it cannot
//! read or whose contents are not such a key, naming the file.

use std::{io::Write, path::Path};

use super::JwtError;

/// The HS256 key of the Engine API.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSecret([u8; 32]);

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.write_str("JwtSecret(..)")
    }
}

/// Where [`JwtSecret::load_or_create`] got the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOrigin {
    /// Read from the existing file.
    Read,
    /// Generated and written to the file, which did not exist.
    Generated,
}

impl JwtSecret {
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A fresh random secret.
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// The secret as the file holds it: 64 lowercase hex digits, `0x`-prefixed (as geth writes
    /// it).
    pub fn to_hex(&self) -> String {
        format!("0x{}", alloy_primitives::hex::encode(self.0))
    }

    /// Parses the file contents `text` (64 hex digits, `0x` and surrounding whitespace
    /// allowed); the error is the reason, without the file name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits = text.trim();
        let digits = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
            .unwrap_or(digits);
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!("{bad:?} is not a hex digit"));
        }
        let bytes = alloy_primitives::hex::decode(digits).map_err(|e| e.to_string())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("{} hex digits", digits.len()))?;
        Ok(Self(bytes))
    }

    /// The secret in the file at `path`.
    pub fn load(path: &Path) -> Result<Self, JwtError> {
        let text = std::fs::read_to_string(path).map_err(|source| JwtError::SecretIo {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|reason| JwtError::InvalidSecret {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// The secret in the file at `path`; when there is no such file, a random secret written
    /// there (see the module docs).
    pub fn load_or_create(path: &Path) -> Result<(Self, SecretOrigin), JwtError> {
        match Self::load(path) {
            Err(JwtError::SecretIo { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                let secret = Self::random();
                write_private(path, &secret.to_hex()).map_err(|source| JwtError::SecretIo {
                    path: path.to_path_buf(),
                    source,
                })?;
                Ok((secret, SecretOrigin::Generated))
            }
            loaded => loaded.map(|secret| (secret, SecretOrigin::Read)),
        }
    }
}

/// Writes `contents` to a new file at `path` (creating its parent directories), readable and
/// writable by its owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn expected() -> JwtSecret {
        JwtSecret::from_bytes(std::array::from_fn(|i| i as u8))
    }

    #[test]
    fn a_missing_file_is_created_owner_only_and_reloads_to_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("dir").join("jwt.hex");
        let (secret, origin) = JwtSecret::load_or_create(&path).unwrap();
        assert_eq!(origin, SecretOrigin::Generated);
        let text = std::fs::read_to_string(&path).unwrap();
        let digits = text.trim().strip_prefix("0x").unwrap();
        assert_eq!(digits.len(), 64, "{text:?}");
        assert!(digits.chars().all(|c| c.is_ascii_hexdigit()), "{text:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        }
        let (again, origin) = JwtSecret::load_or_create(&path).unwrap();
        assert_eq!(origin, SecretOrigin::Read);
        assert_eq!(again, secret);
        assert_ne!(JwtSecret::random(), secret, "a fresh key each time");
    }

    #[test]
    fn prefixed_and_bare_hex_with_surrounding_whitespace_are_read() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            HEX.to_string(),
            format!("0x{HEX}"),
            format!("  0x{HEX}\n"),
            format!("{}\r\n", HEX.to_uppercase()),
        ] {
            let path = dir.path().join("jwt.hex");
            std::fs::write(&path, &text).unwrap();
            let (secret, origin) = JwtSecret::load_or_create(&path).unwrap();
            assert_eq!(
                (secret, origin),
                (expected(), SecretOrigin::Read),
                "{text:?}"
            );
        }
    }

    #[test]
    fn bad_files_are_refused_naming_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt.hex");
        let cases = [
            (format!("0x{}", &HEX[..62]), "62 hex digits"),
            (format!("{HEX}00"), "66 hex digits"),
            (String::new(), "0 hex digits"),
            (format!("{}zz", &HEX[..62]), "'z' is not a hex digit"),
            (
                format!("0x{} {}", &HEX[..32], &HEX[32..]),
                "' ' is not a hex digit",
            ),
        ];
        for (text, reason) in cases {
            std::fs::write(&path, &text).unwrap();
            let err = JwtSecret::load_or_create(&path).unwrap_err().to_string();
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(err.contains(reason), "{text:?}: {err}");
            // A bad file is never replaced.
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
    }

    #[test]
    fn an_unreadable_path_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a-directory");
        std::fs::create_dir(&path).unwrap();
        let err = JwtSecret::load_or_create(&path).unwrap_err();
        assert!(matches!(err, JwtError::SecretIo { .. }), "{err:?}");
        assert!(err.to_string().contains("a-directory"), "{err}");
    }
}
