//! [`from_env`]: the transport a deployment describes with environment variables: Kafka, framed in the Confluent
//! wire format through a schema registry when `HERALD_REGISTRY_URL` is set.

use herald::confluent::{
    Confluent, ConfluentSink, ConfluentSource, RegistryClient, RegistryConfig, SubjectNameStrategy,
};
use herald::{OutRecord, Record, Sink, Source, TopicPartition, Transport, TransportError};

use crate::{Kafka, KafkaConfig, KafkaError, KafkaReceipt, KafkaSink, KafkaSource};

/// The registry's URL; setting it turns the Confluent wire format on.
pub const REGISTRY_URL: &str = "HERALD_REGISTRY_URL";
/// HTTP basic authentication with the registry (with `HERALD_REGISTRY_PASSWORD`).
pub const REGISTRY_USERNAME: &str = "HERALD_REGISTRY_USERNAME";
/// The password of `HERALD_REGISTRY_USERNAME`.
pub const REGISTRY_PASSWORD: &str = "HERALD_REGISTRY_PASSWORD";
/// `true` registers the schemas of produced events when the registry lacks them (default `false`).
pub const REGISTRY_AUTO_REGISTER: &str = "HERALD_REGISTRY_AUTO_REGISTER";
/// The subject naming strategy: `topic` (default, `<topic>-value`), `record` or `topic_record`.
pub const REGISTRY_SUBJECTS: &str = "HERALD_REGISTRY_SUBJECTS";

/// Kafka, with or without the Confluent wire format: what [`from_env`] returns.
#[derive(Debug, Clone)]
pub enum KafkaTransport {
    /// Payloads are produced and consumed as they are.
    Plain(Kafka),
    /// Payloads are framed with schema ids resolved through a registry.
    Registry(Confluent<Kafka>),
}

/// Runs the workers on the transport the environment describes: `HERALD_KAFKA_*` for the cluster (see
/// [`KafkaConfig::from_env`]) and, when `HERALD_REGISTRY_URL` is set, the registry whose ids frame the payloads
/// (`HERALD_REGISTRY_USERNAME`/`_PASSWORD`, `HERALD_REGISTRY_AUTO_REGISTER`, `HERALD_REGISTRY_SUBJECTS`):
///
/// ```no_run
/// # async fn f<W: herald::Worker>(worker: W) -> Result<(), Box<dyn std::error::Error>> {
/// herald::Runner::new(herald_kafka::from_env()?).worker(worker).run_until_signal().await?;
/// # Ok(()) }
/// ```
pub fn from_env() -> Result<KafkaTransport, KafkaError> {
    from_vars(std::env::vars())
}

/// [`from_env`] over the given variables.
pub fn from_vars(
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<KafkaTransport, KafkaError> {
    let vars: Vec<(String, String)> = vars.into_iter().collect();
    let get = |name: &str| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let kafka = Kafka::new(KafkaConfig::from_vars(vars.iter().cloned())?)?;
    let Some(url) = get(REGISTRY_URL) else {
        return Ok(KafkaTransport::Plain(kafka));
    };
    let mut registry = RegistryConfig::new(url);
    if let Some(user) = get(REGISTRY_USERNAME) {
        registry = registry.basic_auth(user, get(REGISTRY_PASSWORD).unwrap_or_default());
    }
    let client =
        RegistryClient::new(registry).map_err(|e| KafkaError::Config(format!("registry: {e}")))?;
    let auto_register = match get(REGISTRY_AUTO_REGISTER).as_deref() {
        None | Some("false" | "0" | "") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(KafkaError::Config(format!(
                "{REGISTRY_AUTO_REGISTER}={other}: expected true or false"
            )));
        }
    };
    let strategy = match get(REGISTRY_SUBJECTS).as_deref() {
        None | Some("topic") => SubjectNameStrategy::TopicName,
        Some("record") => SubjectNameStrategy::RecordName,
        Some("topic_record") => SubjectNameStrategy::TopicRecordName,
        Some(other) => {
            return Err(KafkaError::Config(format!(
                "{REGISTRY_SUBJECTS}={other}: expected topic, record or topic_record"
            )));
        }
    };
    Ok(KafkaTransport::Registry(
        Confluent::new(kafka, client)
            .strategy(strategy)
            .auto_register(auto_register),
    ))
}

impl KafkaTransport {
    /// The Kafka transport underneath.
    pub fn kafka(&self) -> &Kafka {
        match self {
            KafkaTransport::Plain(k) => k,
            KafkaTransport::Registry(c) => c.inner(),
        }
    }
}

/// A [`KafkaTransport`]'s consumer-group member.
#[derive(Debug)]
pub enum KafkaTransportSource {
    Plain(KafkaSource),
    Registry(ConfluentSource<KafkaSource>),
}

/// A [`KafkaTransport`]'s producer.
#[derive(Debug, Clone)]
pub enum KafkaTransportSink {
    Plain(KafkaSink),
    Registry(ConfluentSink<KafkaSink>),
}

impl Transport for KafkaTransport {
    type Source = KafkaTransportSource;
    type Sink = KafkaTransportSink;

    fn subscribe(&self, group: &str, topics: &[&str]) -> Result<Self::Source, TransportError> {
        Ok(match self {
            KafkaTransport::Plain(k) => KafkaTransportSource::Plain(k.subscribe(group, topics)?),
            KafkaTransport::Registry(c) => {
                KafkaTransportSource::Registry(c.subscribe(group, topics)?)
            }
        })
    }

    fn sink(&self) -> Self::Sink {
        match self {
            KafkaTransport::Plain(k) => KafkaTransportSink::Plain(Transport::sink(k)),
            KafkaTransport::Registry(c) => KafkaTransportSink::Registry(Transport::sink(c)),
        }
    }

    fn sink_for(&self, source: &Self::Source) -> Self::Sink {
        match (self, source) {
            (KafkaTransport::Plain(k), KafkaTransportSource::Plain(s)) => {
                KafkaTransportSink::Plain(k.sink_for(s))
            }
            (KafkaTransport::Registry(c), KafkaTransportSource::Registry(s)) => {
                KafkaTransportSink::Registry(c.sink_for(s))
            }
            // A source of the other kind was not subscribed through this transport.
            _ => self.sink(),
        }
    }
}

impl Source for KafkaTransportSource {
    async fn poll(&mut self, max: usize) -> Result<Vec<std::sync::Arc<Record>>, TransportError> {
        match self {
            KafkaTransportSource::Plain(s) => s.poll(max).await,
            KafkaTransportSource::Registry(s) => s.poll(max).await,
        }
    }

    async fn commit(&mut self, offsets: &[(TopicPartition, u64)]) -> Result<(), TransportError> {
        match self {
            KafkaTransportSource::Plain(s) => s.commit(offsets).await,
            KafkaTransportSource::Registry(s) => s.commit(offsets).await,
        }
    }

    fn assignment(&self) -> Vec<TopicPartition> {
        match self {
            KafkaTransportSource::Plain(s) => s.assignment(),
            KafkaTransportSource::Registry(s) => s.assignment(),
        }
    }
    fn take_revoked(&mut self) -> Vec<TopicPartition> {
        match self {
            KafkaTransportSource::Plain(s) => s.take_revoked(),
            KafkaTransportSource::Registry(s) => s.take_revoked(),
        }
    }
}

impl Sink for KafkaTransportSink {
    type Receipt = KafkaReceipt;

    async fn send(&self, record: OutRecord) -> Result<KafkaReceipt, TransportError> {
        match self {
            KafkaTransportSink::Plain(s) => s.send(record).await,
            KafkaTransportSink::Registry(s) => s.send(record).await,
        }
    }

    async fn flush(&self) -> Result<(), TransportError> {
        match self {
            KafkaTransportSink::Plain(s) => s.flush().await,
            KafkaTransportSink::Registry(s) => s.flush().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn without_a_registry_the_transport_is_plain_kafka() {
        let t = from_vars(vars(&[("HERALD_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")])).unwrap();
        assert!(matches!(t, KafkaTransport::Plain(_)));
        assert_eq!(
            t.kafka().config().get("bootstrap.servers"),
            Some("127.0.0.1:1")
        );
    }

    #[test]
    fn a_registry_url_frames_payloads() {
        let t = from_vars(vars(&[
            ("HERALD_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"),
            (REGISTRY_URL, "http://127.0.0.1:2"),
            (REGISTRY_AUTO_REGISTER, "true"),
            (REGISTRY_SUBJECTS, "record"),
        ]))
        .unwrap();
        assert!(matches!(t, KafkaTransport::Registry(_)));
        assert_eq!(
            t.kafka().config().get("bootstrap.servers"),
            Some("127.0.0.1:1")
        );
    }

    #[test]
    fn bad_registry_settings_are_reported() {
        for (name, value) in [
            (REGISTRY_AUTO_REGISTER, "maybe"),
            (REGISTRY_SUBJECTS, "name"),
        ] {
            let err = from_vars(vars(&[
                ("HERALD_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"),
                (REGISTRY_URL, "http://127.0.0.1:2"),
                (name, value),
            ]))
            .unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}
