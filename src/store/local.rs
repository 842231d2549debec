//! Local files: memory-mapped or streamed input, temporary-name output,
//! recursive listing.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use super::filewrite::FileWriter;
use super::{GZIP_MAGIC, Input, Mapped, ObjectInfo, Output, Sink};
use crate::error::{Error, Result};

/// Opens a local path (not `-`); see [`Input::open`]. A gzip file is
/// decompressed when `gunzip` is true, else mapped as stored.
pub(super) fn open(path: &str, gunzip: bool) -> Result<Input> {
    let name = path.to_string();
    let file = File::open(path).map_err(|e| Error::from(e).in_file(&name))?;
    let meta = file.metadata().map_err(|e| Error::from(e).in_file(&name))?;
    if !meta.is_file() {
        if meta.is_dir() {
            return Err(Error::config(format!("{name} is a directory, not a file")));
        }
        return Input::from_reader(Box::new(file), &name, None);
    }
    if meta.len() == 0 {
        return Ok(Input::Mapped {
            map: Arc::new(Mapped::Owned(Vec::new())),
            name,
        });
    }
    // SAFETY: the map is read-only and private to this process. The
    // module docs state what happens if the file changes underneath.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::from(e).in_file(&name))?;
    if gunzip && map.starts_with(&GZIP_MAGIC) {
        let size = meta.len();
        drop(map);
        let gz = flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 20, file));
        return Input::from_reader(Box::new(gz), &name, Some(size));
    }
    #[cfg(unix)]
    {
        let _ = map.advise(memmap2::Advice::Sequential);
    }
    Ok(Input::Mapped {
        map: Arc::new(Mapped::Map(map)),
        name,
    })
}

/// Creates a local output (not `-`); see [`Output::create`].
pub(super) fn create(path: &str, overwrite: bool) -> Result<Output> {
    let final_path = PathBuf::from(path);
    // A FIFO or a device is written into, never replaced.
    if let Ok(meta) = std::fs::metadata(&final_path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let file = File::options()
            .write(true)
            .open(&final_path)
            .map_err(|e| Error::from(e).in_file(path))?;
        return Ok(Output {
            writer: Some(Sink::File(BufWriter::with_capacity(1 << 20, file))),
            tmp: None,
            path: None,
            name: path.to_string(),
        });
    }
    if !overwrite && final_path.exists() {
        return Err(Error::config(format!(
            "{path} already exists; pass --force to overwrite it"
        )));
    }
    if final_path.is_dir() {
        return Err(Error::config(format!("{path} is a directory")));
    }
    let dir = final_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = final_path
        .file_name()
        .ok_or_else(|| Error::config(format!("{path} is not a file name")))?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{file_name}.sm-data-{}.tmp", std::process::id()));
    let file = File::create(&tmp).map_err(|e| Error::from(e).in_file(tmp.display().to_string()))?;
    let buffered = FileWriter::new(file);
    let writer = if file_name.ends_with(".gz") {
        Sink::Gzip(flate2::write::GzEncoder::new(
            buffered,
            flate2::Compression::default(),
        ))
    } else {
        Sink::Local(buffered)
    };
    Ok(Output {
        writer: Some(writer),
        tmp: Some(tmp),
        path: Some(final_path),
        name: path.to_string(),
    })
}

/// A file itself, every file under a folder (recursively; symbolic links
/// are followed, to files and to folders, as `find -L` does, except a link
/// back to a folder being walked, which would loop; a dangling link is an
/// error naming it), or, for a path that does not exist, the files
/// of its folder whose path starts with it (S3 prefix semantics: `data/tr`
/// finds `data/train.csv` and `data/train/x.csv`; nothing found is an
/// empty list, as for an S3 prefix).
pub(super) fn list(path: &str) -> Result<Vec<ObjectInfo>> {
    let mut out = Vec::new();
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => walk(Path::new(path), &mut out)?,
        Ok(meta) => out.push(ObjectInfo {
            uri: path.to_string(),
            size: meta.len(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let (dir, want) = match path.rfind('/') {
                Some(i) => (&path[..=i], path.to_string()),
                None => ("./", format!("./{path}")),
            };
            if Path::new(dir).is_dir() {
                walk(Path::new(dir), &mut out)?;
            }
            out.retain(|o| o.uri.starts_with(&want));
        }
        Err(e) => return Err(Error::from(e).in_file(path)),
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<ObjectInfo>) -> Result<()> {
    let mut ancestors = Vec::new();
    walk_in(dir, &mut ancestors, out)
}

/// Lists `dir`; `ancestors` holds the canonical paths of the folders being
/// walked (a link to one of them is skipped: it would loop).
fn walk_in(dir: &Path, ancestors: &mut Vec<PathBuf>, out: &mut Vec<ObjectInfo>) -> Result<()> {
    let name = |p: &Path| p.display().to_string();
    let canonical = std::fs::canonicalize(dir).map_err(|e| Error::from(e).in_file(name(dir)))?;
    if ancestors.contains(&canonical) {
        return Ok(());
    }
    ancestors.push(canonical);
    let entries = std::fs::read_dir(dir).map_err(|e| Error::from(e).in_file(name(dir)))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::from(e).in_file(name(dir)))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| Error::from(e).in_file(name(&path)))?;
        if kind.is_dir() {
            walk_in(&path, ancestors, out)?;
            continue;
        }
        // Follows a symbolic link to see what it points at.
        let meta = std::fs::metadata(&path).map_err(|e| Error::from(e).in_file(name(&path)))?;
        if meta.is_dir() {
            walk_in(&path, ancestors, out)?;
            continue;
        }
        out.push(ObjectInfo {
            uri: name(&path),
            size: meta.len(),
        });
    }
    ancestors.pop();
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(root: &Path) -> Vec<String> {
        let mut v: Vec<String> = list(root.to_str().unwrap())
            .unwrap()
            .into_iter()
            .map(|o| {
                o.uri
                    .strip_prefix(root.to_str().unwrap())
                    .unwrap()
                    .to_string()
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn links_to_folders_are_followed_and_loops_are_not() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("data");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(root.join("train")).unwrap();
        std::fs::create_dir_all(elsewhere.join("deep")).unwrap();
        std::fs::write(root.join("train/a.csv"), "1,2\n").unwrap();
        std::fs::write(elsewhere.join("deep/b.csv"), "3,4\n").unwrap();
        std::fs::write(elsewhere.join("c.csv"), "5,6\n").unwrap();
        // A folder linked in, a file linked in, and two loops: to the root
        // and to the folder holding the link.
        symlink(&elsewhere, root.join("linked")).unwrap();
        symlink(elsewhere.join("c.csv"), root.join("train/c-link.csv")).unwrap();
        symlink(&root, root.join("train/up")).unwrap();
        symlink(root.join("train"), root.join("train/self")).unwrap();
        assert_eq!(
            names(&root),
            [
                "/linked/c.csv",
                "/linked/deep/b.csv",
                "/train/a.csv",
                "/train/c-link.csv"
            ]
        );
        // The root itself may be a link.
        let link_root = tmp.path().join("root-link");
        symlink(&root, &link_root).unwrap();
        assert_eq!(names(&link_root).len(), 4);
        let sizes: u64 = list(link_root.to_str().unwrap())
            .unwrap()
            .iter()
            .map(|o| o.size)
            .sum();
        assert_eq!(sizes, 16);
    }

    #[test]
    fn a_dangling_link_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a.csv"), "1\n").unwrap();
        symlink(tmp.path().join("gone"), tmp.path().join("broken.csv")).unwrap();
        let e = list(tmp.path().to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("broken.csv"), "{e}");
    }
}

/// Whether a local path exists (following symbolic links).
pub(super) fn exists(path: &str) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::from(e).in_file(path)),
    }
}
