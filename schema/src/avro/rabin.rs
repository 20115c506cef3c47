//! The CRC-64-AVRO ("Rabin") fingerprint of the Avro specification, over a schema's Parsing Canonical Form.

const EMPTY: u64 = 0xc15d_213a_a4d7_a795;

const TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut fp = i as u64;
        let mut j = 0;
        while j < 8 {
            fp = (fp >> 1) ^ (EMPTY & (fp & 1).wrapping_neg());
            j += 1;
        }
        table[i] = fp;
        i += 1;
    }
    table
};

/// The 64-bit Rabin fingerprint of `bytes` (the spec's `fingerprint64`). Avro writes it little-endian.
pub fn rabin_fingerprint(bytes: &[u8]) -> u64 {
    let mut fp = EMPTY;
    for &b in bytes {
        fp = (fp >> 8) ^ TABLE[((fp ^ u64::from(b)) & 0xff) as usize];
    }
    fp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_spec_test_vectors() {
        // From the Avro specification's test suite (share/test/data/schema-tests.txt).
        assert_eq!(rabin_fingerprint(b"\"null\"") as i64, 7195948357588979594);
        assert_eq!(rabin_fingerprint(b"\"int\"") as i64, 8247732601305521295);
        assert_eq!(
            rabin_fingerprint(b"\"string\"") as i64,
            -8142146995180207161
        );
    }
}
