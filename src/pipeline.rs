//! The parallel hot path shared by `convert`, `count` and `inspect`.
//!
//! ```text
//! input ─► Chunker ─► [rayon] work(chunk) ─► reorder by sequence ─► consume
//!          (record        decode / encode        bounded window
//!           boundaries)   per chunk              of chunks in flight
//! ```
//!
//! The [`Chunker`] cuts the input into chunks of about
//! [`Options::chunk_size`] bytes at record boundaries found by a
//! [`Framer`], without decoding. Mapped input gives borrowed slices; a
//! stream is read into recycled buffers. Each chunk is processed on the
//! rayon pool; results are consumed on the calling thread in input order.
//! At most [`Options::window`] chunks are in flight, so memory stays flat
//! whatever the input size.
//!
//! Errors from workers carry positions relative to their chunk; [`run`]
//! shifts them to absolute record, line and byte positions using the
//! counts reported by the chunks before them, and reports the error that
//! comes first in the input.

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use crate::codec::Framer;
use crate::error::{Error, Result};
use crate::store::{Input, Mapped};

/// Tuning knobs of the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Target chunk size in bytes.
    pub chunk_size: usize,
    /// Chunks in flight (0 = 2 × threads + 2).
    pub window: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threads: 0,
            chunk_size: 4 << 20,
            window: 0,
        }
    }
}

impl Options {
    pub(crate) fn threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        }
    }
}

/// A piece of the input holding whole records.
pub struct Chunk {
    data: ChunkData,
    /// Absolute byte offset of the chunk in the input.
    pub offset: u64,
    /// Sequence number (0 for the first chunk).
    pub index: u64,
    /// Cut by [`Framer::speculative_boundary`]: to be confirmed.
    speculative: bool,
}

enum ChunkData {
    Mapped(Arc<Mapped>, Range<usize>),
    Owned(Vec<u8>, Arc<BufferPool>),
}

impl std::ops::Deref for Chunk {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.data {
            ChunkData::Mapped(m, r) => &m[r.clone()],
            ChunkData::Owned(v, _) => v,
        }
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        match &mut self.data {
            ChunkData::Owned(v, pool) => pool.put(std::mem::take(v)),
            // Done with these pages (see `Mapped::release`).
            ChunkData::Mapped(m, range) => m.release(range.clone()),
        }
    }
}

/// Recycled byte buffers.
#[derive(Debug, Default)]
pub struct BufferPool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl BufferPool {
    /// An empty buffer, recycled when possible.
    pub fn get(&self) -> Vec<u8> {
        self.free
            .lock()
            .expect("pool lock")
            .pop()
            .unwrap_or_default()
    }

    /// Returns a buffer for reuse.
    pub fn put(&self, mut v: Vec<u8>) {
        v.clear();
        let mut free = self.free.lock().expect("pool lock");
        if free.len() < 64 {
            free.push(v);
        }
    }
}

/// Cuts an input into chunks of whole records.
pub struct Chunker<'f> {
    framer: &'f dyn Framer,
    source: Source,
    chunk_size: usize,
    pos: u64,
    index: u64,
    name: String,
    pool: Arc<BufferPool>,
    /// Cut mapped input with the framer's shortcut (see
    /// [`Framer::speculative_boundary`]) until a cut proves wrong.
    speculate: bool,
    /// How far [`Mapped::will_need`] has been asked for.
    advised: usize,
}

/// How many chunks past the one handed out the chunker asks the kernel to
/// read ahead of a mapped input.
const READ_AHEAD_CHUNKS: usize = 4;

enum Source {
    Mapped(Arc<Mapped>),
    Stream {
        reader: Box<dyn Read + Send>,
        /// Bytes read but not yet handed out (the start of a record).
        carry: Vec<u8>,
        eof: bool,
    },
}

impl<'f> Chunker<'f> {
    /// A chunker over `input` using `framer` to find record boundaries.
    pub fn new(input: Input, framer: &'f dyn Framer, chunk_size: usize) -> Chunker<'f> {
        let name = input.name().to_string();
        let source = match input {
            Input::Mapped { map, .. } => Source::Mapped(map),
            Input::Stream { reader, head, .. } => Source::Stream {
                reader,
                carry: head,
                eof: false,
            },
        };
        Chunker {
            framer,
            source,
            chunk_size: chunk_size.max(1),
            pos: 0,
            index: 0,
            name,
            pool: Arc::new(BufferPool::default()),
            speculate: true,
            advised: 0,
        }
    }

    /// Goes back to the chunk `index` at `offset` (a mapped input's chunk
    /// whose speculative cut was wrong) and cuts exactly from there on.
    fn recut(&mut self, offset: u64, index: u64) {
        debug_assert!(matches!(self.source, Source::Mapped(_)));
        self.pos = offset;
        self.index = index;
        self.speculate = false;
    }

    /// Bytes handed out so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The next chunk, or `None` at the end of the input. Framing errors
    /// carry absolute byte offsets and the input's name.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        let at = self.pos;
        let name = &self.name;
        let fix = |e: Error| e.shift(0, 0, at).in_file(name.clone());
        match &mut self.source {
            Source::Mapped(map) => {
                let start = self.pos as usize;
                if start >= map.len() {
                    return Ok(None);
                }
                let mut want = self.chunk_size;
                let first = self.index == 0;
                let mut speculative;
                let len = loop {
                    let end = (start + want).min(map.len());
                    let eof = end == map.len();
                    let quick = match self.speculate && !eof {
                        true => self.framer.speculative_boundary(&map[start..end]),
                        false => None,
                    };
                    speculative = quick.is_some();
                    let n = match quick {
                        Some(n) => n,
                        None => {
                            boundary_before_error(self.framer, &map[start..end], eof, start as u64)
                                .map_err(fix)?
                        }
                    };
                    if (n > 0 && (!first || has_content(&map[start..start + n]))) || eof {
                        break n;
                    }
                    want = want.saturating_mul(2);
                };
                if len == 0 {
                    return Ok(None);
                }
                self.pos += len as u64;
                self.index += 1;
                // Have the next chunks read from the disk while this one
                // is worked on (a no-op for pages already cached).
                let ahead = start + len + READ_AHEAD_CHUNKS * self.chunk_size;
                if ahead > self.advised && self.advised < map.len() {
                    let from = self.advised.max(start + len);
                    map.will_need(from..ahead);
                    self.advised = ahead;
                }
                Ok(Some(Chunk {
                    data: ChunkData::Mapped(map.clone(), start..start + len),
                    offset: start as u64,
                    index: self.index - 1,
                    speculative,
                }))
            }
            Source::Stream { reader, carry, eof } => {
                let mut buf = self.pool.get();
                buf.extend_from_slice(carry);
                carry.clear();
                let mut want = self.chunk_size;
                let len = loop {
                    while !*eof && buf.len() < want {
                        let old = buf.len();
                        buf.resize(want, 0);
                        match reader.read(&mut buf[old..]) {
                            Ok(0) => {
                                buf.truncate(old);
                                *eof = true;
                            }
                            Ok(n) => buf.truncate(old + n),
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                                buf.truncate(old)
                            }
                            Err(e) => {
                                // Name where the stream broke (for gzip, an
                                // offset in the decompressed bytes).
                                let at = self.pos + old as u64;
                                return Err(Error::from(e).at_byte(at).in_file(name.clone()));
                            }
                        }
                    }
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let n = boundary_before_error(self.framer, &buf, *eof, at).map_err(fix)?;
                    if (n > 0 && (self.index > 0 || has_content(&buf[..n]))) || *eof {
                        break n;
                    }
                    want = want.saturating_mul(2);
                };
                if len == 0 {
                    return Ok(None);
                }
                carry.extend_from_slice(&buf[len..]);
                buf.truncate(len);
                self.pos += len as u64;
                self.index += 1;
                Ok(Some(Chunk {
                    data: ChunkData::Owned(buf, self.pool.clone()),
                    offset: at,
                    index: self.index - 1,
                    speculative: false,
                }))
            }
        }
    }
}

/// The framer's boundary in `buf` (which starts `offset` bytes into the
/// input); when the framer finds an error after some complete records,
/// the boundary after those records instead. The next chunk then starts
/// at the bad record and the error comes again, at the same place: what
/// precedes a framing error is always handed out, whatever the chunk size
/// (validate counts those records; convert still fails at the error).
fn boundary_before_error(framer: &dyn Framer, buf: &[u8], eof: bool, offset: u64) -> Result<usize> {
    match framer.boundary_at(buf, eof, offset) {
        Ok(n) => Ok(n),
        Err(e) => {
            let before = e
                .position()
                .byte
                .filter(|&b| b > 0 && b <= buf.len() as u64)
                .and_then(|b| framer.boundary_at(&buf[..b as usize], false, offset).ok())
                .filter(|&n| n > 0);
            match before {
                Some(n) => Ok(n),
                None => Err(e),
            }
        }
    }
}

/// True when `b` holds more than blank lines. The first chunk is grown
/// until it does, so that a header (the first non-blank record, which
/// decoders skip only in the first chunk) is always in it.
fn has_content(b: &[u8]) -> bool {
    // A UTF-8 byte-order mark is not content either.
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    b.iter()
        .any(|&c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
}

/// What a chunk's result reports about the input it covered, so that later
/// errors can be given absolute positions.
pub trait Counted {
    /// Records in the chunk.
    fn records(&self) -> u64;
    /// Lines in the chunk (0 for binary formats).
    fn lines(&self) -> u64;
}

/// Runs `work` on every chunk in parallel and hands the results to
/// `consume` in input order. `progress` is called with the bytes consumed
/// so far after each chunk.
pub fn run<T, W, C>(
    chunker: &mut Chunker<'_>,
    opts: Options,
    work: W,
    consume: C,
    progress: &mut dyn FnMut(u64),
) -> Result<()>
where
    T: Counted + Send,
    W: Fn(&Chunk) -> Result<T> + Sync,
    C: FnMut(T) -> Result<()>,
{
    run_owned(
        chunker,
        opts,
        |chunk: Chunk| work(&chunk),
        consume,
        progress,
    )
}

/// [`run`] with `work` taking the chunk itself, so that its result can
/// keep the chunk's bytes until they are consumed (no copy of a streamed
/// chunk, and a mapped chunk's pages are released only after `consume`).
pub fn run_owned<T, W, C>(
    chunker: &mut Chunker<'_>,
    opts: Options,
    work: W,
    mut consume: C,
    progress: &mut dyn FnMut(u64),
) -> Result<()>
where
    T: Counted + Send,
    W: Fn(Chunk) -> Result<T> + Sync,
    C: FnMut(T) -> Result<()>,
{
    let threads = opts.threads();
    if threads == 1 {
        return run_inline(chunker, work, consume, progress);
    }
    let window = if opts.window == 0 {
        2 * threads + 2
    } else {
        opts.window
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("sm-data-{i}"))
        .build()
        .map_err(|e| Error::config(format!("cannot start {threads} worker threads: {e}")))?;
    let name = chunker.name.clone();
    let framer = chunker.framer;
    // (generation, index, offset, end, outcome); a recut starts a new
    // generation and the results of the old one are dropped on arrival.
    let (tx, rx) = std::sync::mpsc::channel::<(u64, u64, u64, u64, Outcome<T>)>();
    let work = &work;
    pool.in_place_scope(|scope| {
        let mut pending: BTreeMap<u64, (u64, u64, Outcome<T>)> = BTreeMap::new();
        let mut next = 0u64;
        let mut issued = 0u64;
        let mut generation = 0u64;
        let mut reading = true;
        let mut first_err: Option<Error> = None;
        let (mut record_base, mut line_base) = (0u64, 0u64);
        loop {
            while reading && first_err.is_none() && issued - next < window as u64 {
                match chunker.next_chunk() {
                    Ok(Some(chunk)) => {
                        let tx = tx.clone();
                        let end = chunk.offset + chunk.len() as u64;
                        let (index, offset) = (chunk.index, chunk.offset);
                        issued += 1;
                        scope.spawn(move |_| {
                            let r = if chunk.speculative && !framer.confirms(&chunk) {
                                Outcome::Recut
                            } else {
                                // A panic must not leave the consumer
                                // waiting forever: report it as an error
                                // of this chunk.
                                Outcome::Done(
                                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                        work(chunk)
                                    }))
                                    .unwrap_or_else(|p| Err(internal_error(p))),
                                )
                            };
                            let _ = tx.send((generation, index, offset, end, r));
                        });
                    }
                    Ok(None) => reading = false,
                    Err(e) => {
                        // A framing error comes after every chunk issued so far.
                        pending.insert(issued, (0, 0, Outcome::Framing(e)));
                        issued += 1;
                        reading = false;
                    }
                }
            }
            // Drain every result that is next in order.
            while let Some((offset, end, r)) = pending.remove(&next) {
                if first_err.is_some() {
                    next += 1;
                    continue;
                }
                let r = match r {
                    Outcome::Done(r) => r,
                    Outcome::Framing(e) => {
                        // Found by the chunker, which counts records and
                        // lines from the start of the chunk it was cutting:
                        // every earlier chunk has been consumed by now.
                        first_err = Some(e.shift(record_base, line_base, 0));
                        next += 1;
                        continue;
                    }
                    Outcome::Recut => {
                        // The chunks issued after this one started in the
                        // wrong place: forget them and cut again, exactly.
                        chunker.recut(offset, next);
                        pending.clear();
                        generation += 1;
                        issued = next;
                        reading = true;
                        break;
                    }
                };
                next += 1;
                match r {
                    Ok(t) => {
                        let (records, lines) = (t.records(), t.lines());
                        if let Err(e) = consume(t) {
                            first_err =
                                Some(e.shift(record_base, line_base, 0).in_file(name.clone()));
                        }
                        record_base += records;
                        line_base += lines;
                        progress(end);
                    }
                    Err(e) => {
                        let e = if e.position().file.is_some() {
                            e
                        } else {
                            e.shift(record_base, line_base, offset)
                                .in_file(name.clone())
                        };
                        first_err = Some(e);
                    }
                }
            }
            if next == issued && (!reading || first_err.is_some()) {
                break;
            }
            if next == issued {
                // Nothing in flight: issue more (or stop, checked above).
                continue;
            }
            let (g, index, offset, end, r) = rx.recv().expect("workers hold a sender");
            if g == generation {
                pending.insert(index, (offset, end, r));
            }
        }
        // Chunks of an abandoned generation may still be running: the
        // scope waits for them, and their results are never read.
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

/// What became of a chunk on a worker.
enum Outcome<T> {
    /// Processed.
    Done(Result<T>),
    /// A speculative cut proved wrong: cut again from this chunk.
    Recut,
    /// The chunker's error where this chunk would have started (file and
    /// byte already absolute; records and lines counted from there).
    Framing(Error),
}

/// One thread: every chunk is processed and consumed on the calling
/// thread, so "one thread" really is one (reading, decoding, encoding and
/// writing included).
fn run_inline<T, W, C>(
    chunker: &mut Chunker<'_>,
    work: W,
    mut consume: C,
    progress: &mut dyn FnMut(u64),
) -> Result<()>
where
    T: Counted,
    W: Fn(Chunk) -> Result<T>,
    C: FnMut(T) -> Result<()>,
{
    let name = chunker.name.clone();
    let (mut record_base, mut line_base) = (0u64, 0u64);
    // The chunker counts records and lines from the chunk it is cutting.
    while let Some(chunk) = chunker
        .next_chunk()
        .map_err(|e| e.shift(record_base, line_base, 0))?
    {
        let (offset, end) = (chunk.offset, chunk.offset + chunk.len() as u64);
        if chunk.speculative && !chunker.framer.confirms(&chunk) {
            chunker.recut(offset, chunk.index);
            continue;
        }
        let t = work(chunk).map_err(|e| {
            if e.position().file.is_some() {
                e
            } else {
                e.shift(record_base, line_base, offset)
                    .in_file(name.clone())
            }
        })?;
        let (records, lines) = (t.records(), t.lines());
        consume(t).map_err(|e| e.shift(record_base, line_base, 0).in_file(name.clone()))?;
        record_base += records;
        line_base += lines;
        progress(end);
    }
    Ok(())
}

fn internal_error(panic: Box<dyn std::any::Any + Send>) -> Error {
    let msg = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Error::new(crate::error::ErrorKind::Internal(msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::lines::LineFramer;

    struct Lines(u64, Vec<u8>);
    impl Counted for Lines {
        fn records(&self) -> u64 {
            self.0
        }
        fn lines(&self) -> u64 {
            self.0
        }
    }

    fn collect(input: Input, chunk_size: usize, threads: usize) -> Result<Vec<u8>> {
        let framer = LineFramer::new();
        let mut chunker = Chunker::new(input, &framer, chunk_size);
        let mut out = Vec::new();
        run(
            &mut chunker,
            Options {
                threads,
                chunk_size,
                window: 0,
            },
            |c: &Chunk| {
                if let Some(i) = c.iter().position(|&b| b == b'!') {
                    let line = c[..i].iter().filter(|&&b| b == b'\n').count() as u64;
                    return Err(Error::syntax("test", "bang")
                        .at_line(line)
                        .at_byte(i as u64));
                }
                Ok(Lines(
                    c.iter().filter(|&&b| b == b'\n').count() as u64,
                    c.to_ascii_uppercase(),
                ))
            },
            |l: Lines| {
                out.extend_from_slice(&l.1);
                Ok(())
            },
            &mut |_| {},
        )?;
        Ok(out)
    }

    #[test]
    fn records_before_a_framing_error_arrive_whatever_the_chunk_size() {
        use crate::codec::recordio;
        // Ten good RecordIO records, then a frame with a bad magic.
        let mut data = Vec::new();
        let mut ends = Vec::new();
        for i in 0..10u8 {
            recordio::encode_record(&mut data, &vec![i; 1 + 3 * i as usize]).unwrap();
            ends.push(data.len());
        }
        let good = data.len();
        data.extend_from_slice(&[0xAB; 12]);
        let framer = recordio::Decoder::new();
        for size in [1, 5, 16, 64, 100, 1 << 20] {
            for threads in [1, 2] {
                for mapped in [true, false] {
                    let input = if mapped {
                        Input::from_bytes(data.clone(), "t")
                    } else {
                        Input::from_reader(Box::new(std::io::Cursor::new(data.clone())), "s", None)
                            .unwrap()
                    };
                    let mut chunker = Chunker::new(input, &framer, size);
                    let mut seen = 0usize;
                    let err = run(
                        &mut chunker,
                        Options {
                            threads,
                            chunk_size: size,
                            window: 0,
                        },
                        |c: &Chunk| {
                            // Every chunk ends after a whole record.
                            let end = c.offset as usize + c.len();
                            assert!(ends.contains(&end), "chunk ends at {end}");
                            let records = ends
                                .iter()
                                .filter(|&&e| e > c.offset as usize && e <= end)
                                .count();
                            Ok(Lines(records as u64, c.to_vec()))
                        },
                        |l: Lines| {
                            seen += l.1.len();
                            Ok(())
                        },
                        &mut |_| {},
                    )
                    .unwrap_err();
                    let at = (size, threads, mapped);
                    assert_eq!(seen, good, "{at:?}: bytes handed out before the error");
                    assert_eq!(err.position().byte, Some(good as u64), "{at:?}: {err}");
                    assert_eq!(err.position().record, Some(10), "{at:?}: {err}");
                    assert_eq!(chunker.position(), good as u64, "{at:?}");
                }
            }
        }
    }

    #[test]
    fn output_order_and_content_do_not_depend_on_chunking() {
        let text: Vec<u8> = (0..500)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let expected = text.to_ascii_uppercase();
        for size in [1, 2, 7, 64, 1000, 1 << 20] {
            for threads in [1, 2, 3] {
                assert_eq!(
                    collect(Input::from_bytes(text.clone(), "t"), size, threads).unwrap(),
                    expected
                );
                let stream =
                    Input::from_reader(Box::new(std::io::Cursor::new(text.clone())), "s", None)
                        .unwrap();
                assert_eq!(collect(stream, size, threads).unwrap(), expected);
            }
        }
    }

    #[test]
    fn speculative_cuts_inside_quotes_are_cut_again() {
        // Records with quoted newlines, some chunks cut inside them by the
        // shortcut: every chunk must still hold whole records.
        let mut text = Vec::new();
        for i in 0..300 {
            if i % 7 == 3 {
                text.extend_from_slice(format!("{i},\"two\nlines, \"\"q\"\"\"\n").as_bytes());
            } else {
                text.extend_from_slice(format!("{i},plain\n").as_bytes());
            }
        }
        let framer = LineFramer::quoted(b'"');
        for size in [1, 3, 16, 40, 100, 1000] {
            for threads in [1, 2, 3] {
                let input = Input::from_bytes(text.clone(), "q.csv");
                assert!(input.is_mapped());
                let mut chunker = Chunker::new(input, &framer, size);
                let mut out = Vec::new();
                run_owned(
                    &mut chunker,
                    Options {
                        threads,
                        chunk_size: size,
                        window: 0,
                    },
                    |c: Chunk| Ok(Lines(0, c.to_vec())),
                    |l: Lines| {
                        let quotes = l.1.iter().filter(|&&b| b == b'"').count();
                        assert!(quotes % 2 == 0, "a chunk ends inside quotes: {:?}", l.1);
                        out.extend_from_slice(&l.1);
                        Ok(())
                    },
                    &mut |_| {},
                )
                .unwrap();
                assert_eq!(out, text, "size {size}, threads {threads}");
            }
        }
    }

    #[test]
    fn speculative_recordio_cuts_at_false_magics_or_inside_split_records_are_cut_again() {
        use crate::codec::recordio::{self, Decoder, MAGIC_BYTES};
        // Payloads that hold a whole fake frame header at an aligned offset,
        // records split into begin/middle/end parts, and plain records.
        let mut data = Vec::new();
        let mut whole: Vec<Vec<u8>> = Vec::new();
        for i in 0..200u32 {
            match i % 3 {
                0 => {
                    let mut p = MAGIC_BYTES.to_vec();
                    p.extend_from_slice(&4u32.to_le_bytes());
                    p.extend_from_slice(&i.to_le_bytes());
                    recordio::encode_record(&mut data, &p).unwrap();
                    whole.push(p);
                }
                1 => {
                    let mut rec = Vec::new();
                    for (flag, part) in [(1u32, &b"abcde"[..]), (2, b"fg"), (3, b"h")] {
                        data.extend_from_slice(&MAGIC_BYTES);
                        data.extend_from_slice(&((flag << 29) | part.len() as u32).to_le_bytes());
                        data.extend_from_slice(part);
                        data.resize(recordio::padded(data.len()), 0);
                        rec.extend_from_slice(part);
                    }
                    whole.push(rec);
                }
                _ => {
                    let p = format!("plain {i}").into_bytes();
                    recordio::encode_record(&mut data, &p).unwrap();
                    whole.push(p);
                }
            }
        }
        let framer = Decoder::new();
        for size in [1, 8, 20, 36, 100, 4096] {
            for threads in [1, 2, 3] {
                let input = Input::from_bytes(data.clone(), "r.rec");
                let mut chunker = Chunker::new(input, &framer, size);
                let mut got: Vec<Vec<u8>> = Vec::new();
                run_owned(
                    &mut chunker,
                    Options {
                        threads,
                        chunk_size: size,
                        window: 0,
                    },
                    |c: Chunk| {
                        let mut recs = Vec::new();
                        let mut scratch = Vec::new();
                        // Decoding fails unless the chunk holds whole records.
                        framer.for_each(&c, &mut scratch, |p, _| {
                            recs.push(p.to_vec());
                            Ok(())
                        })?;
                        Ok(Recs(recs))
                    },
                    |r: Recs| {
                        got.extend(r.0);
                        Ok(())
                    },
                    &mut |_| {},
                )
                .unwrap();
                assert!(got == whole, "size {size}, threads {threads}");
            }
        }
    }

    struct Recs(Vec<Vec<u8>>);
    impl Counted for Recs {
        fn records(&self) -> u64 {
            self.0.len() as u64
        }
        fn lines(&self) -> u64 {
            0
        }
    }

    #[test]
    fn results_arriving_out_of_order_never_stall_the_window() {
        // The first chunk of every window is slow, so the rest of the window
        // arrives first and is consumed all at once (this once left the
        // consumer waiting with nothing in flight).
        let text: Vec<u8> = (0..400)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let framer = LineFramer::new();
        let mut chunker = Chunker::new(Input::from_bytes(text.clone(), "t"), &framer, 8);
        let mut out = Vec::new();
        run(
            &mut chunker,
            Options {
                threads: 2,
                chunk_size: 8,
                window: 3,
            },
            |c: &Chunk| {
                if c.index.is_multiple_of(3) {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Ok(Lines(0, c.to_vec()))
            },
            |l: Lines| {
                out.extend_from_slice(&l.1);
                Ok(())
            },
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn errors_get_absolute_positions_and_the_earliest_wins() {
        let mut text: Vec<u8> = (0..300)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let at = text.len();
        text.extend_from_slice(b"ok\nbad!\n");
        text.extend_from_slice(b"later!\n");
        for size in [1, 5, 64, 4096] {
            let e = collect(Input::from_bytes(text.clone(), "t.txt"), size, 2).unwrap_err();
            assert_eq!(e.position().line, Some(301), "chunk size {size}: {e}");
            assert_eq!(
                e.position().byte,
                Some(at as u64 + 6),
                "chunk size {size}: {e}"
            );
            assert_eq!(e.position().file.as_deref(), Some("t.txt"));
        }
    }
}
