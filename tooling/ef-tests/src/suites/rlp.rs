//! RLPTests: `rlptest.json` (encode `in`, compare with `out`, decode `out` back to `in`),
//! `invalidRLPTest.json` (`in: "INVALID"`: decoding `out` must fail) and the random tests
//! (`in: "VALID"`: decoding `out` must succeed).
//!
//! Decoding is strict, through `alloy_rlp::Header`: canonical lengths, no leading zeros, single
//! bytes below 0x80 not wrapped, payloads within the input, nothing left over.

use std::{collections::BTreeMap, path::Path};

use alloy_rlp::{Encodable, Header};
use serde::Deserialize;
use serde_json::Value;

use crate::{
    fixtures::{FixtureError, hex_bytes, read_json},
    report::{NO_FORK, Report},
};

#[derive(Debug, Deserialize)]
struct Case {
    #[serde(rename = "in")]
    input: Value,
    out: String,
}

/// A decoded RLP item.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    Bytes(Vec<u8>),
    List(Vec<Item>),
}

pub fn run_file(path: &Path, report: &mut Report) -> Result<(), FixtureError> {
    let cases: BTreeMap<String, Case> = read_json(path)?;
    for (name, case) in cases {
        let id = format!("{}::{name}", path.display());
        report.record(NO_FORK, &id, run_case(&case));
    }
    Ok(())
}

fn run_case(case: &Case) -> Result<(), String> {
    let out = hex_bytes(&case.out).map_err(|e| e.to_string())?;
    match &case.input {
        Value::String(s) if s == "INVALID" => match decode_all(&out) {
            Ok(item) => Err(format!("decoded invalid input to {item:?}")),
            Err(_) => Ok(()),
        },
        Value::String(s) if s == "VALID" => decode_all(&out)
            .map(|_| ())
            .map_err(|e| format!("rejected valid input: {e}")),
        input => {
            let expected = to_item(input)?;
            let encoded = encode(&expected);
            if encoded != out {
                return Err(format!(
                    "encoding: expected 0x{}, got 0x{}",
                    alloy_primitives::hex::encode(&out),
                    alloy_primitives::hex::encode(&encoded)
                ));
            }
            let decoded = decode_all(&out).map_err(|e| format!("decoding failed: {e}"))?;
            if decoded != expected {
                return Err(format!("decoding: expected {expected:?}, got {decoded:?}"));
            }
            Ok(())
        }
    }
}

/// The item a fixture's `in` value denotes: strings are their bytes (`#digits` a big integer),
/// numbers are integers without leading zeros, arrays are lists.
fn to_item(value: &Value) -> Result<Item, String> {
    match value {
        Value::String(s) => match s.strip_prefix('#') {
            Some(digits) => Ok(Item::Bytes(decimal_to_be_bytes(digits)?)),
            None => Ok(Item::Bytes(s.as_bytes().to_vec())),
        },
        Value::Number(n) => {
            let n = n
                .as_u64()
                .ok_or_else(|| format!("unsupported number {n}"))?;
            let bytes = n.to_be_bytes();
            let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
            Ok(Item::Bytes(bytes[first..].to_vec()))
        }
        Value::Array(items) => items
            .iter()
            .map(to_item)
            .collect::<Result<_, _>>()
            .map(Item::List),
        other => Err(format!("unsupported input {other}")),
    }
}

/// Big-endian bytes, without leading zeros, of a decimal number of any size.
fn decimal_to_be_bytes(digits: &str) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::new(); // little-endian base-256 digits
    for c in digits.chars() {
        let mut carry = c
            .to_digit(10)
            .ok_or_else(|| format!("bad decimal {digits:?}"))?;
        for byte in out.iter_mut() {
            let v = u32::from(*byte) * 10 + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            out.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    out.reverse();
    Ok(out)
}

fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::new();
    match item {
        Item::Bytes(bytes) => bytes.as_slice().encode(&mut out),
        Item::List(items) => {
            let payload: Vec<u8> = items.iter().flat_map(encode).collect();
            Header {
                list: true,
                payload_length: payload.len(),
            }
            .encode(&mut out);
            out.extend_from_slice(&payload);
        }
    }
    out
}

/// Decodes exactly one item spanning all of `bytes`.
fn decode_all(bytes: &[u8]) -> Result<Item, alloy_rlp::Error> {
    let mut buf = bytes;
    let item = decode(&mut buf)?;
    if !buf.is_empty() {
        return Err(alloy_rlp::Error::Custom("trailing bytes"));
    }
    Ok(item)
}

fn decode(buf: &mut &[u8]) -> Result<Item, alloy_rlp::Error> {
    let header = Header::decode(buf)?;
    if header.payload_length > buf.len() {
        return Err(alloy_rlp::Error::InputTooShort);
    }
    let (mut payload, rest) = buf.split_at(header.payload_length);
    *buf = rest;
    if !header.list {
        return Ok(Item::Bytes(payload.to_vec()));
    }
    let mut items = Vec::new();
    while !payload.is_empty() {
        items.push(decode(&mut payload)?);
    }
    Ok(Item::List(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_decimal_converts_to_bytes() {
        assert_eq!(decimal_to_be_bytes("0").unwrap(), Vec::<u8>::new());
        assert_eq!(decimal_to_be_bytes("256").unwrap(), vec![1, 0]);
        let two_pow_256 =
            "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        let mut expected = vec![1u8];
        expected.extend([0u8; 32]);
        assert_eq!(decimal_to_be_bytes(two_pow_256).unwrap(), expected);
    }

    #[test]
    fn non_canonical_and_truncated_inputs_are_rejected() {
        for bad in [
            &[0x81, 0x05][..],
            &[0xb8, 0x02, 0x61, 0x62],
            &[0x83, 0x61],
            &[0xc2, 0x80],
            &[0x80, 0x80],
        ] {
            assert!(decode_all(bad).is_err(), "{bad:02x?}");
        }
        assert_eq!(
            decode_all(&[0xc2, 0x80, 0x01]).unwrap(),
            Item::List(vec![Item::Bytes(vec![]), Item::Bytes(vec![1])])
        );
    }
}
