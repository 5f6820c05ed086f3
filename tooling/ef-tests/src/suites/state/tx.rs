//! Builds a post entry's transaction from the fixture's template and signs it with the
//! template's `secretKey`, for fixtures that carry no `txbytes`.
//!
//! The type follows the template's fields, as the fillers choose it: an authorization list makes
//! an EIP-7702 transaction, blob hashes an EIP-4844 one, `maxFeePerGas` an EIP-1559 one, an
//! access list for the chosen data an EIP-2930 one, anything else a legacy one. Legacy
//! transactions are signed without a chain id (`v` = 27/28), as the legacy fixtures are.

use alloy_eips::eip7702::{self, SignedAuthorization};
use alloy_primitives::{Address, TxKind, U256};
use ethrex_common::types::{BlobFields, Transaction, TxFees, TxFields};

use super::fixture::{Authorization, Indexes, TxTemplate};
use crate::fixtures::quantity_u64;

/// The transaction the template makes at `indexes`, signed.
pub fn build(
    template: &TxTemplate,
    indexes: Indexes,
    chain_id: u64,
) -> Result<Transaction, String> {
    let data = pick(&template.data, indexes.data, "data")?.clone();
    let gas_limit = pick(&template.gas_limit, indexes.gas, "gasLimit")?;
    let gas_limit = quantity_u64(gas_limit).map_err(|e| e.to_string())?;
    let value = pick(&template.value, indexes.value, "value")?;
    let value = value
        .parse::<U256>()
        .map_err(|e| format!("bad value {value:?}: {e}"))?;
    let to = if template.to.is_empty() {
        TxKind::Create
    } else {
        let address = template
            .to
            .parse::<Address>()
            .map_err(|e| format!("bad to {:?}: {e}", template.to))?;
        TxKind::Call(address)
    };
    let fees = match template.max_fee_per_gas {
        Some(max_fee_per_gas) => TxFees::Dynamic {
            max_fee_per_gas,
            max_priority_fee_per_gas: template.max_priority_fee_per_gas.unwrap_or_default(),
        },
        None => TxFees::Legacy {
            gas_price: template.gas_price.unwrap_or_default(),
        },
    };
    let authorization_list = template
        .authorization_list
        .as_ref()
        .map(|list| list.iter().map(signed_authorization).collect())
        .transpose()?;
    let fields = TxFields {
        value,
        data,
        fees,
        access_list: template
            .access_lists
            .as_ref()
            .and_then(|lists| lists.get(indexes.data).cloned().flatten()),
        blob: template
            .blob_versioned_hashes
            .clone()
            .map(|versioned_hashes| BlobFields {
                max_fee_per_blob_gas: template.max_fee_per_blob_gas.unwrap_or_default(),
                versioned_hashes,
            }),
        authorization_list,
        eip155: false,
        ..TxFields::new(chain_id, template.nonce, gas_limit, to)
    };
    fields
        .build()
        .and_then(|tx| tx.sign(&template.secret_key))
        .map_err(|e| e.to_string())
}

/// `list[index]`, or an error naming the list.
fn pick<'a, T>(list: &'a [T], index: usize, what: &str) -> Result<&'a T, String> {
    list.get(index)
        .ok_or_else(|| format!("{what} index {index} out of range ({} entries)", list.len()))
}

fn signed_authorization(auth: &Authorization) -> Result<SignedAuthorization, String> {
    let y_parity = u8::try_from(auth.y_parity)
        .map_err(|_| format!("authorization y-parity {} exceeds 8 bits", auth.y_parity))?;
    let inner = eip7702::Authorization {
        chain_id: auth.chain_id,
        address: auth.address,
        nonce: auth.nonce,
    };
    Ok(SignedAuthorization::new_unchecked(
        inner, y_parity, auth.r, auth.s,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ethrex_common::types::{TxType, decode_transaction};

    const SECRET: &str = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";

    /// A template with two data entries, the second with an access list.
    fn template(extra: &str) -> TxTemplate {
        let json = format!(
            r#"{{
                "nonce": "0x01", "gasLimit": ["0x5208", "0x10000"],
                "to": "0x095e7baea6a6c7c4c2dfeb977efac326af552d87",
                "value": ["0x00", "0x01"], "data": ["0x", "0x6001"],
                "secretKey": "{SECRET}"{extra}
            }}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn template_fields_choose_the_type_and_the_signature_recovers_the_secret_keys_address() {
        let expected_sender = ethrex_crypto::secret_to_address(&SECRET.parse().unwrap()).unwrap();
        let access_lists = r#", "accessLists": [null, [{"address": "0x000000000000000000000000000000000000ba5e", "storageKeys": ["0x0000000000000000000000000000000000000000000000000000000000000001"]}]]"#;
        let auth = r#", "authorizationList": [{"chainId": "0x01", "address": "0x0000000000000000000000000000000000000001", "nonce": "0x00", "v": "0x01", "yParity": "0x01", "r": "0x01", "s": "0x02", "signer": "0x0000000000000000000000000000000000000002"}]"#;
        let cases = [
            (r#", "gasPrice": "0x0a""#.to_string(), 0, TxType::Legacy),
            (format!(r#", "gasPrice": "0x0a"{access_lists}"#), 0, TxType::Legacy),
            (format!(r#", "gasPrice": "0x0a"{access_lists}"#), 1, TxType::Eip2930),
            (
                r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01""#.to_string(),
                0,
                TxType::Eip1559,
            ),
            (
                r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01", "maxFeePerBlobGas": "0x01", "blobVersionedHashes": ["0x0100000000000000000000000000000000000000000000000000000000000000"]"#.to_string(),
                1,
                TxType::Eip4844,
            ),
            (
                format!(r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01"{auth}"#),
                1,
                TxType::Eip7702,
            ),
        ];
        for (extra, index, ty) in cases {
            let indexes = Indexes {
                data: index,
                gas: index,
                value: index,
            };
            let tx = build(&template(&extra), indexes, 1).unwrap();
            assert_eq!(tx.tx_type(), ty, "{extra}");
            assert_eq!(tx.sender().unwrap(), expected_sender, "{ty:?}");
            assert_eq!(tx.nonce(), 1);
            assert_eq!(tx.gas_limit(), [21_000, 0x10000][index]);
            assert_eq!(tx.value(), U256::from(index));
            assert_eq!(tx.data().len(), 2 * index);
            let decoded = decode_transaction(&tx.encode_2718()).unwrap();
            assert_eq!(decoded, tx, "{ty:?} survives an encoding round trip");
        }
    }

    #[test]
    fn legacy_transactions_are_signed_without_a_chain_id() {
        let tx = build(
            &template(r#", "gasPrice": "0x0a""#),
            Indexes {
                data: 0,
                gas: 0,
                value: 0,
            },
            1,
        )
        .unwrap();
        let Transaction::Legacy(legacy) = tx else {
            panic!("not legacy")
        };
        assert!(legacy.v == 27 || legacy.v == 28, "v = {}", legacy.v);
        assert_eq!(legacy.chain_id(), None);
    }

    #[test]
    fn bad_templates_are_errors_not_panics() {
        let t = template(r#", "gasPrice": "0x0a""#);
        let err = build(
            &t,
            Indexes {
                data: 2,
                gas: 0,
                value: 0,
            },
            1,
        )
        .unwrap_err();
        assert!(err.contains("data index 2 out of range"), "{err}");
        let mut create = template(
            r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01", "blobVersionedHashes": []"#,
        );
        create.to = String::new();
        let err = build(
            &create,
            Indexes {
                data: 0,
                gas: 0,
                value: 0,
            },
            1,
        )
        .unwrap_err();
        assert!(err.contains("cannot create"), "{err}");
        let mut overflow = template(r#", "gasPrice": "0x0a""#);
        overflow.value[0] =
            "0x:bigint 0x10000000000000000000000000000000000000000000000000000000000000001".into();
        let err = build(
            &overflow,
            Indexes {
                data: 0,
                gas: 0,
                value: 0,
            },
            1,
        )
        .unwrap_err();
        assert!(err.contains("bad value"), "{err}");
    }
}
