//! Routing records, in stream order, to channels and objects; and the
//! temporary buckets behind `--shuffle`.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::plan::Rng;
use super::records::{Framing, Span};
use crate::error::{Error, ErrorKind, Result};
use crate::store::Output;

/// One channel's objects being written.
pub(crate) struct ChannelOut {
    /// Object URIs, in key order.
    pub uris: Vec<String>,
    /// Planned records per object.
    pub plan: Vec<u64>,
    /// Bytes written per object.
    pub bytes: Vec<u64>,
    obj: usize,
    in_obj: u64,
    out: Option<Output>,
}

impl ChannelOut {
    pub(crate) fn new(uris: Vec<String>, plan: Vec<u64>) -> ChannelOut {
        let n = plan.len();
        ChannelOut {
            uris,
            plan,
            bytes: vec![0; n],
            obj: 0,
            in_obj: 0,
            out: None,
        }
    }
}

/// Sends each record to a channel (exact counts, seeded) and, within the
/// channel, to the next object with room, coalescing runs of adjacent
/// records into one write.
pub(crate) struct Router {
    pub channels: Vec<ChannelOut>,
    /// Records still to go to each channel (for the seeded split).
    remaining: Vec<u64>,
    total_remaining: u64,
    rng: Rng,
    dry_run: bool,
    overwrite: bool,
    framing: Framing,
}

impl Router {
    pub(crate) fn new(
        channels: Vec<ChannelOut>,
        seed: u64,
        framing: Framing,
        dry_run: bool,
        overwrite: bool,
    ) -> Router {
        let remaining: Vec<u64> = channels.iter().map(|c| c.plan.iter().sum()).collect();
        Router {
            total_remaining: remaining.iter().sum(),
            remaining,
            channels,
            rng: Rng::new(seed, 2),
            dry_run,
            overwrite,
            framing,
        }
    }

    /// The channel of the next record: with one channel always 0, else
    /// drawn with probability proportional to the records it still needs
    /// (sequential sampling: exact counts, input order kept per channel).
    #[inline]
    fn next_channel(&mut self) -> Result<usize> {
        if self.total_remaining == 0 {
            return Err(more_than_planned());
        }
        let c = if self.remaining.len() == 1 {
            0
        } else {
            let mut u = self.rng.below(self.total_remaining);
            let mut c = 0;
            while u >= self.remaining[c] {
                u -= self.remaining[c];
                c += 1;
            }
            c
        };
        self.remaining[c] -= 1;
        self.total_remaining -= 1;
        Ok(c)
    }

    /// Routes the records `spans` of `data`, in order.
    pub(crate) fn push(&mut self, data: &[u8], spans: &[Span]) -> Result<()> {
        // The pending run: channel, start, end.
        let mut run: Option<(usize, usize, usize)> = None;
        for &(start, end) in spans {
            let c = self.next_channel()?;
            match run {
                Some((rc, _, ref mut rend)) if rc == c && *rend == start => *rend = end,
                Some((rc, rs, re)) => {
                    self.write(rc, &data[rs..re])?;
                    run = Some((c, start, end));
                }
                None => run = Some((c, start, end)),
            }
            let tail = self.framing.tail(&data[start..end]);
            if !tail.is_empty() {
                let (rc, rs, re) = run.take().expect("set above");
                self.write(rc, &data[rs..re])?;
                self.write(rc, tail)?;
            }
            let ch = &mut self.channels[c];
            ch.in_obj += 1;
            if ch.in_obj == ch.plan[ch.obj] {
                if let Some((rc, rs, re)) = run.take() {
                    self.write(rc, &data[rs..re])?;
                }
                self.next_object(c)?;
            }
        }
        if let Some((rc, rs, re)) = run {
            self.write(rc, &data[rs..re])?;
        }
        Ok(())
    }

    fn write(&mut self, c: usize, bytes: &[u8]) -> Result<()> {
        let ch = &mut self.channels[c];
        if ch.obj >= ch.plan.len() {
            return Err(more_than_planned());
        }
        ch.bytes[ch.obj] += bytes.len() as u64;
        if self.dry_run {
            return Ok(());
        }
        if ch.out.is_none() {
            ch.out = Some(Output::create(&ch.uris[ch.obj], self.overwrite)?);
        }
        ch.out.as_mut().expect("opened above").write_all(bytes)
    }

    fn next_object(&mut self, c: usize) -> Result<()> {
        let ch = &mut self.channels[c];
        if let Some(out) = ch.out.take() {
            out.commit()?;
        }
        ch.obj += 1;
        ch.in_obj = 0;
        Ok(())
    }

    /// The channels, without checking that records arrived (dry runs
    /// that only plan).
    pub(crate) fn into_channels(self) -> Vec<ChannelOut> {
        self.channels
    }

    /// Checks that every planned record arrived (every object committed).
    pub(crate) fn finish(self) -> Result<Vec<ChannelOut>> {
        if self.total_remaining != 0 {
            return Err(Error::new(ErrorKind::Internal(format!(
                "{} records fewer than planned arrived (did the input change while sharding?)",
                self.total_remaining
            ))));
        }
        Ok(self.channels)
    }
}

fn more_than_planned() -> Error {
    Error::new(ErrorKind::Internal(
        "more records arrived than were planned (did the input change while sharding?)".into(),
    ))
}

/// Temporary bucket files for the two-pass shuffle: each record goes to a
/// bucket drawn by a seeded generator, then each bucket is shuffled in
/// memory (Fisher–Yates) and the buckets are read in order. A uniformly
/// random bucket per record followed by a uniform shuffle within each
/// bucket gives a uniformly random permutation of the whole input.
pub(crate) struct Buckets {
    dir: PathBuf,
    files: Vec<BufWriter<File>>,
    /// Records per bucket.
    pub records: Vec<u64>,
    /// Record bytes per bucket (without the length prefixes).
    pub bytes: Vec<u64>,
    rng: Rng,
    seed: u64,
}

impl Buckets {
    /// `n` buckets in a fresh folder under `tmp`.
    pub(crate) fn new(tmp: &Path, n: usize, seed: u64) -> Result<Buckets> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = tmp.join(format!("sm-data-shuffle-{}-{stamp}", std::process::id()));
        let name = dir.display().to_string();
        std::fs::create_dir_all(&dir).map_err(|e| Error::from(e).in_file(&name))?;
        let mut b = Buckets {
            dir,
            files: Vec::with_capacity(n),
            records: vec![0; n],
            bytes: vec![0; n],
            rng: Rng::new(seed, 1),
            seed,
        };
        for i in 0..n {
            let p = b.path(i);
            let f =
                File::create(&p).map_err(|e| Error::from(e).in_file(p.display().to_string()))?;
            b.files.push(BufWriter::with_capacity(64 << 10, f));
        }
        Ok(b)
    }

    fn path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("bucket-{i:05}"))
    }

    /// Scatters the records `spans` of `data` (with their tails).
    pub(crate) fn scatter(&mut self, data: &[u8], spans: &[Span], framing: &Framing) -> Result<()> {
        let n = self.files.len() as u64;
        for &(s, e) in spans {
            let rec = &data[s..e];
            let tail = framing.tail(rec);
            let len = rec.len() + tail.len();
            let len32 = u32::try_from(len).map_err(|_| {
                Error::new(ErrorKind::TooLarge {
                    len: len as u64,
                    max: u32::MAX as u64,
                })
            })?;
            let b = self.rng.below(n) as usize;
            let f = &mut self.files[b];
            let io = |e: std::io::Error| Error::from(e).in_file(self.dir.display().to_string());
            f.write_all(&len32.to_le_bytes()).map_err(io)?;
            f.write_all(rec).map_err(io)?;
            f.write_all(tail).map_err(io)?;
            self.records[b] += 1;
            self.bytes[b] += len as u64;
        }
        Ok(())
    }

    /// Shuffles each bucket in memory and hands its records to `router`,
    /// bucket by bucket. Memory: one bucket's bytes plus 16 bytes per
    /// record of it.
    pub(crate) fn drain(mut self, router: &mut Router) -> Result<()> {
        for f in std::mem::take(&mut self.files) {
            f.into_inner()
                .map_err(|e| Error::from(e.into_error()))?
                .sync_data()
                .ok();
        }
        let mut buf = Vec::new();
        let mut spans: Vec<Span> = Vec::new();
        for i in 0..self.records.len() {
            let p = self.path(i);
            let name = p.display().to_string();
            buf.clear();
            File::open(&p)
                .and_then(|mut f| f.read_to_end(&mut buf))
                .map_err(|e| Error::from(e).in_file(&name))?;
            let _ = std::fs::remove_file(&p);
            spans.clear();
            let mut pos = 0;
            while pos + 4 <= buf.len() {
                let len =
                    u32::from_le_bytes(buf[pos..pos + 4].try_into().expect("4 bytes")) as usize;
                spans.push((pos + 4, pos + 4 + len));
                pos += 4 + len;
            }
            let mut rng = Rng::new(self.seed, 1000 + i as u64);
            for j in (1..spans.len()).rev() {
                let k = rng.below(j as u64 + 1) as usize;
                spans.swap(j, k);
            }
            router.push(&buf, &spans)?;
        }
        Ok(())
    }
}

impl Drop for Buckets {
    fn drop(&mut self) {
        self.files.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
