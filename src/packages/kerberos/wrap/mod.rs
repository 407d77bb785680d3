//! Per-message protection of an established Kerberos context on the caller's SecBuffers:
//! EncryptMessage / DecryptMessage / MakeSignature / VerifySignature.
//!
//! - [`cfx`]: RFC 4121 §4.2 wrap (05 04) and MIC (04 04) tokens for the AES enctypes, laid
//!   out as Windows does (MS-KILE §3.4.5.4): `TOKEN = header ‖ E(filler ‖ header copy) ‖
//!   checksum ‖ E(confounder)`, DATA encrypted in place.
//! - [`rc4`]: RFC 4757 §7 tokens (02 01 wrap, 01 01 MIC) for rc4-hmac session keys.
//!
//! Each direction has its own lock (encrypt ∥ decrypt on two threads). A failed call changes
//! no state and leaves every buffer the caller keeps as it was: inputs are validated before
//! anything is written, and a message whose checksum fails is re-encrypted (and re-rotated)
//! in place before the error returns. No heap allocation per message.

mod cfx;
#[cfg(test)]
mod mech_list_mic_tests;
#[cfg(test)]
mod mit_tests;
mod rc4;
#[cfg(test)]
mod tests;

use parking_lot::Mutex;

use super::crypto::{iov::Regions, Etype, Key, UsageKeys};
use crate::buffers::SecBuffers;
use crate::status::{Error, SecResult};

/// SecBuffer types and QOP values used here (sspi.h; copied so that the package does not
/// import from `ffi`).
pub mod consts {
    pub const SECBUFFER_DATA: u32 = 1;
    pub const SECBUFFER_TOKEN: u32 = 2;
    pub const SECBUFFER_PADDING: u32 = 9;
    pub const SECBUFFER_STREAM: u32 = 10;
    pub const SECBUFFER_READONLY: u32 = 0x8000_0000;
    pub const SECBUFFER_READONLY_WITH_CHECKSUM: u32 = 0x1000_0000;
    /// SECQOP_WRAP_NO_ENCRYPT (sspi.h) = KERB_WRAP_NO_ENCRYPT (ntsecapi.h): integrity only.
    pub const SECQOP_WRAP_NO_ENCRYPT: u32 = 0x8000_0001;
    pub const KERB_WRAP_NO_ENCRYPT: u32 = 0x8000_0001;
}
use consts::*;

/// RFC 4121 §2 key usages.
pub const KG_USAGE_ACCEPTOR_SEAL: u32 = 22;
pub const KG_USAGE_ACCEPTOR_SIGN: u32 = 23;
pub const KG_USAGE_INITIATOR_SEAL: u32 = 24;
pub const KG_USAGE_INITIATOR_SIGN: u32 = 25;

/// Windows' cbMaxToken for Kerberos (Windows 8 / Server 2012 and later).
pub const MAX_TOKEN: u32 = 48000;

/// What the context negotiated that matters per message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// ISC_REQ_USE_DCE_STYLE: EC 16 on sealed AES tokens, no RC4 padding byte.
    pub dce_style: bool,
    /// ISC_REQ_SEQUENCE_DETECT: any message but the next expected one is refused.
    pub sequence_detect: bool,
    /// ISC_REQ_REPLAY_DETECT: a sequence number seen before (or older than the 64-message
    /// window) is refused.
    pub replay_detect: bool,
    /// ISC_REQ_CONFIDENTIALITY: EncryptMessage with QOP 0 encrypts; without it only
    /// SECQOP_WRAP_NO_ENCRYPT is accepted.
    pub confidentiality: bool,
    /// ISC_REQ_INTEGRITY (informational: signing is always available with a session key).
    pub integrity: bool,
}

/// SECPKG_ATTR_SIZES for the session's enctype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// cbMaxToken: 48000.
    pub max_token: u32,
    /// cbMaxSignature: the MIC token (28 aes-sha1, 32 aes128-sha256, 40 aes256-sha384, 37 rc4).
    pub max_signature: u32,
    /// cbBlockSize: 1 (CTS and RC4 need no caller padding).
    pub block_size: u32,
    /// cbSecurityTrailer: the largest TOKEN EncryptMessage writes (76 aes-sha1 with DCE's
    /// EC 16; 80 / 88 for the SHA-2 enctypes; 45 + up to 4 DER length bytes for rc4).
    pub security_trailer: u32,
}

/// The four derived keys of the RFC 4121 usages for one direction pair.
struct CfxKeys {
    send_seal: UsageKeys,
    send_sign: UsageKeys,
    recv_seal: UsageKeys,
    recv_sign: UsageKeys,
    mac_len: usize,
}

enum Keys {
    Cfx(Box<CfxKeys>),
    Rc4(Key),
}

/// Send state: the next sequence number to use.
struct SendState {
    seq: u64,
}

/// Receive state: the next expected sequence number and which of the 64 before it were seen.
struct RecvState {
    next: u64,
    /// Bit i set: sequence number `next - 1 - i` was seen (or precedes the initial number).
    window: u64,
}

impl RecvState {
    /// Whether `seq` may be accepted under the options (nothing changes).
    fn check(&self, seq: u64, opts: &Options) -> SecResult<()> {
        if !opts.sequence_detect && !opts.replay_detect {
            return Ok(());
        }
        if seq == self.next {
            return Ok(());
        }
        if seq > self.next {
            // A gap: reordered or lost messages.
            return if opts.sequence_detect {
                Err(Error::OutOfSequence)
            } else {
                Ok(())
            };
        }
        let age = self.next - 1 - seq;
        if age >= 64 || self.window & (1u64 << age) != 0 || opts.sequence_detect {
            return Err(Error::OutOfSequence);
        }
        Ok(())
    }

    /// Records `seq` as received (after the message verified).
    fn commit(&mut self, seq: u64) {
        if seq >= self.next {
            let shift = (seq - self.next).saturating_add(1);
            self.window = if shift >= 64 { 0 } else { self.window << shift };
            self.window |= 1;
            self.next = seq.wrapping_add(1);
        } else {
            let age = self.next - 1 - seq;
            if age < 64 {
                self.window |= 1u64 << age;
            }
        }
    }
}

/// How a received MIC token's sequence number is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SeqRule {
    /// VerifySignature: the options' replay and sequence rules apply; the number is recorded.
    Message,
    /// The SPNEGO mechListMIC: any number is taken (Windows signs it with 0 and does not count
    /// it; MIT's gss_get_mic uses and counts its next one). Recorded only when it is the next
    /// expected number, so that the peer's first message verifies either way.
    MechListMic,
}

impl RecvState {
    /// Records a verified MIC's `seq` under `rule`.
    fn record(&mut self, seq: u64, rule: SeqRule) {
        if rule == SeqRule::Message || seq == self.next {
            self.commit(seq);
        }
    }
}

/// One direction's lock and state on cache lines of its own, so that encrypt on one thread
/// and decrypt on another never write to a shared line.
#[repr(align(128))]
struct Lane<T>(Mutex<T>);

/// The message protection state of one established context.
pub struct Session {
    keys: Keys,
    etype: Etype,
    initiator: bool,
    acceptor_subkey: bool,
    opts: Options,
    send: Lane<SendState>,
    recv: Lane<RecvState>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("etype", &self.etype)
            .field("initiator", &self.initiator)
            .field("acceptor_subkey", &self.acceptor_subkey)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The session of an established context.
    ///
    /// `key`: the acceptor subkey when the AP-REP carried one (then `acceptor_subkey` is true
    /// and the RFC 4121 AcceptorSubkey flag is set on every token), else the initiator's
    /// authenticator subkey, else the ticket session key (RFC 4121 §2). `initiator`: this side
    /// sent the AP-REQ. `send_seq` / `recv_seq`: the initial sequence numbers (the
    /// authenticator's and the AP-REP's seq-number).
    pub fn new(
        key: Key,
        initiator: bool,
        acceptor_subkey: bool,
        send_seq: u64,
        recv_seq: u64,
        opts: Options,
    ) -> Session {
        let etype = key.etype();
        let keys = if etype.is_aes() {
            let (send_seal, send_sign, recv_seal, recv_sign) = if initiator {
                (
                    KG_USAGE_INITIATOR_SEAL,
                    KG_USAGE_INITIATOR_SIGN,
                    KG_USAGE_ACCEPTOR_SEAL,
                    KG_USAGE_ACCEPTOR_SIGN,
                )
            } else {
                (
                    KG_USAGE_ACCEPTOR_SEAL,
                    KG_USAGE_ACCEPTOR_SIGN,
                    KG_USAGE_INITIATOR_SEAL,
                    KG_USAGE_INITIATOR_SIGN,
                )
            };
            match (
                key.usage_keys(send_seal),
                key.usage_keys(send_sign),
                key.usage_keys(recv_seal),
                key.usage_keys(recv_sign),
            ) {
                (Some(a), Some(b), Some(c), Some(d)) => Keys::Cfx(Box::new(CfxKeys {
                    mac_len: a.mac_len,
                    send_seal: a,
                    send_sign: b,
                    recv_seal: c,
                    recv_sign: d,
                })),
                // Unreachable: every AES key has a schedule. Fall back to a key that
                // verifies nothing rather than panicking.
                _ => Keys::Rc4(key),
            }
        } else {
            Keys::Rc4(key)
        };
        Session {
            keys,
            etype,
            initiator,
            acceptor_subkey,
            opts,
            send: Lane(Mutex::new(SendState { seq: send_seq })),
            recv: Lane(Mutex::new(RecvState {
                next: recv_seq,
                window: u64::MAX,
            })),
        }
    }

    /// The session key's enctype.
    pub fn etype(&self) -> Etype {
        self.etype
    }

    /// SECPKG_ATTR_SIZES (MIT's token sizes; cbSecurityTrailer 76 for AES-SHA1 as Windows).
    pub fn sizes(&self) -> Sizes {
        match &self.keys {
            Keys::Cfx(k) => Sizes {
                max_token: MAX_TOKEN,
                max_signature: (cfx::HEADER + k.mac_len) as u32,
                block_size: 1,
                security_trailer: (cfx::HEADER
                    + cfx::CONFOUNDER
                    + cfx::DCE_EC
                    + cfx::HEADER
                    + k.mac_len) as u32,
            },
            Keys::Rc4(_) => Sizes {
                max_token: MAX_TOKEN,
                max_signature: rc4::MIC_TOKEN_LEN as u32,
                block_size: 1,
                security_trailer: rc4::MAX_WRAP_HEADER_LEN as u32,
            },
        }
    }

    /// EncryptMessage. `msg` is `[TOKEN (≥ cbSecurityTrailer), DATA…, PADDING…]`, other
    /// buffer types ignored; read-only DATA buffers are signed, not encrypted, not changed.
    /// `qop` 0 seals (needs [`Options::confidentiality`]); SECQOP_WRAP_NO_ENCRYPT /
    /// KERB_WRAP_NO_ENCRYPT makes an integrity-only wrap token. TOKEN.cbBuffer becomes the
    /// bytes written, PADDING.cbBuffer 0 (AES) or the RC4 padding byte. `seq_no` is ignored,
    /// as by Windows' Kerberos: the context's own counter is used.
    ///
    /// Errors: no TOKEN or no DATA → SEC_E_INVALID_TOKEN; TOKEN too small →
    /// SEC_E_BUFFER_TOO_SMALL; other QOP → SEC_E_QOP_NOT_SUPPORTED; NULL buffer memory →
    /// SEC_E_INVALID_PARAMETER.
    pub fn seal(&self, qop: u32, msg: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        let _ = seq_no;
        let conf = match qop {
            0 if self.opts.confidentiality => true,
            SECQOP_WRAP_NO_ENCRYPT => false,
            _ => return Err(Error::QopNotSupported),
        };
        match &self.keys {
            Keys::Cfx(k) => self.cfx_wrap(k, conf, msg),
            Keys::Rc4(k) => self.rc4_wrap(k, conf, msg),
        }
    }

    /// DecryptMessage: `[TOKEN, DATA…]` (TOKEN exactly as EncryptMessage wrote it) or
    /// `[STREAM, DATA]` (a whole token, e.g. from MIT `gss_wrap` with RRC 0; DATA is pointed
    /// at the plaintext inside STREAM). Returns pfQOP: 0, or SECQOP_WRAP_NO_ENCRYPT for an
    /// integrity-only token.
    ///
    /// Errors: no TOKEN/STREAM or no DATA, not a wrap token, lengths inconsistent with the
    /// header → SEC_E_INVALID_TOKEN; checksum, header copy or direction wrong →
    /// SEC_E_MESSAGE_ALTERED; replayed or out of order (per the options) →
    /// SEC_E_OUT_OF_SEQUENCE. A failed call leaves the buffers and the state unchanged.
    pub fn unseal(&self, msg: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        let _ = seq_no;
        match &self.keys {
            Keys::Cfx(k) => self.cfx_unwrap(k, msg),
            Keys::Rc4(k) => self.rc4_unwrap(k, msg),
        }
    }

    /// MakeSignature: `[TOKEN (≥ cbMaxSignature), DATA…]`; every DATA buffer (read-only
    /// ones too) is signed; TOKEN receives the MIC token and its size. `qop` must be 0.
    /// Errors as [`Session::seal`].
    pub fn make_signature(&self, qop: u32, msg: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        let _ = seq_no;
        if qop != 0 {
            return Err(Error::QopNotSupported);
        }
        match &self.keys {
            Keys::Cfx(k) => self.cfx_get_mic(k, msg),
            Keys::Rc4(k) => self.rc4_get_mic(k, msg),
        }
    }

    /// VerifySignature: `[TOKEN, DATA…]`; returns pfQOP 0. Errors as [`Session::unseal`].
    pub fn verify_signature(&self, msg: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        let _ = seq_no;
        match &self.keys {
            Keys::Cfx(k) => self.cfx_verify_mic(k, msg, SeqRule::Message).map(|()| 0),
            Keys::Rc4(k) => self.rc4_verify_mic(k, msg, SeqRule::Message).map(|()| 0),
        }
    }

    /// Verifies the peer's SPNEGO mechListMIC (RFC 4178 §5): `mic` is an RFC 4121 MIC token
    /// (04 04) or an RFC 4757 one (01 01, framed) over `der`, the MechTypeList DER as sent.
    /// The key, key usage and direction are VerifySignature's (the peer's sign usage, the
    /// SentByAcceptor / direction bytes of the peer's side, the AcceptorSubkey flag as
    /// negotiated); the sequence number is not required to match the next expected one: Windows
    /// acceptors sign with 0 and do not count it (sspi-rs issue #748), MIT counts it. The
    /// receive state advances only when the number is the next expected one (MIT), so the
    /// peer's first message verifies in both cases.
    ///
    /// Errors: malformed token → SEC_E_INVALID_TOKEN; checksum, direction or flags wrong →
    /// SEC_E_MESSAGE_ALTERED; nothing is consumed on failure.
    pub fn verify_mech_list_mic(&self, der: &[u8], mic: &[u8]) -> SecResult<()> {
        let mut data = der.to_vec();
        let mut token = mic.to_vec();
        let mut parts = [
            (SECBUFFER_DATA, &mut data[..]),
            (SECBUFFER_TOKEN, &mut token[..]),
        ];
        SecBuffers::with_parts(&mut parts, |msg| match &self.keys {
            Keys::Cfx(k) => self.cfx_verify_mic(k, msg, SeqRule::MechListMic),
            Keys::Rc4(k) => self.rc4_verify_mic(k, msg, SeqRule::MechListMic),
        })?
    }
}

/// The caller's buffers as numbered regions for the iov primitives. Buffers are validated
/// before a stream is built, so a failing lookup (NULL memory) reads as empty.
impl Regions for SecBuffers<'_> {
    fn region(&self, i: usize) -> &[u8] {
        self.bytes(i).unwrap_or(&[])
    }
    fn region_mut(&mut self, i: usize) -> &mut [u8] {
        self.bytes_mut(i).unwrap_or(&mut [])
    }
}

/// Checks that the message has a DATA buffer and that every DATA and PADDING buffer's memory
/// is usable, before anything is written.
fn validate_data(msg: &SecBuffers<'_>) -> SecResult<()> {
    if msg.count(SECBUFFER_DATA) == 0 {
        return Err(Error::InvalidToken);
    }
    for i in 0..msg.len() {
        if matches!(msg.kind(i), SECBUFFER_DATA | SECBUFFER_PADDING) {
            msg.bytes(i)?;
        }
    }
    Ok(())
}

/// DATA buffers that are encrypted in place (not read-only).
fn is_writable_data(msg: &SecBuffers<'_>, i: usize) -> bool {
    msg.kind(i) == SECBUFFER_DATA && !msg.is_readonly(i)
}

/// The most segments a message can have: every buffer plus the token.
const MAX_SEGS: usize = crate::buffers::MAX_BUFFERS + 1;

/// Direct entry points for the fuzz targets (`--features fuzzing`): an arbitrary token is
/// given to DecryptMessage / VerifySignature of fixed AES and RC4 sessions, in both the
/// `[STREAM, DATA]` and the `[TOKEN, DATA]` forms. Returns whether it verified; never panics.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_api {
    use super::*;

    /// Fixed AES-SHA1, AES-SHA2 and RC4 sessions, made once (inputs that do not verify
    /// leave them unchanged).
    fn sessions() -> &'static [Session; 3] {
        static SESSIONS: std::sync::OnceLock<[Session; 3]> = std::sync::OnceLock::new();
        SESSIONS.get_or_init(|| {
            let opts = Options {
                sequence_detect: true,
                replay_detect: true,
                confidentiality: true,
                integrity: true,
                dce_style: false,
            };
            let mk = |e: Etype| {
                Key::new(e, &[0x42u8; 32][..e.key_len()])
                    .map(|k| Session::new(k, true, false, 0, 0, opts))
            };
            [
                mk(Etype::Aes256CtsHmacSha196),
                mk(Etype::Aes128CtsHmacSha256128),
                mk(Etype::Rc4Hmac),
            ]
            .map(|s| s.expect("fixed key lengths"))
        })
    }

    /// DecryptMessage on `bytes` as `[STREAM, DATA]` and, split after a length taken from the
    /// first byte, as `[TOKEN, DATA]`.
    pub fn unwrap(bytes: &[u8]) -> bool {
        let mut ok = false;
        for s in sessions() {
            let mut stream = bytes.to_vec();
            let mut empty = [0u8; 0];
            let r = SecBuffers::with_parts(
                &mut [
                    (SECBUFFER_STREAM, &mut stream[..]),
                    (SECBUFFER_DATA, &mut empty[..]),
                ],
                |m| s.unseal(m, 0),
            );
            ok |= matches!(r, Ok(Ok(_)));
            let split = bytes
                .first()
                .map_or(0, |&b| usize::from(b))
                .min(bytes.len());
            let (t, d) = bytes.split_at(split);
            let (mut t, mut d) = (t.to_vec(), d.to_vec());
            let r = SecBuffers::with_parts(
                &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut d[..])],
                |m| s.unseal(m, 0),
            );
            ok |= matches!(r, Ok(Ok(_)));
        }
        ok
    }

    /// VerifySignature on `bytes` as TOKEN over a fixed DATA buffer.
    pub fn verify_mic(bytes: &[u8]) -> bool {
        let mut ok = false;
        for s in sessions() {
            let mut t = bytes.to_vec();
            let mut d = *b"fuzz";
            let r = SecBuffers::with_parts(
                &mut [(SECBUFFER_TOKEN, &mut t[..]), (SECBUFFER_DATA, &mut d[..])],
                |m| s.verify_signature(m, 0),
            );
            ok |= matches!(r, Ok(Ok(_)));
        }
        ok
    }
}
