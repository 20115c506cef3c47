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

/// Set by a transport adapter on a record it could not unframe (a malformed Confluent wire-format frame, or a schema
/// that does not belong to the topic's subject), with the reason; the record is dead-lettered at once with error
/// kind `decode`.
pub const FRAME_ERROR: &str = "herald-frame-error";

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

/// Appends the `digits` lowest hex digits of `v`, most significant first.
fn push_hex(out: &mut String, v: u128, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        out.push(char::from(HEX[((v >> (i * 4)) & 0xf) as usize]));
    }
}

/// A random id in UUID v4 format.
pub fn new_id() -> String {
    let v = (fastrand::u128(..) & !(0xf000u128 << 64) | (0x4000u128 << 64)) & !(0xc000u128 << 48)
        | (0x8000u128 << 48);
    let mut out = String::with_capacity(36);
    push_hex(&mut out, v >> 96, 8);
    out.push('-');
    push_hex(&mut out, v >> 80, 4);
    out.push('-');
    push_hex(&mut out, v >> 64, 4);
    out.push('-');
    push_hex(&mut out, v >> 48, 4);
    out.push('-');
    push_hex(&mut out, v, 12);
    out
}

/// A `traceparent` continuing the trace of `parent` (a new span id), or starting a new trace.
pub fn child_traceparent(parent: Option<&str>) -> String {
    let trace = parent.and_then(|p| {
        let trace = p.get(3..35)?;
        (p.starts_with("00-") && trace.bytes().all(|b| b.is_ascii_hexdigit())).then_some(trace)
    });
    let mut out = String::with_capacity(55);
    out.push_str("00-");
    match trace {
        Some(t) => out.push_str(t),
        None => push_hex(&mut out, fastrand::u128(1..), 32),
    }
    out.push('-');
    push_hex(&mut out, u128::from(fastrand::u64(1..)), 16);
    out.push_str("-01");
    out
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
    fn ids_are_hex_in_the_right_places() {
        let id = new_id();
        for (i, c) in id.chars().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                assert_eq!(c, '-', "{id}");
            } else {
                assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{id}");
            }
        }
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
