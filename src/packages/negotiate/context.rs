//! The Negotiate context: the SPNEGO initiator and acceptor (RFC 4178 §5, MS-SPNG §3.1.5,
//! §3.2.5, §3.3.5) driving a Kerberos or NTLM context, then delegating every message function
//! and attribute to the selected mechanism.
//!
//! Initiator: NegTokenInit with Windows' MechTypeList — MS KRB5, KRB5, NTLM when a Kerberos
//! AP-REQ could be made (it rides along as the optimistic mechToken), NTLM alone when Kerberos
//! failed before anything was sent (no credentials, no KDC, unknown target or realm). The
//! Kerberos context is always asked for mutual authentication so that the acceptor's reply
//! (AP-REP) completes the exchange.
//!
//! Acceptor: a NegTokenInit (the first of the initiator's mechs it has credentials for; the
//! reply names the OID the initiator used), or a raw NTLMSSP / Kerberos token (HTTP clients),
//! which is handed to that mechanism without SPNEGO framing.
//!
//! mechListMIC (RFC 4178 §5, MS-SPNG §3.1.5.1): required when the acceptor picked a mech other
//! than the initiator's first, when a peer asked (request-mic) or sent one, and when NTLM's
//! AUTHENTICATE_MESSAGE carried a MIC. It covers the MechTypeList DER exactly as sent and is
//! made and checked by the mechanism (`Context::make_mech_list_mic` /
//! `verify_mech_list_mic`), kept apart from the message functions' sequence rules:
//! - NTLM (the trait's defaults): MakeSignature / VerifySignature (sequence number 0), then
//!   the direction's RC4 handle is reset (`Context::reset_message_state`, MS-SPNG §3.1.5.1), so
//!   the first application message has sequence number 1 under a fresh handle.
//! - Kerberos: ours is MakeSignature, which takes our next send sequence number (as MIT's
//!   gss_get_mic and sspi-rs). The peer's is checked with the key, key usage and direction of
//!   VerifySignature, but its sequence number need not be the next expected one: Windows
//!   acceptors sign it with 0 and do not count it (PACKAGES-NOTES pitfall 8, sspi-rs #748),
//!   MIT counts it. The receive state advances only when it is the next expected number, so
//!   the peer's first message verifies either way.
//!
//! When the initiator's last mechanism token (a Kerberos AP-REQ with mutual authentication)
//! draws a last token from the acceptor (the AP-REP) and a mechListMIC is required, the
//! acceptor sends AP-REP and its MIC under accept-incomplete; the initiator verifies it, sends
//! its own MIC and is complete; the acceptor verifies that and completes with no output token
//! (RFC 4178 §5, as MIT). Otherwise the initiator's MIC comes with its last mechanism token.
//!
//! Errors (SEC_E_*): NO_CREDENTIALS when the credentials hold neither mechanism (Windows fails
//! here, not in AcquireCredentialsHandle); INVALID_TOKEN for a token that does not decode, a NegTokenResp out of
//! place, a supportedMech that was not offered, no mechanism in common, a mechListMIC missing
//! where required; MESSAGE_ALTERED for a mechListMIC that does not verify; LOGON_DENIED for
//! negState reject without a mechanism error; the mechanism's own code otherwise (a KRB-ERROR in
//! the responseToken gives the Kerberos package's mapping). After an error the context is
//! unusable (every later step returns SEC_E_INVALID_TOKEN, message functions
//! SEC_E_INVALID_HANDLE).

use super::credentials::NegotiateCredentials;
use super::spnego::{
    self, NegState, NegTokenResp, NegotiationToken, KRB5_OID, MS_KRB5_OID, NTLM_OID,
};
use super::INFO;
use crate::buffers::SecBuffers;
use crate::ffi::consts::*;
use crate::package::{Attribute, Context, Credentials, PackageInfo, Step, Unsealed};
use crate::status::{Error, Outcome, SecResult};
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};

/// The mechanisms Negotiate can select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mech {
    Kerberos,
    Ntlm,
}

/// Both Kerberos OIDs are Kerberos (PACKAGES-NOTES pitfall 3).
fn mech_of(oid: &[u8]) -> Option<Mech> {
    if oid == MS_KRB5_OID || oid == KRB5_OID {
        Some(Mech::Kerberos)
    } else if oid == NTLM_OID {
        Some(Mech::Ntlm)
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Initial,
    /// SPNEGO tokens are being exchanged.
    Spnego,
    /// Acceptor: a raw NTLMSSP or Kerberos token arrived; tokens pass through unframed.
    Raw,
    Done,
    Failed,
}

struct Handshake {
    phase: Phase,
    inner: Option<Box<dyn Context>>,
    mech: Option<Mech>,
    /// The MechTypeList DER the mechListMIC covers (as sent by the initiator).
    mech_types_der: Vec<u8>,
    /// Initiator: the mechs offered.
    offered: Vec<Mech>,
    /// Initiator: the acceptor's supportedMech has been seen.
    selected: bool,
    inner_done: bool,
    mic_required: bool,
    mic_sent: bool,
    mic_recv: bool,
    ret_flags: u32,
}

/// A Negotiate security context.
pub struct NegotiateContext {
    creds: Arc<NegotiateCredentials>,
    client: bool,
    hs: Mutex<Handshake>,
    /// The selected mechanism's context once the exchange is complete.
    done: OnceLock<Box<dyn Context>>,
}

/// The largest token a mechanism step may write (Kerberos' cbMaxToken is 48000), plus one: a
/// scratch output still this size after the step was not written.
const SCRATCH: usize = 65_537;

/// What one step of the inner mechanism produced.
struct InnerOut {
    outcome: Outcome,
    token: Vec<u8>,
    ret_flags: u32,
    expiry: i64,
}

/// The first SECBUFFER_TOKEN of the input, if any (empty counts as absent).
fn input_token_opt(step: &Step<'_, '_>) -> SecResult<Option<Vec<u8>>> {
    let Some(inp) = step.input.as_deref() else {
        return Ok(None);
    };
    match inp.find(SECBUFFER_TOKEN) {
        Some(i) => {
            let b = inp.bytes(i)?;
            Ok((!b.is_empty()).then(|| b.to_vec()))
        }
        None => Ok(None),
    }
}

fn input_token(step: &Step<'_, '_>) -> SecResult<Vec<u8>> {
    input_token_opt(step)?.ok_or(Error::InvalidToken)
}

/// The caller's SECBUFFER_CHANNEL_BINDINGS, copied, for the inner step.
fn input_bindings(step: &Step<'_, '_>) -> SecResult<Option<Vec<u8>>> {
    let Some(inp) = step.input.as_deref() else {
        return Ok(None);
    };
    match inp.find(SECBUFFER_CHANNEL_BINDINGS) {
        Some(i) => Ok(Some(inp.bytes(i)?.to_vec())),
        None => Ok(None),
    }
}

/// Runs one ISC/ASC step of `inner` with `token` as its input SECBUFFER_TOKEN (and the
/// caller's channel bindings) and a scratch output buffer.
fn inner_step(
    inner: &dyn Context,
    client: bool,
    step: &Step<'_, '_>,
    req_flags: u32,
    token: Option<&[u8]>,
) -> SecResult<InnerOut> {
    let mut tok = token.map(<[u8]>::to_vec).unwrap_or_default();
    let mut cb = input_bindings(step)?;
    let mut out = vec![0u8; SCRATCH];
    let mut in_parts: Vec<(u32, &mut [u8])> = Vec::with_capacity(2);
    if token.is_some() {
        in_parts.push((SECBUFFER_TOKEN, &mut tok[..]));
    }
    if let Some(cb) = cb.as_mut() {
        in_parts.push((SECBUFFER_CHANNEL_BINDINGS, &mut cb[..]));
    }
    let has_input = !in_parts.is_empty();
    let mut out_parts = [(SECBUFFER_TOKEN, &mut out[..])];
    let target = step.target;
    let (result, ret_flags, expiry, n) =
        SecBuffers::with_two_parts(&mut in_parts, &mut out_parts, |inp, outp| {
            let (result, ret, exp) = {
                let mut st = Step {
                    target,
                    req_flags: req_flags & !(ISC_REQ_ALLOCATE_MEMORY | ASC_REQ_ALLOCATE_MEMORY),
                    input: if has_input { Some(&mut *inp) } else { None },
                    output: Some(&mut *outp),
                    ret_flags: 0,
                    expiry: 0,
                };
                let r = if client {
                    inner.initialize(&mut st)
                } else {
                    inner.accept(&mut st)
                };
                (r, st.ret_flags, st.expiry)
            };
            (result, ret, exp, outp.size(0))
        })?;
    let outcome = result?;
    out.truncate(if n >= SCRATCH { 0 } else { n });
    Ok(InnerOut {
        outcome,
        token: out,
        ret_flags: ret_flags & !(ISC_RET_ALLOCATED_MEMORY | ASC_RET_ALLOCATED_MEMORY),
        expiry,
    })
}

/// Writes `msg` to the caller's output token (an empty message sets cbBuffer 0); returns
/// whether the library allocated it.
fn write_output(step: &mut Step<'_, '_>, msg: &[u8]) -> SecResult<bool> {
    if msg.is_empty() {
        if let Some(out) = step.output.as_deref_mut() {
            if let Some(i) = out.find(SECBUFFER_TOKEN) {
                out.set_size(i, 0)?;
            }
        }
        return Ok(false);
    }
    let out = step.output.as_deref_mut().ok_or(Error::InvalidToken)?;
    out.write_token(msg)?;
    Ok(out.allocate())
}

fn bad(_: spnego::SpnegoError) -> Error {
    Error::InvalidToken
}

impl NegotiateContext {
    pub(super) fn new(creds: Arc<NegotiateCredentials>, client: bool) -> Self {
        NegotiateContext {
            creds,
            client,
            hs: Mutex::new(Handshake {
                phase: Phase::Initial,
                inner: None,
                mech: None,
                mech_types_der: Vec::new(),
                offered: Vec::new(),
                selected: false,
                inner_done: false,
                mic_required: false,
                mic_sent: false,
                mic_recv: false,
                ret_flags: 0,
            }),
            done: OnceLock::new(),
        }
    }

    fn creds_for(&self, m: Mech) -> Option<&Arc<dyn Credentials>> {
        match m {
            Mech::Kerberos => self.creds.kerberos.as_ref(),
            Mech::Ntlm => self.creds.ntlm.as_ref(),
        }
    }

    /// Flags for the inner initiator: Kerberos always with mutual authentication (its AP-REP
    /// ends the exchange); NTLM with the caller's flags.
    fn inner_req(m: Mech, req: u32) -> u32 {
        match m {
            Mech::Kerberos => req | ISC_REQ_MUTUAL_AUTH,
            Mech::Ntlm => req,
        }
    }

    /// Starts mechanism `m` as initiator: a new context and its first token.
    fn start_client_mech(
        &self,
        m: Mech,
        step: &Step<'_, '_>,
    ) -> SecResult<(Box<dyn Context>, InnerOut)> {
        let creds = self.creds_for(m).ok_or(Error::NoCredentials)?.clone();
        let ctx = creds.new_client_context()?;
        let out = inner_step(&*ctx, true, step, Self::inner_req(m, step.req_flags), None)?;
        Ok((ctx, out))
    }

    /// Records an inner step's flags and expiry, with ALLOCATED_MEMORY from the outer write.
    fn finish_flags(hs: &mut Handshake, step: &mut Step<'_, '_>, inner: &InnerOut) {
        hs.ret_flags = inner.ret_flags;
        step.expiry = inner.expiry;
    }

    fn set_ret(hs: &Handshake, step: &mut Step<'_, '_>, allocated: bool) {
        step.ret_flags = hs.ret_flags
            | if allocated {
                ISC_RET_ALLOCATED_MEMORY
            } else {
                0
            };
    }

    /// Verifies a received mechListMIC and/or produces ours, per the rules in the module doc.
    /// A mechanism context without per-message integrity (no ISC/ASC_RET_INTEGRITY,
    /// CONFIDENTIALITY, REPLAY_DETECT or SEQUENCE_DETECT: NTLM without SIGN) takes no
    /// mechListMIC, as on Windows (sspilib's Windows test: NTLM with fContextReq 0 completes
    /// when the AUTHENTICATE_MESSAGE is sent, the acceptor with no output token).
    fn mic_exchange(hs: &mut Handshake, received: Option<&[u8]>) -> SecResult<Option<Vec<u8>>> {
        let inner = hs.inner.as_deref().ok_or(Error::InvalidToken)?;
        let integrity = hs.ret_flags
            & (ISC_RET_INTEGRITY
                | ASC_RET_INTEGRITY
                | ISC_RET_CONFIDENTIALITY
                | ISC_RET_REPLAY_DETECT
                | ISC_RET_SEQUENCE_DETECT)
            != 0;
        if hs.inner_done && inner.mech_list_mic_required() && integrity {
            hs.mic_required = true;
        }
        if hs.inner_done && !integrity && received.is_none() {
            hs.mic_required = false;
        }
        if let Some(mic) = received {
            if !hs.inner_done || hs.mic_recv {
                return Err(Error::InvalidToken);
            }
            inner
                .verify_mech_list_mic(&hs.mech_types_der, mic)
                .map_err(|e| match e {
                    Error::InvalidToken | Error::OutOfSequence | Error::MessageAltered => {
                        Error::MessageAltered
                    }
                    other => other,
                })?;
            hs.mic_recv = true;
            hs.mic_required = true;
        }
        if hs.inner_done && hs.mic_required && !hs.mic_sent {
            let mic = inner.make_mech_list_mic(&hs.mech_types_der)?;
            hs.mic_sent = true;
            return Ok(Some(mic));
        }
        Ok(None)
    }

    fn complete(&self, hs: &mut Handshake) {
        hs.phase = Phase::Done;
        if let Some(inner) = hs.inner.take() {
            let _ = self.done.set(inner);
        }
    }

    /// ISC, first call: NegTokenInit with the optimistic token.
    fn client_first(&self, hs: &mut Handshake, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        // A NegTokenInit2 from the acceptor (SMB) may come first: it must decode; its hints are
        // ignored, as Windows does (PACKAGES-NOTES pitfall 5).
        if let Some(t) = input_token_opt(step)? {
            match spnego::decode(&t).map_err(bad)? {
                NegotiationToken::Init(_) => {}
                NegotiationToken::Resp(_) => return Err(Error::InvalidToken),
            }
        }
        let mut offered = Vec::new();
        let mut started = None;
        if self.creds.kerberos.is_some() {
            match self.start_client_mech(Mech::Kerberos, step) {
                Ok(s) => {
                    offered.push(Mech::Kerberos);
                    started = Some((Mech::Kerberos, s));
                }
                // An authoritative refusal (wrong password, expired, revoked or unknown
                // client: SEC_E_LOGON_DENIED) is not retried over NTLM, as on Windows: Negotiate
                // falls back only when Kerberos cannot process the request (no KDC, no SPN,
                // unknown realm, no ticket), and a second attempt would count twice towards
                // the account's lockout.
                Err(Error::LogonDenied) => return Err(Error::LogonDenied),
                Err(e) if self.creds.ntlm.is_some() => {
                    crate::log!(
                        crate::log::Level::Debug,
                        "negotiate: Kerberos failed before sending ({e:?}); NTLM"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        if self.creds.ntlm.is_some() {
            offered.push(Mech::Ntlm);
            if started.is_none() {
                started = Some((Mech::Ntlm, self.start_client_mech(Mech::Ntlm, step)?));
            }
        }
        let (mech, (ctx, out)) = started.ok_or(Error::NoCredentials)?;
        let oids: Vec<&[u8]> = offered
            .iter()
            .flat_map(|m| match m {
                Mech::Kerberos => vec![MS_KRB5_OID, KRB5_OID],
                Mech::Ntlm => vec![NTLM_OID],
            })
            .collect();
        hs.mech_types_der = spnego::encode_mech_types(&oids);
        let token = spnego::encode_init(&hs.mech_types_der, Some(&out.token), None);
        let allocated = write_output(step, &token)?;
        Self::finish_flags(hs, step, &out);
        Self::set_ret(hs, step, allocated);
        hs.inner_done = out.outcome == Outcome::Ok;
        hs.inner = Some(ctx);
        hs.mech = Some(mech);
        hs.offered = offered;
        hs.phase = Phase::Spnego;
        Ok(Outcome::ContinueNeeded)
    }

    /// ISC, later calls: a NegTokenResp from the acceptor.
    fn client_next(&self, hs: &mut Handshake, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        let tok = input_token(step)?;
        let NegotiationToken::Resp(r) = spnego::decode(&tok).map_err(bad)? else {
            return Err(Error::InvalidToken);
        };
        if r.neg_state == Some(NegState::Reject) {
            // A KRB-ERROR may ride in the reject (pitfall 7): the Kerberos context maps it.
            if let (Some(t), Some(Mech::Kerberos), Some(inner)) =
                (r.response_token, hs.mech, hs.inner.as_deref())
            {
                if !hs.inner_done {
                    inner_step(
                        inner,
                        true,
                        step,
                        Self::inner_req(Mech::Kerberos, step.req_flags),
                        Some(t),
                    )?;
                }
            }
            return Err(Error::LogonDenied);
        }
        if !hs.selected {
            let state = r.neg_state.ok_or(Error::InvalidToken)?;
            let m = r
                .supported_mech
                .and_then(mech_of)
                .filter(|m| hs.offered.contains(m))
                .ok_or(Error::InvalidToken)?;
            hs.selected = true;
            if state == NegState::RequestMic {
                hs.mic_required = true;
            }
            if Some(m) != hs.mech {
                // The optimistic token was discarded (pitfall 4): start the selected mech.
                if r.response_token.is_some() {
                    return Err(Error::InvalidToken);
                }
                let (ctx, out) = self.start_client_mech(m, step)?;
                hs.mic_required = true;
                hs.inner = Some(ctx);
                hs.mech = Some(m);
                hs.inner_done = out.outcome == Outcome::Ok;
                let msg = spnego::encode_resp(&NegTokenResp {
                    response_token: Some(&out.token),
                    ..Default::default()
                });
                let allocated = write_output(step, &msg)?;
                Self::finish_flags(hs, step, &out);
                Self::set_ret(hs, step, allocated);
                return Ok(Outcome::ContinueNeeded);
            }
        } else if let Some(s) = r.supported_mech {
            if mech_of(s) != hs.mech {
                return Err(Error::InvalidToken);
            }
        }
        let mut out_token = None;
        if let Some(t) = r.response_token {
            if hs.inner_done {
                return Err(Error::InvalidToken);
            }
            let m = hs.mech.ok_or(Error::InvalidToken)?;
            let inner = hs.inner.as_deref().ok_or(Error::InvalidToken)?;
            let out = inner_step(
                inner,
                true,
                step,
                Self::inner_req(m, step.req_flags),
                Some(t),
            )?;
            Self::finish_flags(hs, step, &out);
            hs.inner_done = out.outcome == Outcome::Ok;
            if !out.token.is_empty() {
                out_token = Some(out.token);
            }
        } else if !hs.inner_done {
            return Err(Error::InvalidToken);
        }
        let out_mic = Self::mic_exchange(hs, r.mech_list_mic)?;
        // Our last mech token with nothing left to prove (no mechListMIC either way): complete
        // now, as Windows and MIT do; the acceptor answers nothing.
        let last_leg = hs.inner_done && !hs.mic_required && out_token.is_some();
        // The acceptor's mechListMIC (with its last token, under accept-incomplete) verified and
        // ours answers it: complete, as MIT (the acceptor answers nothing more).
        let mics_done = hs.inner_done && hs.mic_recv && out_mic.is_some() && out_token.is_none();
        let peer_done = r.neg_state == Some(NegState::AcceptCompleted) || last_leg || mics_done;
        if peer_done {
            if !hs.inner_done || (hs.mic_required && !hs.mic_recv && out_mic.is_none()) {
                return Err(Error::InvalidToken);
            }
        } else if out_token.is_none() && out_mic.is_none() {
            return Err(Error::InvalidToken);
        }
        let allocated = if out_token.is_some() || out_mic.is_some() {
            write_output(
                step,
                &spnego::encode_resp(&NegTokenResp {
                    response_token: out_token.as_deref(),
                    mech_list_mic: out_mic.as_deref(),
                    ..Default::default()
                }),
            )?
        } else {
            write_output(step, &[])?
        };
        Self::set_ret(hs, step, allocated);
        if peer_done {
            self.complete(hs);
            Ok(Outcome::Ok)
        } else {
            Ok(Outcome::ContinueNeeded)
        }
    }

    /// ASC, first call: NegTokenInit, or a raw NTLMSSP / Kerberos token.
    fn server_first(&self, hs: &mut Handshake, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        let tok = input_token(step)?;
        if !spnego::is_spnego_initial(&tok) {
            // Raw mechanism tokens under "Negotiate" (pitfall 6).
            let m = if tok.starts_with(b"NTLMSSP\0") {
                Mech::Ntlm
            } else if matches!(tok.first(), Some(0x60) | Some(0x6e)) {
                Mech::Kerberos
            } else {
                return Err(Error::InvalidToken);
            };
            let creds = self.creds_for(m).ok_or(Error::InvalidToken)?.clone();
            let ctx = creds.new_server_context()?;
            hs.inner = Some(ctx);
            hs.mech = Some(m);
            hs.phase = Phase::Raw;
            return self.server_raw(hs, step, tok);
        }
        let NegotiationToken::Init(init) = spnego::decode(&tok).map_err(bad)? else {
            return Err(Error::InvalidToken);
        };
        let (_, m, oid) = init
            .mech_types
            .iter()
            .enumerate()
            .find_map(|(i, oid)| {
                mech_of(oid)
                    .filter(|m| self.creds_for(*m).is_some())
                    .map(|m| (i, m, *oid))
            })
            .ok_or(Error::InvalidToken)?;
        let preferred = mech_of(init.mech_types[0]) == Some(m);
        hs.mic_required = !preferred;
        hs.mech_types_der = init.mech_types_der.to_vec();
        let ctx = self
            .creds_for(m)
            .ok_or(Error::InvalidToken)?
            .clone()
            .new_server_context()?;
        hs.mech = Some(m);
        let mut out_token = None;
        // The optimistic token is for mech_types[0]; for any other pick it is discarded.
        if let (true, Some(t)) = (preferred, init.mech_token) {
            let out = inner_step(&*ctx, false, step, step.req_flags, Some(t))?;
            Self::finish_flags(hs, step, &out);
            hs.inner_done = out.outcome == Outcome::Ok;
            if !out.token.is_empty() {
                out_token = Some(out.token);
            }
        }
        hs.inner = Some(ctx);
        let out_mic = Self::mic_exchange(hs, init.mech_list_mic.filter(|_| hs.inner_done))?;
        let complete = hs.inner_done && (!hs.mic_required || hs.mic_recv);
        let state = if complete {
            NegState::AcceptCompleted
        } else if hs.mic_required {
            NegState::RequestMic
        } else {
            NegState::AcceptIncomplete
        };
        let msg = spnego::encode_resp(&NegTokenResp {
            neg_state: Some(state),
            supported_mech: Some(oid),
            response_token: out_token.as_deref(),
            mech_list_mic: out_mic.as_deref(),
        });
        let allocated = write_output(step, &msg)?;
        Self::set_ret(hs, step, allocated);
        if complete {
            self.complete(hs);
            Ok(Outcome::Ok)
        } else {
            hs.phase = Phase::Spnego;
            Ok(Outcome::ContinueNeeded)
        }
    }

    /// ASC, later calls: a NegTokenResp from the initiator.
    fn server_next(&self, hs: &mut Handshake, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        let tok = input_token(step)?;
        let NegotiationToken::Resp(r) = spnego::decode(&tok).map_err(bad)? else {
            return Err(Error::InvalidToken);
        };
        if r.neg_state == Some(NegState::Reject) {
            return Err(Error::LogonDenied);
        }
        let mut out_token = None;
        if let Some(t) = r.response_token {
            if hs.inner_done {
                return Err(Error::InvalidToken);
            }
            let inner = hs.inner.as_deref().ok_or(Error::InvalidToken)?;
            let out = inner_step(inner, false, step, step.req_flags, Some(t))?;
            Self::finish_flags(hs, step, &out);
            hs.inner_done = out.outcome == Outcome::Ok;
            if !out.token.is_empty() {
                out_token = Some(out.token);
            }
        } else if !hs.inner_done {
            return Err(Error::InvalidToken);
        }
        let out_mic = Self::mic_exchange(hs, r.mech_list_mic)?;
        let awaiting_mic = hs.inner_done && hs.mic_required && !hs.mic_recv;
        if awaiting_mic && out_token.is_none() {
            // The initiator sent its last mechanism token: its mechListMIC must come with it
            // (pitfall 1; MIT's handle_mic likewise).
            return Err(Error::InvalidToken);
        }
        // Our last mechanism token (a Kerberos AP-REP) goes out with our mechListMIC under
        // accept-incomplete; the initiator's MIC comes next (RFC 4178 §5, as MIT).
        let complete = hs.inner_done && !awaiting_mic;
        if complete && out_token.is_none() && out_mic.is_none() {
            // Nothing to prove or answer: no output token, as Windows and MIT (the initiator
            // completed when it sent its last token or its mechListMIC).
            let allocated = write_output(step, &[])?;
            Self::set_ret(hs, step, allocated);
            self.complete(hs);
            return Ok(Outcome::Ok);
        }
        let msg = spnego::encode_resp(&NegTokenResp {
            neg_state: Some(if complete {
                NegState::AcceptCompleted
            } else {
                NegState::AcceptIncomplete
            }),
            supported_mech: None,
            response_token: out_token.as_deref(),
            mech_list_mic: out_mic.as_deref(),
        });
        let allocated = write_output(step, &msg)?;
        Self::set_ret(hs, step, allocated);
        if complete {
            self.complete(hs);
            Ok(Outcome::Ok)
        } else {
            Ok(Outcome::ContinueNeeded)
        }
    }

    /// ASC without SPNEGO framing: the token goes to the mechanism and its answer back as is.
    fn server_raw(
        &self,
        hs: &mut Handshake,
        step: &mut Step<'_, '_>,
        tok: Vec<u8>,
    ) -> SecResult<Outcome> {
        let inner = hs.inner.as_deref().ok_or(Error::InvalidToken)?;
        let out = inner_step(inner, false, step, step.req_flags, Some(&tok))?;
        Self::finish_flags(hs, step, &out);
        let allocated = write_output(step, &out.token)?;
        Self::set_ret(hs, step, allocated);
        if out.outcome == Outcome::Ok {
            hs.inner_done = true;
            self.complete(hs);
        }
        Ok(out.outcome)
    }

    fn selected(&self) -> SecResult<&dyn Context> {
        self.done.get().map(|b| &**b).ok_or(Error::InvalidHandle)
    }
}

impl Context for NegotiateContext {
    fn package(&self) -> &'static PackageInfo {
        &INFO
    }

    fn initialize(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if !self.client {
            return Err(Error::InvalidHandle);
        }
        if self.creds.kerberos.is_none() && self.creds.ntlm.is_none() {
            return Err(Error::NoCredentials);
        }
        let mut hs = self.hs.lock();
        let r = match hs.phase {
            Phase::Initial => self.client_first(&mut hs, step),
            Phase::Spnego => self.client_next(&mut hs, step),
            _ => return Err(Error::InvalidToken),
        };
        if r.is_err() {
            hs.phase = Phase::Failed;
            hs.inner = None;
        }
        r
    }

    fn accept(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if self.client {
            return Err(Error::InvalidHandle);
        }
        if self.creds.kerberos.is_none() && self.creds.ntlm.is_none() {
            return Err(Error::NoCredentials);
        }
        let mut hs = self.hs.lock();
        let r = match hs.phase {
            Phase::Initial => self.server_first(&mut hs, step),
            Phase::Spnego => self.server_next(&mut hs, step),
            Phase::Raw => {
                let tok = input_token(step);
                tok.and_then(|t| self.server_raw(&mut hs, step, t))
            }
            _ => return Err(Error::InvalidToken),
        };
        if r.is_err() {
            hs.phase = Phase::Failed;
            hs.inner = None;
        }
        r
    }

    fn complete_auth_token(&self, token: &mut SecBuffers<'_>) -> SecResult<()> {
        match self.done.get() {
            Some(c) => c.complete_auth_token(token),
            None => Ok(()),
        }
    }

    fn seal(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        self.selected()?.seal(qop, message, seq_no)
    }

    fn unseal(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<Unsealed> {
        self.selected()?.unseal(message, seq_no)
    }

    fn make_signature(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        self.selected()?.make_signature(qop, message, seq_no)
    }

    fn verify_signature(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        self.selected()?.verify_signature(message, seq_no)
    }

    /// After the exchange: the selected mechanism's attributes (PACKAGE_INFO and
    /// NEGOTIATION_INFO name "Kerberos" or "NTLM", as Windows does), except SIZES' cbMaxToken,
    /// which stays Negotiate's (tokens carry SPNEGO framing). During the exchange: FLAGS,
    /// NEGOTIATION_INFO (the mechanism being tried, SECPKG_NEGOTIATION_IN_PROGRESS) and
    /// PACKAGE_INFO (Negotiate); others SEC_E_INVALID_HANDLE as the mechanisms answer.
    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        if let Some(c) = self.done.get() {
            return match c.query_attribute(attr)? {
                Attribute::Sizes {
                    max_signature,
                    block_size,
                    security_trailer,
                    ..
                } => Ok(Attribute::Sizes {
                    max_token: INFO.max_token,
                    max_signature,
                    block_size,
                    security_trailer,
                }),
                a => Ok(a),
            };
        }
        let hs = self.hs.lock();
        match attr {
            SECPKG_ATTR_FLAGS => Ok(Attribute::Flags(hs.ret_flags)),
            SECPKG_ATTR_PACKAGE_INFO => Ok(Attribute::PackageInfo(&INFO)),
            SECPKG_ATTR_NEGOTIATION_INFO => Ok(Attribute::NegotiationInfo {
                package: hs.inner.as_ref().map(|c| c.package()).unwrap_or(&INFO),
                state: SECPKG_NEGOTIATION_IN_PROGRESS,
            }),
            _ => match hs.inner.as_deref() {
                Some(c) => c.query_attribute(attr),
                None => Err(Error::InvalidHandle),
            },
        }
    }

    fn set_attribute(&self, attr: u32, value: &[u8]) -> SecResult<()> {
        match self.done.get() {
            Some(c) => c.set_attribute(attr, value),
            None => Err(Error::UnsupportedFunction),
        }
    }

    fn export(&self, flags: u32) -> SecResult<Vec<u8>> {
        self.selected()?.export(flags)
    }
}
