// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// Factorial and Fibonacci, iterative (loops) and recursive (internal calls: JUMPs and stack).
/// Arithmetic wraps modulo 2^256 (`unchecked`): these measure the interpreter, not the values.
contract Math {
    function factorial(uint256 n) external pure returns (uint256 r) {
        unchecked {
            r = 1;
            for (uint256 i = 2; i <= n; i++) {
                r *= i;
            }
        }
    }

    /// `n!` computed recursively, `reps` times (`n` stays small: the EVM stack holds 1024 words).
    function factorialRecursive(uint256 n, uint256 reps) external pure returns (uint256 r) {
        unchecked {
            for (uint256 i = 0; i < reps; i++) {
                r += fact(n);
            }
        }
    }

    function fibonacci(uint256 n) external pure returns (uint256 a) {
        unchecked {
            uint256 b = 1;
            for (uint256 i = 0; i < n; i++) {
                (a, b) = (b, a + b);
            }
        }
    }

    /// The naive doubly recursive Fibonacci: about 2 * fib(n) calls.
    function fibonacciRecursive(uint256 n) external pure returns (uint256) {
        return fib(n);
    }

    function fact(uint256 n) internal pure returns (uint256) {
        unchecked {
            return n <= 1 ? 1 : n * fact(n - 1);
        }
    }

    function fib(uint256 n) internal pure returns (uint256) {
        unchecked {
            return n < 2 ? n : fib(n - 1) + fib(n - 2);
        }
    }
}
