//! The objects of a channel: a file or S3 object, every object under a
//! local folder or `s3://` prefix (one code path, [`store::list`]), or the
//! objects a `ManifestFile` lists, with what XGBoost cares about (hidden
//! names, folder depth below the channel root).

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::manifest::Manifest;
use crate::store::{self, is_s3, local_path};

/// One object of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Path (or URI) to open.
    pub uri: String,
    /// Size in bytes.
    pub size: u64,
    /// Path relative to the channel root (the file name for a single
    /// file, the key for an object of a manifest), `/`-separated.
    pub relative: String,
    /// Number of folders between the channel root and the file (0 for a
    /// file directly in the channel).
    pub depth: usize,
}

impl Object {
    /// The first path component (folder or file name) that starts with
    /// `.`, if any.
    pub fn hidden_component(&self) -> Option<&str> {
        self.relative.split('/').find(|c| c.starts_with('.'))
    }

    /// The file name.
    pub fn name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or(&self.relative)
    }

    fn new(uri: String, size: u64, relative: &str) -> Object {
        let relative = relative.trim_start_matches('/').to_string();
        Object {
            uri,
            size,
            depth: relative.matches('/').count(),
            relative,
        }
    }
}

/// Lists a channel path with [`store::list`]: a file or object itself, or
/// every object under a local folder (recursively, sorted by path, hidden
/// files included) or an `s3://` prefix (SageMaker's `S3Prefix` rule:
/// every key that starts with it). Zero-byte S3 "folder" markers (keys
/// ending in `/`) are left out. A local path that does not exist is an
/// error; an S3 prefix with nothing under it is an empty list.
pub(crate) fn list_objects(path: &str) -> Result<Vec<Object>> {
    if !is_s3(path) {
        // Keeps the local behaviour: a path that names nothing is an error
        // (store::list would read it as a prefix).
        std::fs::metadata(local_path(path)).map_err(|e| Error::from(e).in_file(path))?;
    }
    let infos = store::list(path)?;
    let root = if is_s3(path) { path } else { local_path(path) };
    let mut out = Vec::with_capacity(infos.len());
    for info in infos {
        if info.uri.ends_with('/') && info.size == 0 {
            continue;
        }
        let relative = relative_to(root, &info.uri);
        out.push(Object::new(info.uri, info.size, &relative));
    }
    Ok(out)
}

/// `uri` relative to the channel root `root`: below a folder (`root/…`)
/// the rest of the path, else (a file named itself, or a key that only
/// starts with the prefix) the path below the root's own folder.
fn relative_to(root: &str, uri: &str) -> String {
    let root = root.trim_end_matches('/');
    match uri.strip_prefix(root) {
        Some(rest) if rest.starts_with('/') => rest[1..].to_string(),
        _ => {
            let folder = match root.rfind('/') {
                Some(i) => &root[..=i],
                None => "",
            };
            uri.strip_prefix(folder).unwrap_or(uri).to_string()
        }
    }
}

/// A key of a manifest with no object: its element index in the manifest's
/// array (1 for the first key) and its full URI.
pub(crate) type Missing = (usize, String);

/// The objects a `ManifestFile` lists, in manifest order, each relative to
/// the manifest's prefix; the prefix is listed once to find them. Keys
/// with no object are returned separately, with their element index in
/// the manifest's array (1 for the first key).
pub(crate) fn manifest_objects(uri: &str) -> Result<(Vec<Object>, Vec<Missing>)> {
    let m = Manifest::read(uri)?;
    let listed: HashMap<String, u64> = store::list(&m.prefix)?
        .into_iter()
        .map(|o| (o.uri, o.size))
        .collect();
    let local = !is_s3(&m.prefix);
    let mut found = Vec::with_capacity(m.keys.len());
    let mut missing = Vec::new();
    for (i, (key, full)) in m.keys.iter().zip(m.uris()).enumerate() {
        let full = if local {
            local_path(&full).to_string()
        } else {
            full
        };
        match listed.get(&full) {
            Some(&size) => found.push(Object::new(full, size, key)),
            None => missing.push((i + 1, full)),
        }
    }
    Ok((found, missing))
}

/// Whether `head` (the start of a file) is a `ManifestFile`: a JSON array
/// whose first element is an object with a `"prefix"` key.
pub(crate) fn looks_like_manifest(head: &[u8]) -> bool {
    let skip = |s: &[u8]| -> usize { s.iter().take_while(|b| b.is_ascii_whitespace()).count() };
    let mut s = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    s = &s[skip(s)..];
    let Some(rest) = s.strip_prefix(b"[") else {
        return false;
    };
    let rest = &rest[skip(rest)..];
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    let rest = &rest[skip(rest)..];
    rest.starts_with(b"\"prefix\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_hidden_files_and_depth() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a/b/c/d")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        std::fs::write(d.join("x.csv"), "1,2\n").unwrap();
        std::fs::write(d.join(".keep"), "").unwrap();
        std::fs::write(d.join(".git/HEAD"), "x").unwrap();
        std::fs::write(d.join("a/b/c/d/deep.csv"), "1,2\n").unwrap();
        let objs = list_objects(d.to_str().unwrap()).unwrap();
        let rel: Vec<(&str, usize)> = objs
            .iter()
            .map(|o| (o.relative.as_str(), o.depth))
            .collect();
        assert_eq!(
            rel,
            vec![
                (".git/HEAD", 1),
                (".keep", 0),
                ("a/b/c/d/deep.csv", 4),
                ("x.csv", 0)
            ]
        );
        assert_eq!(objs[0].hidden_component(), Some(".git"));
        assert_eq!(objs[3].hidden_component(), None);
        assert_eq!(objs[3].size, 4);
        let one = list_objects(d.join("x.csv").to_str().unwrap()).unwrap();
        assert_eq!(one[0].relative, "x.csv");
        assert!(list_objects(d.join("nope").to_str().unwrap()).is_err());
    }

    #[test]
    fn relative_paths_follow_the_prefix_rule() {
        assert_eq!(
            relative_to("s3://b/train/", "s3://b/train/a/x.csv"),
            "a/x.csv"
        );
        assert_eq!(relative_to("s3://b/train", "s3://b/train/x.csv"), "x.csv");
        assert_eq!(
            relative_to("s3://b/train", "s3://b/train2/x.csv"),
            "train2/x.csv"
        );
        assert_eq!(relative_to("s3://b/d/x.csv", "s3://b/d/x.csv"), "x.csv");
        assert_eq!(relative_to("s3://b", "s3://b/k/x"), "k/x");
        assert_eq!(relative_to("x.csv", "x.csv"), "x.csv");
        assert_eq!(relative_to("/", "/a/b"), "a/b");
        let o = Object::new("s3://b/t/.a/b/c.csv".into(), 3, "/.a/b/c.csv");
        assert_eq!((o.depth, o.hidden_component()), (2, Some(".a")));
    }

    #[test]
    fn manifests_are_recognised_by_content() {
        assert!(looks_like_manifest(b" [ {\"prefix\": \"s3://b/\"}, \"a\"]"));
        assert!(looks_like_manifest(b"[{\"prefix\""));
        assert!(!looks_like_manifest(b"[1, 2]"));
        assert!(!looks_like_manifest(b"{\"prefix\": 1}"));
        assert!(!looks_like_manifest(b"1,2,3\n"));
    }
}
