//! Server settings: defaults, an optional TOML config file, then environment variables (`HERALD_*`).

use std::path::Path;

use herald_compat::CompatibilityLevel;
use serde::Deserialize;

use crate::error::Error;

/// Everything `run` needs besides the listener. Build with [`Config::default`] or [`Config::load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where the CLI binds (`HERALD_LISTEN`); `run` itself serves the listener it is given.
    pub listen: String,
    /// `sqlite://path` (created on first start) or `postgres://...` (`HERALD_DATABASE_URL`).
    pub database_url: String,
    /// Largest accepted request body in bytes (`HERALD_MAX_BODY_BYTES`); larger bodies get 413.
    pub max_body_bytes: usize,
    /// Database connection pool size (`HERALD_MAX_CONNECTIONS`).
    pub max_connections: u32,
    /// Compatibility level when none is configured (Confluent's `schema.compatibility.level`).
    pub default_compatibility: CompatibilityLevel,
    /// The id returned by `/v1/metadata/id`.
    pub cluster_id: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8081".to_owned(),
            database_url: "sqlite://herald.db".to_owned(),
            max_body_bytes: 16 * 1024 * 1024,
            max_connections: 8,
            default_compatibility: CompatibilityLevel::Backward,
            cluster_id: "herald".to_owned(),
        }
    }
}

/// The config file's shape: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    max_body_bytes: Option<usize>,
    max_connections: Option<u32>,
    default_compatibility: Option<String>,
    cluster_id: Option<String>,
}

impl Config {
    /// Defaults, overridden by the TOML file (if given), overridden by the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, Error> {
        Self::load_from(file, |k| std::env::var(k).ok())
    }

    /// [`Config::load`] with an explicit environment, for tests and embedding.
    pub fn load_from(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, Error> {
        let mut config = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
            let f: FileConfig = toml::from_str(&text)
                .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
            config.apply(FileConfig { ..f })?;
        }
        let parse_num = |key: &str, v: String| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| Error::Config(format!("{key} must be a number, got {v:?}")))
        };
        let from_env = FileConfig {
            listen: env("HERALD_LISTEN"),
            database_url: env("HERALD_DATABASE_URL"),
            max_body_bytes: env("HERALD_MAX_BODY_BYTES")
                .map(|v| parse_num("HERALD_MAX_BODY_BYTES", v))
                .transpose()?
                .map(|n| n as usize),
            max_connections: env("HERALD_MAX_CONNECTIONS")
                .map(|v| parse_num("HERALD_MAX_CONNECTIONS", v))
                .transpose()?
                .map(|n| n as u32),
            default_compatibility: env("HERALD_DEFAULT_COMPATIBILITY"),
            cluster_id: env("HERALD_CLUSTER_ID"),
        };
        config.apply(from_env)?;
        Ok(config)
    }

    fn apply(&mut self, f: FileConfig) -> Result<(), Error> {
        if let Some(v) = f.listen {
            self.listen = v;
        }
        if let Some(v) = f.database_url {
            self.database_url = v;
        }
        if let Some(v) = f.max_body_bytes {
            self.max_body_bytes = v;
        }
        if let Some(v) = f.max_connections {
            if v == 0 {
                return Err(Error::Config(
                    "max_connections must be at least 1".to_owned(),
                ));
            }
            self.max_connections = v;
        }
        if let Some(v) = f.default_compatibility {
            self.default_compatibility = v.parse().map_err(|e| Error::Config(format!("{e}")))?;
        }
        if let Some(v) = f.cluster_id {
            self.cluster_id = v;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_override_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("herald.toml");
        std::fs::write(
            &path,
            "database_url = \"sqlite://x.db\"\nmax_body_bytes = 1000\ndefault_compatibility = \"full\"\n",
        )
        .expect("write");
        let c = Config::load_from(Some(&path), |k| {
            (k == "HERALD_DATABASE_URL").then(|| "postgres://db/x".to_owned())
        })
        .expect("load");
        assert_eq!(c.database_url, "postgres://db/x");
        assert_eq!(c.max_body_bytes, 1000);
        assert_eq!(c.default_compatibility, CompatibilityLevel::Full);
        assert_eq!(c.listen, "127.0.0.1:8081");
        std::fs::write(&path, "colour = 1\n").expect("write");
        assert!(Config::load_from(Some(&path), |_| None).is_err());
        assert!(
            Config::load_from(None, |k| (k == "HERALD_MAX_CONNECTIONS")
                .then(|| "x".into()))
            .is_err()
        );
    }
}
