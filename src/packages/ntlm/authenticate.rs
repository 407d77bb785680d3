//! AUTHENTICATE_MESSAGE (MS-NLMP §2.2.1.3).

use super::negotiate::{AUTHENTICATE, NTLMSSP_NEGOTIATE_UNICODE, VERSION};
use super::wire::{check_header, decode_str, field, u32_at, utf16le, Builder};
use crate::status::SecResult;

/// Offset of the MIC field.
pub const MIC_OFFSET: usize = 72;
/// Header length with Version and MIC.
pub const HEADER_LEN: usize = 88;

/// A parsed AUTHENTICATE_MESSAGE.
#[derive(Debug, Clone)]
pub struct Authenticate {
    pub flags: u32,
    #[allow(dead_code)] // parsed, unused: NTLMv2 only
    pub lm_response: Vec<u8>,
    pub nt_response: Vec<u8>,
    pub domain: String,
    pub user: String,
    #[allow(dead_code)]
    pub workstation: String,
    pub encrypted_session_key: Vec<u8>,
}

/// Fields of an AUTHENTICATE_MESSAGE to send.
pub struct AuthenticateOut<'a> {
    pub flags: u32,
    pub lm_response: &'a [u8],
    pub nt_response: &'a [u8],
    pub domain: &'a str,
    pub user: &'a str,
    pub workstation: &'a str,
    pub encrypted_session_key: &'a [u8],
}

/// Builds the message with a zero MIC (strings in Unicode).
pub fn build(a: &AuthenticateOut<'_>) -> SecResult<Vec<u8>> {
    let mut b = Builder::new(AUTHENTICATE, HEADER_LEN);
    b.field(28, &utf16le(a.domain))?;
    b.field(36, &utf16le(a.user))?;
    b.field(44, &utf16le(a.workstation))?;
    b.field(12, a.lm_response)?;
    b.field(20, a.nt_response)?;
    b.field(52, a.encrypted_session_key)?;
    b.put_u32(60, a.flags);
    b.put(64, &VERSION);
    Ok(b.finish())
}

/// Parses an AUTHENTICATE_MESSAGE.
pub fn parse(msg: &[u8]) -> SecResult<Authenticate> {
    check_header(msg, AUTHENTICATE)?;
    let flags = u32_at(msg, 60)?;
    let unicode = flags & NTLMSSP_NEGOTIATE_UNICODE != 0;
    Ok(Authenticate {
        flags,
        lm_response: field(msg, 12)?.to_vec(),
        nt_response: field(msg, 20)?.to_vec(),
        domain: decode_str(field(msg, 28)?, unicode)?,
        user: decode_str(field(msg, 36)?, unicode)?,
        workstation: decode_str(field(msg, 44)?, unicode)?,
        encrypted_session_key: field(msg, 52)?.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::ntlm::negotiate::BASE_FLAGS;

    #[test]
    fn authenticate_round_trip() {
        let m = build(&AuthenticateOut {
            flags: BASE_FLAGS,
            lm_response: &[0; 24],
            nt_response: &[1; 60],
            domain: "Domain",
            user: "User",
            workstation: "WS",
            encrypted_session_key: &[5; 16],
        })
        .unwrap();
        let a = parse(&m).unwrap();
        assert_eq!(
            (a.user.as_str(), a.domain.as_str(), a.workstation.as_str()),
            ("User", "Domain", "WS")
        );
        assert_eq!(a.nt_response, vec![1; 60]);
        assert_eq!(a.encrypted_session_key, vec![5; 16]);
        assert_eq!(&m[MIC_OFFSET..HEADER_LEN], &[0; 16]);
        for n in 0..m.len() {
            let _ = parse(&m[..n]);
        }
    }
}
