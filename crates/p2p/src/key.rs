//! [`NodeKey`]: the node's secp256k1 identity key, as geth keeps it — `<datadir>/nodekey`, the
//! secret key in 64 hex digits, created with owner-only permissions (0600) on first start and
//! reused afterwards; a node without a data directory (`--datadir memory`) gets a fresh random
//! key each run.
//!
//! The node id is `keccak256` of the uncompressed public key without its `0x04` prefix (64
//! bytes), as discv4 and the "v4" ENR identity scheme define it.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use alloy_primitives::{B256, B512, keccak256};
use secp256k1::{PublicKey, SECP256K1, SecretKey};

use crate::{P2pError, Result};

/// The node key's file name inside the data directory.
pub const NODE_KEY_FILE: &str = "nodekey";

/// The node's secp256k1 key pair.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NodeKey {
    secret: SecretKey,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("NodeKey")
            .field("id", &self.node_id())
            .finish_non_exhaustive()
    }
}

impl NodeKey {
    /// A fresh random key.
    pub fn random() -> Self {
        loop {
            // A random 32-byte string is a valid key unless it is zero or not below the curve
            // order: a chance of about 2^-128, so the loop ends.
            if let Ok(secret) = SecretKey::from_byte_array(rand::random::<[u8; 32]>()) {
                return Self { secret };
            }
        }
    }

    /// The key with this secret, if it is a valid secp256k1 secret key.
    pub fn from_secret(secret: B256) -> Option<Self> {
        SecretKey::from_byte_array(secret.0)
            .ok()
            .map(|secret| Self { secret })
    }

    /// The key of `<datadir>/nodekey`, created (random, mode 0600) when the file is missing.
    pub fn load_or_create(datadir: &Path) -> Result<Self> {
        let path = datadir.join(NODE_KEY_FILE);
        let io = |source| P2pError::NodeKeyIo {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).map_err(|reason| P2pError::InvalidNodeKey {
                path: path.clone(),
                reason,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(datadir).map_err(io)?;
                let key = Self::random();
                write_private(
                    &path,
                    alloy_primitives::hex::encode(key.secret.secret_bytes()),
                )
                .map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Parses 64 hex digits (an optional `0x` and surrounding whitespace allowed).
    fn parse(text: &str) -> std::result::Result<Self, String> {
        let digits = text.trim();
        let digits = digits.strip_prefix("0x").unwrap_or(digits);
        let secret: B256 = digits.parse().map_err(|e| format!("{e}"))?;
        Self::from_secret(secret).ok_or_else(|| "not a valid secp256k1 secret key".into())
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    pub(crate) fn public(&self) -> PublicKey {
        PublicKey::from_secret_key(SECP256K1, &self.secret)
    }

    /// The public key, uncompressed without its `0x04` prefix (the enode URL's user part).
    pub fn public_key(&self) -> B512 {
        let uncompressed = self.public().serialize_uncompressed();
        B512::from_slice(&uncompressed[1..])
    }

    /// The node id: `keccak256` of [`NodeKey::public_key`].
    pub fn node_id(&self) -> B256 {
        keccak256(self.public_key())
    }
}

/// Writes `contents` to a new file at `path`, readable and writable by its owner only.
fn write_private(path: &PathBuf, contents: String) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use alloy_primitives::b256;

    use super::*;

    /// EIP-778's example key and the node id its record gives.
    pub(crate) const EIP778_SECRET: B256 =
        b256!("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291");

    #[test]
    fn node_id_is_the_keccak_of_the_uncompressed_public_key() {
        let key = NodeKey::from_secret(EIP778_SECRET).unwrap();
        assert_eq!(
            key.node_id(),
            b256!("a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7")
        );
        assert_eq!(
            key.public_key().to_string(),
            "0xca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f"
        );
    }

    #[test]
    fn the_node_key_file_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let datadir = dir.path().join("data");
        let first = NodeKey::load_or_create(&datadir).unwrap();
        let path = datadir.join(NODE_KEY_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 64, "64 hex digits, no prefix, no newline");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(NodeKey::load_or_create(&datadir).unwrap(), first);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "not rewritten"
        );
        assert_ne!(NodeKey::random(), first);
    }

    #[test]
    fn a_geth_style_key_file_is_read_and_a_bad_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NODE_KEY_FILE);
        std::fs::write(
            &path,
            format!("{}\n", alloy_primitives::hex::encode(EIP778_SECRET)),
        )
        .unwrap();
        let key = NodeKey::load_or_create(dir.path()).unwrap();
        assert_eq!(key, NodeKey::from_secret(EIP778_SECRET).unwrap());
        std::fs::write(&path, "zz").unwrap();
        let error = NodeKey::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(error, P2pError::InvalidNodeKey { .. }), "{error}");
        std::fs::write(&path, "00".repeat(32)).unwrap();
        assert!(
            NodeKey::load_or_create(dir.path()).is_err(),
            "zero is not a key"
        );
    }
}
