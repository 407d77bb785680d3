//! The NTLM context: client (InitializeSecurityContext) and server (AcceptSecurityContext)
//! state machines, attributes, and the message functions.

use super::authenticate::{self, AuthenticateOut, HEADER_LEN, MIC_OFFSET};
use super::av_pair::*;
use super::challenge;
use super::hmac_md5::HmacKey;
use super::negotiate::{self, *};
use super::ntlmv2::*;
use super::seal::Session;
use super::users::{self, Account};
use super::wire::{from_utf16le, u64_at, utf16le};
use super::{hostname, NtlmCredentials, INFO};
use crate::buffers::SecBuffers;
use crate::ffi::consts::*;
use crate::package::{Attribute, Context, PackageInfo, Step, Unsealed};
use crate::status::{Error, Outcome, SecResult};
use parking_lot::Mutex;
use ring::rand::{SecureRandom, SystemRandom};
use std::sync::{Arc, OnceLock};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

enum State {
    Initial,
    /// Client: NEGOTIATE sent.
    Negotiated {
        negotiate: Vec<u8>,
        flags: u32,
    },
    /// Server: CHALLENGE sent.
    Challenged {
        negotiate: Vec<u8>,
        challenge: Vec<u8>,
        server_challenge: [u8; 8],
    },
    Done,
}

struct Handshake {
    state: State,
    ret_flags: u32,
}

/// What a completed handshake leaves.
struct Established {
    /// Session security, derived from `exported` at the first message call: a context used
    /// only to authenticate (HTTP, SMB session setup without signing) never pays for the four
    /// keys and two RC4 key schedules (MS-NLMP §3.4.5).
    session: OnceLock<Session>,
    /// NegotiateFlags the session keys depend on, and which side this is.
    session_flags: u32,
    client: bool,
    exported: Key16,
    /// `DOMAIN\user` of the client.
    client_name: String,
    /// The target (client side) or the name the client asked for (server side).
    server_name: String,
    ret_flags: u32,
    /// The AUTHENTICATE_MESSAGE carried a MIC (MsvAvFlags bit 0x2).
    mic_present: bool,
}

/// An NTLM security context.
pub struct NtlmContext {
    creds: Arc<NtlmCredentials>,
    client: bool,
    hs: Mutex<Handshake>,
    done: OnceLock<Established>,
    start: i64,
}

fn random<const N: usize>() -> SecResult<Zeroizing<[u8; N]>> {
    let mut b = Zeroizing::new([0u8; N]);
    SystemRandom::new()
        .fill(&mut b[..])
        .map_err(|_| Error::InternalError)?;
    Ok(b)
}

/// Writes the output token; returns whether the library allocated it.
/// Writes the output token. Windows' codes (Wine dlls/secur32/tests/ntlm.c runClient, run on
/// Windows): no output descriptor, no SECBUFFER_TOKEN buffer or too small a one →
/// SEC_E_BUFFER_TOO_SMALL; a NULL pvBuffer without ISC_REQ_ALLOCATE_MEMORY →
/// SEC_E_INTERNAL_ERROR.
fn write_output(step: &mut Step<'_, '_>, msg: &[u8]) -> SecResult<bool> {
    let out = step.output.as_deref_mut().ok_or(Error::BufferTooSmall)?;
    let i = out.find(SECBUFFER_TOKEN).ok_or(Error::BufferTooSmall)?;
    match out.write_token_at(i, msg) {
        Err(Error::InvalidParameter) => return Err(Error::InternalError),
        r => r?,
    }
    Ok(out.allocate())
}

/// NegotiateFlags a client asks for, from ISC_REQ_*.
fn client_flags(req: u32) -> u32 {
    let mut f = BASE_FLAGS;
    if req
        & (ISC_REQ_INTEGRITY
            | ISC_REQ_REPLAY_DETECT
            | ISC_REQ_SEQUENCE_DETECT
            | ISC_REQ_CONFIDENTIALITY)
        != 0
    {
        // Windows offers LM_KEY next to ESS when it asks for session security (its
        // NEGOTIATE flags 0xe2088297); a peer without ESS then gets §3.4.5.3's LM_KEY keys.
        f |= NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_LM_KEY;
    }
    if req & ISC_REQ_CONFIDENTIALITY != 0 {
        f |= NTLMSSP_NEGOTIATE_SEAL;
    }
    if req & ISC_REQ_DATAGRAM != 0 {
        f |= NTLMSSP_NEGOTIATE_DATAGRAM;
    }
    if req & ISC_REQ_IDENTIFY != 0 {
        f |= NTLMSSP_NEGOTIATE_IDENTIFY;
    }
    f
}

/// ISC_RET_*: what was requested and is available with `flags`.
fn client_ret(req: u32, flags: u32, allocated: bool) -> u32 {
    let sign = flags & NTLMSSP_NEGOTIATE_SIGN != 0;
    let mut r = 0;
    let grant = |r: &mut u32, bit: u32, ok: bool| {
        if req & bit != 0 && ok {
            *r |= bit;
        }
    };
    // Integrity and confidentiality describe the established session (what the negotiated
    // flags provide), as ASC's do, whatever was asked.
    if sign || flags & NTLMSSP_NEGOTIATE_SEAL != 0 {
        r |= ISC_RET_INTEGRITY | ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT;
    }
    if flags & NTLMSSP_NEGOTIATE_SEAL != 0 {
        r |= ISC_RET_CONFIDENTIALITY;
    }
    grant(
        &mut r,
        ISC_REQ_CONNECTION,
        flags & NTLMSSP_NEGOTIATE_DATAGRAM == 0,
    );
    grant(
        &mut r,
        ISC_REQ_DATAGRAM,
        flags & NTLMSSP_NEGOTIATE_DATAGRAM != 0,
    );
    grant(
        &mut r,
        ISC_REQ_IDENTIFY,
        flags & NTLMSSP_NEGOTIATE_IDENTIFY != 0,
    );
    if allocated {
        r |= ISC_RET_ALLOCATED_MEMORY;
    }
    r
}

/// ASC_RET_*: what the negotiated `flags` provide.
fn server_ret(req: u32, flags: u32, allocated: bool) -> u32 {
    let mut r = 0;
    if flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) != 0 {
        r |= ASC_RET_INTEGRITY | ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT;
    }
    if flags & NTLMSSP_NEGOTIATE_SEAL != 0 {
        r |= ASC_RET_CONFIDENTIALITY;
    }
    if flags & NTLMSSP_NEGOTIATE_DATAGRAM != 0 {
        r |= ASC_RET_DATAGRAM;
    } else if req & ASC_REQ_CONNECTION != 0 {
        r |= ASC_RET_CONNECTION;
    }
    if flags & NTLMSSP_NEGOTIATE_IDENTIFY != 0 {
        r |= ASC_RET_IDENTIFY;
    }
    if allocated {
        r |= ASC_RET_ALLOCATED_MEMORY;
    }
    r
}

impl Established {
    /// The session's keys and RC4 states, derived on first use.
    #[inline]
    fn session(&self) -> &Session {
        self.session
            .get_or_init(|| Session::new(&self.exported, self.session_flags, self.client))
    }
}

impl NtlmContext {
    pub(super) fn new(creds: Arc<NtlmCredentials>, client: bool) -> Self {
        NtlmContext {
            creds,
            client,
            hs: Mutex::new(Handshake {
                state: State::Initial,
                ret_flags: 0,
            }),
            done: OnceLock::new(),
            start: filetime_now() as i64,
        }
    }

    fn established(&self) -> SecResult<&Established> {
        self.done.get().ok_or(Error::InvalidHandle)
    }

    /// Client, second step: CHALLENGE in, AUTHENTICATE out.
    fn authenticate(
        &self,
        step: &mut Step<'_, '_>,
        negotiate: &[u8],
        sent: u32,
    ) -> SecResult<(Established, u32)> {
        let account = self.creds.client.as_ref().ok_or(Error::NoCredentials)?;
        let chal_bytes = step.input_token()?;
        let bindings = step.input_bindings()?;
        let ch = challenge::parse(&chal_bytes)?;
        let mut flags = ch.flags
            & (sent
                | NTLMSSP_NEGOTIATE_TARGET_INFO
                | NTLMSSP_TARGET_TYPE_DOMAIN
                | NTLMSSP_TARGET_TYPE_SERVER);
        flags |= NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_VERSION;
        flags &= !NTLMSSP_NEGOTIATE_OEM;
        // With ESS, LM_KEY is ignored (MS-NLMP 2.2.2.5).
        if flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY != 0 {
            flags &= !NTLMSSP_NEGOTIATE_LM_KEY;
        }

        let mut av = AvPairs::parse(&ch.target_info)?;
        let server_ts = av.get(MSV_AV_TIMESTAMP).and_then(|t| u64_at(t, 0).ok());
        let timestamp = server_ts.unwrap_or_else(filetime_now);
        av.set(
            MSV_AV_FLAGS,
            (av.flags() | MSV_AV_FLAG_MIC).to_le_bytes().to_vec(),
        );
        av.set(
            MSV_AV_CHANNEL_BINDINGS,
            bindings.unwrap_or([0; 16]).to_vec(),
        );
        if let Some(t) = step.target.filter(|t| !t.is_empty()) {
            av.set(MSV_AV_TARGET_NAME, utf16le(t));
        }

        // ClientChallenge ‖ the random session key, from one call to the system's RNG.
        let rnd = random::<24>()?;
        let mut client_challenge = Zeroizing::new([0u8; 8]);
        client_challenge.copy_from_slice(&rnd[..8]);
        let ntowf = account.ntowfv2(&account.user, &account.domain);
        let temp = client_blob(timestamp, &client_challenge, &av.encode());
        let (proof, base) = proof_and_base(&ntowf, &ch.server_challenge, &temp);
        let mut nt_response = Vec::with_capacity(16 + temp.len());
        nt_response.extend_from_slice(&proof);
        nt_response.extend_from_slice(&temp);
        // With MsvAvTimestamp from the server the LM response is Z(24) (§3.1.5.1.2).
        let lm = match server_ts {
            Some(_) => [0u8; 24],
            None => lmv2_response(&ntowf, &ch.server_challenge, &client_challenge),
        };
        let (exported, encrypted) = if flags & NTLMSSP_NEGOTIATE_KEY_EXCH != 0 {
            let mut k = Zeroizing::new([0u8; 16]);
            k.copy_from_slice(&rnd[8..]);
            let e = rc4k(&base, &k);
            (k, e.to_vec())
        } else {
            (base, Vec::new())
        };
        let mut msg = authenticate::build(&AuthenticateOut {
            flags,
            lm_response: &lm,
            nt_response: &nt_response,
            domain: &account.domain,
            user: &account.user,
            workstation: hostname(),
            encrypted_session_key: &encrypted,
        })?;
        let m = mic(&exported, negotiate, &chal_bytes, &msg);
        msg[MIC_OFFSET..HEADER_LEN].copy_from_slice(&m);

        let allocated = write_output(step, &msg)?;
        // ESS only when the CHALLENGE offered it (MS-NLMP 3.4.4.1 otherwise).
        let session_flags = flags;
        let ret = client_ret(step.req_flags, flags, allocated);
        Ok((
            Established {
                session: OnceLock::new(),
                session_flags,
                client: true,
                exported,
                client_name: account.display(),
                server_name: step.target.unwrap_or("").to_string(),
                ret_flags: ret,
                mic_present: true,
            },
            ret,
        ))
    }

    /// Server, first step: NEGOTIATE in, CHALLENGE out.
    fn challenge(&self, step: &mut Step<'_, '_>) -> SecResult<(State, u32)> {
        let negotiate = step.input_token()?;
        let nf = negotiate::parse(&negotiate)?;
        // UNICODE or OEM, never both (gss-ntlmssp rejects both).
        let mut flags = if nf & NTLMSSP_NEGOTIATE_UNICODE != 0 {
            NTLMSSP_NEGOTIATE_UNICODE
        } else {
            NTLMSSP_NEGOTIATE_OEM
        };
        flags |= NTLMSSP_REQUEST_TARGET
            | NTLMSSP_NEGOTIATE_NTLM
            | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY
            | NTLMSSP_NEGOTIATE_TARGET_INFO
            | NTLMSSP_TARGET_TYPE_SERVER
            | NTLMSSP_NEGOTIATE_VERSION;
        flags |= nf
            & (NTLMSSP_NEGOTIATE_SIGN
                | NTLMSSP_NEGOTIATE_SEAL
                | NTLMSSP_NEGOTIATE_ALWAYS_SIGN
                | NTLMSSP_NEGOTIATE_DATAGRAM
                | NTLMSSP_NEGOTIATE_IDENTIFY
                | NTLMSSP_NEGOTIATE_128
                | NTLMSSP_NEGOTIATE_56
                | NTLMSSP_NEGOTIATE_KEY_EXCH);
        // TargetName and the AV pairs up to MsvAvTimestamp depend only on the credentials.
        let (domain, names) = self.creds.target.get_or_init(|| {
            let host = hostname();
            let domain = self
                .creds
                .server
                .as_ref()
                .map(|a| a.domain.as_str())
                .filter(|d| !d.is_empty())
                .unwrap_or(host);
            let mut av = AvPairs::default();
            av.set(MSV_AV_NB_DOMAIN_NAME, utf16le(domain));
            av.set(MSV_AV_NB_COMPUTER_NAME, utf16le(host));
            av.set(MSV_AV_DNS_DOMAIN_NAME, utf16le(&domain.to_lowercase()));
            av.set(MSV_AV_DNS_COMPUTER_NAME, utf16le(&host.to_lowercase()));
            let mut names = av.encode();
            names.truncate(names.len() - 4); // without MsvAvEOL
            (domain.to_string(), names)
        });
        let mut target_info = Vec::with_capacity(names.len() + 16);
        target_info.extend_from_slice(names);
        target_info.extend_from_slice(&MSV_AV_TIMESTAMP.to_le_bytes());
        target_info.extend_from_slice(&8u16.to_le_bytes());
        target_info.extend_from_slice(&filetime_now().to_le_bytes());
        target_info.extend_from_slice(&[0, 0, 0, 0]); // MsvAvEOL
        let server_challenge = *random::<8>()?;
        let msg = challenge::build(flags, domain, &server_challenge, &target_info)?;
        let allocated = write_output(step, &msg)?;
        Ok((
            State::Challenged {
                negotiate,
                challenge: msg,
                server_challenge,
            },
            server_ret(step.req_flags, flags, allocated),
        ))
    }

    /// Server, second step: AUTHENTICATE in, verification.
    fn verify(
        &self,
        step: &mut Step<'_, '_>,
        negotiate: &[u8],
        challenge: &[u8],
        server_challenge: &[u8; 8],
    ) -> SecResult<(Established, u32)> {
        let msg = step.input_token()?;
        let bindings = step.input_bindings()?;
        let auth = authenticate::parse(&msg)?;
        // Only NTLMv2: proof (16) + client blob (at least 28 bytes before the AV pairs).
        if auth.nt_response.len() < 16 + BLOB_AV_OFFSET {
            return Err(Error::LogonDenied);
        }
        let file;
        let account: &Account = match self.creds.server.as_ref() {
            Some(a) => Some(a).filter(|a| a.matches(&auth.user, &auth.domain)),
            None => {
                file = users::file_accounts().map_err(|_| Error::LogonDenied)?;
                file.iter().find(|a| a.matches(&auth.user, &auth.domain))
            }
        }
        .ok_or(Error::LogonDenied)?;
        let ntowf = account.ntowfv2(&auth.user, &auth.domain);
        let (proof, temp) = auth.nt_response.split_at(16);
        // SessionBaseKey is HMAC(NTOWFv2, NTProofStr): computed from the expected proof,
        // used only once it equals the received one.
        let (expected, base) = proof_and_base(&ntowf, server_challenge, temp);
        if !bool::from(expected.ct_eq(proof)) {
            return Err(Error::LogonDenied);
        }
        let exported = if auth.flags & NTLMSSP_NEGOTIATE_KEY_EXCH != 0 {
            let enc: [u8; 16] = auth
                .encrypted_session_key
                .as_slice()
                .try_into()
                .map_err(|_| Error::InvalidToken)?;
            rc4k(&base, &enc)
        } else {
            base
        };
        let av = AvPairs::parse(temp.get(BLOB_AV_OFFSET..).ok_or(Error::InvalidToken)?)?;
        if av.flags() & MSV_AV_FLAG_MIC != 0 {
            if msg.len() < HEADER_LEN {
                return Err(Error::InvalidToken);
            }
            // The AUTHENTICATE with its MIC field zeroed, fed in pieces (no copy).
            let m = HmacKey::new(&exported[..]).mac(&[
                negotiate,
                challenge,
                &msg[..MIC_OFFSET],
                &[0u8; HEADER_LEN - MIC_OFFSET],
                &msg[HEADER_LEN..],
            ]);
            if !bool::from(m.ct_eq(&msg[MIC_OFFSET..HEADER_LEN])) {
                return Err(Error::LogonDenied);
            }
        }
        if let (Some(ours), Some(theirs)) = (bindings, av.get(MSV_AV_CHANNEL_BINDINGS)) {
            if theirs != [0u8; 16] && !bool::from(ours.ct_eq(theirs)) {
                return Err(Error::BadBindings);
            }
        }
        let allocated = match step.output.as_deref_mut() {
            Some(out) if out.find(SECBUFFER_TOKEN).is_some() => {
                out.write_token(&[])?;
                out.allocate()
            }
            _ => false,
        };
        let ret = server_ret(step.req_flags, auth.flags, allocated);
        let server_name = av
            .get(MSV_AV_TARGET_NAME)
            .and_then(|t| from_utf16le(t).ok())
            .unwrap_or_default();
        Ok((
            Established {
                session: OnceLock::new(),
                session_flags: auth.flags,
                client: false,
                exported,
                client_name: format!("{}\\{}", auth.domain, auth.user),
                server_name,
                ret_flags: ret,
                mic_present: av.flags() & MSV_AV_FLAG_MIC != 0,
            },
            ret,
        ))
    }
}

impl Context for NtlmContext {
    fn package(&self) -> &'static PackageInfo {
        &INFO
    }

    fn initialize(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if !self.client {
            return Err(Error::InvalidHandle);
        }
        step.expiry = i64::MAX;
        let mut hs = self.hs.lock();
        match &hs.state {
            State::Initial => {
                if self.creds.client.is_none() {
                    return Err(Error::NoCredentials);
                }
                let flags = client_flags(step.req_flags);
                let msg = negotiate::build(flags)?;
                let allocated = write_output(step, &msg)?;
                step.ret_flags = client_ret(step.req_flags, flags, allocated);
                hs.ret_flags = step.ret_flags;
                hs.state = State::Negotiated {
                    negotiate: msg,
                    flags,
                };
                Ok(Outcome::ContinueNeeded)
            }
            State::Negotiated { negotiate, flags } => {
                let (est, ret) = self.authenticate(step, negotiate, *flags)?;
                step.ret_flags = ret;
                hs.ret_flags = ret;
                hs.state = State::Done;
                let _ = self.done.set(est);
                Ok(Outcome::Ok)
            }
            _ => Err(Error::InvalidToken),
        }
    }

    fn accept(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if self.client {
            return Err(Error::InvalidHandle);
        }
        step.expiry = i64::MAX;
        let mut hs = self.hs.lock();
        match &hs.state {
            State::Initial => {
                let (state, ret) = self.challenge(step)?;
                step.ret_flags = ret;
                hs.ret_flags = ret;
                hs.state = state;
                Ok(Outcome::ContinueNeeded)
            }
            State::Challenged {
                negotiate,
                challenge,
                server_challenge,
            } => {
                let (est, ret) = self.verify(step, negotiate, challenge, server_challenge)?;
                step.ret_flags = ret;
                hs.ret_flags = ret;
                hs.state = State::Done;
                let _ = self.done.set(est);
                Ok(Outcome::Ok)
            }
            _ => Err(Error::InvalidToken),
        }
    }

    fn seal(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        self.established()?.session().seal(qop, message, seq_no)
    }

    fn unseal(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<Unsealed> {
        let qop = self.established()?.session().unseal(message, seq_no)?;
        Ok(Unsealed {
            qop,
            outcome: Outcome::Ok,
        })
    }

    fn make_signature(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        self.established()?
            .session()
            .make_signature(qop, message, seq_no)
    }

    fn verify_signature(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        self.established()?
            .session()
            .verify_signature(message, seq_no)
    }

    /// MS-SPNG §3.1.5.1: a mechListMIC is required when the AUTHENTICATE_MESSAGE has a MIC.
    fn mech_list_mic_required(&self) -> bool {
        self.done.get().is_some_and(|e| e.mic_present)
    }

    fn reset_message_state(&self, outbound: bool) {
        // A session not derived yet starts with fresh RC4 handles anyway.
        if let Some(s) = self.done.get().and_then(|e| e.session.get()) {
            s.reset(outbound);
        }
    }

    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        Ok(match attr {
            SECPKG_ATTR_SIZES => Attribute::Sizes {
                max_token: INFO.max_token,
                max_signature: 16,
                block_size: 0,
                security_trailer: 16,
            },
            SECPKG_ATTR_PACKAGE_INFO => Attribute::PackageInfo(&INFO),
            SECPKG_ATTR_NEGOTIATION_INFO => Attribute::NegotiationInfo {
                package: &INFO,
                state: if self.done.get().is_some() {
                    SECPKG_NEGOTIATION_COMPLETE
                } else {
                    SECPKG_NEGOTIATION_IN_PROGRESS
                },
            },
            SECPKG_ATTR_FLAGS => Attribute::Flags(match self.done.get() {
                Some(e) => e.ret_flags,
                None => self.hs.lock().ret_flags,
            }),
            SECPKG_ATTR_LIFESPAN => Attribute::Lifespan {
                start: self.start,
                expiry: i64::MAX,
            },
            SECPKG_ATTR_NAMES => Attribute::Names(self.established()?.client_name.clone()),
            SECPKG_ATTR_SESSION_KEY => {
                Attribute::SessionKey(Zeroizing::new(self.established()?.exported.to_vec()))
            }
            // Windows' values (public measurements; Wine dlls/secur32/tests/ntlm.c): with ESS
            // "HMAC-MD5" (0xffffff76) and "RSADSI RC4"; without, the CRC32 MAC of MS-NLMP
            // 3.4.4.1, "RSADSI RC4-CRC32" (0xffffff7c). EncryptAlgorithm CALG_RC4 (0x6801).
            SECPKG_ATTR_KEY_INFO => {
                let v1 = self.established()?.session().without_ess();
                Attribute::KeyInfo {
                    signature_algorithm_name: if v1 { "RSADSI RC4-CRC32" } else { "HMAC-MD5" },
                    encrypt_algorithm_name: "RSADSI RC4",
                    key_size: super::seal::key_size(self.established()?.session_flags),
                    signature_algorithm: if v1 { 0xFFFF_FF7C } else { 0xFFFF_FF76 },
                    encrypt_algorithm: 0x6801,
                }
            }
            SECPKG_ATTR_NATIVE_NAMES => {
                let e = self.established()?;
                Attribute::NativeNames {
                    client: e.client_name.clone(),
                    server: e.server_name.clone(),
                }
            }
            SECPKG_ATTR_DCE_INFO => {
                self.established()?;
                Attribute::DceInfo { authz_svc: 0 }
            }
            _ => return Err(Error::UnsupportedFunction),
        })
    }
}
