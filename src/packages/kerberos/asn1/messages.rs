//! RFC 4120 §5.3–§5.8 messages: Ticket, KDC-REQ/REP, AP-REQ/REP, KRB-ERROR, KRB-CRED.

use super::types::*;
use super::{decode_der, encode_der, App, Asn1Error};
use der::asn1::OctetString;
use der::Sequence;

macro_rules! app_message {
    ($(#[$m:meta])* $name:ident = [$n:literal] $inner:ident, $what:literal) => {
        $(#[$m])*
        pub type $name = App<$n, $inner>;
        impl App<$n, $inner> {
            #[doc = concat!("Decodes a complete ", $what, " (DER, `[APPLICATION ", stringify!($n), "]`).")]
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, Asn1Error> {
                decode_der($what, bytes)
            }
            #[doc = concat!("Encodes this ", $what, " as DER.")]
            pub fn to_bytes(&self) -> Result<Vec<u8>, Asn1Error> {
                encode_der($what, self)
            }
        }
    };
}

/// Message types (msg-type fields, equal to the application tags).
pub mod msg_type {
    pub const AS_REQ: i32 = 10;
    pub const AS_REP: i32 = 11;
    pub const TGS_REQ: i32 = 12;
    pub const TGS_REP: i32 = 13;
    pub const AP_REQ: i32 = 14;
    pub const AP_REP: i32 = 15;
    pub const KRB_CRED: i32 = 22;
    pub const KRB_ERROR: i32 = 30;
}

/// Ticket body: `SEQUENCE { tkt-vno [0] 5, realm [1], sname [2], enc-part [3] }` (§5.3).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct TicketBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub tkt_vno: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub realm: Realm,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub sname: PrincipalName,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    pub enc_part: EncryptedData,
}
app_message!(
    /// Ticket ::= [APPLICATION 1] SEQUENCE {…}
    Ticket = [1] TicketBody, "Ticket"
);

/// EncTicketPart body (§5.3); the plaintext of Ticket.enc-part (key usage 2).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncTicketPartBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub flags: KerberosFlags,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub key: EncryptionKey,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub crealm: Realm,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    pub cname: PrincipalName,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT")]
    pub transited: TransitedEncoding,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT")]
    pub authtime: KerberosTime,
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT", optional = "true")]
    pub starttime: Option<KerberosTime>,
    #[asn1(context_specific = "7", tag_mode = "EXPLICIT")]
    pub endtime: KerberosTime,
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT", optional = "true")]
    pub renew_till: Option<KerberosTime>,
    #[asn1(context_specific = "9", tag_mode = "EXPLICIT", optional = "true")]
    pub caddr: Option<Vec<HostAddress>>,
    #[asn1(context_specific = "10", tag_mode = "EXPLICIT", optional = "true")]
    pub authorization_data: Option<AuthorizationData>,
}
app_message!(
    /// EncTicketPart ::= [APPLICATION 3] SEQUENCE {…}
    EncTicketPart = [3] EncTicketPartBody, "EncTicketPart"
);

/// KDC-REQ-BODY (§5.4.1); its DER is what the PA-TGS-REQ authenticator checksum covers.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct KdcReqBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub kdc_options: KerberosFlags,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub cname: Option<PrincipalName>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub realm: Realm,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub sname: Option<PrincipalName>,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT", optional = "true")]
    pub from: Option<KerberosTime>,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT")]
    pub till: KerberosTime,
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT", optional = "true")]
    pub rtime: Option<KerberosTime>,
    #[asn1(context_specific = "7", tag_mode = "EXPLICIT")]
    pub nonce: UInt32,
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT")]
    pub etype: Vec<i32>,
    #[asn1(context_specific = "9", tag_mode = "EXPLICIT", optional = "true")]
    pub addresses: Option<Vec<HostAddress>>,
    #[asn1(context_specific = "10", tag_mode = "EXPLICIT", optional = "true")]
    pub enc_authorization_data: Option<EncryptedData>,
    #[asn1(context_specific = "11", tag_mode = "EXPLICIT", optional = "true")]
    pub additional_tickets: Option<Vec<Ticket>>,
}

impl KdcReqBody {
    /// The DER of this body (the input of the PA-TGS-REQ checksum, key usage 6).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Asn1Error> {
        encode_der("KDC-REQ-BODY", self)
    }
}

/// KDC-REQ ::= SEQUENCE { pvno [1] 5, msg-type [2], padata [3] OPTIONAL, req-body [4] }
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct KdcReq {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub pvno: i32,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub msg_type: i32,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub padata: Option<Vec<PaData>>,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT")]
    pub req_body: KdcReqBody,
}
app_message!(
    /// AS-REQ ::= [APPLICATION 10] KDC-REQ
    AsReq = [10] KdcReq, "AS-REQ"
);
app_message!(
    /// TGS-REQ ::= [APPLICATION 12] KDC-REQ
    TgsReq = [12] KdcReq, "TGS-REQ"
);

/// KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2] OPTIONAL, crealm [3], cname [4],
/// ticket [5], enc-part [6] } (§5.4.2).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct KdcRep {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub pvno: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub msg_type: i32,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub padata: Option<Vec<PaData>>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    pub crealm: Realm,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT")]
    pub cname: PrincipalName,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT")]
    pub ticket: Ticket,
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT")]
    pub enc_part: EncryptedData,
}
app_message!(
    /// AS-REP ::= [APPLICATION 11] KDC-REP
    AsRep = [11] KdcRep, "AS-REP"
);
app_message!(
    /// TGS-REP ::= [APPLICATION 13] KDC-REP
    TgsRep = [13] KdcRep, "TGS-REP"
);

/// EncKDCRepPart (§5.4.2): the plaintext of KDC-REP.enc-part.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncKdcRepPartBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub key: EncryptionKey,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub last_req: Vec<LastReqEntry>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub nonce: UInt32,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub key_expiration: Option<KerberosTime>,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT")]
    pub flags: KerberosFlags,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT")]
    pub authtime: KerberosTime,
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT", optional = "true")]
    pub starttime: Option<KerberosTime>,
    #[asn1(context_specific = "7", tag_mode = "EXPLICIT")]
    pub endtime: KerberosTime,
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT", optional = "true")]
    pub renew_till: Option<KerberosTime>,
    #[asn1(context_specific = "9", tag_mode = "EXPLICIT")]
    pub srealm: Realm,
    #[asn1(context_specific = "10", tag_mode = "EXPLICIT")]
    pub sname: PrincipalName,
    #[asn1(context_specific = "11", tag_mode = "EXPLICIT", optional = "true")]
    pub caddr: Option<Vec<HostAddress>>,
    /// RFC 6806 §11 encrypted-pa-data.
    #[asn1(context_specific = "12", tag_mode = "EXPLICIT", optional = "true")]
    pub encrypted_pa_data: Option<Vec<PaData>>,
}

/// EncASRepPart [APPLICATION 25] or EncTGSRepPart [APPLICATION 26]. Either tag is accepted for
/// either reply (RFC 4120 §5.4.2: MIT's KDC sends 26 in an AS-REP); `tag` keeps the one seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncKdcRepPart {
    pub tag: u32,
    pub body: EncKdcRepPartBody,
}

impl EncKdcRepPart {
    pub const AS_TAG: u32 = 25;
    pub const TGS_TAG: u32 = 26;

    /// Decodes a decrypted KDC-REP enc-part: `[APPLICATION 25]` or `[APPLICATION 26]`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Asn1Error> {
        match super::application_tag(bytes) {
            Some(25) => decode_der::<App<25, EncKdcRepPartBody>>("EncASRepPart", bytes)
                .map(|a| EncKdcRepPart { tag: 25, body: a.0 }),
            Some(26) => decode_der::<App<26, EncKdcRepPartBody>>("EncTGSRepPart", bytes)
                .map(|a| EncKdcRepPart { tag: 26, body: a.0 }),
            _ => Err(Asn1Error::new(
                "EncKDCRepPart",
                "not [APPLICATION 25] or [APPLICATION 26]",
            )),
        }
    }

    /// Encodes under `self.tag` (25 or 26; any other value encodes as 26).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Asn1Error> {
        if self.tag == 25 {
            encode_der("EncASRepPart", &App::<25, _>(self.body.clone()))
        } else {
            encode_der("EncTGSRepPart", &App::<26, _>(self.body.clone()))
        }
    }
}

/// AP-REQ body (§5.5.1): pvno [0], msg-type [1], ap-options [2], ticket [3], authenticator [4].
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct ApReqBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub pvno: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub msg_type: i32,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub ap_options: KerberosFlags,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    pub ticket: Ticket,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT")]
    pub authenticator: EncryptedData,
}
app_message!(
    /// AP-REQ ::= [APPLICATION 14] SEQUENCE {…}
    ApReq = [14] ApReqBody, "AP-REQ"
);

/// Authenticator body (§5.5.1); encrypted with key usage 7 (PA-TGS-REQ) or 11 (AP-REQ).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct AuthenticatorBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub authenticator_vno: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub crealm: Realm,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub cname: PrincipalName,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub cksum: Option<Checksum>,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT")]
    pub cusec: i32,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT")]
    pub ctime: KerberosTime,
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT", optional = "true")]
    pub subkey: Option<EncryptionKey>,
    #[asn1(context_specific = "7", tag_mode = "EXPLICIT", optional = "true")]
    pub seq_number: Option<UInt32>,
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT", optional = "true")]
    pub authorization_data: Option<AuthorizationData>,
}
app_message!(
    /// Authenticator ::= [APPLICATION 2] SEQUENCE {…}
    Authenticator = [2] AuthenticatorBody, "Authenticator"
);

/// AP-REP body (§5.5.2): pvno [0], msg-type [1], enc-part [2] (key usage 12).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct ApRepBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub pvno: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub msg_type: i32,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub enc_part: EncryptedData,
}
app_message!(
    /// AP-REP ::= [APPLICATION 15] SEQUENCE {…}
    ApRep = [15] ApRepBody, "AP-REP"
);

/// EncAPRepPart body (§5.5.2): ctime [0], cusec [1], subkey [2] OPTIONAL, seq-number [3] OPTIONAL.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncApRepPartBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub ctime: KerberosTime,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub cusec: i32,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub subkey: Option<EncryptionKey>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub seq_number: Option<UInt32>,
}
app_message!(
    /// EncAPRepPart ::= [APPLICATION 27] SEQUENCE {…}
    EncApRepPart = [27] EncApRepPartBody, "EncAPRepPart"
);

/// KRB-ERROR body (§5.9.1).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct KrbErrorBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub pvno: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub msg_type: i32,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub ctime: Option<KerberosTime>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub cusec: Option<i32>,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT")]
    pub stime: KerberosTime,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT")]
    pub susec: i32,
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT")]
    pub error_code: i32,
    #[asn1(context_specific = "7", tag_mode = "EXPLICIT", optional = "true")]
    pub crealm: Option<Realm>,
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT", optional = "true")]
    pub cname: Option<PrincipalName>,
    #[asn1(context_specific = "9", tag_mode = "EXPLICIT")]
    pub realm: Realm,
    #[asn1(context_specific = "10", tag_mode = "EXPLICIT")]
    pub sname: PrincipalName,
    #[asn1(context_specific = "11", tag_mode = "EXPLICIT", optional = "true")]
    pub e_text: Option<KerberosString>,
    #[asn1(context_specific = "12", tag_mode = "EXPLICIT", optional = "true")]
    pub e_data: Option<OctetString>,
}
app_message!(
    /// KRB-ERROR ::= [APPLICATION 30] SEQUENCE {…}
    KrbError = [30] KrbErrorBody, "KRB-ERROR"
);

impl App<30, KrbErrorBody> {
    /// The e-data as METHOD-DATA (KDC_ERR_PREAUTH_REQUIRED and PREAUTH_FAILED carry one):
    /// `Ok(vec![])` when there is no e-data, an error when it is not a METHOD-DATA.
    pub fn method_data(&self) -> Result<MethodData, Asn1Error> {
        match &self.e_data {
            None => Ok(Vec::new()),
            Some(d) => decode_method_data(d.as_bytes()),
        }
    }

    /// The ETYPE-INFO2 entries of the e-data's PA-ETYPE-INFO2 (19), if any.
    pub fn etype_info2(&self) -> Result<EtypeInfo2, Asn1Error> {
        for pa in self.method_data()? {
            if pa.padata_type == pa_type::PA_ETYPE_INFO2 {
                return decode_etype_info2(pa.padata_value.as_bytes());
            }
        }
        Ok(Vec::new())
    }
}

/// KRB-ERROR error codes (RFC 4120 §7.5.9) used here.
pub mod error_code {
    pub const KDC_ERR_NONE: i32 = 0;
    pub const KDC_ERR_NAME_EXP: i32 = 1;
    pub const KDC_ERR_SERVICE_EXP: i32 = 2;
    pub const KDC_ERR_BAD_PVNO: i32 = 3;
    pub const KDC_ERR_C_OLD_MAST_KVNO: i32 = 4;
    pub const KDC_ERR_S_OLD_MAST_KVNO: i32 = 5;
    pub const KDC_ERR_C_PRINCIPAL_UNKNOWN: i32 = 6;
    pub const KDC_ERR_S_PRINCIPAL_UNKNOWN: i32 = 7;
    pub const KDC_ERR_PRINCIPAL_NOT_UNIQUE: i32 = 8;
    pub const KDC_ERR_NULL_KEY: i32 = 9;
    pub const KDC_ERR_CANNOT_POSTDATE: i32 = 10;
    pub const KDC_ERR_NEVER_VALID: i32 = 11;
    pub const KDC_ERR_POLICY: i32 = 12;
    pub const KDC_ERR_BADOPTION: i32 = 13;
    pub const KDC_ERR_ETYPE_NOSUPP: i32 = 14;
    pub const KDC_ERR_SUMTYPE_NOSUPP: i32 = 15;
    pub const KDC_ERR_PADATA_TYPE_NOSUPP: i32 = 16;
    pub const KDC_ERR_TRTYPE_NOSUPP: i32 = 17;
    pub const KDC_ERR_CLIENT_REVOKED: i32 = 18;
    pub const KDC_ERR_SERVICE_REVOKED: i32 = 19;
    pub const KDC_ERR_TGT_REVOKED: i32 = 20;
    pub const KDC_ERR_CLIENT_NOTYET: i32 = 21;
    pub const KDC_ERR_SERVICE_NOTYET: i32 = 22;
    pub const KDC_ERR_KEY_EXPIRED: i32 = 23;
    pub const KDC_ERR_PREAUTH_FAILED: i32 = 24;
    pub const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;
    pub const KDC_ERR_SERVER_NOMATCH: i32 = 26;
    pub const KDC_ERR_MUST_USE_USER2USER: i32 = 27;
    pub const KDC_ERR_PATH_NOT_ACCEPTED: i32 = 28;
    pub const KDC_ERR_SVC_UNAVAILABLE: i32 = 29;
    pub const KRB_AP_ERR_BAD_INTEGRITY: i32 = 31;
    pub const KRB_AP_ERR_TKT_EXPIRED: i32 = 32;
    pub const KRB_AP_ERR_TKT_NYV: i32 = 33;
    pub const KRB_AP_ERR_REPEAT: i32 = 34;
    pub const KRB_AP_ERR_NOT_US: i32 = 35;
    pub const KRB_AP_ERR_BADMATCH: i32 = 36;
    pub const KRB_AP_ERR_SKEW: i32 = 37;
    pub const KRB_AP_ERR_BADADDR: i32 = 38;
    pub const KRB_AP_ERR_BADVERSION: i32 = 39;
    pub const KRB_AP_ERR_MSG_TYPE: i32 = 40;
    pub const KRB_AP_ERR_MODIFIED: i32 = 41;
    pub const KRB_AP_ERR_BADORDER: i32 = 42;
    pub const KRB_AP_ERR_BADKEYVER: i32 = 44;
    pub const KRB_AP_ERR_NOKEY: i32 = 45;
    pub const KRB_AP_ERR_MUT_FAIL: i32 = 46;
    pub const KRB_AP_ERR_BADDIRECTION: i32 = 47;
    pub const KRB_AP_ERR_METHOD: i32 = 48;
    pub const KRB_AP_ERR_BADSEQ: i32 = 49;
    pub const KRB_AP_ERR_INAPP_CKSUM: i32 = 50;
    pub const KRB_ERR_RESPONSE_TOO_BIG: i32 = 52;
    pub const KRB_ERR_GENERIC: i32 = 60;
    pub const KRB_ERR_FIELD_TOOLONG: i32 = 61;
    pub const KDC_ERR_WRONG_REALM: i32 = 68;
}

/// KrbCredInfo (§5.8.1): the key and, optionally, what the KDC said about one ticket.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct KrbCredInfo {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub key: EncryptionKey,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub prealm: Option<Realm>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub pname: Option<PrincipalName>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub flags: Option<KerberosFlags>,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT", optional = "true")]
    pub authtime: Option<KerberosTime>,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT", optional = "true")]
    pub starttime: Option<KerberosTime>,
    #[asn1(context_specific = "6", tag_mode = "EXPLICIT", optional = "true")]
    pub endtime: Option<KerberosTime>,
    #[asn1(context_specific = "7", tag_mode = "EXPLICIT", optional = "true")]
    pub renew_till: Option<KerberosTime>,
    #[asn1(context_specific = "8", tag_mode = "EXPLICIT", optional = "true")]
    pub srealm: Option<Realm>,
    #[asn1(context_specific = "9", tag_mode = "EXPLICIT", optional = "true")]
    pub sname: Option<PrincipalName>,
    #[asn1(context_specific = "10", tag_mode = "EXPLICIT", optional = "true")]
    pub caddr: Option<Vec<HostAddress>>,
}

/// KRB-CRED body (§5.8.1): pvno [0], msg-type [1], tickets [2], enc-part [3] (key usage 14).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct KrbCredBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub pvno: i32,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT")]
    pub msg_type: i32,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT")]
    pub tickets: Vec<Ticket>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    pub enc_part: EncryptedData,
}
app_message!(
    /// KRB-CRED ::= [APPLICATION 22] SEQUENCE {…}
    KrbCred = [22] KrbCredBody, "KRB-CRED"
);

/// EncKrbCredPart body (§5.8.1).
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct EncKrbCredPartBody {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub ticket_info: Vec<KrbCredInfo>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub nonce: Option<UInt32>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub timestamp: Option<KerberosTime>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub usec: Option<i32>,
    #[asn1(context_specific = "4", tag_mode = "EXPLICIT", optional = "true")]
    pub s_address: Option<HostAddress>,
    #[asn1(context_specific = "5", tag_mode = "EXPLICIT", optional = "true")]
    pub r_address: Option<HostAddress>,
}
app_message!(
    /// EncKrbCredPart ::= [APPLICATION 29] SEQUENCE {…}
    EncKrbCredPart = [29] EncKrbCredPartBody, "EncKrbCredPart"
);
