//! What a channel streams each epoch: the list of items (objects, or
//! augmented-manifest lines), their per-epoch order (`ShuffleConfig`) and
//! this host's share (`ShardedByS3Key`).
//!
//! # Order
//! Without shuffling, objects come in S3 list order: lexicographic by key
//! (byte order). A local folder is walked recursively and its files sorted
//! the same way by their path relative to the folder, with `/` separators.
//! Augmented manifest entries keep their line order.
//!
//! # Shuffle (`ShuffleConfig.Seed`)
//! At the start of every epoch the whole list is shuffled by a
//! Fisher–Yates shuffle driven by SplitMix64 seeded from `(seed, epoch)`:
//! the same seed and epoch always give the same order, and each epoch gets
//! a new one. SageMaker's own algorithm is not published (spec §4.4), so
//! orders match SageMaker's only in these properties, not item by item.
//!
//! # Sharding (`ShardedByS3Key`)
//! The list (after the epoch's shuffle, so that with a seed a host gets
//! different objects each epoch, as the spec describes) is dealt round
//! robin: host `h` of `n` (its 0-based position in `resourceconfig.json`'s
//! `hosts`) gets the items at positions `h, h + n, h + 2n, …`. Every host
//! gets ⌊len/n⌋ or ⌈len/n⌉ items, by count and not by size, as SageMaker
//! documents; with more hosts than items some hosts get none. SageMaker's
//! exact rule is unpublished (spec §5.4); `sm-data shard` writes a
//! multiple of `n` equal objects, for which every such rule is balanced.

use std::path::Path;

use crate::error::{Error, Result};
use crate::pipe::augmented::{self, Entry};
use crate::pipe::config::{Source, SourceKind};
use crate::store::Input;

/// One thing a channel streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A whole object (file or S3 object).
    Object(String),
    /// One augmented manifest line's listed attributes.
    Entry(Entry),
}

/// Lists the items of `source` in their unshuffled order.
pub fn items(source: &Source) -> Result<Vec<Item>> {
    match source.kind {
        SourceKind::S3Prefix => {
            let objects = crate::store::list(&source.uri)?;
            if objects.is_empty() {
                return Err(Error::config(format!(
                    "{} holds no objects to stream",
                    source.uri
                )));
            }
            Ok(objects.into_iter().map(|o| Item::Object(o.uri)).collect())
        }
        // The listed objects, in manifest order (what SageMaker streams).
        SourceKind::ManifestFile => {
            let manifest = crate::manifest::Manifest::read(&source.uri)?;
            let uris = manifest.uris();
            if uris.is_empty() {
                return Err(Error::config(format!(
                    "{} lists no objects to stream",
                    source.uri
                )));
            }
            Ok(uris.into_iter().map(Item::Object).collect())
        }
        SourceKind::AugmentedManifestFile => {
            let bytes = read_all(&source.uri)?;
            let base = if source.uri.contains("://") {
                None
            } else {
                Some(Path::new(&source.uri).parent().unwrap_or(Path::new(".")))
            };
            let entries = augmented::parse(&bytes, &source.uri, &source.attribute_names, base)?;
            if entries.is_empty() {
                return Err(Error::config(format!("{} has no entries", source.uri)));
            }
            Ok(entries.into_iter().map(Item::Entry).collect())
        }
    }
}

/// Reads a whole (small) object through [`Input`].
fn read_all(uri: &str) -> Result<Vec<u8>> {
    match Input::open(uri)? {
        Input::Mapped { map, .. } => Ok(map.to_vec()),
        Input::Stream {
            mut reader,
            head,
            name,
            ..
        } => {
            let mut out = head;
            reader
                .read_to_end(&mut out)
                .map_err(|e| Error::from(e).in_file(name))?;
            Ok(out)
        }
    }
}

use std::io::Read;

/// SplitMix64: a small, well-mixed generator (Steele, Lea, Flood 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for `seed` and `epoch`.
    pub fn for_epoch(seed: i64, epoch: u64) -> SplitMix64 {
        let mut g = SplitMix64(seed as u64 ^ 0x5EED_5A6E_3A4E_0000);
        let a = g.next_u64();
        SplitMix64(a ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }
}

/// The positions `0..n` in epoch `epoch`'s order: shuffled when `seed` is
/// set, in list order otherwise.
pub fn epoch_order(n: usize, seed: Option<i64>, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(seed) = seed {
        let mut g = SplitMix64::for_epoch(seed, epoch);
        for i in (1..n).rev() {
            let j = g.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
    }
    order
}

/// Host `host`'s (0-based) share of `order` among `hosts` hosts: every
/// `hosts`-th item starting at position `host` (see the module docs).
pub fn host_share(order: &[usize], host: usize, hosts: usize) -> Vec<usize> {
    order
        .iter()
        .copied()
        .skip(host)
        .step_by(hosts.max(1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_is_deterministic_per_seed_and_epoch() {
        let a = epoch_order(50, Some(42), 0);
        assert_eq!(a, epoch_order(50, Some(42), 0));
        assert_ne!(a, epoch_order(50, Some(42), 1));
        assert_ne!(a, epoch_order(50, Some(43), 0));
        assert_ne!(a, (0..50).collect::<Vec<_>>());
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_eq!(epoch_order(5, None, 3), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn shares_partition_the_list_by_count() {
        let order: Vec<usize> = (0..10).collect();
        let shares: Vec<Vec<usize>> = (0..3).map(|h| host_share(&order, h, 3)).collect();
        assert_eq!(shares[0], [0, 3, 6, 9]);
        assert_eq!(shares[1], [1, 4, 7]);
        assert_eq!(shares[2], [2, 5, 8]);
        assert!(host_share(&order[..2], 2, 3).is_empty());
    }

    #[test]
    fn folders_list_in_s3_key_order() {
        let dir = tempfile::tempdir().unwrap();
        for k in ["b", "a/2", "a/10", "a-c", "a/1/x"] {
            let p = dir.path().join(k);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, k).unwrap();
        }
        let got: Vec<String> = crate::store::list(dir.path().to_str().unwrap())
            .unwrap()
            .into_iter()
            .map(|o| o.uri[dir.path().to_str().unwrap().len() + 1..].to_string())
            .collect();
        assert_eq!(got, ["a-c", "a/1/x", "a/10", "a/2", "b"]);
    }
}
