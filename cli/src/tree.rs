//! Snapshots of a repository's schema files: the working directory, another directory, or a git revision (read
//! with one `git ls-tree` and one `git cat-file --batch`, so a large repository costs two processes).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::project::{Project, Schema};

/// Schema files of one version of the repository: path → text, and the resolved schemas.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub texts: BTreeMap<String, String>,
    pub schemas: Vec<Schema>,
}

impl Snapshot {
    pub fn schema(&self, path: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.path == path)
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// The schema files under a directory.
pub fn from_dir(dir: &Path, project: &Project) -> anyhow::Result<Snapshot> {
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    let mut paths = Vec::new();
    walk(dir, dir, &mut paths)?;
    let schemas = project.schemas(paths.iter().map(String::as_str))?;
    let mut texts = BTreeMap::new();
    for s in &schemas {
        let p = dir.join(&s.path);
        texts.insert(
            s.path.clone(),
            std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?,
        );
    }
    Ok(Snapshot { texts, schemas })
}

/// The schema files of a git revision of the repository containing `dir`, with paths relative to `dir`.
pub fn from_git(dir: &Path, rev: &str, project: &Project) -> anyhow::Result<Snapshot> {
    let git = |args: &[&str]| -> anyhow::Result<Vec<u8>> {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .context("cannot run git")?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out.stdout)
    };
    // `--full-tree` is not used: paths are relative to the current directory, like the working tree's.
    let listing = git(&["ls-tree", "-r", "-z", rev, "."])?;
    let mut objects = BTreeMap::new();
    for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        let mut parts = meta.split_whitespace();
        if parts.nth(1) != Some("blob") {
            continue;
        }
        if let Some(oid) = parts.next() {
            objects.insert(path.to_owned(), oid.to_owned());
        }
    }
    let schemas = project.schemas(objects.keys().map(String::as_str))?;
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut request = String::new();
    for s in &schemas {
        request.push_str(&objects[&s.path]);
        request.push('\n');
    }
    let mut stdin = child.stdin.take().context("git cat-file: no stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut output = Vec::new();
    child
        .stdout
        .take()
        .context("git cat-file: no stdout")?
        .read_to_end(&mut output)
        .context("cannot read git cat-file output")?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("git cat-file writer panicked"))?
        .context("cannot write to git cat-file")?;
    child.wait().context("git cat-file")?;
    // Each answer: "<oid> blob <size>\n<content>\n".
    let mut texts = BTreeMap::new();
    let mut pos = 0;
    for s in &schemas {
        let end = output[pos..]
            .iter()
            .position(|b| *b == b'\n')
            .context("truncated git cat-file output")?;
        let header = String::from_utf8_lossy(&output[pos..pos + end]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("unexpected git cat-file header {header:?}"))?;
        let start = pos + end + 1;
        let content = output
            .get(start..start + size)
            .context("truncated git cat-file output")?;
        texts.insert(
            s.path.clone(),
            String::from_utf8(content.to_vec())
                .with_context(|| format!("{rev}:{}: not UTF-8", s.path))?,
        );
        pos = start + size + 1;
    }
    Ok(Snapshot { texts, schemas })
}
