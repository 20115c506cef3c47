//! Header names: CloudEvents' Kafka binary mode, W3C trace context, Herald's correlation and dead-letter headers,
//! and the ids the runtime generates for them.

/// CloudEvents `id`: unique per event.
pub const CE_ID: &str = "ce_id";
/// CloudEvents `type`: the fully-qualified protobuf message name; the router dispatches on it.
pub const CE_TYPE: &str = "ce_type";
/// CloudEvents `source`: the publishing worker or client.
pub const CE_SOURCE: &str = "ce_source";
/// CloudEvents `specversion` (`1.0`).
pub const CE_SPECVERSION: &str = "ce_specversion";
/// The payload's media type.
pub const CONTENT_TYPE: &str = "content-type";
/// W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// The id shared by every event of one flow: taken from the input, or the first event's `ce_id`.
pub const CORRELATION_ID: &str = "herald-correlation-id";
/// The `ce_id` of the event whose handling emitted this one.
pub const CAUSATION_ID: &str = "herald-causation-id";

/// Dead letters: the topic the record was consumed from.
pub const DLQ_TOPIC: &str = "herald-dlq-topic";
/// Dead letters: its partition.
pub const DLQ_PARTITION: &str = "herald-dlq-partition";
/// Dead letters: its offset.
pub const DLQ_OFFSET: &str = "herald-dlq-offset";
/// Dead letters: the error of the last attempt.
pub const DLQ_ERROR: &str = "herald-dlq-error";
/// Dead letters: `retryable`, `permanent`, `decode` or `panic`.
pub const DLQ_ERROR_KIND: &str = "herald-dlq-error-kind";
/// Dead letters: attempts made.
pub const DLQ_ATTEMPTS: &str = "herald-dlq-attempts";
/// Dead letters: the worker that gave up.
pub const DLQ_WORKER: &str = "herald-dlq-worker";
/// Dead letters: its consumer group.
pub const DLQ_GROUP: &str = "herald-dlq-group";

/// The CloudEvents spec version written.
pub const SPECVERSION: &str = "1.0";
/// The content type of protobuf payloads.
pub const PROTOBUF: &str = "application/protobuf";

/// A random id in UUID v4 format.
pub fn new_id() -> String {
    let v = (fastrand::u128(..) & !(0xf000u128 << 64) | (0x4000u128 << 64)) & !(0xc000u128 << 48)
        | (0x8000u128 << 48);
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A `traceparent` continuing the trace of `parent` (a new span id), or starting a new trace.
pub fn child_traceparent(parent: Option<&str>) -> String {
    let span = format!("{:016x}", fastrand::u64(1..));
    let trace = parent
        .and_then(|p| {
            let mut parts = p.split('-');
            let (_version, trace) = (parts.next()?, parts.next()?);
            (trace.len() == 32 && trace.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| trace.to_string())
        })
        .unwrap_or_else(|| format!("{:032x}", fastrand::u128(1..)));
    format!("00-{trace}-{span}-01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_uuid_v4() {
        let id = new_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(new_id(), id);
    }

    #[test]
    fn traceparent_keeps_the_trace() {
        let root = child_traceparent(None);
        let child = child_traceparent(Some(&root));
        assert_eq!(root.len(), 55);
        assert_eq!(root[3..35], child[3..35]);
        assert_ne!(root[36..52], child[36..52]);
        let fresh = child_traceparent(Some("garbage"));
        assert_ne!(fresh[3..35], root[3..35]);
    }
}
