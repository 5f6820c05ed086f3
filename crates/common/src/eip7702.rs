//! EIP-7702 delegation designators: code `0xef0100 || address` makes an account run the code of
//! `address`. The VM follows them, the mempool and transaction validation recognise them.

use alloy_primitives::{Address, Bytes};

/// The designator prefix.
pub const DELEGATION_PREFIX: [u8; 3] = [0xef, 0x01, 0x00];
/// The length of a designator: the prefix and a 20-byte address.
pub const DESIGNATOR_LEN: usize = DELEGATION_PREFIX.len() + 20;

/// The delegate named by `code`, if `code` is a delegation designator.
pub fn delegate_of(code: &[u8]) -> Option<Address> {
    let address = code.strip_prefix(&DELEGATION_PREFIX)?;
    (code.len() == DESIGNATOR_LEN).then(|| Address::from_slice(address))
}

/// Whether `code` starts like a designator (what EIP-3541 and EIP-7702 reserve).
pub fn is_delegation(code: &[u8]) -> bool {
    code.starts_with(&DELEGATION_PREFIX)
}

/// The designator code for `address`.
pub fn designator(address: Address) -> Bytes {
    [&DELEGATION_PREFIX[..], address.as_slice()].concat().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designator_roundtrips_and_nothing_else_is_one() {
        let address = Address::repeat_byte(7);
        let code = designator(address);
        assert_eq!(code.len(), 23);
        assert_eq!(&code[..3], &[0xef, 0x01, 0x00]);
        assert_eq!(delegate_of(&code), Some(address));
        assert_eq!(delegate_of(&[0xef, 0x01, 0x00]), None);
        assert_eq!(delegate_of(&[0; 23]), None);
        assert_eq!(delegate_of(&[&code[..], &[0]].concat()), None);
        assert!(is_delegation(&[0xef, 0x01, 0x00, 1]));
        assert!(!is_delegation(&[0xef, 0x01]));
    }
}
