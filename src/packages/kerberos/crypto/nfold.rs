//! RFC 3961 §5.1 n-fold: stretch or shrink a byte string to `n` bits by replicating it with
//! 13-bit right rotations and adding `n`-bit chunks with ones'-complement (end-around carry)
//! addition. Used for the DK constants of RFC 3962.

/// The `out_len`-byte n-fold of `input` (RFC 3961 §5.1). `input` and `out_len` must be
/// non-empty; an empty input folds to zeros.
pub fn nfold(input: &[u8], out_len: usize) -> Vec<u8> {
    let mut acc = vec![0u32; out_len];
    if input.is_empty() || out_len == 0 {
        return acc.into_iter().map(|b| b as u8).collect();
    }
    let in_len = input.len();
    let in_bits = in_len * 8;
    let total = lcm(in_len, out_len);
    // Byte `i` of the replicated string: copy `i / in_len`, rotated right by 13 bits per copy.
    for i in 0..total {
        let copy = i / in_len;
        let rot = (13 * copy) % in_bits;
        let mut byte = 0u8;
        for bit in 0..8 {
            // Bit number (MSB first) within this copy, then the source bit before the rotation.
            let pos = (i % in_len) * 8 + bit;
            let src = (pos + in_bits - rot) % in_bits;
            let value = (input[src / 8] >> (7 - (src % 8))) & 1;
            byte |= value << (7 - bit);
        }
        acc[i % out_len] += u32::from(byte);
    }
    // Ones'-complement addition of the chunks: propagate carries right to left, the carry
    // out of the most significant byte wrapping around to the least significant one.
    loop {
        let mut carry = 0u32;
        for a in acc.iter_mut().rev() {
            *a += carry;
            carry = *a >> 8;
            *a &= 0xff;
        }
        if carry == 0 {
            break;
        }
        acc[out_len - 1] += carry;
    }
    acc.into_iter().map(|b| b as u8).collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

#[cfg(test)]
mod tests {
    use super::nfold;
    use crate::packages::kerberos::crypto::tests::hex;

    /// RFC 3961 Appendix A.1.
    #[test]
    fn rfc3961_a1_vectors() {
        let cases: [(&str, usize, &str); 11] = [
            ("012345", 64, "be072631276b1955"),
            ("password", 56, "78a07b6caf85fa"),
            ("Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"),
            (
                "password",
                168,
                "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e",
            ),
            (
                "MASSACHVSETTS INSTITVTE OF TECHNOLOGY",
                192,
                "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b",
            ),
            ("Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"),
            ("ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"),
            ("kerberos", 64, "6b65726265726f73"),
            ("kerberos", 128, "6b65726265726f737b9b5b2b93132b93"),
            (
                "kerberos",
                168,
                "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4",
            ),
            (
                "kerberos",
                256,
                "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4",
            ),
        ];
        for (input, bits, want) in cases {
            assert_eq!(
                nfold(input.as_bytes(), bits / 8),
                hex(want),
                "{bits}-fold({input:?})"
            );
        }
    }
}
