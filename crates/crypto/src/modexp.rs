//! Big-integer modular exponentiation, the primitive of the MODEXP precompile (EIP-198), on top
//! of `aurora-engine-modexp`.
//!
//! Numbers are unsigned big-endian byte strings of any length. The result always has exactly the
//! modulus's length (left-padded with zeros), and a zero modulus gives all zeros, as EIP-198
//! specifies. Pricing and the input size limits (EIP-2565, EIP-7823, EIP-7883) are the VM's
//! business: this function computes whatever it is given, in time that grows with the length of
//! the exponent and the square of the length of the modulus.

/// `base ^ exponent mod modulus`, encoded on `modulus.len()` bytes; zeros if `modulus` is zero.
pub fn modexp(base: &[u8], exponent: &[u8], modulus: &[u8]) -> Vec<u8> {
    let mut output = vec![0u8; modulus.len()];
    let significant_modulus = strip_leading_zeros(modulus);
    if significant_modulus.is_empty() {
        return output;
    }
    let result = aurora_engine_modexp::modexp(
        strip_leading_zeros(base),
        strip_leading_zeros(exponent),
        significant_modulus,
    );
    // The result is below the modulus, so its significant bytes fit in `modulus.len()`.
    let result = strip_leading_zeros(&result);
    let len = result.len().min(output.len());
    let out_start = output.len().saturating_sub(len);
    let result_start = result.len().saturating_sub(len);
    if let (Some(dst), Some(src)) = (output.get_mut(out_start..), result.get(result_start..)) {
        dst.copy_from_slice(src);
    }
    output
}

/// `bytes` without its leading zero bytes (empty if all are zero).
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_numbers_match_schoolbook_results() {
        for (base, exp, modulus, expected) in [
            (&[3u8][..], &[5u8][..], &[0u8, 7][..], vec![0u8, 5]), // 243 mod 7 = 5
            (&[2], &[10], &[0x03, 0xe8], vec![0x00, 0x18]),        // 1024 mod 1000 = 24
            (&[], &[], &[5], vec![1]),                             // 0^0 = 1 by convention
            (&[9], &[], &[1], vec![0]),                            // anything mod 1 = 0
            (&[0, 0, 2], &[0, 3], &[0, 0, 0, 0, 9], vec![0, 0, 0, 0, 8]),
        ] {
            assert_eq!(
                modexp(base, exp, modulus),
                expected,
                "{base:?}^{exp:?} mod {modulus:?}"
            );
        }
    }

    #[test]
    fn zero_modulus_gives_zeros_of_its_length() {
        assert_eq!(modexp(&[2], &[3], &[0, 0, 0]), vec![0, 0, 0]);
        assert_eq!(modexp(&[2], &[3], &[]), Vec::<u8>::new());
    }

    #[test]
    fn fermat_little_theorem_holds_for_a_large_prime() {
        // 2^255 - 19 is prime, so a^(p-1) = 1 mod p.
        let mut p = [0xffu8; 32];
        p[0] = 0x7f;
        p[31] = 0xed;
        let mut p_minus_1 = p;
        p_minus_1[31] = 0xec;
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(modexp(&[0x12, 0x34], &p_minus_1, &p), one.to_vec());
    }
}
