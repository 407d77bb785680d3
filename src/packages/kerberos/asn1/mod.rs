//! RFC 4120 §5 Kerberos messages in DER (the `der` crate, derive for the SEQUENCEs), and the
//! RFC 2743 §3.1 / RFC 4121 §4.1 GSS framing (`gss`).
//!
//! - `types`: the shared building blocks (§5.2: KerberosString, PrincipalName, KerberosTime,
//!   KerberosFlags, EncryptedData, EncryptionKey, Checksum, HostAddress, AuthorizationData,
//!   PA-DATA and the PA-DATA payloads).
//! - `messages`: Ticket, EncTicketPart, KDC-REQ/KDC-REP, EncKDCRepPart, AP-REQ/AP-REP,
//!   Authenticator, EncAPRepPart, KRB-ERROR, KRB-CRED, EncKrbCredPart.
//!
//! Every decoder returns [`Asn1Error`] on bad input and never panics (fuzzed through
//! `fuzz_api`). Outer messages carry their `[APPLICATION n]` tag through [`App`].
#![forbid(unsafe_code)]

pub mod gss;
mod messages;
mod types;

pub use messages::*;
pub use types::*;

use der::{
    Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader, Tag, TagNumber,
    Writer,
};

/// An ASN.1 decoding or encoding failure: which message, and what `der` reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asn1Error {
    /// The message or type being decoded ("AS-REP", "KRB-ERROR", …).
    pub what: &'static str,
    /// The `der` crate's description of the failure (position and kind).
    pub detail: String,
}

impl core::fmt::Display for Asn1Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "malformed {}: {}", self.what, self.detail)
    }
}

impl std::error::Error for Asn1Error {}

impl Asn1Error {
    pub(crate) fn new(what: &'static str, detail: impl core::fmt::Display) -> Self {
        Asn1Error {
            what,
            detail: detail.to_string(),
        }
    }
}

/// Decodes one complete DER value of type `T` (no trailing bytes), naming `what` on failure.
pub fn decode_der<'a, T: Decode<'a, Error = der::Error>>(
    what: &'static str,
    bytes: &'a [u8],
) -> Result<T, Asn1Error> {
    T::from_der(bytes).map_err(|e| Asn1Error::new(what, e))
}

/// Encodes `value` as DER. Fails only for values DER cannot carry (e.g. a year past 9999).
pub fn encode_der<T: Encode>(what: &'static str, value: &T) -> Result<Vec<u8>, Asn1Error> {
    value.to_der().map_err(|e| Asn1Error::new(what, e))
}

/// `[APPLICATION N] EXPLICIT T`: the outer tag of the RFC 4120 messages (Ticket 1,
/// Authenticator 2, EncTicketPart 3, AS-REQ 10, AS-REP 11, TGS-REQ 12, TGS-REP 13, AP-REQ 14,
/// AP-REP 15, KRB-CRED 22, EncASRepPart 25, EncTGSRepPart 26, EncAPRepPart 27,
/// EncKrbCredPart 29, KRB-ERROR 30). Derefs to the inner SEQUENCE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App<const N: u32, T>(pub T);

impl<const N: u32, T> core::ops::Deref for App<N, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<const N: u32, T> core::ops::DerefMut for App<N, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<'a, const N: u32, T: Decode<'a, Error = der::Error>> DecodeValue<'a> for App<N, T> {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        reader.read_nested(header.length(), |r| T::decode(r).map(App))
    }
}

impl<const N: u32, T: Encode> EncodeValue for App<N, T> {
    fn value_len(&self) -> der::Result<Length> {
        self.0.encoded_len()
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode(writer)
    }
}

impl<const N: u32, T> FixedTag for App<N, T> {
    const TAG: Tag = Tag::Application {
        constructed: true,
        number: TagNumber(N),
    };
}

/// The `[APPLICATION n]` number of the first tag of `bytes`, if it is one (the message type of a
/// raw Kerberos message: 11 AS-REP, 13 TGS-REP, 30 KRB-ERROR…).
pub fn application_tag(bytes: &[u8]) -> Option<u32> {
    let r = der::SliceReader::new(bytes).ok()?;
    match Tag::peek(&r).ok()? {
        Tag::Application { number, .. } => Some(number.value()),
        _ => None,
    }
}

/// Direct entry points to the Kerberos message decoders for the fuzz targets (`--features
/// fuzzing`). Each returns whether the input decoded; none may panic.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_api {
    use super::*;
    pub fn as_rep(b: &[u8]) -> bool {
        AsRep::from_bytes(b).is_ok()
    }
    pub fn tgs_rep(b: &[u8]) -> bool {
        TgsRep::from_bytes(b).is_ok()
    }
    pub fn krb_error(b: &[u8]) -> bool {
        KrbError::from_bytes(b)
            .map(|e| e.method_data().is_ok())
            .unwrap_or(false)
    }
    pub fn ap_req(b: &[u8]) -> bool {
        ApReq::from_bytes(b).is_ok()
    }
    pub fn ap_rep(b: &[u8]) -> bool {
        ApRep::from_bytes(b).is_ok()
    }
    pub fn krb_cred(b: &[u8]) -> bool {
        KrbCred::from_bytes(b).is_ok()
    }
    pub fn enc_kdc_rep_part(b: &[u8]) -> bool {
        EncKdcRepPart::from_bytes(b).is_ok()
    }
    pub fn enc_ticket_part(b: &[u8]) -> bool {
        EncTicketPart::from_bytes(b).is_ok()
    }
    pub fn authenticator(b: &[u8]) -> bool {
        Authenticator::from_bytes(b).is_ok()
    }
    pub fn gss_token(b: &[u8]) -> bool {
        super::gss::parse_initial_context_token(b).is_ok()
    }
}

#[cfg(test)]
mod tests;
