//! The Digest context: SASL DIGEST-MD5 client (InitializeSecurityContext) and server
//! (AcceptSecurityContext) state machines, HTTP Digest (ISC_REQ_USE_HTTP_STYLE /
//! ASC_REQ_HTTP), attributes, and the message functions of RFC 2831's security layers.
//!
//! SASL exchange (RFC 2831 §2.1; Microsoft's "Generating the Digest Challenge" and "Input
//! Buffers for the Digest Challenge Response"):
//!   ISC(no input)            → SEC_I_CONTINUE_NEEDED, empty token (allowed for symmetry)
//!   ASC(no/empty token)      → digest-challenge, SEC_I_CONTINUE_NEEDED
//!   ISC(digest-challenge)    → digest-response, SEC_I_CONTINUE_NEEDED
//!   ASC(digest-response)     → rspauth=…, SEC_E_OK (wrong password: SEC_E_LOGON_DENIED)
//!   ISC(rspauth=…)           → SEC_E_OK, empty token (wrong rspauth: SEC_E_MUTUAL_AUTH_FAILED)
//! qop follows the context requirements: auth by default, auth-int with *_REQ_INTEGRITY (or
//! replay / sequence detect), auth-conf with *_REQ_CONFIDENTIALITY. *_REQ_CONFIDENTIALITY and
//! *_REQ_INTEGRITY are requirements: a client takes the wanted qop or, asked only for replay /
//! sequence detection, falls back to auth; no acceptable qop (and cipher) offered →
//! SEC_E_ALGORITHM_MISMATCH. A server offers only the qops it accepts (auth-conf alone with
//! ASC_REQ_CONFIDENTIALITY, auth-int alone with ASC_REQ_INTEGRITY) and refuses a response
//! choosing another qop or cipher with SEC_E_ALGORITHM_MISMATCH.

use super::accounts::Account;
use super::http;
use super::layer::Layer;
use super::sasl::*;
use super::{DigestCredentials, INFO};
use crate::buffers::SecBuffers;
use crate::ffi::consts::*;
use crate::package::{Attribute, Context, PackageInfo, Step, Unsealed};
use crate::status::{Error, Outcome, SecResult};
use parking_lot::Mutex;
use ring::rand::{SecureRandom, SystemRandom};
use std::sync::{Arc, OnceLock};
use zeroize::Zeroizing;

/// FILETIME now.
fn filetime_now() -> i64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() / 100)
        .unwrap_or(0);
    (unix + 116_444_736_000_000_000) as i64
}

/// ASC_REQ_HTTP: the server side runs HTTP Digest instead of SASL.
pub const ASC_REQ_HTTP: u32 = 0x1000_0000;

enum State {
    Initial,
    /// Client: digest-response sent; waiting for rspauth.
    Responded {
        rspauth: String,
        est: Box<Established>,
    },
    /// Server: digest-challenge sent.
    Challenged {
        challenge: Challenge,
    },
    Done,
}

struct Handshake {
    state: State,
    ret_flags: u32,
    /// SASL_OPTION_AUTHZ_STRING (client): sent as authzid.
    authzid: Option<String>,
    /// SASL_OPTION_AUTHZ_PROCESSING = Sasl_AuthZIDProcessed, the documented default
    /// (SaslSetContextOption): a server accepts an authzid other than the user name; with
    /// Sasl_AuthZIDForbidden it is refused with SEC_E_LOGON_DENIED.
    authz_processed: bool,
    /// SASL_OPTION_RECV_SIZE when the application set one: announced as maxbuf (RFC 2831
    /// §2.1.1 / §2.1.2.1, at most 65536 here, at least 16) instead of the default 65536.
    recv_size: Option<u32>,
}

struct Established {
    layer: Option<Layer>,
    session_key: Zeroizing<[u8; 16]>,
    client_name: String,
    /// digest-uri (SASL) or the request URI (HTTP).
    target: String,
    ret_flags: u32,
    /// The peer's maxbuf (SASL), the largest token it accepts.
    peer_maxbuf: u32,
    /// Server (SASL): the authzid the client sent, if any.
    peer_authzid: Option<String>,
    /// HTTP client: what later requests on this context are answered from (MakeSignature).
    http_client: Option<Mutex<HttpClient>>,
}

/// An HTTP client context's challenge, password and nonce count.
struct HttpClient {
    challenge: http::HttpChallenge,
    user: String,
    password: Zeroizing<String>,
    nc: u32,
}

/// A Digest security context.
pub struct DigestContext {
    creds: Arc<DigestCredentials>,
    client: bool,
    hs: Mutex<Handshake>,
    done: OnceLock<Established>,
    start: i64,
}

fn random_token() -> SecResult<String> {
    let mut b = [0u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| Error::InternalError)?;
    Ok(hex(&b))
}

/// The first SECBUFFER_TOKEN's bytes, if any (empty when absent).
fn input_token(step: &Step<'_, '_>) -> SecResult<Vec<u8>> {
    let Some(inp) = step.input.as_deref() else {
        return Ok(Vec::new());
    };
    match inp.find(SECBUFFER_TOKEN) {
        Some(i) => Ok(inp.bytes(i)?.to_vec()),
        None => Ok(Vec::new()),
    }
}

/// The `n`th SECBUFFER_PKG_PARAMS input as text (HTTP method, URL, H(entity), realm).
fn pkg_param(step: &Step<'_, '_>, n: usize) -> SecResult<String> {
    let Some(inp) = step.input.as_deref() else {
        return Ok(String::new());
    };
    match inp.nth(SECBUFFER_PKG_PARAMS, n) {
        Some(i) => {
            let b = inp.bytes(i)?;
            let b = b.split(|&c| c == 0).next().unwrap_or(&[]);
            String::from_utf8(b.to_vec()).map_err(|_| Error::InvalidToken)
        }
        None => Ok(String::new()),
    }
}

/// Writes the output token (Windows' codes as the other packages: no TOKEN buffer →
/// SEC_E_BUFFER_TOO_SMALL, NULL pvBuffer without ALLOCATE_MEMORY → SEC_E_INTERNAL_ERROR).
fn write_output(step: &mut Step<'_, '_>, msg: &[u8]) -> SecResult<bool> {
    let Some(out) = step.output.as_deref_mut() else {
        return if msg.is_empty() {
            Ok(false)
        } else {
            Err(Error::BufferTooSmall)
        };
    };
    let Some(i) = out.find(SECBUFFER_TOKEN) else {
        return if msg.is_empty() {
            Ok(false)
        } else {
            Err(Error::BufferTooSmall)
        };
    };
    match out.write_token_at(i, msg) {
        Err(Error::InvalidParameter) => return Err(Error::InternalError),
        r => r?,
    }
    Ok(out.allocate())
}

/// The maxbuf a side announces: SASL_OPTION_RECV_SIZE when set (clamped to RFC 2831's 16 and
/// this package's 65536), else RFC 2831's default 65536.
fn announced_maxbuf(recv_size: Option<u32>) -> u32 {
    recv_size.map_or(DEFAULT_MAXBUF, |n| n.clamp(16, DEFAULT_MAXBUF))
}

/// The qop for requirement flags `req` when `integ` are the bits that ask for integrity
/// (ISC_REQ_* and ASC_REQ_* share the confidentiality bit 0x10; integrity is 0x10000 for ISC,
/// 0x20000 for ASC).
fn qop_for(req: u32, integ: u32) -> Qop {
    if req & ISC_REQ_CONFIDENTIALITY != 0 {
        Qop::AuthConf
    } else if req & integ != 0 {
        Qop::AuthInt
    } else {
        Qop::Auth
    }
}

/// The qop a side wants: replay and sequence detection also make auth-int preferred.
fn wanted_qop(req: u32, client: bool) -> Qop {
    if client {
        qop_for(
            req,
            ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT,
        )
    } else {
        qop_for(
            req,
            ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT,
        )
    }
}

/// The least qop a side accepts: the layer *_REQ_CONFIDENTIALITY or *_REQ_INTEGRITY asks for
/// (replay / sequence detection alone only make auth-int preferred, see [`wanted_qop`]).
fn required_qop(req: u32, client: bool) -> Qop {
    qop_for(
        req,
        if client {
            ISC_REQ_INTEGRITY
        } else {
            ASC_REQ_INTEGRITY
        },
    )
}

/// *_RET_* for an established qop (the ISC and ASC bits for these coincide except
/// integrity).
fn ret_flags(qop: Qop, client: bool, allocated: bool, mutual: bool) -> u32 {
    let mut r = 0;
    if qop != Qop::Auth {
        r |= ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT;
        r |= if client {
            ISC_RET_INTEGRITY
        } else {
            ASC_RET_INTEGRITY
        };
    }
    if qop == Qop::AuthConf {
        r |= ISC_RET_CONFIDENTIALITY;
    }
    if mutual {
        r |= ISC_RET_MUTUAL_AUTH;
    }
    if allocated {
        r |= if client {
            ISC_RET_ALLOCATED_MEMORY
        } else {
            ASC_RET_ALLOCATED_MEMORY
        };
    }
    r
}

impl DigestContext {
    pub(super) fn new(creds: Arc<DigestCredentials>, client: bool) -> Self {
        DigestContext {
            creds,
            client,
            hs: Mutex::new(Handshake {
                state: State::Initial,
                ret_flags: 0,
                authzid: None,
                authz_processed: true,
                recv_size: None,
            }),
            done: OnceLock::new(),
            start: filetime_now(),
        }
    }

    fn established(&self) -> SecResult<&Established> {
        self.done.get().ok_or(Error::InvalidHandle)
    }

    fn layer(&self) -> SecResult<&Layer> {
        self.established()?
            .layer
            .as_ref()
            .ok_or(Error::QopNotSupported)
    }

    /// Client: digest-challenge in, digest-response out.
    fn respond(
        &self,
        step: &mut Step<'_, '_>,
        chal: &[u8],
        authzid: Option<&str>,
        maxbuf: u32,
    ) -> SecResult<(State, u32)> {
        let acct: &Account = self.creds.client.as_ref().ok_or(Error::NoCredentials)?;
        let ch = Challenge::parse(chal)?;
        let want = wanted_qop(step.req_flags, true);
        let need = required_qop(step.req_flags, true);
        let common_cipher = Cipher::PREFERENCE
            .into_iter()
            .find(|c| ch.ciphers.contains(c));
        // The strongest offered qop between the required and the wanted one (auth-conf only
        // with a cipher in common); none → SEC_E_ALGORITHM_MISMATCH ("no offered layer the
        // caller asked for").
        let qop = [Qop::AuthConf, Qop::AuthInt, Qop::Auth]
            .into_iter()
            .find(|q| {
                *q <= want
                    && *q >= need
                    && ch.qops.contains(q)
                    && (*q != Qop::AuthConf || common_cipher.is_some())
            })
            .ok_or(Error::AlgorithmMismatch)?;
        let cipher = if qop == Qop::AuthConf {
            common_cipher
        } else {
            None
        };
        let realm = if !acct.realm.is_empty() {
            acct.realm.clone()
        } else {
            ch.realms.first().cloned().unwrap_or_default()
        };
        let mut r = Response {
            username: acct.user.clone(),
            realm,
            nonce: ch.nonce.clone(),
            cnonce: random_token()?,
            nc: 1,
            qop,
            digest_uri: step.target.unwrap_or("").to_string(),
            response: String::new(),
            maxbuf,
            utf8: ch.utf8,
            cipher,
            authzid: authzid.map(str::to_string),
        };
        let uh = user_hash(&r.username, &r.realm, &acct.password, r.utf8);
        let key = ha1(&uh, &r.nonce, &r.cnonce, r.authzid.as_deref());
        r.response = response_value(&key, &r, true);
        let rspauth = response_value(&key, &r, false);
        let allocated = write_output(step, r.encode().as_bytes())?;
        let mutual = step.req_flags & ISC_REQ_MUTUAL_AUTH != 0;
        let ret = ret_flags(qop, true, allocated, mutual);
        let est = Established {
            layer: (qop != Qop::Auth).then(|| Layer::new(&key, qop, cipher, true)),
            session_key: key,
            client_name: acct.display(),
            target: r.digest_uri.clone(),
            ret_flags: ret & !ISC_RET_ALLOCATED_MEMORY,
            peer_maxbuf: ch.maxbuf,
            peer_authzid: None,
            http_client: None,
        };
        Ok((
            State::Responded {
                rspauth,
                est: Box::new(est),
            },
            ret,
        ))
    }

    /// Server: digest-challenge out.
    fn challenge(&self, step: &mut Step<'_, '_>) -> SecResult<(State, u32)> {
        // Only the qops this server accepts: from the required one up to the wanted one
        // (ASC_REQ_CONFIDENTIALITY: auth-conf alone).
        let want = wanted_qop(step.req_flags, false);
        let need = required_qop(step.req_flags, false);
        let qops: Vec<Qop> = [Qop::Auth, Qop::AuthInt, Qop::AuthConf]
            .into_iter()
            .filter(|q| *q >= need && *q <= want)
            .collect();
        let ch = Challenge {
            realms: vec![self.creds.server_realm()],
            nonce: random_token()?,
            qops,
            maxbuf: DEFAULT_MAXBUF,
            utf8: true,
            ciphers: if want == Qop::AuthConf {
                vec![
                    Cipher::Rc440,
                    Cipher::Rc456,
                    Cipher::Rc4,
                    Cipher::Des,
                    Cipher::TripleDes,
                ]
            } else {
                Vec::new()
            },
        };
        let allocated = write_output(step, ch.encode().as_bytes())?;
        Ok((
            State::Challenged { challenge: ch },
            ret_flags(Qop::Auth, false, allocated, false),
        ))
    }

    /// Server: digest-response in, rspauth out.
    fn verify(
        &self,
        step: &mut Step<'_, '_>,
        ch: &Challenge,
        tok: &[u8],
        authz_processed: bool,
    ) -> SecResult<(Established, u32)> {
        let r = Response::parse(tok)?;
        if r.nonce != ch.nonce || r.nc != 1 {
            return Err(Error::InvalidToken);
        }
        // A qop or cipher the challenge did not offer (below what this server requires).
        if !ch.qops.contains(&r.qop)
            || (r.qop == Qop::AuthConf && !r.cipher.is_some_and(|c| ch.ciphers.contains(&c)))
        {
            return Err(Error::AlgorithmMismatch);
        }
        let acct = self
            .creds
            .find_account(&r.username, &r.realm)
            .ok_or(Error::LogonDenied)?;
        let uh = user_hash(&r.username, &r.realm, &acct.password, r.utf8);
        let key = ha1(&uh, &r.nonce, &r.cnonce, r.authzid.as_deref());
        if !digest_eq(&response_value(&key, &r, true), &r.response) {
            return Err(Error::LogonDenied);
        }
        if r.authzid.as_deref().is_some_and(|a| a != r.username) && !authz_processed {
            return Err(Error::LogonDenied);
        }
        let mut rsp = String::new();
        super::directives::Directives::push_token(
            &mut rsp,
            "rspauth",
            &response_value(&key, &r, false),
        );
        let allocated = write_output(step, rsp.as_bytes())?;
        let ret = ret_flags(r.qop, false, allocated, false);
        Ok((
            Established {
                layer: (r.qop != Qop::Auth).then(|| Layer::new(&key, r.qop, r.cipher, false)),
                session_key: key,
                client_name: format!("{}\\{}", r.realm, r.username),
                target: r.digest_uri.clone(),
                ret_flags: ret & !ASC_RET_ALLOCATED_MEMORY,
                peer_maxbuf: r.maxbuf,
                peer_authzid: r.authzid.clone(),
                http_client: None,
            },
            ret,
        ))
    }

    /// HTTP client: WWW-Authenticate parameters in (pInput: TOKEN, PKG_PARAMS method,
    /// PKG_PARAMS H(entity)), Authorization parameters out; the URI is pszTargetName.
    fn http_respond(&self, step: &mut Step<'_, '_>, tok: &[u8]) -> SecResult<(Established, u32)> {
        let acct = self.creds.client.as_ref().ok_or(Error::NoCredentials)?;
        let ch = http::HttpChallenge::parse(tok)?;
        let method = pkg_param(step, 0)?;
        let h_entity = pkg_param(step, 1)?;
        let uri = step.target.unwrap_or("/").to_string();
        let auth = http::authorization(
            &ch,
            &acct.user,
            &acct.password,
            if method.is_empty() { "GET" } else { &method },
            &uri,
            &h_entity,
            1,
            &random_token()?,
        );
        let allocated = write_output(step, auth.as_bytes())?;
        let ret = ret_flags(Qop::Auth, true, allocated, false);
        Ok((
            Established {
                layer: None,
                session_key: Zeroizing::new([0; 16]),
                client_name: acct.display(),
                target: uri,
                ret_flags: ret,
                peer_maxbuf: 0,
                peer_authzid: None,
                http_client: Some(Mutex::new(HttpClient {
                    challenge: ch,
                    user: acct.user.clone(),
                    password: acct.password.clone(),
                    nc: 1,
                })),
            },
            ret,
        ))
    }

    /// HTTP server: pInput TOKEN (Authorization parameters, empty on the first request),
    /// PKG_PARAMS method, PKG_PARAMS URL (reserved), PKG_PARAMS H(entity), PKG_PARAMS realm.
    /// Without a token, or with a stale nonce: a challenge and SEC_I_CONTINUE_NEEDED; wrong
    /// password: SEC_E_LOGON_DENIED.
    fn http_accept(&self, step: &mut Step<'_, '_>, tok: &[u8]) -> SecResult<(Outcome, u32)> {
        let realm = match pkg_param(step, 3)? {
            r if r.is_empty() => self.creds.server_realm(),
            r => r,
        };
        let auth_int = step.req_flags & ASC_REQ_INTEGRITY != 0;
        let tok = http::strip_scheme(tok);
        if tok.iter().all(|c| c.is_ascii_whitespace()) {
            let c = http::challenge(&realm, auth_int, false)?;
            let allocated = write_output(step, c.as_bytes())?;
            return Ok((
                Outcome::ContinueNeeded,
                ret_flags(Qop::Auth, false, allocated, false),
            ));
        }
        let a = http::Authorization::parse(tok)?;
        if !http::nonce_valid(&a.nonce) {
            let c = http::challenge(&realm, auth_int, true)?;
            let allocated = write_output(step, c.as_bytes())?;
            return Ok((
                Outcome::ContinueNeeded,
                ret_flags(Qop::Auth, false, allocated, false),
            ));
        }
        let acct = self
            .creds
            .find_account(&a.username, &a.realm)
            .ok_or(Error::LogonDenied)?;
        let method = pkg_param(step, 0)?;
        let url = pkg_param(step, 1)?;
        let h_entity = pkg_param(step, 2)?;
        // The digest covers the uri directive; it must name the resource requested.
        if !url.is_empty() && url != a.uri {
            return Err(Error::LogonDenied);
        }
        if !http::verify(&a, &acct.password, &method, &h_entity) {
            return Err(Error::LogonDenied);
        }
        let allocated = write_output(step, &[])?;
        let ret = ret_flags(Qop::Auth, false, allocated, false);
        let _ = self.done.set(Established {
            layer: None,
            session_key: Zeroizing::new([0; 16]),
            client_name: format!("{}\\{}", a.realm, a.username),
            target: a.uri,
            ret_flags: ret,
            peer_maxbuf: 0,
            peer_authzid: None,
            http_client: None,
        });
        Ok((Outcome::Ok, ret))
    }
}

impl Context for DigestContext {
    fn package(&self) -> &'static PackageInfo {
        &INFO
    }

    fn initialize(&self, step: &mut Step<'_, '_>) -> SecResult<Outcome> {
        if !self.client {
            return Err(Error::InvalidHandle);
        }
        step.expiry = i64::MAX;
        let mut hs = self.hs.lock();
        let tok = input_token(step)?;
        match &hs.state {
            State::Initial if tok.is_empty() => {
                // "For compatibility with other SSPs, you may call InitializeSecurityContext
                // (Digest) without a valid server challenge."
                let allocated = write_output(step, &[])?;
                step.ret_flags = ret_flags(Qop::Auth, true, allocated, false);
                Ok(Outcome::ContinueNeeded)
            }
            State::Initial if step.req_flags & ISC_REQ_USE_HTTP_STYLE != 0 => {
                let (est, ret) = self.http_respond(step, &tok)?;
                step.ret_flags = ret;
                hs.ret_flags = ret;
                hs.state = State::Done;
                let _ = self.done.set(est);
                Ok(Outcome::Ok)
            }
            State::Initial => {
                let authzid = hs.authzid.clone();
                let maxbuf = announced_maxbuf(hs.recv_size);
                let (state, ret) = self.respond(step, &tok, authzid.as_deref(), maxbuf)?;
                step.ret_flags = ret;
                hs.ret_flags = ret;
                hs.state = state;
                Ok(Outcome::ContinueNeeded)
            }
            State::Responded { rspauth, .. } => {
                let got = parse_rspauth(&tok)?;
                if !digest_eq(&got, rspauth) {
                    return Err(Error::MutualAuthFailed);
                }
                let allocated = write_output(step, &[])?;
                let State::Responded { est, .. } = core::mem::replace(&mut hs.state, State::Done)
                else {
                    return Err(Error::InternalError);
                };
                let mut ret = est.ret_flags;
                if allocated {
                    ret |= ISC_RET_ALLOCATED_MEMORY;
                }
                step.ret_flags = ret;
                hs.ret_flags = ret;
                let _ = self.done.set(*est);
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
        let tok = input_token(step)?;
        if step.req_flags & ASC_REQ_HTTP != 0 {
            if matches!(hs.state, State::Done) {
                return Err(Error::InvalidToken);
            }
            let (outcome, ret) = self.http_accept(step, &tok)?;
            step.ret_flags = ret;
            hs.ret_flags = ret;
            if outcome == Outcome::Ok {
                hs.state = State::Done;
            }
            return Ok(outcome);
        }
        match &hs.state {
            State::Initial if tok.is_empty() => {
                let (state, ret) = self.challenge(step)?;
                step.ret_flags = ret;
                hs.ret_flags = ret;
                hs.state = state;
                Ok(Outcome::ContinueNeeded)
            }
            State::Challenged { challenge } => {
                let (est, ret) = self.verify(step, challenge, &tok, hs.authz_processed)?;
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
        self.layer()?.seal(qop, message, seq_no)
    }

    fn unseal(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<Unsealed> {
        let qop = self.layer()?.unseal(message, seq_no)?;
        Ok(Unsealed {
            qop,
            outcome: Outcome::Ok,
        })
    }

    /// SASL: the integrity trailer. HTTP client: the Authorization parameters for a later
    /// request on the same challenge (nc incremented) — pMessage is TOKEN (ignored),
    /// PKG_PARAMS method, PKG_PARAMS URI, PKG_PARAMS H(entity), PADDING (output; too small →
    /// SEC_E_BUFFER_TOO_SMALL, its cbBuffer becomes the length).
    fn make_signature(&self, qop: u32, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<()> {
        if let Some(h) = self.done.get().and_then(|e| e.http_client.as_ref()) {
            let param = |m: &SecBuffers<'_>, n: usize| -> SecResult<String> {
                match m.nth(SECBUFFER_PKG_PARAMS, n) {
                    Some(i) => String::from_utf8(
                        m.bytes(i)?
                            .split(|&c| c == 0)
                            .next()
                            .unwrap_or(&[])
                            .to_vec(),
                    )
                    .map_err(|_| Error::InvalidToken),
                    None => Ok(String::new()),
                }
            };
            let (method, uri, h_entity) =
                (param(message, 0)?, param(message, 1)?, param(message, 2)?);
            let out = message.find(SECBUFFER_PADDING).ok_or(Error::InvalidToken)?;
            let mut st = h.lock();
            let nc = st.nc + 1;
            let auth = http::authorization(
                &st.challenge,
                &st.user,
                &st.password,
                if method.is_empty() { "GET" } else { &method },
                &uri,
                &h_entity,
                nc,
                &random_token()?,
            );
            if message.size(out) < auth.len() {
                return Err(Error::BufferTooSmall);
            }
            message.bytes_mut(out)?[..auth.len()].copy_from_slice(auth.as_bytes());
            message.set_size(out, auth.len())?;
            st.nc = nc;
            return Ok(());
        }
        self.layer()?.make_signature(qop, message, seq_no)
    }

    fn verify_signature(&self, message: &mut SecBuffers<'_>, seq_no: u32) -> SecResult<u32> {
        self.layer()?.verify_signature(message, seq_no)
    }

    fn set_sasl_authz(&self, authz: Option<&[u8]>, processed: bool) {
        let mut hs = self.hs.lock();
        hs.authzid = authz
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned());
        hs.authz_processed = processed;
    }

    fn set_sasl_recv_size(&self, size: Option<u32>) {
        self.hs.lock().recv_size = size;
    }

    /// The peer's maxbuf (RFC 2831 §2.1.1 / §2.1.2) minus cbBlockSize, cbSecurityTrailer and
    /// cbMaxSignature of SECPKG_ATTR_SIZES, as SaslSetContextOption documents SASL_OPTION_SEND_SIZE
    /// ("the maximum buffer size that can be transmitted to the remote SASL process minus the
    /// block size, the trailer size, and the maximum signature size"); 0 with qop auth (no
    /// layer, as the GSSAPI profile's "none"); None before the SASL handshake completes or on
    /// an HTTP context.
    fn sasl_send_size(&self) -> Option<u32> {
        let e = self.done.get().filter(|e| e.peer_maxbuf != 0)?;
        if e.layer.is_none() {
            return Some(0);
        }
        match self.query_attribute(SECPKG_ATTR_SIZES).ok()? {
            Attribute::Sizes {
                max_signature,
                block_size,
                security_trailer,
                ..
            } => Some(
                e.peer_maxbuf
                    .saturating_sub(block_size + security_trailer + max_signature),
            ),
            _ => None,
        }
    }

    fn sasl_peer_authz(&self) -> Option<Vec<u8>> {
        self.done
            .get()
            .and_then(|e| e.peer_authzid.as_ref())
            .map(|a| a.as_bytes().to_vec())
    }

    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        Ok(match attr {
            // cbMaxSignature: MAC(10) ‖ 0x0001 ‖ SeqNum(4); cbBlockSize: the cipher's block
            // (8 for des/3des, else 1 — RC4 pads nothing); the trailer EncryptMessage needs is
            // their sum (EncryptMessage (General), Digest).
            SECPKG_ATTR_SIZES => {
                let block = self
                    .done
                    .get()
                    .and_then(|e| e.layer.as_ref())
                    .and_then(|l| l.cipher())
                    .map_or(1, |c| c.block().max(1)) as u32;
                Attribute::Sizes {
                    max_token: INFO.max_token,
                    max_signature: super::layer::TRAILER as u32,
                    block_size: block,
                    security_trailer: super::layer::TRAILER as u32 + block,
                }
            }
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
                Attribute::SessionKey(Zeroizing::new(self.established()?.session_key.to_vec()))
            }
            SECPKG_ATTR_NATIVE_NAMES => {
                let e = self.established()?;
                Attribute::NativeNames {
                    client: e.client_name.clone(),
                    server: e.target.clone(),
                }
            }
            SECPKG_ATTR_CLIENT_SPECIFIED_TARGET if !self.client => {
                Attribute::ClientSpecifiedTarget(self.established()?.target.clone())
            }
            // CALG_HMAC (0x8009) for the MAC; the cipher's CALG_RC4 (0x6801), CALG_DES
            // (0x6601) or CALG_3DES_112 (0x6609).
            SECPKG_ATTR_KEY_INFO => {
                let l = self.layer()?;
                let (name, alg, bits) = match l.cipher() {
                    Some(Cipher::Des) => ("DES", 0x6601, 56),
                    Some(Cipher::TripleDes) => ("3DES_112", 0x6609, 112),
                    Some(c) => ("RC4", 0x6801, c.bits()),
                    None => ("", 0, 0),
                };
                Attribute::KeyInfo {
                    signature_algorithm_name: "HMAC-MD5",
                    encrypt_algorithm_name: name,
                    key_size: bits,
                    signature_algorithm: 0x8009,
                    encrypt_algorithm: alg,
                }
            }
            _ => return Err(Error::UnsupportedFunction),
        })
    }
}
