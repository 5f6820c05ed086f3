// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// Bubble sort of `n` pseudo-random words in memory (checked Solidity: bounds checks included).
contract BubbleSort {
    /// Sorts `n` words from a linear congruential generator seeded by `seed`; reverts unless the
    /// result is sorted, returns its smallest and largest element xor-ed.
    function sort(uint256 n, uint256 seed) external pure returns (uint256) {
        uint256[] memory a = new uint256[](n);
        unchecked {
            for (uint256 i = 0; i < n; i++) {
                seed = seed * 6364136223846793005 + 1442695040888963407;
                a[i] = seed;
            }
        }
        bool swapped = true;
        while (swapped) {
            swapped = false;
            for (uint256 i = 1; i < n; i++) {
                if (a[i - 1] > a[i]) {
                    (a[i - 1], a[i]) = (a[i], a[i - 1]);
                    swapped = true;
                }
            }
        }
        for (uint256 i = 1; i < n; i++) {
            require(a[i - 1] <= a[i], "not sorted");
        }
        return n == 0 ? 0 : a[0] ^ a[n - 1];
    }
}
