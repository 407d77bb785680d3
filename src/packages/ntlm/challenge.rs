//! CHALLENGE_MESSAGE (MS-NLMP §2.2.1.2).

use super::negotiate::{CHALLENGE, NTLMSSP_NEGOTIATE_UNICODE, VERSION};
use super::wire::{array_at, check_header, decode_str, field, u32_at, utf16le, Builder};
use crate::status::SecResult;

/// A parsed CHALLENGE_MESSAGE.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub flags: u32,
    #[allow(dead_code)]
    pub target_name: String,
    pub server_challenge: [u8; 8],
    pub target_info: Vec<u8>,
}

/// Builds a CHALLENGE_MESSAGE; TargetName is Unicode or OEM (ASCII) per `flags`.
pub fn build(
    flags: u32,
    target_name: &str,
    server_challenge: &[u8; 8],
    target_info: &[u8],
) -> SecResult<Vec<u8>> {
    let mut b = Builder::new(CHALLENGE, 56);
    let name = if flags & NTLMSSP_NEGOTIATE_UNICODE != 0 {
        utf16le(target_name)
    } else {
        target_name
            .chars()
            .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
            .collect()
    };
    b.field(12, &name)?;
    b.put_u32(20, flags);
    b.put(24, server_challenge);
    b.field(40, target_info)?;
    b.put(48, &VERSION);
    Ok(b.finish())
}

/// Parses a CHALLENGE_MESSAGE.
pub fn parse(msg: &[u8]) -> SecResult<Challenge> {
    check_header(msg, CHALLENGE)?;
    let flags = u32_at(msg, 20)?;
    let target_name = decode_str(field(msg, 12)?, flags & NTLMSSP_NEGOTIATE_UNICODE != 0)?;
    let server_challenge = array_at::<8>(msg, 24)?;
    // TargetInfoFields is absent in the oldest (32-byte) form.
    let target_info = if msg.len() >= 48 {
        field(msg, 40)?.to_vec()
    } else {
        Vec::new()
    };
    Ok(Challenge {
        flags,
        target_name,
        server_challenge,
        target_info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::ntlm::negotiate::BASE_FLAGS;
    use crate::status::Error;

    #[test]
    fn challenge_round_trip_and_truncation() {
        let m = build(BASE_FLAGS, "SERVER", &[7; 8], &[2, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        let c = parse(&m).unwrap();
        assert_eq!(c.flags, BASE_FLAGS);
        assert_eq!(c.target_name, "SERVER");
        assert_eq!(c.server_challenge, [7; 8]);
        assert_eq!(c.target_info.len(), 8);
        for n in 0..m.len() {
            // Every truncation is rejected or parsed, never a panic.
            let _ = parse(&m[..n]);
        }
        assert_eq!(parse(&m[..20]).err(), Some(Error::InvalidToken));
        let oem = build(
            crate::packages::ntlm::negotiate::NTLMSSP_NEGOTIATE_OEM,
            "SRV",
            &[1; 8],
            &[],
        )
        .unwrap();
        assert_eq!(parse(&oem).unwrap().target_name, "SRV");
    }
}
