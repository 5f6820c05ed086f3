//! The operand stack: at most 1024 words, checked on every push and pop.

use alloy_primitives::U256;

use crate::Halt;

/// Maximum stack depth.
pub const STACK_LIMIT: usize = 1024;

/// A frame's operand stack: a fixed array (allocated once per frame) and a length.
#[derive(Debug)]
pub struct Stack {
    data: Box<[U256; STACK_LIMIT]>,
    len: usize,
}

/// A stack's storage, kept in a pool so that frames reuse it instead of allocating.
pub type StackBuffer = Box<[U256; STACK_LIMIT]>;

/// Most buffers a thread keeps for reuse (2 MiB): deeper call chains allocate the rest.
pub const POOL_MAX: usize = 64;

thread_local! {
    static POOL: std::cell::RefCell<Vec<StackBuffer>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A new zeroed buffer, allocated directly on the heap.
fn new_buffer() -> StackBuffer {
    let boxed: Box<[U256]> = vec![U256::ZERO; STACK_LIMIT].into_boxed_slice();
    // The slice has exactly STACK_LIMIT elements, so the conversion cannot fail.
    boxed
        .try_into()
        .unwrap_or_else(|_| Box::new([U256::ZERO; STACK_LIMIT]))
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            data: new_buffer(),
            len: 0,
        }
    }
}

impl Stack {
    /// An empty stack over a buffer from this thread's pool (or a new one): frames, and the
    /// transactions after them, reuse buffers instead of allocating and zeroing 32 KiB each.
    pub fn pooled() -> Self {
        let data = POOL
            .with(|pool| pool.borrow_mut().pop())
            .unwrap_or_else(new_buffer);
        Stack { data, len: 0 }
    }

    /// Gives the buffer back to this thread's pool (kept up to [`POOL_MAX`] buffers). Stale
    /// values in it are never read: a stack reads only below its length.
    pub fn recycle(self) {
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOL_MAX {
                pool.push(self.data);
            }
        });
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The values, bottom first.
    pub fn as_slice(&self) -> &[U256] {
        &self.data[..self.len]
    }

    #[inline]
    pub fn push(&mut self, value: U256) -> Result<(), Halt> {
        if self.len >= STACK_LIMIT {
            return Err(Halt::StackOverflow);
        }
        self.data[self.len] = value;
        #[expect(
            clippy::arithmetic_side_effects,
            reason = "`len < STACK_LIMIT` was checked above: `len + 1 <= 1024`"
        )]
        {
            self.len += 1;
        }
        Ok(())
    }

    #[inline]
    pub fn pop(&mut self) -> Result<U256, Halt> {
        self.len = self.len.checked_sub(1).ok_or(Halt::StackUnderflow)?;
        Ok(self.data[self.len])
    }

    /// Pops `N` values, the top of the stack first.
    #[inline]
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "`from_fn` passes `i < N`, so `N - 1 - i` is in `0..N`"
    )]
    pub fn pop_n<const N: usize>(&mut self) -> Result<[U256; N], Halt> {
        let Some(start) = self.len.checked_sub(N) else {
            return Err(Halt::StackUnderflow);
        };
        // One bounds check for the whole run; the values go straight into the result.
        let top = &self.data[start..self.len];
        let out = std::array::from_fn(|i| top[N - 1 - i]);
        self.len = start;
        Ok(out)
    }

    /// Pops the top value and gives the new top for in-place update: `(a, &mut b)` computes
    /// `b' = f(a, b)` without a pop/push pair (binary opcodes).
    #[inline]
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "`len >= 2` was checked first: `len - 1` and `len - 2` cannot underflow (two \
                  `checked_sub`s cost a second branch on every binary opcode)"
    )]
    pub fn pop_top(&mut self) -> Result<(U256, &mut U256), Halt> {
        if self.len < 2 {
            return Err(Halt::StackUnderflow);
        }
        self.len -= 1;
        let a = self.data[self.len];
        Ok((a, &mut self.data[self.len - 1]))
    }

    /// The top value, for in-place update (unary opcodes).
    #[inline]
    pub fn top(&mut self) -> Result<&mut U256, Halt> {
        let top = self.len.checked_sub(1).ok_or(Halt::StackUnderflow)?;
        Ok(&mut self.data[top])
    }

    /// The value `n` places below the top (0 = top).
    #[inline]
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "`n < len` was checked first: `len - 1 - n >= 0`"
    )]
    pub fn peek(&self, n: usize) -> Result<U256, Halt> {
        if n >= self.len {
            return Err(Halt::StackUnderflow);
        }
        Ok(self.data[self.len - 1 - n])
    }

    /// DUPn: pushes a copy of the `n`th value (1-based).
    #[inline]
    pub fn dup(&mut self, n: usize) -> Result<(), Halt> {
        let below = n.checked_sub(1).ok_or(Halt::StackUnderflow)?;
        let value = self.peek(below)?;
        self.push(value)
    }

    /// SWAPn: exchanges the top with the value `n` places below it.
    #[inline]
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "`n < len` was checked first: `len - 1` and `len - 1 - n` cannot underflow"
    )]
    pub fn swap(&mut self, n: usize) -> Result<(), Halt> {
        if n >= self.len {
            return Err(Halt::StackUnderflow);
        }
        self.data.swap(self.len - 1, self.len - 1 - n);
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

    #[test]
    fn a_recycled_buffer_is_reused_empty_and_the_pool_is_bounded() {
        let mut stack = Stack::pooled();
        stack.push(U256::from(7)).unwrap();
        let address = stack.as_slice().as_ptr();
        stack.recycle();
        let reused = Stack::pooled();
        assert_eq!(reused.as_slice().as_ptr(), address);
        assert_eq!(reused.len(), 0);
        reused.recycle();
        let many: Vec<Stack> = (0..POOL_MAX + 10).map(|_| Stack::pooled()).collect();
        many.into_iter().for_each(Stack::recycle);
        assert_eq!(POOL.with(|pool| pool.borrow().len()), POOL_MAX);
    }
}
