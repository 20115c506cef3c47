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

/// Every header name the runtime reads or writes; [`crate::Headers::from_raw`] shares these instead of copying them.
pub(crate) const KNOWN: [&str; 17] = [
    CE_ID,
    CE_TYPE,
    CE_SOURCE,
    CE_SPECVERSION,
    CONTENT_TYPE,
    TRACEPARENT,
    CORRELATION_ID,
    CAUSATION_ID,
    FRAME_ERROR,
    DLQ_TOPIC,
    DLQ_PARTITION,
    DLQ_OFFSET,
    DLQ_ERROR,
    DLQ_ERROR_KIND,
    DLQ_ATTEMPTS,
    DLQ_WORKER,
    DLQ_GROUP,
];

/// The CloudEvents spec version written.
pub const SPECVERSION: &str = "1.0";
/// The content type of protobuf payloads.
pub const PROTOBUF: &str = "application/protobuf";

/// The two lowercase hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut b = 0;
    while b < 256 {
        pairs[b] = [HEX[b >> 4], HEX[b & 0xf]];
        b += 1;
    }
    pairs
};

/// Writes the `out.len()` lowest hex digits of `v` into `out`, most significant first (`out.len()` is even and at
/// most 32).
fn write_hex(out: &mut [u8], v: u128) {
    let bytes = v.to_be_bytes();
    let skip = bytes.len() - out.len() / 2;
    for (pair, b) in out.chunks_exact_mut(2).zip(&bytes[skip..]) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(*b)]);
    }
}

/// The length of an id in UUID format.
pub(crate) const ID_LEN: usize = 36;
/// The length of a `traceparent`.
pub(crate) const TRACEPARENT_LEN: usize = 55;

/// A random id in UUID v4 format, as ASCII bytes.
pub(crate) fn id_bytes() -> [u8; ID_LEN] {
    let v = (fastrand::u128(..) & !(0xf000u128 << 64) | (0x4000u128 << 64)) & !(0xc000u128 << 48)
        | (0x8000u128 << 48);
    let mut out = [b'-'; ID_LEN];
    write_hex(&mut out[0..8], v >> 96);
    write_hex(&mut out[9..13], v >> 80);
    write_hex(&mut out[14..18], v >> 64);
    write_hex(&mut out[19..23], v >> 48);
    write_hex(&mut out[24..36], v);
    out
}

/// A random id in UUID v4 format.
pub fn new_id() -> String {
    String::from_utf8_lossy(&id_bytes()).into_owned()
}

/// [`child_traceparent`] as ASCII bytes.
pub(crate) fn child_traceparent_bytes(parent: Option<&[u8]>) -> [u8; TRACEPARENT_LEN] {
    let trace = parent.and_then(|p| {
        let trace = p.get(3..35)?;
        (p.starts_with(b"00-") && trace.iter().all(u8::is_ascii_hexdigit)).then_some(trace)
    });
    let mut out = [b'-'; TRACEPARENT_LEN];
    out[0..2].copy_from_slice(b"00");
    match trace {
        Some(t) => out[3..35].copy_from_slice(t),
        None => write_hex(&mut out[3..35], fastrand::u128(1..)),
    }
    write_hex(&mut out[36..52], u128::from(fastrand::u64(1..)));
    out[53..55].copy_from_slice(b"01");
    out
}

/// A `traceparent` continuing the trace of `parent` (a new span id), or starting a new trace.
pub fn child_traceparent(parent: Option<&str>) -> String {
    String::from_utf8_lossy(&child_traceparent_bytes(parent.map(str::as_bytes))).into_owned()
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
