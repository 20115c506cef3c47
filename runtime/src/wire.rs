//! The Confluent wire format for protobuf payloads: magic byte `0`, the schema id as a 4-byte big-endian number,
//! the message-index path of the type within its `.proto` file, then the protobuf bytes.
//!
//! The message-index path is a zigzag varint count followed by zigzag varint indexes (Kafka's `ByteUtils`
//! varints); the common path `[0]` (the first top-level message) is written as the single byte `0`, and a count of
//! 0 reads back as `[0]`. Pure: no IO. Decoding is zero-copy: the payload is a slice of the input [`Bytes`].

use bytes::Bytes;

/// The first byte of every framed payload.
pub const MAGIC: u8 = 0;
/// Magic byte and schema id.
pub const HEADER_LEN: usize = 5;
/// The deepest message-index path accepted (protobuf nesting is far shallower in practice).
pub const MAX_DEPTH: usize = 64;

/// Why a payload is not a valid frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("empty payload: no Confluent wire-format frame")]
    Empty,
    #[error("wrong magic byte {0:#04x}: not a Confluent wire-format frame (expected 0x00)")]
    Magic(u8),
    #[error("frame of {0} bytes is shorter than its 5-byte header (magic byte and schema id)")]
    ShortHeader(usize),
    #[error("truncated varint in the message indexes at byte {0}")]
    TruncatedVarint(usize),
    #[error(
        "overlong varint in the message indexes at byte {0} (more than 5 bytes or beyond 32 bits)"
    )]
    OverlongVarint(usize),
    #[error("invalid message-index count {0} (must be 0..={MAX_DEPTH})")]
    Count(i32),
    #[error("invalid message index {0} (must not be negative)")]
    Index(i32),
}

/// A decoded frame: the schema id, the message-index path and the payload, a slice of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub schema_id: u32,
    /// The path of the message type within its file: index among top-level messages, then among nested ones.
    pub indexes: Vec<u32>,
    pub payload: Bytes,
}

/// Appends the frame header for `schema_id` and the message-index path `indexes` (`[]` is written as `[0]`).
pub fn write_header(out: &mut Vec<u8>, schema_id: u32, indexes: &[u32]) {
    out.push(MAGIC);
    out.extend_from_slice(&schema_id.to_be_bytes());
    if indexes.is_empty() || indexes == [0] {
        out.push(0);
        return;
    }
    write_varint(out, zigzag(len_i32(indexes.len())));
    for &i in indexes {
        write_varint(out, zigzag(i32::try_from(i).unwrap_or(i32::MAX)));
    }
}

/// The framed form of `payload`.
pub fn encode(schema_id: u32, indexes: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + 1 + indexes.len() * 2 + payload.len());
    write_header(&mut out, schema_id, indexes);
    out.extend_from_slice(payload);
    out
}

/// Parses a frame. The payload shares `data`'s buffer.
pub fn decode(data: &Bytes) -> Result<Frame, WireError> {
    let (schema_id, indexes, at) = parse(data)?;
    Ok(Frame {
        schema_id,
        indexes,
        payload: data.slice(at..),
    })
}

/// Parses the header and indexes; returns them with the payload's offset.
fn parse(data: &[u8]) -> Result<(u32, Vec<u32>, usize), WireError> {
    match data.first() {
        None => return Err(WireError::Empty),
        Some(&b) if b != MAGIC => return Err(WireError::Magic(b)),
        Some(_) => {}
    }
    if data.len() < HEADER_LEN {
        return Err(WireError::ShortHeader(data.len()));
    }
    let schema_id = u32::from_be_bytes([data[1], data[2], data[3], data[4]]);
    let mut at = HEADER_LEN;
    let count = unzigzag(read_varint(data, &mut at)?);
    if count == 0 {
        return Ok((schema_id, vec![0], at));
    }
    let n = usize::try_from(count)
        .ok()
        .filter(|&n| n <= MAX_DEPTH && n <= data.len() - at)
        .ok_or(WireError::Count(count))?;
    let mut indexes = Vec::with_capacity(n);
    for _ in 0..n {
        let i = unzigzag(read_varint(data, &mut at)?);
        indexes.push(u32::try_from(i).map_err(|_| WireError::Index(i))?);
    }
    Ok((schema_id, indexes, at))
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn unzigzag(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

fn write_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads an unsigned LEB128 varint of at most 5 bytes whose value fits 32 bits.
fn read_varint(data: &[u8], at: &mut usize) -> Result<u32, WireError> {
    let start = *at;
    let mut v: u32 = 0;
    for i in 0..5 {
        let b = *data.get(*at).ok_or(WireError::TruncatedVarint(start))?;
        *at += 1;
        if i == 4 && b > 0x0f {
            return Err(WireError::OverlongVarint(start));
        }
        v |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(WireError::OverlongVarint(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(data: &[u8]) -> Result<Frame, WireError> {
        decode(&Bytes::copy_from_slice(data))
    }

    #[test]
    fn first_message_is_one_zero_byte() {
        assert_eq!(encode(1, &[0], b"x"), [0, 0, 0, 0, 1, 0, b'x']);
        assert_eq!(encode(1, &[], b"x"), [0, 0, 0, 0, 1, 0, b'x']);
        let f = frame(&[0, 0, 0, 0, 1, 0, b'x']).unwrap();
        assert_eq!(
            (f.schema_id, f.indexes, &f.payload[..]),
            (1, vec![0], &b"x"[..])
        );
    }

    #[test]
    fn byte_exact_vectors() {
        // The second top-level message: count 1, index 1 → 02 02.
        assert_eq!(encode(7, &[1], b""), [0, 0, 0, 0, 7, 2, 2]);
        // [1, 0] → 04 02 00.
        assert_eq!(encode(7, &[1, 0], b"p"), [0, 0, 0, 0, 7, 4, 2, 0, b'p']);
        // A big-endian id and a two-byte varint: index 64 → zigzag 128 → 80 01.
        assert_eq!(
            encode(0x0102_0304, &[64], b""),
            [0, 1, 2, 3, 4, 2, 0x80, 0x01]
        );
        let f = frame(&[0, 1, 2, 3, 4, 4, 2, 0, 9, 9]).unwrap();
        assert_eq!(f.schema_id, 0x0102_0304);
        assert_eq!(f.indexes, [1, 0]);
        assert_eq!(&f.payload[..], [9, 9]);
    }

    #[test]
    fn decoding_is_zero_copy() {
        let data = Bytes::from(encode(3, &[2, 1], b"payload"));
        let f = decode(&data).unwrap();
        assert_eq!(&f.payload[..], b"payload");
        let offset = f.payload.as_ptr() as usize - data.as_ptr() as usize;
        assert_eq!(offset, data.len() - 7);
    }

    #[test]
    fn malformed_frames_are_rejected() {
        assert_eq!(frame(&[]), Err(WireError::Empty));
        assert_eq!(frame(&[1, 0, 0, 0, 1, 0]), Err(WireError::Magic(1)));
        assert_eq!(frame(b"{\"json\":1}"), Err(WireError::Magic(b'{')));
        assert_eq!(frame(&[0, 0, 0]), Err(WireError::ShortHeader(3)));
        // A header without the index array.
        assert_eq!(frame(&[0, 0, 0, 0, 1]), Err(WireError::TruncatedVarint(5)));
        assert_eq!(
            frame(&[0, 0, 0, 0, 1, 0x80]),
            Err(WireError::TruncatedVarint(5))
        );
        assert_eq!(
            frame(&[0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(WireError::OverlongVarint(5))
        );
        // Count -1.
        assert_eq!(frame(&[0, 0, 0, 0, 1, 1]), Err(WireError::Count(-1)));
        // Count 65 and count 3 with only one byte left.
        assert_eq!(frame(&[0, 0, 0, 0, 1, 130, 1]), Err(WireError::Count(65)));
        assert_eq!(frame(&[0, 0, 0, 0, 1, 6, 2]), Err(WireError::Count(3)));
        // Index -1.
        assert_eq!(frame(&[0, 0, 0, 0, 1, 2, 1]), Err(WireError::Index(-1)));
        // Count 2 with a missing second index.
        assert_eq!(frame(&[0, 0, 0, 0, 1, 4, 2]), Err(WireError::Count(2)));
        assert_eq!(
            frame(&[0, 0, 0, 0, 1, 4, 2, 0x80]),
            Err(WireError::TruncatedVarint(7))
        );
    }

    #[test]
    fn varints_cover_the_32_bit_range() {
        for v in [0, 1, -1, 63, -64, 64, 8191, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            write_varint(&mut out, zigzag(v));
            let mut at = 0;
            assert_eq!(unzigzag(read_varint(&out, &mut at).unwrap()), v);
            assert_eq!(at, out.len());
        }
    }

    #[test]
    fn random_frames_round_trip() {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        for _ in 0..5000 {
            let id = rng.u32(..);
            let depth = rng.usize(1..=MAX_DEPTH.min(6));
            let indexes: Vec<u32> = (0..depth)
                .map(|_| match rng.u8(..4) {
                    0 => 0,
                    1 => rng.u32(..128),
                    2 => rng.u32(..1 << 20),
                    _ => rng.u32(..=i32::MAX as u32),
                })
                .collect();
            let payload: Vec<u8> = (0..rng.usize(..64)).map(|_| rng.u8(..)).collect();
            let data = Bytes::from(encode(id, &indexes, &payload));
            let f = decode(&data).unwrap();
            assert_eq!(f.schema_id, id);
            assert_eq!(f.indexes, indexes);
            assert_eq!(&f.payload[..], &payload[..]);
            // Truncating the header anywhere is an error, never a panic.
            let header = data.len() - payload.len();
            for cut in 0..header {
                assert!(
                    decode(&data.slice(..cut)).is_err(),
                    "cut at {cut} of {data:?}"
                );
            }
        }
    }
}
