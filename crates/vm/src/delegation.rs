//! EIP-7702 delegation designators: code `0xef0100 || address` makes an account run the code of
//! `address`.

use alloy_primitives::{Address, Bytes};

/// The designator prefix.
pub const DELEGATION_PREFIX: [u8; 3] = [0xef, 0x01, 0x00];

/// The delegate named by `code`, if `code` is a delegation designator.
pub fn delegate_of(code: &[u8]) -> Option<Address> {
    (code.len() == 23 && code[..3] == DELEGATION_PREFIX).then(|| Address::from_slice(&code[3..]))
}

/// The designator code for `address`.
pub fn designator(address: Address) -> Bytes {
    let mut code = DELEGATION_PREFIX.to_vec();
    code.extend_from_slice(address.as_slice());
    code.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designator_roundtrips() {
        let address = Address::repeat_byte(7);
        assert_eq!(delegate_of(&designator(address)), Some(address));
        assert_eq!(delegate_of(&[0xef, 0x01, 0x00]), None);
        assert_eq!(delegate_of(&[0; 23]), None);
    }
}
