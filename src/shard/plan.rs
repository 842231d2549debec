//! The arithmetic of a shard plan: exact channel sizes, records per
//! object, and the seeded generator behind splitting and shuffling.

use crate::error::{Error, Result};

/// Splits `total` records into channels by `fractions` (summing to 1),
/// exactly: the largest-remainder method, ties to the earlier channel.
pub fn split_counts(total: u64, fractions: &[f64]) -> Vec<u64> {
    let exact: Vec<f64> = fractions.iter().map(|f| f * total as f64).collect();
    let mut counts: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let assigned: u64 = counts.iter().sum();
    let mut order: Vec<usize> = (0..fractions.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.partial_cmp(&ra)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for &i in order
        .iter()
        .cycle()
        .take(total.saturating_sub(assigned) as usize)
    {
        counts[i] += 1;
    }
    counts
}

/// Records per object for `records` records in `instances × per_instance`
/// objects: every object holds ⌊R/M⌋ or ⌈R/M⌉ records. The objects with
/// one more record are spread so that, when SageMaker hands each instance
/// a run of `per_instance` consecutive keys, each instance also gets the
/// same number of them to within one.
pub fn object_records(records: u64, instances: usize, per_instance: usize) -> Vec<u64> {
    let m = (instances * per_instance) as u64;
    let q = records / m;
    let r = records % m;
    let mut v = vec![q; m as usize];
    for t in 0..r {
        let (slot, instance) = (t / instances as u64, t % instances as u64);
        v[(instance * per_instance as u64 + slot) as usize] += 1;
    }
    v
}

/// Validates `--split` fractions: positive, summing to 1.
pub fn check_fractions(split: &[(String, f64)]) -> Result<()> {
    let sum: f64 = split.iter().map(|s| s.1).sum();
    if split
        .iter()
        .any(|s| s.1.is_nan() || s.1 <= 0.0 || !s.1.is_finite())
    {
        return Err(Error::config(
            "every --split fraction must be a number greater than 0",
        ));
    }
    if (sum - 1.0).abs() > 1e-6 {
        return Err(Error::config(format!(
            "the --split fractions add up to {sum}, not 1"
        )));
    }
    Ok(())
}

/// SplitMix64: a small, fast, well-mixed generator. Streams with
/// different numbers are independent for the purposes of this module.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator for `seed` and stream `stream`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed);
        let a = r.next_u64();
        Rng(a ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`), by multiply-shift.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_counts_are_exact() {
        assert_eq!(split_counts(10, &[0.8, 0.1, 0.1]), vec![8, 1, 1]);
        assert_eq!(split_counts(7, &[0.5, 0.5]), vec![4, 3]);
        assert_eq!(
            split_counts(1001, &[0.8, 0.1, 0.1]).iter().sum::<u64>(),
            1001
        );
        assert_eq!(split_counts(3, &[1.0 / 3.0; 3]), vec![1, 1, 1]);
    }

    #[test]
    fn objects_differ_by_at_most_one_record_and_runs_balance() {
        for (r, n, k) in [
            (10, 3, 1),
            (103, 4, 3),
            (16, 16, 1),
            (1000, 3, 5),
            (5, 1, 4),
        ] {
            let v = object_records(r, n, k);
            assert_eq!(v.len(), n * k);
            assert_eq!(v.iter().sum::<u64>(), r);
            let (lo, hi) = (*v.iter().min().unwrap(), *v.iter().max().unwrap());
            assert!(hi - lo <= 1, "{v:?}");
            let per: Vec<u64> = v.chunks(k).map(|c| c.iter().sum()).collect();
            let (lo, hi) = (*per.iter().min().unwrap(), *per.iter().max().unwrap());
            assert!(hi - lo <= 1, "{per:?}");
        }
    }

    #[test]
    fn rng_is_deterministic_per_seed_and_stream() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, 1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(8, 1).next_u64());
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(7, 2).next_u64());
        let mut r = Rng::new(1, 0);
        assert!((0..1000).all(|_| r.below(3) < 3));
    }
}
