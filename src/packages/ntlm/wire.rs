//! Little-endian reading and writing of NTLM messages (MS-NLMP §2.2).

use crate::status::{Error, SecResult};

/// "NTLMSSP\0".
pub const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// `n` bytes at `at`; out of range → InvalidToken.
pub fn slice(b: &[u8], at: usize, n: usize) -> SecResult<&[u8]> {
    let end = at.checked_add(n).ok_or(Error::InvalidToken)?;
    b.get(at..end).ok_or(Error::InvalidToken)
}

/// Reads a little-endian u16 at `at`; out of range → InvalidToken.
pub fn u16_at(b: &[u8], at: usize) -> SecResult<u16> {
    let s = slice(b, at, 2)?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

/// Reads a little-endian u32 at `at`; out of range → InvalidToken.
pub fn u32_at(b: &[u8], at: usize) -> SecResult<u32> {
    let s = slice(b, at, 4)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads a little-endian u64 at `at`; out of range → InvalidToken.
pub fn u64_at(b: &[u8], at: usize) -> SecResult<u64> {
    let s = slice(b, at, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Ok(u64::from_le_bytes(a))
}

/// Fixed-size array at `at`.
pub fn array_at<const N: usize>(b: &[u8], at: usize) -> SecResult<[u8; N]> {
    let s = slice(b, at, N)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Ok(a)
}

/// The payload a `Len/MaxLen/BufferOffset` field descriptor at `at` points to.
pub fn field(msg: &[u8], at: usize) -> SecResult<&[u8]> {
    let len = u16_at(msg, at)? as usize;
    let off = u32_at(msg, at + 4)? as usize;
    if len == 0 {
        return Ok(&[]);
    }
    let end = off.checked_add(len).ok_or(Error::InvalidToken)?;
    msg.get(off..end).ok_or(Error::InvalidToken)
}

/// Checks the signature and MessageType.
pub fn check_header(msg: &[u8], kind: u32) -> SecResult<()> {
    if msg.get(..8) != Some(&SIGNATURE[..]) || u32_at(msg, 8)? != kind {
        return Err(Error::InvalidToken);
    }
    Ok(())
}

/// Builds a message: a fixed header followed by the payload of its fields.
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    /// Header of `header_len` zero bytes with signature and MessageType filled in.
    pub fn new(kind: u32, header_len: usize) -> Self {
        // Room for the payload of a typical message, so fields append without regrowing.
        let mut buf = Vec::with_capacity(header_len + 512);
        buf.resize(header_len, 0);
        buf[..8].copy_from_slice(SIGNATURE);
        buf[8..12].copy_from_slice(&kind.to_le_bytes());
        Builder { buf }
    }

    /// Writes bytes into the header at `at`.
    pub fn put(&mut self, at: usize, v: &[u8]) {
        self.buf[at..at + v.len()].copy_from_slice(v);
    }

    /// Writes a u32 into the header at `at`.
    pub fn put_u32(&mut self, at: usize, v: u32) {
        self.put(at, &v.to_le_bytes());
    }

    /// Appends `data` to the payload and writes its field descriptor at `at`.
    pub fn field(&mut self, at: usize, data: &[u8]) -> SecResult<()> {
        let len = u16::try_from(data.len()).map_err(|_| Error::InvalidParameter)?;
        let off = self.buf.len() as u32;
        self.buf.extend_from_slice(data);
        self.put(at, &len.to_le_bytes());
        self.put(at + 2, &len.to_le_bytes());
        self.put_u32(at + 4, off);
        Ok(())
    }

    /// The finished message.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// UTF-16LE bytes of `s`.
pub fn utf16le(s: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 * s.len());
    for c in s.encode_utf16() {
        v.extend_from_slice(&c.to_le_bytes());
    }
    v
}

/// Decodes UTF-16LE (odd length → InvalidToken; unpaired surrogates replaced).
pub fn from_utf16le(b: &[u8]) -> SecResult<String> {
    if b.len() % 2 != 0 {
        return Err(Error::InvalidToken);
    }
    let units = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut s = String::with_capacity(b.len() / 2);
    s.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
    Ok(s)
}

/// Decodes a string field as Unicode or OEM (taken as Latin-1) per the negotiated flags.
pub fn decode_str(b: &[u8], unicode: bool) -> SecResult<String> {
    if unicode {
        from_utf16le(b)
    } else {
        Ok(b.iter().map(|&c| c as char).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let b = [1u8, 2, 3];
        assert_eq!(u16_at(&b, 1).unwrap(), 0x0302);
        assert_eq!(u16_at(&b, 2), Err(Error::InvalidToken));
        assert_eq!(u32_at(&b, 0), Err(Error::InvalidToken));
        assert_eq!(u32_at(&b, usize::MAX - 1), Err(Error::InvalidToken));
        // Field pointing past the end.
        let mut m = vec![0u8; 8];
        m[0] = 4;
        m[4] = 6;
        assert_eq!(field(&m, 0), Err(Error::InvalidToken));
        m[4] = 4;
        assert_eq!(field(&m, 0).unwrap(), &[4, 0, 0, 0]);
    }

    #[test]
    fn utf16_round_trip() {
        assert_eq!(from_utf16le(&utf16le("Dömain")).unwrap(), "Dömain");
        assert_eq!(from_utf16le(&[0x41]), Err(Error::InvalidToken));
    }
}
