//! Local-only stand-ins for the object-store helpers that `store` gains
//! with S3 support (`store::list`, `store::exists`, `store::join`,
//! `store::ObjectInfo`). Everything in `shard` and `manifest` goes through
//! these names, so swapping them for the real ones is a change of `use`
//! lines.
//!
//! URIs here are local paths, or `file://` URIs (what SageMaker local
//! mode takes), which are mapped to paths.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

// TODO(merge): use store::ObjectInfo
/// An object found by [`list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object's full URI (a local path for local objects).
    pub uri: String,
    /// Size in bytes.
    pub size: u64,
}

/// True for `s3://` URIs.
pub fn is_s3(uri: &str) -> bool {
    uri.starts_with("s3://")
}

/// The local path of a local URI (`file://` stripped).
pub fn local_path(uri: &str) -> &str {
    uri.strip_prefix("file://").unwrap_or(uri)
}

fn no_s3(uri: &str) -> Error {
    Error::unsupported(format!(
        "{uri}: S3 is not available in this build of sm-data yet"
    ))
}

// TODO(merge): use store::list
/// Every object under `uri`, sorted by URI: a folder is walked
/// recursively; another prefix matches files of its folder whose path
/// starts with it (S3 prefix semantics); a file lists itself.
pub fn list(uri: &str) -> Result<Vec<ObjectInfo>> {
    if is_s3(uri) {
        return Err(no_s3(uri));
    }
    let path = local_path(uri);
    let mut out = Vec::new();
    let p = Path::new(path);
    if p.is_file() {
        let size = std::fs::metadata(p)
            .map_err(|e| Error::from(e).in_file(uri))?
            .len();
        out.push(ObjectInfo {
            uri: path.to_string(),
            size,
        });
        return Ok(out);
    }
    if p.is_dir() {
        walk(p, &mut out)?;
    } else {
        // A partial name: the files of its folder that start with it.
        let dir = match path.rfind('/') {
            Some(i) => &path[..=i],
            None => "./",
        };
        if Path::new(dir).is_dir() {
            walk(Path::new(dir), &mut out)?;
        }
        let want = if path.contains('/') {
            path.to_string()
        } else {
            format!("./{path}")
        };
        out.retain(|o| o.uri.starts_with(&want));
    }
    out.sort_by(|a, b| a.uri.cmp(&b.uri));
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<ObjectInfo>) -> Result<()> {
    let name = |p: &Path| p.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::from(e).in_file(name(dir)))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::from(e).in_file(name(dir)))?;
        let path: PathBuf = entry.path();
        let meta = std::fs::metadata(&path).map_err(|e| Error::from(e).in_file(name(&path)))?;
        if meta.is_dir() {
            walk(&path, out)?;
        } else if meta.is_file() {
            out.push(ObjectInfo {
                uri: join_local(dir, &entry.file_name().to_string_lossy()),
                size: meta.len(),
            });
        }
    }
    Ok(())
}

fn join_local(dir: &Path, name: &str) -> String {
    let d = dir.display().to_string();
    if d.ends_with('/') {
        format!("{d}{name}")
    } else {
        format!("{d}/{name}")
    }
}

// TODO(merge): use store::exists
/// True when the object (or local file) exists.
pub fn exists(uri: &str) -> Result<bool> {
    if is_s3(uri) {
        return Err(no_s3(uri));
    }
    Ok(Path::new(local_path(uri)).exists())
}

// TODO(merge): use store::join
/// `prefix` and `name` joined with exactly one `/`.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        return name.to_string();
    }
    let name = name.trim_start_matches('/');
    if prefix.ends_with('/') {
        format!("{prefix}{name}")
    } else {
        format!("{prefix}/{name}")
    }
}
