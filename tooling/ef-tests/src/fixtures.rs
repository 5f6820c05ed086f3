//! Fixture file discovery and the value encodings fixtures use (hex strings, quantities).

use std::path::{Path, PathBuf};

/// Errors of reading and interpreting fixtures.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path} is neither a file nor a directory")]
    NotFound { path: PathBuf },
    #[error("malformed fixture: {0}")]
    Malformed(String),
}

/// Every `.json` file under `paths` (files as given, directories recursively), sorted.
pub fn collect_json_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FixtureError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut files)?;
        } else {
            return Err(FixtureError::NotFound { path: path.clone() });
        }
    }
    files.sort();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), FixtureError> {
    let io = |source| FixtureError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    Ok(())
}

/// Reads and parses a JSON fixture file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, FixtureError> {
    let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| FixtureError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Decodes a `0x`-prefixed (or bare) hex string.
pub fn hex_bytes(s: &str) -> Result<Vec<u8>, FixtureError> {
    alloy_primitives::hex::decode(s)
        .map_err(|e| FixtureError::Malformed(format!("bad hex {s:?}: {e}")))
}

/// A trie-test key or value: `0x`-prefixed strings are hex, others are the UTF-8 bytes.
pub fn hex_or_utf8(s: &str) -> Result<Vec<u8>, FixtureError> {
    if s.starts_with("0x") {
        hex_bytes(s)
    } else {
        Ok(s.as_bytes().to_vec())
    }
}

/// Parses a quantity (`0x` hex) that fits in 64 bits.
pub fn quantity_u64(s: &str) -> Result<u64, FixtureError> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    u64::from_str_radix(if digits.is_empty() { "0" } else { digits }, 16)
        .map_err(|e| FixtureError::Malformed(format!("bad quantity {s:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_encodings() {
        assert_eq!(hex_or_utf8("0x0102").unwrap(), vec![1, 2]);
        assert_eq!(hex_or_utf8("do").unwrap(), b"do".to_vec());
        assert_eq!(quantity_u64("0x5208").unwrap(), 21_000);
        assert_eq!(quantity_u64("0x").unwrap(), 0);
        assert!(hex_bytes("0xzz").is_err());
        assert!(quantity_u64("0x1ffffffffffffffff").is_err());
    }

    #[test]
    fn missing_path_is_an_error() {
        let err = collect_json_files(&[PathBuf::from("/nonexistent/fixtures")]).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/fixtures"), "{err}");
    }
}
