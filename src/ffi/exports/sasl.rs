//! The SASL profile functions Windows pairs with its packages (Sspi.h): profiles GSSAPI
//! (Kerberos), GSS-SPNEGO (Negotiate) and DIGEST-MD5 (WDigest), package identification from a
//! first token, Sasl{Initialize,Accept}SecurityContext and the per-context SASL options.
//!
//! Sasl{Initialize,Accept}SecurityContext run the package's handshake as
//! InitializeSecurityContext / AcceptSecurityContext do. For DIGEST-MD5 that is the whole
//! exchange: the package itself negotiates the security layer (qop, cipher, maxbuf; RFC 2831).
//! For GSSAPI (Kerberos) the RFC 4752 §3.1 security-layer negotiation follows the Kerberos
//! handshake (server cookie, client cookie, both wrapped), as Windows' "SASL server cookies":
//! the logic is `crate::packages::kerberos::sasl`, this module keeps its state per context
//! handle. GSS-SPNEGO has no such exchange (its layer is the GSS flags).

use super::*;
use crate::ffi::strings::alloc_string;
use crate::handles;
use crate::packages::kerberos::sasl::{GssapiLayer, Phase, Settings};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// SASL_AUTHZID_STATE's values, as the ULONG SaslSetContextOption takes.
const SASL_AUTHZID_FORBIDDEN: u32 = SASL_AUTHZID_STATE::Sasl_AuthZIDForbidden as u32;
const SASL_AUTHZID_PROCESSED: u32 = SASL_AUTHZID_STATE::Sasl_AuthZIDProcessed as u32;

/// (profile, package) pairs, in the order SaslEnumerateProfiles lists them.
const PROFILES: &[(&str, &str)] = &[
    ("GSSAPI", "Kerberos"),
    ("GSS-SPNEGO", "Negotiate"),
    ("DIGEST-MD5", "WDigest"),
];

/// Per-context SASL options set with SaslSetContextOption.
#[derive(Clone)]
struct Options {
    send_size: Option<u32>,
    recv_size: Option<u32>,
    authz: Option<Vec<u8>>,
    /// SASL_AUTHZID_STATE.
    authz_processing: u32,
}

impl Default for Options {
    /// SaslSetContextOption: AUTHZ_PROCESSING "The default is Sasl_AuthZIDProcessed".
    fn default() -> Self {
        Options {
            send_size: None,
            recv_size: None,
            authz: None,
            authz_processing: SASL_AUTHZID_PROCESSED,
        }
    }
}

impl Options {
    fn processed(&self) -> bool {
        self.authz_processing == SASL_AUTHZID_PROCESSED
    }

    /// The AUTHZ_STRING in effect: none while AUTHZ_PROCESSING is Sasl_AuthZIDForbidden.
    fn authz(&self) -> Option<&[u8]> {
        self.authz.as_deref().filter(|_| self.processed())
    }
}

fn options() -> &'static Mutex<HashMap<(usize, usize), Options>> {
    static O: OnceLock<Mutex<HashMap<(usize, usize), Options>>> = OnceLock::new();
    O.get_or_init(|| Mutex::new(HashMap::new()))
}

fn key(h: &SecHandle) -> (usize, usize) {
    (h.dwLower, h.dwUpper)
}

/// Profiles whose package is registered.
fn profiles() -> impl Iterator<Item = (&'static str, &'static dyn crate::package::SecurityPackage)>
{
    PROFILES
        .iter()
        .filter_map(|(p, pkg)| package::find(pkg).map(|k| (*p, k)))
}

unsafe fn enumerate_profiles(
    list: *mut *mut c_void,
    count: *mut ULONG,
    cs: Charset,
) -> SecResult<Outcome> {
    if list.is_null() || count.is_null() {
        return Err(Error::InvalidParameter);
    }
    let names: Vec<&str> = profiles().map(|(p, _)| p).collect();
    // A multi-string: each name NUL-terminated, then one more NUL.
    let mut s = names.join("\0");
    s.push('\0');
    let block = alloc_string(&s, cs)?;
    // SAFETY: checked non-NULL.
    unsafe {
        put(list, block);
        put(count, names.len() as ULONG);
    }
    Ok(Outcome::Ok)
}

/// Lists the SASL profiles ("GSSAPI", "GSS-SPNEGO", "DIGEST-MD5" — those whose package is
/// present) as one block of NUL-terminated names ending with an empty name, freed with
/// FreeContextBuffer; `*ProfileCount` is the number of names. NULL pointers →
/// SEC_E_INVALID_PARAMETER.
#[no_mangle]
pub unsafe extern "system" fn SaslEnumerateProfilesA(
    ProfileList: *mut *mut SEC_CHAR,
    ProfileCount: *mut ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's out-pointers, checked inside.
    guard("SaslEnumerateProfilesA", || unsafe {
        enumerate_profiles(ProfileList as _, ProfileCount, Charset::Ansi)
    })
}

/// Wide form of SaslEnumerateProfilesA.
#[no_mangle]
pub unsafe extern "system" fn SaslEnumerateProfilesW(
    ProfileList: *mut *mut SEC_WCHAR,
    ProfileCount: *mut ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's out-pointers, checked inside.
    guard("SaslEnumerateProfilesW", || unsafe {
        enumerate_profiles(ProfileList as _, ProfileCount, Charset::Wide)
    })
}

unsafe fn profile_package(
    name: *const c_void,
    pp: *mut *mut c_void,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: forwarded caller's arguments.
    unsafe {
        super::packages::package_info_by_name(name, pp, cs, |n| {
            profiles()
                .find(|(p, _)| p.eq_ignore_ascii_case(n))
                .map(|(_, pkg)| pkg)
        })
    }
}

/// The package behind a SASL profile name (case-insensitive), as a SecPkgInfoA freed with
/// FreeContextBuffer. Unknown profile → SEC_E_SECPKG_NOT_FOUND.
#[no_mangle]
pub unsafe extern "system" fn SaslGetProfilePackageA(
    ProfileName: *mut SEC_CHAR,
    PackageInfo: *mut PSecPkgInfoA,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslGetProfilePackageA", || unsafe {
        profile_package(ProfileName as _, PackageInfo as _, Charset::Ansi)
    })
}

/// Wide form of SaslGetProfilePackageA.
#[no_mangle]
pub unsafe extern "system" fn SaslGetProfilePackageW(
    ProfileName: *mut SEC_WCHAR,
    PackageInfo: *mut PSecPkgInfoW,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslGetProfilePackageW", || unsafe {
        profile_package(ProfileName as _, PackageInfo as _, Charset::Wide)
    })
}

/// The package a first SASL token belongs to: a GSS-API InitialContextToken (0x60) names its
/// mechanism OID — Kerberos (1.2.840.113554.1.2.2 or 1.2.840.48018.1.2.2) or SPNEGO
/// (1.3.6.1.5.5.2); a DIGEST-MD5 challenge or response is a directive list with a nonce.
fn identify(tok: &[u8]) -> Option<&'static str> {
    const KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
    const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
    if tok.first() == Some(&0x60) {
        // [APPLICATION 0] length, then the OID (06 len oid).
        let mut i = 1;
        let l0 = *tok.get(i)? as usize;
        i += 1 + if l0 & 0x80 != 0 { l0 & 0x7f } else { 0 };
        if *tok.get(i)? != 0x06 {
            return None;
        }
        let n = *tok.get(i + 1)? as usize;
        let oid = tok.get(i + 2..i + 2 + n)?;
        return if oid == KRB5 || oid == MS_KRB5 {
            Some("Kerberos")
        } else if oid == SPNEGO {
            Some("Negotiate")
        } else {
            None
        };
    }
    let text = core::str::from_utf8(tok).ok()?;
    let lower = text.to_ascii_lowercase();
    (lower.contains("nonce=")
        && (lower.contains("algorithm=md5-sess") || lower.contains("response=")))
    .then_some("WDigest")
}

unsafe fn identify_package(
    input: PSecBufferDesc,
    pp: *mut *mut c_void,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's descriptor.
    let bufs = unsafe { SecBuffers::from_desc(input)? }.ok_or(Error::InvalidParameter)?;
    let i = bufs.find(SECBUFFER_TOKEN).ok_or(Error::InvalidToken)?;
    let name = identify(bufs.bytes(i)?).ok_or(Error::SecpkgNotFound)?;
    let pkg = package::find(name).ok_or(Error::SecpkgNotFound)?;
    if pp.is_null() {
        return Err(Error::InvalidParameter);
    }
    let block = alloc_pkg_infos(&[pkg.info()], cs)?;
    // SAFETY: checked non-NULL.
    unsafe { put(pp, block) };
    Ok(Outcome::Ok)
}

/// Identifies the package of the first SASL token in `pInput`'s SECBUFFER_TOKEN (a GSS-API
/// token's mechanism OID, or a DIGEST-MD5 directive list). No TOKEN buffer →
/// SEC_E_INVALID_TOKEN; unrecognised → SEC_E_SECPKG_NOT_FOUND.
#[no_mangle]
pub unsafe extern "system" fn SaslIdentifyPackageA(
    pInput: PSecBufferDesc,
    PackageInfo: *mut PSecPkgInfoA,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslIdentifyPackageA", || unsafe {
        identify_package(pInput, PackageInfo as _, Charset::Ansi)
    })
}

/// Wide form of SaslIdentifyPackageA.
#[no_mangle]
pub unsafe extern "system" fn SaslIdentifyPackageW(
    pInput: PSecBufferDesc,
    PackageInfo: *mut PSecPkgInfoW,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslIdentifyPackageW", || unsafe {
        identify_package(pInput, PackageInfo as _, Charset::Wide)
    })
}

/// Hands the context's SASL authorization options and RECV_SIZE (the defaults when none were
/// set) to the package before a handshake step.
unsafe fn apply_options(ctx: PCtxtHandle) {
    if ctx.is_null() {
        return;
    }
    // SAFETY: non-NULL caller handle pointer.
    let Ok(h) = (unsafe { read_handle(ctx) }) else {
        return;
    };
    let o = options().lock().get(&key(&h)).cloned().unwrap_or_default();
    if let Ok(entry) = handles::context(&h) {
        entry.context.set_sasl_authz(o.authz(), o.processed());
        entry.context.set_sasl_recv_size(o.recv_size);
    }
}

fn gss_states() -> &'static Mutex<HashMap<(usize, usize), GssapiLayer>> {
    static G: OnceLock<Mutex<HashMap<(usize, usize), GssapiLayer>>> = OnceLock::new();
    G.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The RFC 4752 settings of a context from its SASL options.
fn settings_of(h: &SecHandle) -> Settings {
    let o = options().lock().get(&key(h)).cloned().unwrap_or_default();
    Settings {
        recv_size: o.recv_size.unwrap_or(DEFAULT_SIZE),
        authz: o.authz().map(<[u8]>::to_vec),
        authz_processed: o.processed(),
    }
}

/// SASL_OPTION_SEND_SIZE / RECV_SIZE default: "The default value is 0x0FFFF bytes"
/// (SaslSetContextOption).
const DEFAULT_SIZE: u32 = 0xFFFF;

/// The GSSAPI profile is the Kerberos package's.
fn is_gssapi(pkg: &crate::package::PackageInfo) -> bool {
    pkg.name == crate::packages::kerberos::INFO.name
}

/// Size of pOutput's SECBUFFER_TOKEN after a step (0 without one).
unsafe fn output_token_len(output: PSecBufferDesc) -> usize {
    // SAFETY: caller's descriptor, valid for this call.
    match unsafe { SecBuffers::from_desc(output) } {
        Ok(Some(o)) => o.find(SECBUFFER_TOKEN).map_or(0, |i| o.size(i)),
        _ => 0,
    }
}

/// pInput's SECBUFFER_TOKEN bytes (empty without input).
unsafe fn input_token(input: PSecBufferDesc) -> SecResult<Vec<u8>> {
    // SAFETY: caller's descriptor, valid for this call.
    match unsafe { SecBuffers::from_desc(input)? } {
        Some(i) => match i.find(SECBUFFER_TOKEN) {
            Some(t) => Ok(i.bytes(t)?.to_vec()),
            None => Err(Error::InvalidToken),
        },
        None => Ok(Vec::new()),
    }
}

/// pOutput's first SECBUFFER_TOKEN as the caller gave it: (index, pvBuffer, cbBuffer).
type TokenSlot = (usize, *mut c_void, ULONG);

/// The caller's output TOKEN before a package step (which shrinks cbBuffer to what it wrote,
/// 0 when it wrote nothing).
unsafe fn token_slot(output: PSecBufferDesc) -> Option<TokenSlot> {
    // SAFETY: caller's descriptor, valid for this call.
    let d = unsafe { output.as_ref() }?;
    if d.ulVersion != SECBUFFER_VERSION || d.pBuffers.is_null() {
        return None;
    }
    let n = (d.cBuffers as usize).min(crate::buffers::MAX_BUFFERS);
    (0..n).find_map(|i| {
        // SAFETY: pBuffers holds cBuffers entries (caller's contract); i < cBuffers.
        let b = unsafe { &*d.pBuffers.add(i) };
        (b.BufferType & !SECBUFFER_ATTRMASK == SECBUFFER_TOKEN)
            .then_some((i, b.pvBuffer, b.cbBuffer))
    })
}

/// Gives the output TOKEN back the capacity the caller declared when the package step wrote
/// nothing into it (Kerberos without an AP-REP sets cbBuffer to 0), so the server cookie that
/// follows fits in the caller's own buffer.
unsafe fn restore_token_capacity(output: PSecBufferDesc, slot: Option<TokenSlot>) {
    let Some((i, p, cap)) = slot else { return };
    // SAFETY: caller's descriptor, valid for this call (token_slot found entry i in it).
    let Some(d) = (unsafe { output.as_mut() }) else {
        return;
    };
    if d.pBuffers.is_null() || i >= d.cBuffers as usize {
        return;
    }
    // SAFETY: i < cBuffers, checked above.
    let b = unsafe { &mut *d.pBuffers.add(i) };
    // Only the caller's own memory, untouched by the step: the caller declared `cap` bytes at
    // `p` for this call.
    if b.pvBuffer == p && b.cbBuffer == 0 {
        b.cbBuffer = cap;
    }
}

/// Writes a cookie (or nothing) to pOutput's SECBUFFER_TOKEN.
unsafe fn write_output(output: PSecBufferDesc, req: ULONG, data: &[u8]) -> SecResult<()> {
    // SAFETY: caller's descriptor, valid for this call.
    let mut out = unsafe { SecBuffers::from_desc(output)? }.ok_or(Error::InvalidToken)?;
    if data.is_empty() {
        if let Some(i) = out.find(SECBUFFER_TOKEN) {
            out.set_size(i, 0)?;
        }
        return Ok(());
    }
    out.set_allocate(req & ISC_REQ_ALLOCATE_MEMORY != 0);
    out.write_token(data)
}

/// A Sasl* handshake step: the package step (`step(fContextReq, &mut attrs)`), then, for the
/// GSSAPI profile, the RFC 4752 security-layer exchange (`crate::packages::kerberos::sasl`).
#[allow(clippy::too_many_arguments)]
unsafe fn sasl_step(
    name: &'static str,
    client: bool,
    cred: PCredHandle,
    ctx: PCtxtHandle,
    req: ULONG,
    input: PSecBufferDesc,
    new_ctx: PCtxtHandle,
    output: PSecBufferDesc,
    attrs: *mut ULONG,
    step: impl FnOnce(ULONG, *mut ULONG) -> SECURITY_STATUS,
) -> SECURITY_STATUS {
    // SAFETY: caller's handle pointer (NULL allowed).
    let existing = (!ctx.is_null())
        .then(|| unsafe { read_handle(ctx) }.ok())
        .flatten();
    let state = existing.and_then(|h| gss_states().lock().get(&key(&h)).cloned());
    if let (Some(h), Some(st)) = (existing, state.as_ref()) {
        if st.phase() != Phase::Handshake {
            let mut st = st.clone();
            // SAFETY: the caller's arguments, valid for this call.
            return guard(name, || unsafe {
                let entry = handles::context(&h)?;
                let ctxr = &*entry.context;
                let settings = settings_of(&h);
                let outcome = match st.phase() {
                    Phase::AwaitServerCookie => {
                        let tok = input_token(input)?;
                        let cookie = st.client_cookie(ctxr, &tok, &settings)?;
                        write_output(output, req, &cookie)?;
                        Outcome::Ok
                    }
                    Phase::AwaitEmpty => {
                        let cookie = st.server_cookie(ctxr, &settings)?;
                        write_output(output, req, &cookie)?;
                        Outcome::ContinueNeeded
                    }
                    Phase::AwaitClientCookie => {
                        let tok = input_token(input)?;
                        st.accept_client_cookie(ctxr, &tok, &settings)?;
                        if !output.is_null() {
                            write_output(output, req, &[])?;
                        }
                        Outcome::Ok
                    }
                    _ => return Err(Error::InvalidHandle),
                };
                if st.phase() == Phase::Done {
                    put(attrs, st.ret_flags());
                }
                put(new_ctx, h);
                gss_states().lock().insert(key(&h), st);
                Ok(outcome)
            });
        }
    }
    // The package handshake. Is this the GSSAPI profile?
    let gss = match (existing, &state) {
        (_, Some(_)) => true,
        // A context whose first step did not go through the Sasl* functions.
        (Some(_), None) => false,
        // SAFETY: caller's handle pointer, checked inside.
        (None, None) => unsafe { read_handle(cred) }
            .and_then(|c| handles::credentials(&c))
            .is_ok_and(|c| is_gssapi(c.package())),
    };
    // RFC 4752 §3.1: the client "MUST pass the integ_req_flag of TRUE".
    let pkg_req = if gss && client {
        req | ISC_REQ_INTEGRITY
    } else {
        req
    };
    // SAFETY: caller's handle pointer.
    unsafe { apply_options(ctx) };
    // SAFETY: caller's descriptor, valid for this call.
    let slot = unsafe { token_slot(output) };
    let mut ret: ULONG = 0;
    let status = step(pkg_req, &mut ret);
    if !gss || (status != SEC_E_OK && status != SEC_I_CONTINUE_NEEDED) {
        if status >= 0 {
            // SAFETY: caller's out-pointer (NULL skipped).
            unsafe { put(attrs, ret) };
        }
        return status;
    }
    // SAFETY: written by the successful step.
    let Ok(h) = (unsafe { read_handle(new_ctx) }) else {
        return status;
    };
    let mut st = state.unwrap_or_else(|| GssapiLayer::new(client, req));
    if status == SEC_I_CONTINUE_NEEDED {
        gss_states().lock().insert(key(&h), st);
        // SAFETY: caller's out-pointer (NULL skipped).
        unsafe { put(attrs, ret) };
        return status;
    }
    // The Kerberos handshake is complete: the security-layer exchange follows.
    // SAFETY: the caller's output descriptor, valid for this call.
    let token_sent = unsafe { output_token_len(output) } > 0;
    let r = guard(name, || {
        let entry = handles::context(&h)?;
        let settings = settings_of(&h);
        if let Some(cookie) = st.handshake_done(&*entry.context, ret, token_sent, &settings)? {
            // SAFETY: the caller's output descriptor, valid for this call.
            unsafe {
                if req & ISC_REQ_ALLOCATE_MEMORY == 0 {
                    restore_token_capacity(output, slot);
                }
                write_output(output, req, &cookie)?
            };
        }
        Ok(Outcome::ContinueNeeded)
    });
    if r == SEC_I_CONTINUE_NEEDED {
        gss_states().lock().insert(key(&h), st);
        // SAFETY: caller's out-pointer (NULL skipped).
        unsafe { put(attrs, ret) };
    }
    r
}

/// SASL client step: InitializeSecurityContextW's arguments and results, plus, on the GSSAPI
/// (Kerberos) profile, the RFC 4752 §3.1 security-layer exchange Windows documents as "SASL
/// server cookies" (src/packages/kerberos/sasl.rs): pInput and pOutput hold one
/// SECBUFFER_TOKEN each, as for InitializeSecurityContext; the call that completes the
/// Kerberos handshake returns
/// SEC_I_CONTINUE_NEEDED (its token, or an empty one to send as the response to the server's
/// last token); the next call takes the server cookie and returns the client cookie with
/// SEC_E_OK. ISC_REQ_INTEGRITY is always passed to Kerberos there (RFC 4752 §3.1); the layer
/// chosen is the one fContextReq asks for (ISC_REQ_CONFIDENTIALITY, else ISC_REQ_INTEGRITY,
/// else none) and pfContextAttr's CONFIDENTIALITY / INTEGRITY bits then say so; DIGEST-MD5
/// likewise takes auth-conf / auth-int (ISC_REQ_REPLAY_DETECT or SEQUENCE_DETECT alone prefer
/// auth-int and settle for auth). A SASL_OPTION_AUTHZ_STRING set
/// on the context goes out as the authorization identity (DIGEST-MD5's authzid, GSSAPI's
/// client cookie) unless SASL_OPTION_AUTHZ_PROCESSING is Sasl_AuthZIDForbidden. Errors
/// besides the package's: a server cookie that does not decrypt or is malformed →
/// SEC_E_INVALID_TOKEN; no offered layer the caller asked for (e.g. only "none", or DIGEST-MD5
/// qop auth, offered to a caller asking for confidentiality) → SEC_E_ALGORITHM_MISMATCH.
#[no_mangle]
pub unsafe extern "system" fn SaslInitializeSecurityContextW(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pszTargetName: *mut SEC_WCHAR,
    fContextReq: ULONG,
    Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: PSecBufferDesc,
    Reserved2: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    // SAFETY: the caller's arguments, passed on unchanged.
    unsafe {
        sasl_step(
            "SaslInitializeSecurityContextW",
            true,
            phCredential,
            phContext,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            |req, attrs| {
                InitializeSecurityContextW(
                    phCredential,
                    phContext,
                    pszTargetName,
                    req,
                    Reserved1,
                    TargetDataRep,
                    pInput,
                    Reserved2,
                    phNewContext,
                    pOutput,
                    attrs,
                    ptsExpiry,
                )
            },
        )
    }
}

/// Narrow form of SaslInitializeSecurityContextW.
#[no_mangle]
pub unsafe extern "system" fn SaslInitializeSecurityContextA(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pszTargetName: *mut SEC_CHAR,
    fContextReq: ULONG,
    Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: PSecBufferDesc,
    Reserved2: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    // SAFETY: the caller's arguments, passed on unchanged.
    unsafe {
        sasl_step(
            "SaslInitializeSecurityContextA",
            true,
            phCredential,
            phContext,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            |req, attrs| {
                InitializeSecurityContextA(
                    phCredential,
                    phContext,
                    pszTargetName,
                    req,
                    Reserved1,
                    TargetDataRep,
                    pInput,
                    Reserved2,
                    phNewContext,
                    pOutput,
                    attrs,
                    ptsExpiry,
                )
            },
        )
    }
}

/// SASL server step: AcceptSecurityContext's arguments and results, plus, on the GSSAPI
/// (Kerberos) profile, the RFC 4752 §3.1 security-layer exchange (SaslAcceptSecurityContext's
/// Remarks: "SASL server cookie[s] encrypted with SSPI message functions"; the logic is
/// src/packages/kerberos/sasl.rs): pInput and pOutput hold one SECBUFFER_TOKEN each; the call
/// that completes the Kerberos handshake returns SEC_I_CONTINUE_NEEDED with the
/// AP-REP (the next call, with the client's empty response, returns the server cookie) or,
/// without an AP-REP, with the server cookie at once; the call with the client cookie returns
/// SEC_E_OK. The layer fContextReq asks for (ASC_REQ_CONFIDENTIALITY, else ASC_REQ_INTEGRITY,
/// else none) is required: the server cookie offers that layer alone, with
/// SASL_OPTION_RECV_SIZE as its size (0 for none), and the Kerberos context lacking it →
/// SEC_E_ALGORITHM_MISMATCH; DIGEST-MD5's challenge likewise offers only auth-conf
/// (ASC_REQ_CONFIDENTIALITY) or auth-int (ASC_REQ_INTEGRITY), and a response choosing another
/// qop or an unoffered cipher → SEC_E_ALGORITHM_MISMATCH. Errors besides the package's: a client cookie that does
/// not decrypt or is shorter than 4 octets → SEC_E_INVALID_TOKEN; a layer not offered, or an
/// authorization identity while SASL_OPTION_AUTHZ_PROCESSING is Sasl_AuthZIDForbidden →
/// SEC_E_ALGORITHM_MISMATCH (DIGEST-MD5: an authzid other than the user name is refused with
/// SEC_E_LOGON_DENIED, also only under Sasl_AuthZIDForbidden). AUTHZ_PROCESSING defaults to
/// Sasl_AuthZIDProcessed (SaslSetContextOption): an authzid is then accepted, and the
/// application reads it with SaslGetContextOption(SASL_OPTION_AUTHZ_STRING) to decide.
#[no_mangle]
pub unsafe extern "system" fn SaslAcceptSecurityContext(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pInput: PSecBufferDesc,
    fContextReq: ULONG,
    TargetDataRep: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    // SAFETY: the caller's arguments, passed on unchanged.
    unsafe {
        sasl_step(
            "SaslAcceptSecurityContext",
            false,
            phCredential,
            phContext,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            |req, attrs| {
                AcceptSecurityContext(
                    phCredential,
                    phContext,
                    pInput,
                    req,
                    TargetDataRep,
                    phNewContext,
                    pOutput,
                    attrs,
                    ptsExpiry,
                )
            },
        )
    }
}

/// Sets a SASL option on a context (learn.microsoft.com, nf-sspi-saslsetcontextoption):
/// SASL_OPTION_SEND_SIZE / SASL_OPTION_RECV_SIZE (ULONG, bytes; default 0xFFFF),
/// SASL_OPTION_AUTHZ_STRING (bytes), SASL_OPTION_AUTHZ_PROCESSING (SASL_AUTHZID_STATE, ULONG:
/// Sasl_AuthZIDForbidden 0 or Sasl_AuthZIDProcessed 1, the default). While AUTHZ_PROCESSING is
/// Sasl_AuthZIDForbidden, AUTHZ_STRING cannot be set (SEC_E_UNSUPPORTED_FUNCTION, as the page
/// says) and a string set before is neither sent nor read back. Errors: bad handle →
/// SEC_E_INVALID_HANDLE; NULL Value with a size, a ULONG option whose Size is not 4, or an
/// AUTHZ_PROCESSING above 1 → SEC_E_INVALID_PARAMETER; another option →
/// SEC_E_UNSUPPORTED_FUNCTION.
#[no_mangle]
pub unsafe extern "system" fn SaslSetContextOption(
    ContextHandle: PCtxtHandle,
    Option: ULONG,
    Value: PVOID,
    Size: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslSetContextOption", || unsafe {
        let h = read_handle(ContextHandle)?;
        handles::context(&h)?;
        if Value.is_null() && Size != 0 {
            return Err(Error::InvalidParameter);
        }
        let bytes: &[u8] = if Size == 0 {
            &[]
        } else {
            // SAFETY: non-NULL, Size bytes per the caller's contract.
            core::slice::from_raw_parts(Value as *const u8, Size as usize)
        };
        let ulong = || -> SecResult<u32> {
            let b: [u8; 4] = bytes.try_into().map_err(|_| Error::InvalidParameter)?;
            Ok(u32::from_ne_bytes(b))
        };
        let mut map = options().lock();
        let o = map.entry(key(&h)).or_default();
        match Option {
            SASL_OPTION_SEND_SIZE => o.send_size = Some(ulong()?),
            SASL_OPTION_RECV_SIZE => o.recv_size = Some(ulong()?),
            // "If the AuthZ_Processing state is Sasl_AuthZIDForbidden, the return value
            // SEC_E_UNSUPPORTED_FUNCTION is returned."
            SASL_OPTION_AUTHZ_STRING if !o.processed() => return Err(Error::UnsupportedFunction),
            SASL_OPTION_AUTHZ_STRING => o.authz = Some(bytes.to_vec()),
            SASL_OPTION_AUTHZ_PROCESSING => {
                let v = ulong()?;
                if v != SASL_AUTHZID_FORBIDDEN && v != SASL_AUTHZID_PROCESSED {
                    return Err(Error::InvalidParameter);
                }
                o.authz_processing = v;
            }
            _ => return Err(Error::UnsupportedFunction),
        }
        Ok(Outcome::Ok)
    })
}

/// Reads a SASL option (learn.microsoft.com, nf-sspi-saslgetcontextoption; the options as
/// SaslSetContextOption sets them), into Value (Size bytes; ULONG options 4).
/// SEND_SIZE, unless set: once the handshake is done, the largest buffer the peer announced
/// (GSSAPI: its cookie's size; DIGEST-MD5: its maxbuf) minus cbBlockSize, cbSecurityTrailer and
/// cbMaxSignature of SECPKG_ATTR_SIZES ("the maximum buffer size that can be transmitted to the
/// remote SASL process minus the block size, the trailer size, and the maximum signature
/// size"), 0 with no security layer; before that 0xFFFF. RECV_SIZE: 0xFFFF unless set.
/// AUTHZ_PROCESSING: Sasl_AuthZIDProcessed unless set. AUTHZ_STRING: the string set, else on a
/// server the authorization identity the client sent (GSSAPI client cookie, DIGEST-MD5
/// authzid), else empty; while AUTHZ_PROCESSING is Sasl_AuthZIDForbidden →
/// SEC_E_UNSUPPORTED_FUNCTION. `*Needed` (optional) gets the size; Size too small →
/// SEC_E_BUFFER_TOO_SMALL; bad handle → SEC_E_INVALID_HANDLE; another option →
/// SEC_E_UNSUPPORTED_FUNCTION.
#[no_mangle]
pub unsafe extern "system" fn SaslGetContextOption(
    ContextHandle: PCtxtHandle,
    Option: ULONG,
    Value: PVOID,
    Size: ULONG,
    Needed: *mut ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments, checked inside.
    guard("SaslGetContextOption", || unsafe {
        let h = read_handle(ContextHandle)?;
        let entry = handles::context(&h)?;
        let o = options().lock().get(&key(&h)).cloned().unwrap_or_default();
        let gss = gss_states().lock().get(&key(&h)).cloned();
        let data: Vec<u8> = match Option {
            SASL_OPTION_SEND_SIZE => o
                .send_size
                .or_else(|| gss.as_ref().and_then(|g| g.send_size(&*entry.context)))
                .or_else(|| entry.context.sasl_send_size())
                .unwrap_or(DEFAULT_SIZE)
                .to_ne_bytes()
                .to_vec(),
            SASL_OPTION_RECV_SIZE => o.recv_size.unwrap_or(DEFAULT_SIZE).to_ne_bytes().to_vec(),
            SASL_OPTION_AUTHZ_STRING if !o.processed() => return Err(Error::UnsupportedFunction),
            SASL_OPTION_AUTHZ_STRING => o
                .authz
                .or_else(|| gss.map(|g| g.peer_authz().to_vec()))
                .or_else(|| entry.context.sasl_peer_authz())
                .unwrap_or_default(),
            SASL_OPTION_AUTHZ_PROCESSING => o.authz_processing.to_ne_bytes().to_vec(),
            _ => return Err(Error::UnsupportedFunction),
        };
        put(Needed, data.len() as ULONG);
        if (Size as usize) < data.len() {
            return Err(Error::BufferTooSmall);
        }
        if !data.is_empty() {
            if Value.is_null() {
                return Err(Error::InvalidParameter);
            }
            // SAFETY: Value holds Size >= data.len() bytes per the caller's contract.
            core::ptr::copy_nonoverlapping(data.as_ptr(), Value as *mut u8, data.len());
        }
        Ok(Outcome::Ok)
    })
}

/// Drops a deleted context's options (called by DeleteSecurityContext).
pub(crate) fn forget(h: &SecHandle) {
    options().lock().remove(&key(h));
    gss_states().lock().remove(&key(h));
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifies_tokens() {
        assert_eq!(
            super::identify(
                b"realm=\"R\",nonce=\"n\",qop=\"auth\",charset=utf-8,algorithm=md5-sess"
            ),
            Some("WDigest")
        );
        let krb = [
            0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
        ];
        assert_eq!(super::identify(&krb), Some("Kerberos"));
        let spnego = [0x60, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
        assert_eq!(super::identify(&spnego), Some("Negotiate"));
        assert_eq!(super::identify(&[0x60]), None);
        assert_eq!(super::identify(b"hello"), None);
    }
}
