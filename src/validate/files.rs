//! The objects of a channel: a local file, or every file under a local
//! folder, with what XGBoost cares about (hidden names, folder depth).

use std::path::Path;

use crate::error::{Error, Result};

/// One object of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Path (or URI) to open.
    pub uri: String,
    /// Size in bytes.
    pub size: u64,
    /// Path relative to the channel root (the file name for a single
    /// file), `/`-separated.
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
}

/// Lists a local file or, recursively, a local folder (sorted by path,
/// hidden files included, symlinks followed).
// TODO(merge): use store::list, which also lists s3:// prefixes, once the
// s3 branch lands; keep the hidden-name and depth fields it needs here.
pub(crate) fn list_objects(path: &str) -> Result<Vec<Object>> {
    let root = Path::new(path);
    let meta = std::fs::metadata(root).map_err(|e| Error::from(e).in_file(path))?;
    if !meta.is_dir() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string());
        return Ok(vec![Object {
            uri: path.to_string(),
            size: if meta.is_file() { meta.len() } else { 0 },
            relative: name,
            depth: 0,
        }]);
    }
    let mut out = Vec::new();
    walk(root, "", 0, &mut out)?;
    out.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<Object>) -> Result<()> {
    if depth > 64 {
        return Err(Error::config(format!(
            "{} is nested more than 64 folders deep (a symlink loop?)",
            dir.display()
        )));
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::from(e).in_file(dir.display().to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::from(e).in_file(dir.display().to_string()))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let meta = std::fs::metadata(&path)
            .map_err(|e| Error::from(e).in_file(path.display().to_string()))?;
        if meta.is_dir() {
            walk(&path, &relative, depth + 1, out)?;
        } else {
            out.push(Object {
                uri: path.to_string_lossy().into_owned(),
                size: if meta.is_file() { meta.len() } else { 0 },
                relative,
                depth,
            });
        }
    }
    Ok(())
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
}
