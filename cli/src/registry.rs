//! A small blocking client for the Confluent Schema Registry REST API (any compatible registry), with basic or
//! bearer authentication.

use anyhow::{Context, bail};
use clap::Args;
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use serde_json::{Value, json};

/// Connection options shared by every registry command.
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// Registry base URL.
    #[arg(long, env = "HERALD_REGISTRY_URL", value_name = "URL", global = true)]
    pub registry: Option<String>,
    /// Basic-auth user name.
    #[arg(
        long,
        env = "HERALD_REGISTRY_USER",
        requires = "password",
        global = true
    )]
    pub user: Option<String>,
    /// Basic-auth password.
    #[arg(
        long,
        env = "HERALD_REGISTRY_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub password: Option<String>,
    /// Bearer token.
    #[arg(
        long,
        env = "HERALD_REGISTRY_TOKEN",
        hide_env_values = true,
        conflicts_with = "user",
        global = true
    )]
    pub token: Option<String>,
    /// PEM file of certificate authorities to trust for an `https://` registry, besides the system's.
    #[arg(
        long,
        env = "HERALD_REGISTRY_CA_CERT",
        value_name = "FILE",
        global = true
    )]
    pub ca_cert: Option<std::path::PathBuf>,
    /// PEM file with a client certificate chain and its private key, for registries that require mutual TLS.
    #[arg(
        long,
        env = "HERALD_REGISTRY_CLIENT_CERT",
        value_name = "FILE",
        global = true
    )]
    pub client_cert: Option<std::path::PathBuf>,
}

/// A registry endpoint.
#[derive(Debug)]
pub struct Client {
    http: Http,
    base: String,
    user: Option<(String, Option<String>)>,
    token: Option<String>,
}

/// Percent-encodes one path segment (subjects may hold `:`, `.` and `/`).
pub fn seg(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    pub fn new(args: &RegistryArgs) -> anyhow::Result<Client> {
        let Some(base) = args.registry.as_deref() else {
            bail!("no registry: pass --registry URL or set HERALD_REGISTRY_URL");
        };
        let mut builder = Http::builder().timeout(std::time::Duration::from_secs(60));
        if let Some(path) = &args.ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read the CA file {}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("{} holds no valid PEM certificate", path.display()))?;
            if certs.is_empty() {
                bail!("{} holds no PEM certificate", path.display());
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(path) = &args.client_cert {
            let pem = std::fs::read(path).with_context(|| {
                format!("cannot read the client certificate {}", path.display())
            })?;
            let identity = reqwest::Identity::from_pem(&pem).with_context(|| {
                format!(
                    "{} must hold a PEM certificate chain and its private key",
                    path.display()
                )
            })?;
            builder = builder.identity(identity);
        }
        let http = builder.build().context("cannot build the HTTP client")?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            user: args.user.clone().map(|u| (u, args.password.clone())),
            token: args.token.clone(),
        })
    }

    fn auth(&self, req: RequestBuilder) -> RequestBuilder {
        let req = req.header("Accept", "application/vnd.schemaregistry.v1+json");
        match (&self.user, &self.token) {
            (Some((u, p)), _) => req.basic_auth(u, p.as_ref()),
            (None, Some(t)) => req.bearer_auth(t),
            (None, None) => req,
        }
    }

    fn send(&self, method: &str, path: &str, req: RequestBuilder) -> anyhow::Result<Response> {
        self.auth(req).send().map_err(|error| {
            let chain = anyhow::Error::new(error);
            let hint = if format!("{chain:#}").contains("certificate") {
                " (pass --ca-cert FILE to trust a private certificate authority, --client-cert FILE for mutual TLS)"
            } else {
                ""
            };
            chain.context(format!("{method} {}{path} failed{hint}", self.base))
        })
    }

    /// Sends a request; `Ok(None)` for a 404, an error for any other failure.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Option<Value>> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(&url),
            "POST" => self.http.post(&url),
            "PUT" => self.http.put(&url),
            "DELETE" => self.http.delete(&url),
            other => bail!("unsupported method {other}"),
        };
        let req = match body {
            Some(b) => req
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(b.to_string()),
            None => req,
        };
        let resp = self.send(method, path, req)?;
        let status = resp.status();
        let text = resp
            .text()
            .with_context(|| format!("{method} {url}: cannot read the answer"))?;
        if status.as_u16() == 404 {
            return Ok(None);
        }
        if !status.is_success() {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or(text);
            bail!("{method} {url}: {status}: {message}");
        }
        if text.trim().is_empty() {
            return Ok(Some(Value::Null));
        }
        serde_json::from_str(&text)
            .map(Some)
            .with_context(|| format!("{method} {url}: the answer is not JSON"))
    }

    pub fn get(&self, path: &str) -> anyhow::Result<Option<Value>> {
        self.call("GET", path, None)
    }

    /// Like `get`, but a 404 is an error naming `what`.
    pub fn get_found(&self, path: &str, what: &str) -> anyhow::Result<Value> {
        self.get(path)?
            .with_context(|| format!("{what}: not found"))
    }

    pub fn subjects(&self, deleted: bool) -> anyhow::Result<Vec<String>> {
        let path = if deleted {
            "/subjects?deleted=true"
        } else {
            "/subjects"
        };
        let v = self.get_found(path, "subjects")?;
        serde_json::from_value(v).context("unexpected /subjects answer")
    }

    /// The versions of a subject (empty when it does not exist).
    pub fn versions(&self, subject: &str, deleted: bool) -> anyhow::Result<Vec<i64>> {
        let q = if deleted { "?deleted=true" } else { "" };
        match self.get(&format!("/subjects/{}/versions{q}", seg(subject)))? {
            Some(v) => Ok(serde_json::from_value(v).context("unexpected versions answer")?),
            None => Ok(Vec::new()),
        }
    }

    /// One version (`latest` or a number) with its schema, id, type and references.
    pub fn version(&self, subject: &str, version: &str, deleted: bool) -> anyhow::Result<Value> {
        let q = if deleted { "?deleted=true" } else { "" };
        self.get_found(
            &format!("/subjects/{}/versions/{}{q}", seg(subject), seg(version)),
            &format!("subject {subject} version {version}"),
        )
    }

    /// The subject's compatibility level (falling back to the global one).
    pub fn level(&self, subject: Option<&str>) -> anyhow::Result<String> {
        let path = match subject {
            Some(s) => format!("/config/{}?defaultToGlobal=true", seg(s)),
            None => "/config".to_owned(),
        };
        let v = self.get_found(&path, "config")?;
        v["compatibilityLevel"]
            .as_str()
            .or_else(|| v["compatibility"].as_str())
            .map(str::to_owned)
            .context("unexpected /config answer")
    }

    /// Registers a schema; returns its id.
    pub fn register(&self, subject: &str, body: &Value) -> anyhow::Result<i64> {
        let v = self
            .call(
                "POST",
                &format!("/subjects/{}/versions", seg(subject)),
                Some(body),
            )?
            .with_context(|| format!("register {subject}: not found"))?;
        v["id"].as_i64().context("unexpected registration answer")
    }

    /// Looks a schema up under a subject: its (id, version) if already registered.
    pub fn lookup(&self, subject: &str, body: &Value) -> anyhow::Result<Option<(i64, i64)>> {
        match self.call("POST", &format!("/subjects/{}", seg(subject)), Some(body))? {
            Some(v) => Ok(v["id"].as_i64().zip(v["version"].as_i64())),
            None => Ok(None),
        }
    }
}

/// The request body that registers `schema` of `schema_type` with references.
pub fn schema_body(schema: &str, schema_type: &str, references: &[Value]) -> Value {
    let mut body = json!({ "schema": schema });
    if schema_type != "AVRO" {
        body["schemaType"] = json!(schema_type);
    }
    if !references.is_empty() {
        body["references"] = json!(references);
    }
    body
}
