//! Initcodes for `CREATE`/`CREATE2` and creation transactions: code that deploys a small random
//! runtime (or one that self-destructs, or a 0xEF-prefixed one that EIP-3541 rejects), code that
//! reverts, returns an oversized body (EIP-170), self-destructs while being created, or is itself
//! a random program whose return data becomes the code.

use alloy_primitives::Address;
use ethrex_vm::opcode::{ADDRESS, CODECOPY, PUSH1, PUSH2, PUSH20, RETURN, REVERT, SELFDESTRUCT};
use rand::{Rng, rngs::StdRng};

use super::{Env, Profile, generate};

/// `PUSH2 len PUSH2 start PUSH1 0 CODECOPY PUSH2 len PUSH1 0 RETURN`: copies the code after it
/// into memory and returns it. Its length is [`DEPLOY_PREFIX_LEN`].
fn deploy(runtime: &[u8]) -> Vec<u8> {
    let len = u16::try_from(runtime.len())
        .unwrap_or(u16::MAX)
        .to_be_bytes();
    let start = u8::try_from(DEPLOY_PREFIX_LEN).unwrap_or(0);
    #[rustfmt::skip]
    let mut code = vec![
        PUSH2, len[0], len[1],
        PUSH2, 0, start,
        PUSH1, 0,
        CODECOPY,
        PUSH2, len[0], len[1],
        PUSH1, 0,
        RETURN,
    ];
    code.extend_from_slice(runtime);
    code
}

const DEPLOY_PREFIX_LEN: usize = 15;

/// `PUSH20 beneficiary SELFDESTRUCT`.
pub fn self_destruct(beneficiary: Address) -> Vec<u8> {
    let mut code = vec![PUSH20];
    code.extend_from_slice(beneficiary.as_slice());
    code.push(SELFDESTRUCT);
    code
}

/// An initcode for `env`.
pub fn initcode(rng: &mut StdRng, env: &Env) -> Vec<u8> {
    let tiny = Profile {
        snippets: 1..8,
        nested: false,
        recursive: false,
    };
    match rng.random_range(0..20) {
        0..=6 => deploy(&generate(rng, env, &tiny)),
        7 => deploy(&self_destruct(super::values::pick(rng, &env.addresses))),
        // ADDRESS SELFDESTRUCT: to itself (EIP-6780 burns the balance of a new contract).
        8 => deploy(&[ADDRESS, SELFDESTRUCT]),
        9 => deploy(&[]),
        10 => {
            let mut runtime = vec![0xef];
            runtime.extend(generate(rng, env, &tiny));
            deploy(&runtime)
        }
        // PUSH1 len PUSH1 0 REVERT
        11 => vec![PUSH1, rng.random_range(0..40), PUSH1, 0, REVERT],
        12 => {
            // PUSH2 size PUSH1 0 RETURN: a body at or just over the EIP-170 limit.
            let size: u16 = if rng.random_bool(0.5) { 0x6000 } else { 0x6001 };
            let [hi, lo] = size.to_be_bytes();
            vec![PUSH2, hi, lo, PUSH1, 0, RETURN]
        }
        13 if rng.random_bool(0.5) => vec![ADDRESS, SELFDESTRUCT],
        13 => self_destruct(super::values::pick(rng, &env.addresses)),
        _ => generate(rng, env, &tiny),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_prefix_has_the_declared_length() {
        assert_eq!(deploy(&[]).len(), DEPLOY_PREFIX_LEN);
        assert_eq!(&deploy(&[0xaa])[DEPLOY_PREFIX_LEN..], &[0xaa]);
    }
}
