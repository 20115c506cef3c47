//! `herald export DIR` and `herald import DIR`: move every subject, version, id, config and mode from one
//! Confluent-compatible registry to another, keeping ids and versions (the target runs in IMPORT mode).
//!
//! The dump is `DIR/registry.json` (global config and mode) and one `DIR/subjects/<subject>.json` per subject
//! (its config, mode and every version, soft-deleted ones marked). Import is resumable: a version already present
//! in the target with the same id is skipped, one present with another id is an error. It ends with a verification
//! pass that exports the target again and reports every difference from the dump.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::registry::{Client, RegistryArgs, seg};

pub const EXAMPLES_EXPORT: &str = "Examples:
  herald export --registry http://old-registry:8081 dump/
  herald export --registry https://sr.example.com --user admin --password \"$PW\" dump/";
pub const EXAMPLES_IMPORT: &str = "Examples:
  herald import --registry http://localhost:8081 dump/
  herald import --registry http://localhost:8081 dump/ --verify-only";

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The directory to write (created if missing).
    dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// A directory written by `herald export`.
    dir: PathBuf,
    /// Only compare the registry with the dump.
    #[arg(long)]
    verify_only: bool,
}

/// Global settings of a dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Global {
    pub compatibility: Option<String>,
    pub mode: Option<String>,
}

/// One subject of a dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectDump {
    pub subject: String,
    pub compatibility: Option<String>,
    pub mode: Option<String>,
    pub versions: Vec<VersionDump>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionDump {
    pub version: i64,
    pub id: i64,
    #[serde(rename = "schemaType")]
    pub schema_type: String,
    pub schema: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Value>,
    /// Data-contract metadata and rule set, when the registry has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, rename = "ruleSet", skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

/// A whole registry.
#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    pub global: Global,
    pub subjects: BTreeMap<String, SubjectDump>,
}

fn progress(label: &str, done: usize, total: usize) {
    let mut err = std::io::stderr();
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    let _ = write!(
        err,
        "\r{label} [{}{}] {done}/{total}",
        "#".repeat(filled),
        " ".repeat(width - filled)
    );
    if done == total {
        let _ = writeln!(err);
    }
    let _ = err.flush();
}

/// Reads a whole registry.
pub fn read_registry(client: &Client, label: &str) -> anyhow::Result<Dump> {
    let global = Global {
        compatibility: client
            .get("/config")?
            .and_then(|v| v["compatibilityLevel"].as_str().map(str::to_owned)),
        mode: client
            .get("/mode")?
            .and_then(|v| v["mode"].as_str().map(str::to_owned)),
    };
    let names = client.subjects(true)?;
    let mut subjects = BTreeMap::new();
    for (i, subject) in names.iter().enumerate() {
        progress(label, i, names.len());
        let live = client.versions(subject, false)?;
        let mut versions = Vec::new();
        for v in client.versions(subject, true)? {
            let body = client.version(subject, &v.to_string(), true)?;
            versions.push(VersionDump {
                version: v,
                id: body["id"].as_i64().context("version without id")?,
                schema_type: body["schemaType"].as_str().unwrap_or("AVRO").to_owned(),
                schema: body["schema"].as_str().unwrap_or_default().to_owned(),
                references: body["references"].as_array().cloned().unwrap_or_default(),
                metadata: body.get("metadata").filter(|v| !v.is_null()).cloned(),
                rule_set: body.get("ruleSet").filter(|v| !v.is_null()).cloned(),
                deleted: !live.contains(&v),
            });
        }
        let s = seg(subject);
        subjects.insert(
            subject.clone(),
            SubjectDump {
                subject: subject.clone(),
                compatibility: client
                    .get(&format!("/config/{s}"))?
                    .and_then(|v| v["compatibilityLevel"].as_str().map(str::to_owned)),
                mode: client
                    .get(&format!("/mode/{s}"))?
                    .and_then(|v| v["mode"].as_str().map(str::to_owned)),
                versions,
            },
        );
    }
    progress(label, names.len(), names.len());
    Ok(Dump { global, subjects })
}

fn subject_file(dir: &Path, subject: &str) -> PathBuf {
    dir.join("subjects").join(format!("{}.json", seg(subject)))
}

pub fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.registry)?;
    let dump = read_registry(&client, "export")?;
    let subjects_dir = args.dir.join("subjects");
    std::fs::create_dir_all(&subjects_dir)
        .with_context(|| format!("cannot create {}", subjects_dir.display()))?;
    let write = |path: PathBuf, v: String| {
        std::fs::write(&path, v + "\n").with_context(|| format!("cannot write {}", path.display()))
    };
    write(
        args.dir.join("registry.json"),
        serde_json::to_string_pretty(&dump.global)?,
    )?;
    let mut versions = 0;
    for s in dump.subjects.values() {
        versions += s.versions.len();
        write(
            subject_file(&args.dir, &s.subject),
            serde_json::to_string_pretty(s)?,
        )?;
    }
    eprintln!(
        "exported {} subject(s), {versions} version(s) to {}",
        dump.subjects.len(),
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads a dump directory.
pub fn read_dump(dir: &Path) -> anyhow::Result<Dump> {
    let path = dir.join("registry.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let global: Global =
        serde_json::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
    let mut subjects = BTreeMap::new();
    let sub_dir = dir.join("subjects");
    if sub_dir.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&sub_dir)
            .with_context(|| format!("cannot read {}", sub_dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for p in files {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let s: SubjectDump =
                serde_json::from_str(&text).with_context(|| format!("invalid {}", p.display()))?;
            subjects.insert(s.subject.clone(), s);
        }
    }
    Ok(Dump { global, subjects })
}

/// Every difference between two dumps, one line each.
pub fn differences(expected: &Dump, actual: &Dump) -> Vec<String> {
    let mut out = Vec::new();
    if expected.global != actual.global {
        out.push(format!(
            "global settings: expected {:?}, found {:?}",
            expected.global, actual.global
        ));
    }
    for (name, e) in &expected.subjects {
        let Some(a) = actual.subjects.get(name) else {
            out.push(format!("subject {name}: missing"));
            continue;
        };
        if e.compatibility != a.compatibility {
            out.push(format!(
                "subject {name}: compatibility expected {:?}, found {:?}",
                e.compatibility, a.compatibility
            ));
        }
        if e.mode != a.mode {
            out.push(format!(
                "subject {name}: mode expected {:?}, found {:?}",
                e.mode, a.mode
            ));
        }
        for ev in &e.versions {
            match a.versions.iter().find(|v| v.version == ev.version) {
                None => out.push(format!("subject {name} version {}: missing", ev.version)),
                Some(av) if av != ev => out.push(format!(
                    "subject {name} version {}: expected id {} ({}deleted), found id {} ({}deleted){}",
                    ev.version,
                    ev.id,
                    if ev.deleted { "" } else { "not " },
                    av.id,
                    if av.deleted { "" } else { "not " },
                    if av.schema != ev.schema || av.references != ev.references {
                        ", schema text or references differ"
                    } else if av.metadata != ev.metadata || av.rule_set != ev.rule_set {
                        ", metadata or rule set differ"
                    } else {
                        ""
                    }
                )),
                Some(_) => {}
            }
        }
        for av in &a.versions {
            if !e.versions.iter().any(|v| v.version == av.version) {
                out.push(format!(
                    "subject {name} version {}: not in the dump",
                    av.version
                ));
            }
        }
    }
    for name in actual.subjects.keys() {
        if !expected.subjects.contains_key(name) {
            out.push(format!("subject {name}: not in the dump"));
        }
    }
    out
}

pub fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.registry)?;
    let dump = read_dump(&args.dir)?;
    if !args.verify_only {
        load(&client, &dump)?;
    }
    let actual = read_registry(&client, "verify")?;
    let diffs = differences(&dump, &actual);
    if diffs.is_empty() {
        println!(
            "verified: {} subject(s), {} version(s) identical",
            dump.subjects.len(),
            dump.subjects
                .values()
                .map(|s| s.versions.len())
                .sum::<usize>()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        for d in &diffs {
            println!("difference: {d}");
        }
        println!(
            "{} difference(s) between the dump and the registry",
            diffs.len()
        );
        Ok(ExitCode::from(1))
    }
}

fn load(client: &Client, dump: &Dump) -> anyhow::Result<()> {
    // IMPORT mode: without force unless every subject already there is one of the dump's (a resumed import).
    let existing = client.subjects(true)?;
    let resuming = !existing.is_empty() && existing.iter().all(|s| dump.subjects.contains_key(s));
    if !existing.is_empty() && !resuming {
        bail!(
            "the target registry has subjects that are not in the dump ({}); import into an empty registry",
            existing.join(", ")
        );
    }
    let current_mode = client
        .get("/mode")?
        .and_then(|v| v["mode"].as_str().map(str::to_owned));
    if current_mode.as_deref() != Some("IMPORT") {
        let path = if resuming {
            "/mode?force=true"
        } else {
            "/mode"
        };
        client
            .call("PUT", path, Some(&json!({"mode": "IMPORT"})))?
            .context("cannot set IMPORT mode")?;
    }
    // Ids ascending, so referenced schemas (always registered earlier) come first.
    let mut all: Vec<&VersionDump> = Vec::new();
    let mut owner: Vec<&str> = Vec::new();
    for s in dump.subjects.values() {
        for v in &s.versions {
            all.push(v);
            owner.push(&s.subject);
        }
    }
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_by_key(|&i| (all[i].id, all[i].version));
    let (mut imported, mut skipped) = (0, 0);
    for (n, &i) in order.iter().enumerate() {
        progress("import", n, order.len());
        let (subject, v) = (owner[i], all[i]);
        let path = format!(
            "/subjects/{}/versions/{}?deleted=true",
            seg(subject),
            v.version
        );
        if let Some(found) = client.get(&path)? {
            if found["id"].as_i64() == Some(v.id) {
                skipped += 1;
                if v.deleted
                    && client
                        .get(&format!(
                            "/subjects/{}/versions/{}",
                            seg(subject),
                            v.version
                        ))?
                        .is_some()
                {
                    soft_delete(client, subject, v.version)?;
                }
                continue;
            }
            bail!(
                "subject {subject} version {} already exists in the target with id {} (the dump has id {})",
                v.version,
                found["id"],
                v.id
            );
        }
        let mut body = json!({
            "schema": v.schema,
            "schemaType": v.schema_type,
            "id": v.id,
            "version": v.version,
        });
        if !v.references.is_empty() {
            body["references"] = json!(v.references);
        }
        if let Some(m) = &v.metadata {
            body["metadata"] = m.clone();
        }
        if let Some(r) = &v.rule_set {
            body["ruleSet"] = r.clone();
        }
        client
            .call(
                "POST",
                &format!("/subjects/{}/versions", seg(subject)),
                Some(&body),
            )?
            .with_context(|| format!("import {subject} version {}: not found", v.version))?;
        if v.deleted {
            soft_delete(client, subject, v.version)?;
        }
        imported += 1;
    }
    progress("import", order.len(), order.len());
    for s in dump.subjects.values() {
        let path = format!("/config/{}", seg(&s.subject));
        match &s.compatibility {
            Some(level) => {
                client.call("PUT", &path, Some(&json!({"compatibility": level})))?;
            }
            None => {
                client.call("DELETE", &path, None)?;
            }
        }
    }
    if let Some(level) = &dump.global.compatibility {
        client.call("PUT", "/config", Some(&json!({"compatibility": level})))?;
    }
    for s in dump.subjects.values() {
        if let Some(mode) = &s.mode {
            client.call(
                "PUT",
                &format!("/mode/{}?force=true", seg(&s.subject)),
                Some(&json!({"mode": mode})),
            )?;
        }
    }
    let mode = dump.global.mode.as_deref().unwrap_or("READWRITE");
    client.call("PUT", "/mode?force=true", Some(&json!({"mode": mode})))?;
    eprintln!("imported {imported} version(s), {skipped} already present");
    Ok(())
}

fn soft_delete(client: &Client, subject: &str, version: i64) -> anyhow::Result<()> {
    client
        .call(
            "DELETE",
            &format!("/subjects/{}/versions/{version}", seg(subject)),
            None,
        )?
        .with_context(|| format!("cannot soft-delete {subject} version {version}"))?;
    Ok(())
}
