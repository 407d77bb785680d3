//! RFC 4120 §5.2 building blocks and the PA-DATA payloads (§5.2.7, MS-KILE §2.2.3).

use super::super::{name_type, Principal};
use super::Asn1Error;
use der::asn1::{BitString, GeneralizedTime, OctetString};
use der::{DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag, Writer};
use zeroize::Zeroizing;

/// KerberosString ::= GeneralString (IA5 in practice; bytes that are not UTF-8 are replaced).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KerberosString(pub String);

impl FixedTag for KerberosString {
    const TAG: Tag = Tag::GeneralString;
}

impl<'a> DecodeValue<'a> for KerberosString {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_slice(header.length())?;
        Ok(KerberosString(String::from_utf8_lossy(bytes).into_owned()))
    }
}

impl EncodeValue for KerberosString {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.0.as_bytes())
    }
}

impl From<&str> for KerberosString {
    fn from(s: &str) -> Self {
        KerberosString(s.to_string())
    }
}

/// Realm ::= KerberosString
pub type Realm = KerberosString;

/// UInt32 ::= INTEGER (0..4294967295), as used for nonces, kvnos and sequence numbers. Decoding
/// also accepts the negative encodings some implementations send for values ≥ 2^31 (taken
/// modulo 2^32); encoding is always the non-negative form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UInt32(pub u32);

impl FixedTag for UInt32 {
    const TAG: Tag = Tag::Integer;
}

impl<'a> DecodeValue<'a> for UInt32 {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let v = i64::decode_value(reader, header)?;
        if !(-(1i64 << 31)..(1i64 << 32)).contains(&v) {
            return Err(reader.error(der::ErrorKind::Value { tag: Tag::Integer }));
        }
        Ok(UInt32(v as u32))
    }
}

impl EncodeValue for UInt32 {
    fn value_len(&self) -> der::Result<Length> {
        self.0.value_len()
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode_value(writer)
    }
}

/// KerberosTime ::= GeneralizedTime `YYYYMMDDHHMMSSZ`, held as seconds since the Unix epoch.
/// Times before 1970 are encoded as 19700101000000Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct KerberosTime(pub i64);

impl KerberosTime {
    /// The current time (whole seconds) and the microseconds part, for ctime/cusec fields.
    pub fn now() -> (KerberosTime, i32) {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (KerberosTime(d.as_secs() as i64), d.subsec_micros() as i32)
    }

    fn generalized(self) -> der::Result<GeneralizedTime> {
        GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(self.0.max(0) as u64))
    }
}

impl From<KerberosTime> for i64 {
    fn from(t: KerberosTime) -> i64 {
        t.0
    }
}

impl From<i64> for KerberosTime {
    fn from(t: i64) -> Self {
        KerberosTime(t)
    }
}

impl FixedTag for KerberosTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for KerberosTime {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let t = GeneralizedTime::decode_value(reader, header)?;
        Ok(KerberosTime(t.to_unix_duration().as_secs() as i64))
    }
}

impl EncodeValue for KerberosTime {
    fn value_len(&self) -> der::Result<Length> {
        self.generalized()?.value_len()
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.generalized()?.encode_value(writer)
    }
}

/// KerberosFlags ::= BIT STRING (SIZE (32..MAX)), held as a u32 whose most significant bit is
/// bit 0 (RFC 4120 §5.2.8), the convention of `Credential::flags` and MIT's ccache. Bits past
/// 31 are ignored on decoding; 32 bits are always encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KerberosFlags(pub u32);

impl KerberosFlags {
    /// Whether bit `n` (0 = most significant) is set.
    pub fn bit(self, n: u32) -> bool {
        n < 32 && self.0 & (0x8000_0000 >> n) != 0
    }
    /// Sets bit `n` (0 = most significant).
    pub fn with_bit(self, n: u32) -> Self {
        if n < 32 {
            KerberosFlags(self.0 | (0x8000_0000 >> n))
        } else {
            self
        }
    }
}

impl From<KerberosFlags> for u32 {
    fn from(f: KerberosFlags) -> u32 {
        f.0
    }
}

impl From<u32> for KerberosFlags {
    fn from(f: u32) -> Self {
        KerberosFlags(f)
    }
}

impl FixedTag for KerberosFlags {
    const TAG: Tag = Tag::BitString;
}

impl<'a> DecodeValue<'a> for KerberosFlags {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bits = BitString::decode_value(reader, header)?;
        let raw = bits.raw_bytes();
        let mut b = [0u8; 4];
        for (d, s) in b.iter_mut().zip(raw.iter()) {
            *d = *s;
        }
        Ok(KerberosFlags(u32::from_be_bytes(b)))
    }
}

impl EncodeValue for KerberosFlags {
    fn value_len(&self) -> der::Result<Length> {
        Ok(Length::new(5))
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write_byte(0)?;
        writer.write(&self.0.to_be_bytes())
    }
}

/// TicketFlags / KDCOptions / APOptions bit numbers (RFC 4120 §5.3, §5.4.1, §5.5.1).
pub mod flags {
    pub const RESERVED: u32 = 0;
    pub const FORWARDABLE: u32 = 1;
    pub const FORWARDED: u32 = 2;
    pub const PROXIABLE: u32 = 3;
    pub const PROXY: u32 = 4;
    pub const MAY_POSTDATE: u32 = 5;
    pub const POSTDATED: u32 = 6;
    pub const INVALID: u32 = 7;
    pub const RENEWABLE: u32 = 8;
    pub const INITIAL: u32 = 9;
    pub const PRE_AUTHENT: u32 = 10;
    pub const HW_AUTHENT: u32 = 11;
    pub const TRANSITED_POLICY_CHECKED: u32 = 12;
    pub const OK_AS_DELEGATE: u32 = 13;
    /// KDCOptions: canonicalize (RFC 6806 §11).
    pub const CANONICALIZE: u32 = 15;
    /// KDCOptions: renewable-ok, enc-tkt-in-skey, renew, validate.
    pub const RENEWABLE_OK: u32 = 27;
    pub const ENC_TKT_IN_SKEY: u32 = 28;
    pub const RENEW: u32 = 30;
    pub const VALIDATE: u32 = 31;
    /// APOptions: use-session-key, mutual-required.
    pub const USE_SESSION_KEY: u32 = 1;
    pub const MUTUAL_REQUIRED: u32 = 2;
}

/// OCTET STRING whose contents are secret (key material): zeroized on drop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretOctets(pub Zeroizing<Vec<u8>>);

impl FixedTag for SecretOctets {
    const TAG: Tag = Tag::OctetString;
}

impl<'a> DecodeValue<'a> for SecretOctets {
    type Error = der::Error;
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        Ok(SecretOctets(Zeroizing::new(
            reader.read_slice(header.length())?.to_vec(),
        )))
    }
}

impl EncodeValue for SecretOctets {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.0.len())
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(&self.0)
    }
}

/// PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct PrincipalName {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub name_type: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub name_string: Vec<KerberosString>,
}

impl PrincipalName {
    /// A name of `name_type` with the given components.
    pub fn new(name_type: i32, components: &[&str]) -> Self {
        PrincipalName {
            name_type,
            name_string: components
                .iter()
                .map(|c| KerberosString::from(*c))
                .collect(),
        }
    }
    /// The components joined by `/` (no escaping).
    pub fn to_text(&self) -> String {
        self.name_string
            .iter()
            .map(|s| s.0.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }
    /// The `Principal` of this name in `realm`.
    pub fn to_principal(&self, realm: &Realm) -> Principal {
        Principal {
            name_type: self.name_type,
            components: self.name_string.iter().map(|s| s.0.clone()).collect(),
            realm: realm.0.clone(),
        }
    }
    /// Whether both name the same principal (name-type is not significant, RFC 4120 §6.2).
    pub fn same_name(&self, other: &PrincipalName) -> bool {
        self.name_string == other.name_string
    }
}

impl From<&Principal> for PrincipalName {
    fn from(p: &Principal) -> Self {
        PrincipalName {
            name_type: p.name_type,
            name_string: p
                .components
                .iter()
                .map(|c| KerberosString(c.clone()))
                .collect(),
        }
    }
}

impl Principal {
    /// The krbtgt service of `realm` issued by `issuer_realm` (krbtgt/REALM@ISSUER, NT-SRV-INST).
    pub fn krbtgt(realm: &str, issuer_realm: &str) -> Principal {
        Principal {
            name_type: name_type::NT_SRV_INST,
            components: vec!["krbtgt".into(), realm.into()],
            realm: issuer_realm.into(),
        }
    }
}

/// HostAddress ::= SEQUENCE { addr-type [0] Int32, address [1] OCTET STRING }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct HostAddress {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub addr_type: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub address: OctetString,
}

/// AuthorizationData entry: SEQUENCE { ad-type [0] Int32, ad-data [1] OCTET STRING }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct AuthorizationDataEntry {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub ad_type: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub ad_data: OctetString,
}

/// AuthorizationData ::= SEQUENCE OF AuthorizationDataEntry
pub type AuthorizationData = Vec<AuthorizationDataEntry>;

/// EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL, cipher [2] OCTET STRING }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncryptedData {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub etype: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub kvno: Option<UInt32>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub cipher: OctetString,
}

impl EncryptedData {
    /// EncryptedData of `etype` around `cipher`.
    pub fn new(etype: i32, kvno: Option<u32>, cipher: Vec<u8>) -> Result<Self, Asn1Error> {
        Ok(EncryptedData {
            etype,
            kvno: kvno.map(UInt32),
            cipher: OctetString::new(cipher).map_err(|e| Asn1Error::new("EncryptedData", e))?,
        })
    }
}

/// EncryptionKey ::= SEQUENCE { keytype [0] Int32, keyvalue [1] OCTET STRING } (zeroized).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncryptionKey {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub keytype: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub keyvalue: SecretOctets,
}

/// Checksum ::= SEQUENCE { cksumtype [0] Int32, checksum [1] OCTET STRING }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct Checksum {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub cksumtype: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub checksum: OctetString,
}

/// TransitedEncoding ::= SEQUENCE { tr-type [0] Int32, contents [1] OCTET STRING }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TransitedEncoding {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub tr_type: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub contents: OctetString,
}

/// LastReq entry: SEQUENCE { lr-type [0] Int32, lr-value [1] KerberosTime }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct LastReqEntry {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub lr_type: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub lr_value: KerberosTime,
}

/// PA-DATA types used here (RFC 4120 §7.5.2, MS-KILE §2.2.3).
pub mod pa_type {
    pub const PA_TGS_REQ: i32 = 1;
    pub const PA_ENC_TIMESTAMP: i32 = 2;
    pub const PA_PW_SALT: i32 = 3;
    pub const PA_ETYPE_INFO: i32 = 11;
    pub const PA_ETYPE_INFO2: i32 = 19;
    pub const PA_PAC_REQUEST: i32 = 128;
    pub const PA_PAC_OPTIONS: i32 = 167;
}

/// PA-DATA ::= SEQUENCE { padata-type [1] Int32, padata-value [2] OCTET STRING }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct PaData {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub padata_type: i32,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub padata_value: OctetString,
}

impl PaData {
    /// PA-DATA of `padata_type` around an encoded value.
    pub fn new(padata_type: i32, value: Vec<u8>) -> Result<Self, Asn1Error> {
        Ok(PaData {
            padata_type,
            padata_value: OctetString::new(value).map_err(|e| Asn1Error::new("PA-DATA", e))?,
        })
    }
    /// PA-PAC-REQUEST (128) { include-pac [0] BOOLEAN }, as Windows clients send in an AS-REQ.
    pub fn pac_request(include_pac: bool) -> Result<Self, Asn1Error> {
        let v = super::encode_der("PA-PAC-REQUEST", &PaPacRequest { include_pac })?;
        PaData::new(pa_type::PA_PAC_REQUEST, v)
    }
}

/// METHOD-DATA ::= SEQUENCE OF PA-DATA (the e-data of KDC_ERR_PREAUTH_REQUIRED, §5.9.1).
pub type MethodData = Vec<PaData>;

/// PA-ENC-TS-ENC ::= SEQUENCE { patimestamp [0] KerberosTime, pausec [1] Microseconds OPTIONAL }
/// (the plaintext of PA-ENC-TIMESTAMP, key usage 1).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct PaEncTsEnc {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub patimestamp: KerberosTime,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub pausec: Option<i32>,
}

/// ETYPE-INFO2-ENTRY ::= SEQUENCE { etype [0] Int32, salt [1] KerberosString OPTIONAL,
/// s2kparams [2] OCTET STRING OPTIONAL }; ETYPE-INFO2 is a SEQUENCE OF them (§5.2.7.5).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EtypeInfo2Entry {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub etype: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub salt: Option<KerberosString>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub s2kparams: Option<OctetString>,
}

/// ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY
pub type EtypeInfo2 = Vec<EtypeInfo2Entry>;

/// KERB-PA-PAC-REQUEST ::= SEQUENCE { include-pac [0] BOOLEAN } (MS-KILE §2.2.3).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct PaPacRequest {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub include_pac: bool,
}

/// Decodes a METHOD-DATA (SEQUENCE OF PA-DATA).
pub fn decode_method_data(bytes: &[u8]) -> Result<MethodData, Asn1Error> {
    super::decode_der("METHOD-DATA", bytes)
}

/// Decodes an ETYPE-INFO2 (the value of PA-ETYPE-INFO2).
pub fn decode_etype_info2(bytes: &[u8]) -> Result<EtypeInfo2, Asn1Error> {
    super::decode_der("ETYPE-INFO2", bytes)
}
