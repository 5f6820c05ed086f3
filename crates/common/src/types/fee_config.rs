//! [`FeeConfig`]: the rollup's fee parameters for one L2 block — where the base fee, the
//! operator fee and the L1 data fee go, and their rates. The sequencer records one per block,
//! the batch blob carries them (so anyone can re-execute the batch), and the L2 transaction
//! hook applies them.
//!
//! Encoding (ours): `rlp([base_fee_vault, operator_fee_vault, operator_fee_per_gas,
//! l1_fee_vault, l1_fee_per_blob_gas])`, an absent vault being the empty string. Decoding is
//! strict: a vault is empty or exactly 20 bytes, integers are canonical, nothing trails.

use alloy_primitives::Address;
use alloy_rlp::{Decodable, Encodable, Header};

/// The fee parameters of one L2 block. `Default` is an L1-like block: base fee burned, no
/// operator fee, no L1 fee.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FeeConfig {
    /// Receives `base_fee × execution gas`; `None` burns it, as on L1.
    pub base_fee_vault: Option<Address>,
    /// Receives `operator_fee_per_gas × execution gas`; `None` means no operator fee is charged.
    pub operator_fee_vault: Option<Address>,
    /// Wei per gas for the operator, on top of the base fee (0 without an operator vault).
    pub operator_fee_per_gas: u64,
    /// Receives the L1 data fee; `None` means no L1 fee is charged.
    pub l1_fee_vault: Option<Address>,
    /// The L1 blob base fee the L1 data fee is priced at (wei per blob gas).
    pub l1_fee_per_blob_gas: u64,
}

impl FeeConfig {
    /// The operator fee per gas actually charged: 0 without an operator vault.
    pub fn operator_fee(&self) -> u64 {
        if self.operator_fee_vault.is_some() {
            self.operator_fee_per_gas
        } else {
            0
        }
    }

    fn payload_length(&self) -> usize {
        vault_length(&self.base_fee_vault)
            + vault_length(&self.operator_fee_vault)
            + self.operator_fee_per_gas.length()
            + vault_length(&self.l1_fee_vault)
            + self.l1_fee_per_blob_gas.length()
    }
}

fn vault_length(vault: &Option<Address>) -> usize {
    vault.as_ref().map_or(1, Encodable::length)
}

fn encode_vault(vault: &Option<Address>, out: &mut dyn alloy_rlp::BufMut) {
    match vault {
        Some(address) => address.encode(out),
        None => out.put_u8(alloy_rlp::EMPTY_STRING_CODE),
    }
}

fn decode_vault(buf: &mut &[u8]) -> alloy_rlp::Result<Option<Address>> {
    let bytes = Header::decode_bytes(buf, false)?;
    match bytes.len() {
        0 => Ok(None),
        20 => Ok(Some(Address::from_slice(bytes))),
        _ => Err(alloy_rlp::Error::Custom(
            "fee vault must be empty or 20 bytes",
        )),
    }
}

impl Encodable for FeeConfig {
    fn encode(&self, out: &mut dyn alloy_rlp::BufMut) {
        Header {
            list: true,
            payload_length: self.payload_length(),
        }
        .encode(out);
        encode_vault(&self.base_fee_vault, out);
        encode_vault(&self.operator_fee_vault, out);
        self.operator_fee_per_gas.encode(out);
        encode_vault(&self.l1_fee_vault, out);
        self.l1_fee_per_blob_gas.encode(out);
    }

    fn length(&self) -> usize {
        let payload_length = self.payload_length();
        payload_length + alloy_rlp::length_of_length(payload_length)
    }
}

impl Decodable for FeeConfig {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        let header = Header::decode(buf)?;
        if !header.list {
            return Err(alloy_rlp::Error::UnexpectedString);
        }
        let mut body = buf
            .get(..header.payload_length)
            .ok_or(alloy_rlp::Error::InputTooShort)?;
        *buf = &buf[header.payload_length..];
        let config = FeeConfig {
            base_fee_vault: decode_vault(&mut body)?,
            operator_fee_vault: decode_vault(&mut body)?,
            operator_fee_per_gas: u64::decode(&mut body)?,
            l1_fee_vault: decode_vault(&mut body)?,
            l1_fee_per_blob_gas: u64::decode(&mut body)?,
        };
        if !body.is_empty() {
            return Err(alloy_rlp::Error::Custom("fee config has extra fields"));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, hex};

    #[test]
    fn encodes_absent_vaults_as_empty_strings() {
        let config = FeeConfig::default();
        // rlp([0x80, 0x80, 0, 0x80, 0]): five one-byte items.
        assert_eq!(alloy_rlp::encode(config), hex!("c58080808080"));
        assert_eq!(
            FeeConfig::decode(&mut &hex!("c58080808080")[..]),
            Ok(config)
        );
    }

    #[test]
    fn round_trips_a_full_config() {
        let config = FeeConfig {
            base_fee_vault: Some(address!("0x000000000000000000000000000000000000000b")),
            operator_fee_vault: Some(address!("0x000000000000000000000000000000000000000c")),
            operator_fee_per_gas: 1_000_000_000,
            l1_fee_vault: Some(address!("0x000000000000000000000000000000000000000d")),
            l1_fee_per_blob_gas: 7,
        };
        let bytes = alloy_rlp::encode(config);
        // list header + 3 × (0x94 + 20 bytes) + (0x84 + 4 bytes) + one byte.
        assert_eq!(bytes.len(), 2 + 3 * 21 + 5 + 1);
        assert_eq!(bytes.len(), config.length());
        assert_eq!(FeeConfig::decode(&mut bytes.as_slice()), Ok(config));
        assert_eq!(config.operator_fee(), 1_000_000_000);
    }

    #[test]
    fn no_operator_vault_means_no_operator_fee() {
        let config = FeeConfig {
            operator_fee_per_gas: 5,
            ..FeeConfig::default()
        };
        assert_eq!(config.operator_fee(), 0);
    }

    #[test]
    fn rejects_malformed_encodings() {
        // A 19-byte vault.
        let mut bad = vec![0xc0 + 24, 0x93];
        bad.extend_from_slice(&[1; 19]);
        bad.extend_from_slice(&[0x80, 0x80, 0x80, 0x80]);
        assert!(FeeConfig::decode(&mut bad.as_slice()).is_err());
        // Four fields, six fields, a string instead of a list.
        assert!(FeeConfig::decode(&mut &hex!("c480808080")[..]).is_err());
        assert!(FeeConfig::decode(&mut &hex!("c6808080808080")[..]).is_err());
        assert!(FeeConfig::decode(&mut &hex!("8180")[..]).is_err());
        // A non-canonical integer (leading zero).
        assert!(FeeConfig::decode(&mut &hex!("c780808200018080")[..]).is_err());
    }
}
