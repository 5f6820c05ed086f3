// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// secp256k1 scalar multiplication in plain Solidity: double-and-add over Jacobian coordinates
/// (dbl-2009-l, madd-2007-bl), then a Fermat inversion back to affine. Big-number modular
/// arithmetic (MULMOD, ADDMOD) with heavy stack shuffling: a compute-bound workload.
contract EcMul {
    uint256 internal constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    uint256 internal constant GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798;
    uint256 internal constant GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8;

    /// `k * G`, `(k + 1) * G`, ... for `reps` scalars; returns the affine point of the last.
    function bench(uint256 k, uint256 reps) external pure returns (uint256 x, uint256 y) {
        for (uint256 i = 0; i < reps; i++) {
            (x, y) = mul(k + i);
        }
    }

    /// `k * G` in affine coordinates; (0, 0) for the point at infinity.
    function mul(uint256 k) internal pure returns (uint256, uint256) {
        (uint256 x, uint256 y, uint256 z) = (0, 1, 0);
        for (uint256 bit = 256; bit > 0; bit--) {
            (x, y, z) = dbl(x, y, z);
            if ((k >> (bit - 1)) & 1 == 1) {
                (x, y, z) = addG(x, y, z);
            }
        }
        if (z == 0) {
            return (0, 0);
        }
        uint256 zi = inv(z);
        uint256 zi2 = mulmod(zi, zi, P);
        return (mulmod(x, zi2, P), mulmod(y, mulmod(zi2, zi, P), P));
    }

    /// Doubling in Jacobian coordinates (curve a = 0).
    function dbl(uint256 x, uint256 y, uint256 z) internal pure returns (uint256, uint256, uint256) {
        if (z == 0) {
            return (x, y, z);
        }
        uint256 a = mulmod(x, x, P);
        uint256 c = mulmod(y, y, P);
        z = mulmod(2, mulmod(y, z, P), P);
        uint256 d = addmod(x, c, P);
        c = mulmod(c, c, P);
        d = mulmod(2, addmod(mulmod(d, d, P), P - addmod(a, c, P), P), P);
        a = mulmod(3, a, P);
        x = addmod(mulmod(a, a, P), P - mulmod(2, d, P), P);
        y = addmod(mulmod(a, addmod(d, P - x, P), P), P - mulmod(8, c, P), P);
        return (x, y, z);
    }

    /// Adds the generator (affine) to a Jacobian point.
    function addG(uint256 x, uint256 y, uint256 z) internal pure returns (uint256, uint256, uint256) {
        if (z == 0) {
            return (GX, GY, 1);
        }
        uint256 zz = mulmod(z, z, P);
        uint256 h = addmod(mulmod(GX, zz, P), P - x, P);
        uint256 r = addmod(mulmod(GY, mulmod(z, zz, P), P), P - y, P);
        if (h == 0) {
            return r == 0 ? dbl(x, y, z) : (0, 1, 0);
        }
        r = mulmod(2, r, P);
        uint256 i = mulmod(4, mulmod(h, h, P), P);
        uint256 j = mulmod(h, i, P);
        uint256 v = mulmod(x, i, P);
        x = addmod(addmod(mulmod(r, r, P), P - j, P), P - mulmod(2, v, P), P);
        y = addmod(mulmod(r, addmod(v, P - x, P), P), P - mulmod(2, mulmod(y, j, P), P), P);
        z = mulmod(2, mulmod(z, h, P), P);
        return (x, y, z);
    }

    /// `a^(P-2) mod P`: the inverse of `a` (Fermat), by square-and-multiply.
    function inv(uint256 a) internal pure returns (uint256 r) {
        r = 1;
        for (uint256 e = P - 2; e > 0; e >>= 1) {
            if (e & 1 == 1) {
                r = mulmod(r, a, P);
            }
            a = mulmod(a, a, P);
        }
    }
}
