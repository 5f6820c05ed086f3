//! The operand stack: at most 1024 words, checked on every push and pop.

use alloy_primitives::U256;

use crate::Halt;

/// Maximum stack depth.
pub const STACK_LIMIT: usize = 1024;

/// A frame's operand stack.
#[derive(Debug)]
pub struct Stack {
    data: Vec<U256>,
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            data: Vec::with_capacity(STACK_LIMIT),
        }
    }
}

impl Stack {
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// The values, bottom first.
    pub fn as_slice(&self) -> &[U256] {
        &self.data
    }

    #[inline]
    pub fn push(&mut self, value: U256) -> Result<(), Halt> {
        if self.data.len() >= STACK_LIMIT {
            return Err(Halt::StackOverflow);
        }
        self.data.push(value);
        Ok(())
    }

    #[inline]
    pub fn pop(&mut self) -> Result<U256, Halt> {
        self.data.pop().ok_or(Halt::StackUnderflow)
    }

    /// Pops `N` values, the top of the stack first.
    #[inline]
    pub fn pop_n<const N: usize>(&mut self) -> Result<[U256; N], Halt> {
        let len = self.data.len();
        if len < N {
            return Err(Halt::StackUnderflow);
        }
        let mut out = [U256::ZERO; N];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.data[len - 1 - i];
        }
        self.data.truncate(len - N);
        Ok(out)
    }

    /// The value `n` places below the top (0 = top).
    #[inline]
    pub fn peek(&self, n: usize) -> Result<U256, Halt> {
        let len = self.data.len();
        if n >= len {
            return Err(Halt::StackUnderflow);
        }
        Ok(self.data[len - 1 - n])
    }

    /// DUPn: pushes a copy of the `n`th value (1-based).
    #[inline]
    pub fn dup(&mut self, n: usize) -> Result<(), Halt> {
        let value = self.peek(n - 1)?;
        self.push(value)
    }

    /// SWAPn: exchanges the top with the value `n` places below it.
    #[inline]
    pub fn swap(&mut self, n: usize) -> Result<(), Halt> {
        let len = self.data.len();
        if n >= len {
            return Err(Halt::StackUnderflow);
        }
        self.data.swap(len - 1, len - 1 - n);
        Ok(())
    }

    /// Exchanges the values `a` and `b` places below the top (EIP-663 style helpers).
    pub fn exchange(&mut self, a: usize, b: usize) -> Result<(), Halt> {
        let len = self.data.len();
        if a >= len || b >= len {
            return Err(Halt::StackUnderflow);
        }
        self.data.swap(len - 1 - a, len - 1 - b);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_and_underflow_are_halts() {
        let mut stack = Stack::default();
        assert_eq!(stack.pop(), Err(Halt::StackUnderflow));
        for i in 0..STACK_LIMIT {
            stack.push(U256::from(i)).unwrap();
        }
        assert_eq!(stack.push(U256::ZERO), Err(Halt::StackOverflow));
        assert_eq!(
            stack.pop_n::<2>().unwrap(),
            [U256::from(1023), U256::from(1022)]
        );
    }

    #[test]
    fn dup_and_swap_address_from_the_top() {
        let mut stack = Stack::default();
        for i in 1..=3u64 {
            stack.push(U256::from(i)).unwrap();
        }
        stack.dup(3).unwrap();
        assert_eq!(stack.peek(0).unwrap(), U256::from(1));
        // [1, 2, 3, 1] -> SWAP2 -> [1, 1, 3, 2]
        stack.swap(2).unwrap();
        assert_eq!(stack.peek(0).unwrap(), U256::from(2));
        assert_eq!(stack.peek(2).unwrap(), U256::from(1));
        assert_eq!(stack.swap(4), Err(Halt::StackUnderflow));
    }
}
