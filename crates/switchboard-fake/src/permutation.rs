//! The seeded shuffle of a block's subscriber digits.
//!
//! `i -> (a * i + b) mod 10000` with `a` coprime to 10000 is a bijection, so
//! the `n` numbers a block holds are the images of `0..n`: computing the
//! i-th number, and going back from a number to its index, are both a
//! multiplication. Nothing is stored per number.

use crate::blocks::BLOCK_SIZE;

/// A bijection of `0..BLOCK_SIZE` chosen by a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Permutation {
    a: u32,
    b: u32,
    a_inverse: u32,
}

impl Permutation {
    /// The permutation for block `block` under `seed`.
    pub fn new(seed: u64, block: usize) -> Self {
        let x = splitmix64(seed ^ splitmix64(block as u64));
        let mut a = (x % u64::from(BLOCK_SIZE)) as u32;
        // Units modulo 10000 are the numbers that are odd and not a
        // multiple of five.
        if a.is_multiple_of(2) {
            a += 1;
        }
        if a.is_multiple_of(5) {
            a += 2;
        }
        a %= BLOCK_SIZE;
        let b = ((x >> 32) % u64::from(BLOCK_SIZE)) as u32;
        Self {
            a,
            b,
            a_inverse: inverse_mod(a, BLOCK_SIZE),
        }
    }

    /// The permutation for block `block` under `seed` whose first number
    /// (index 0) is `first`: the offset `b` is `apply(0)`.
    pub fn starting_at(seed: u64, block: usize, first: u32) -> Self {
        Self {
            b: first % BLOCK_SIZE,
            ..Self::new(seed, block)
        }
    }

    /// The subscriber digits (as a number below 10000) of index `i`.
    pub fn apply(&self, i: u32) -> u32 {
        ((u64::from(self.a) * u64::from(i) + u64::from(self.b)) % u64::from(BLOCK_SIZE)) as u32
    }

    /// The index whose subscriber digits are `subscriber`.
    pub fn invert(&self, subscriber: u32) -> u32 {
        let shifted = (subscriber % BLOCK_SIZE + BLOCK_SIZE - self.b) % BLOCK_SIZE;
        ((u64::from(self.a_inverse) * u64::from(shifted)) % u64::from(BLOCK_SIZE)) as u32
    }
}

/// A well-mixed 64-bit hash (Steele, Lea and Flood's SplitMix64 finaliser),
/// so that neighbouring seeds give unrelated permutations.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The inverse of `a` modulo `m` (extended Euclid); `a` must be a unit.
fn inverse_mod(a: u32, m: u32) -> u32 {
    let (mut old_r, mut r) = (i64::from(a), i64::from(m));
    let (mut old_s, mut s) = (1i64, 0i64);
    while r != 0 {
        let q = old_r / r;
        (old_r, r) = (r, old_r - q * r);
        (old_s, s) = (s, old_s - q * s);
    }
    old_s.rem_euclid(i64::from(m)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_bijection_and_inverts() {
        for (seed, block) in [(0, 0), (1, 7), (u64::MAX, 162), (42, 3)] {
            let p = Permutation::new(seed, block);
            let mut seen = vec![false; BLOCK_SIZE as usize];
            for i in 0..BLOCK_SIZE {
                let s = p.apply(i);
                assert!(!seen[s as usize], "{s} produced twice for seed {seed}");
                seen[s as usize] = true;
                assert_eq!(p.invert(s), i);
            }
        }
    }

    #[test]
    fn seeds_and_blocks_change_the_order() {
        assert_ne!(Permutation::new(1, 0), Permutation::new(2, 0));
        assert_ne!(Permutation::new(1, 0), Permutation::new(1, 1));
        assert_eq!(Permutation::new(9, 4), Permutation::new(9, 4));
    }
}
