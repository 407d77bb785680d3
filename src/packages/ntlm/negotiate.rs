//! NEGOTIATE_MESSAGE (MS-NLMP §2.2.1.1) and the NegotiateFlags (§2.2.2.5).

use super::wire::{check_header, u32_at, Builder};
use crate::status::SecResult;

pub const NTLMSSP_NEGOTIATE_UNICODE: u32 = 0x0000_0001;
pub const NTLMSSP_NEGOTIATE_OEM: u32 = 0x0000_0002;
pub const NTLMSSP_REQUEST_TARGET: u32 = 0x0000_0004;
pub const NTLMSSP_NEGOTIATE_SIGN: u32 = 0x0000_0010;
pub const NTLMSSP_NEGOTIATE_SEAL: u32 = 0x0000_0020;
pub const NTLMSSP_NEGOTIATE_DATAGRAM: u32 = 0x0000_0040;
pub const NTLMSSP_NEGOTIATE_LM_KEY: u32 = 0x0000_0080;
pub const NTLMSSP_NEGOTIATE_NTLM: u32 = 0x0000_0200;
pub const NTLMSSP_NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
pub const NTLMSSP_TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
pub const NTLMSSP_TARGET_TYPE_SERVER: u32 = 0x0002_0000;
pub const NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
pub const NTLMSSP_NEGOTIATE_IDENTIFY: u32 = 0x0010_0000;
pub const NTLMSSP_NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
pub const NTLMSSP_NEGOTIATE_VERSION: u32 = 0x0200_0000;
pub const NTLMSSP_NEGOTIATE_128: u32 = 0x2000_0000;
pub const NTLMSSP_NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
pub const NTLMSSP_NEGOTIATE_56: u32 = 0x8000_0000;

/// MessageType values.
pub const NEGOTIATE: u32 = 1;
pub const CHALLENGE: u32 = 2;
pub const AUTHENTICATE: u32 = 3;

/// The VERSION structure we send: Windows 10.0 build 19041, NTLMSSP_REVISION_W2K3.
pub const VERSION: [u8; 8] = [10, 0, 0x61, 0x4a, 0, 0, 0, 15];

/// Flags every message of ours carries; SIGN/SEAL/DATAGRAM/IDENTIFY are added per request.
pub const BASE_FLAGS: u32 = NTLMSSP_NEGOTIATE_UNICODE
    | NTLMSSP_NEGOTIATE_OEM
    | NTLMSSP_REQUEST_TARGET
    | NTLMSSP_NEGOTIATE_NTLM
    | NTLMSSP_NEGOTIATE_ALWAYS_SIGN
    | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY
    | NTLMSSP_NEGOTIATE_VERSION
    | NTLMSSP_NEGOTIATE_128
    | NTLMSSP_NEGOTIATE_KEY_EXCH
    | NTLMSSP_NEGOTIATE_56;

/// Builds a NEGOTIATE_MESSAGE (no domain or workstation supplied).
pub fn build(flags: u32) -> SecResult<Vec<u8>> {
    let mut b = Builder::new(NEGOTIATE, 40);
    b.put_u32(12, flags);
    b.field(16, &[])?;
    b.field(24, &[])?;
    b.put(32, &VERSION);
    Ok(b.finish())
}

/// Parses a NEGOTIATE_MESSAGE and returns its NegotiateFlags.
pub fn parse(msg: &[u8]) -> SecResult<u32> {
    check_header(msg, NEGOTIATE)?;
    u32_at(msg, 12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Error;

    #[test]
    fn negotiate_round_trip() {
        let m = build(BASE_FLAGS | NTLMSSP_NEGOTIATE_SEAL).unwrap();
        assert_eq!(m.len(), 40);
        assert_eq!(parse(&m).unwrap(), BASE_FLAGS | NTLMSSP_NEGOTIATE_SEAL);
        assert_eq!(parse(&m[..14]), Err(Error::InvalidToken));
        let mut bad = m.clone();
        bad[8] = 2;
        assert_eq!(parse(&bad), Err(Error::InvalidToken));
    }
}
