//! The SASL "GSSAPI" profile's security-layer negotiation (RFC 4752 §3.1) on an established
//! Kerberos context, as Windows' SaslInitializeSecurityContext / SaslAcceptSecurityContext
//! add it after the Kerberos handshake.
//!
//! What Windows documents (SaslAcceptSecurityContext, Remarks): the AcceptSecurityContext call
//! that returns SEC_E_OK is intercepted; "if a return token is produced, SASL processing is
//! suspended for one round trip back to the client to allow the final token to be processed".
//! Then the server returns SEC_I_CONTINUE_NEEDED with a "SASL server cookie encrypted with SSPI
//! message functions" that "indicates if INTEGRITY and PRIVACY are supported"; the client
//! answers with a client cookie naming the services it requests; the server decrypts it and
//! "the final services are determined". Error codes documented for both functions:
//! SEC_E_INVALID_TOKEN ("the message failed to decrypt") and SEC_E_ALGORITHM_MISMATCH ("Authz
//! processing is not permitted").
//!
//! The cookies are RFC 4752's: GSS_Wrap with conf_flag FALSE (EncryptMessage with
//! SECQOP_WRAP_NO_ENCRYPT, the token being TOKEN ‖ DATA ‖ PADDING as MIT reads it) of
//! - server: one octet, the bit-mask of offered layers (1 none, 2 integrity, 4 confidentiality),
//!   then the largest message it accepts (3 octets, big-endian; 0 when only "none" is offered);
//! - client: one octet, the chosen layer, its own largest message (0 with "none"), then the
//!   authorization identity (SASL_OPTION_AUTHZ_STRING), if any.
//!
//! Where Windows' documents are silent, these choices (as the WDigest package's qop):
//! - the layer wanted is confidentiality with `*_REQ_CONFIDENTIALITY`, else integrity with
//!   `*_REQ_INTEGRITY`, else none, and it is a requirement: the server offers that layer alone
//!   (its cookie is what it accepts; the Kerberos context lacking it → SEC_E_ALGORITHM_MISMATCH)
//!   and refuses any other choice; the client takes that layer, and a server cookie not
//!   offering it (say only "none" to a client asking for confidentiality) →
//!   SEC_E_ALGORITHM_MISMATCH;
//! - the client sends 4 alone for confidentiality (RFC 4752; Cyrus' server, the peer tested
//!   here, reads 6 as integrity when it offered integrity). Older Active Directory servers
//!   wanted 6 (integrity and confidentiality bits: Cyrus SASL 2.1.28 `plugins/gssapi.c`, option
//!   `ad_compat`, "should we send an AD compatible choice of security layers?"; cyrus-sasl issue
//!   #419: "Microsoft's SASL implementation interpreted this as a bitmask and required both bits
//!   int and conf to be set"), so the server here reads 6 as confidentiality when it offered it;
//! - a server cookie that does not unwrap, is not 4 octets, offers nothing, or offers only
//!   "none" with a non-zero size (RFC 4752: "the client verifies that the server maximum
//!   buffer is 0") → SEC_E_INVALID_TOKEN; a client cookie that does not unwrap or is shorter
//!   than 4 octets → SEC_E_INVALID_TOKEN; a layer the server did not offer →
//!   SEC_E_ALGORITHM_MISMATCH; an authorization identity while SASL_OPTION_AUTHZ_PROCESSING is
//!   Sasl_AuthZIDForbidden → SEC_E_ALGORITHM_MISMATCH (the documented meaning of that code).
//!   A cookie that does not unwrap changes nothing (the genuine one may follow); one that
//!   unwraps but is refused has used up its sequence number, which ends the negotiation.
//! - SASL_OPTION_SEND_SIZE afterwards is the peer's size minus cbBlockSize, cbSecurityTrailer
//!   and cbMaxSignature, as SaslSetContextOption documents it ("the maximum buffer size that
//!   can be transmitted to the remote SASL process minus the block size, the trailer size, and
//!   the maximum signature size"), so that one wrapped message always fits.
//!
//! After the exchange the application protects its messages with the chosen layer: EncryptMessage
//! with fQOP 0 (confidentiality) or SECQOP_WRAP_NO_ENCRYPT (integrity), DecryptMessage on the
//! peer's tokens (pfQOP says which) — GSS_Wrap / GSS_Unwrap, which is what RFC 4752 layers are.

use super::wrap::consts::{
    SECBUFFER_DATA, SECBUFFER_PADDING, SECBUFFER_STREAM, SECBUFFER_TOKEN, SECQOP_WRAP_NO_ENCRYPT,
};
use crate::buffers::SecBuffers;
use crate::package::{Attribute, Context};
use crate::status::{Error, SecResult};

/// RFC 4752 §3.1 security-layer bits.
pub const LAYER_NONE: u8 = 1;
pub const LAYER_INTEGRITY: u8 = 2;
pub const LAYER_CONFIDENTIALITY: u8 = 4;

/// sspi.h flags this module reads (values shared by ISC_* and ASC_* where noted; copied so
/// that the package does not import from `ffi`).
mod flags {
    /// ISC_REQ_CONFIDENTIALITY = ASC_REQ_CONFIDENTIALITY = ISC_RET_… = ASC_RET_….
    pub const CONFIDENTIALITY: u32 = 0x10;
    pub const ISC_REQ_INTEGRITY: u32 = 0x1_0000;
    pub const ASC_REQ_INTEGRITY: u32 = 0x2_0000;
    pub const ISC_RET_INTEGRITY: u32 = 0x1_0000;
    pub const ASC_RET_INTEGRITY: u32 = 0x2_0000;
    pub const SECPKG_ATTR_SIZES: u32 = 0;
}

/// Largest size the 3-octet field carries.
const MAX_SIZE: u32 = 0xFF_FFFF;

/// Where a GSSAPI-profile context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The Kerberos handshake runs (the Sasl* functions pass through).
    Handshake,
    /// Server: the AP-REP went out; the client's (empty) answer is awaited.
    AwaitEmpty,
    /// Client: the server cookie is awaited.
    AwaitServerCookie,
    /// Server: the client cookie is awaited.
    AwaitClientCookie,
    /// Negotiated.
    Done,
}

/// What the application set with SaslSetContextOption, read at each step.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// SASL_OPTION_RECV_SIZE: the largest message this side accepts.
    pub recv_size: u32,
    /// SASL_OPTION_AUTHZ_STRING (client: sent in the client cookie; None while
    /// AUTHZ_PROCESSING is Sasl_AuthZIDForbidden).
    pub authz: Option<Vec<u8>>,
    /// SASL_OPTION_AUTHZ_PROCESSING is Sasl_AuthZIDProcessed, its documented default (server:
    /// an authzid is accepted; under Sasl_AuthZIDForbidden it is refused).
    pub authz_processed: bool,
}

/// The RFC 4752 state of one context.
#[derive(Clone, Debug)]
pub struct GssapiLayer {
    client: bool,
    phase: Phase,
    /// fContextReq of the first call (what the application asked for).
    req: u32,
    /// pfContextAttr of the call that completed the Kerberos handshake.
    base_flags: u32,
    /// Server: the bit-mask it offered.
    offered: u8,
    /// The chosen layer, once negotiated.
    layer: u8,
    /// The peer's largest message (its cookie's size field).
    peer_max: u32,
    /// Server: the authorization identity the client sent.
    peer_authz: Vec<u8>,
}

/// The strongest layer `req` asks for.
fn wanted(req: u32, client: bool) -> u8 {
    let integ = if client {
        flags::ISC_REQ_INTEGRITY
    } else {
        flags::ASC_REQ_INTEGRITY
    };
    if req & flags::CONFIDENTIALITY != 0 {
        LAYER_CONFIDENTIALITY
    } else if req & integ != 0 {
        LAYER_INTEGRITY
    } else {
        LAYER_NONE
    }
}

/// The layers the Kerberos context can carry, from its ISC_RET / ASC_RET flags.
fn available(ret: u32, client: bool) -> u8 {
    let integ = if client {
        flags::ISC_RET_INTEGRITY
    } else {
        flags::ASC_RET_INTEGRITY
    };
    let mut m = LAYER_NONE;
    if ret & (integ | flags::CONFIDENTIALITY) != 0 {
        m |= LAYER_INTEGRITY;
    }
    if ret & flags::CONFIDENTIALITY != 0 {
        m |= LAYER_CONFIDENTIALITY;
    }
    m
}

fn sizes(ctx: &dyn Context) -> SecResult<(u32, u32, u32)> {
    match ctx.query_attribute(flags::SECPKG_ATTR_SIZES)? {
        Attribute::Sizes {
            max_signature,
            block_size,
            security_trailer,
            ..
        } => Ok((max_signature, block_size, security_trailer)),
        _ => Err(Error::InternalError),
    }
}

/// GSS_Wrap(conf_flag FALSE) through the context's EncryptMessage: TOKEN ‖ DATA ‖ PADDING.
pub fn wrap(ctx: &dyn Context, data: &[u8]) -> SecResult<Vec<u8>> {
    let (_, block, trailer) = sizes(ctx)?;
    let mut token = vec![0u8; trailer as usize];
    let mut body = data.to_vec();
    let mut pad = vec![0u8; block as usize];
    let (a, b, c) = SecBuffers::with_parts(
        &mut [
            (SECBUFFER_TOKEN, &mut token[..]),
            (SECBUFFER_DATA, &mut body[..]),
            (SECBUFFER_PADDING, &mut pad[..]),
        ],
        |m| -> SecResult<(usize, usize, usize)> {
            ctx.seal(SECQOP_WRAP_NO_ENCRYPT, m, 0)?;
            Ok((m.size(0), m.size(1), m.size(2)))
        },
    )??;
    let mut out = Vec::with_capacity(a + b + c);
    out.extend_from_slice(token.get(..a).ok_or(Error::InternalError)?);
    out.extend_from_slice(body.get(..b).ok_or(Error::InternalError)?);
    out.extend_from_slice(pad.get(..c).ok_or(Error::InternalError)?);
    Ok(out)
}

/// GSS_Unwrap through the context's DecryptMessage (`[STREAM, DATA]`). Any failure →
/// SEC_E_INVALID_TOKEN (the cookie "failed to decrypt"); the context's receive state is
/// unchanged then.
pub fn unwrap(ctx: &dyn Context, token: &[u8]) -> SecResult<Vec<u8>> {
    if token.is_empty() {
        return Err(Error::InvalidToken);
    }
    let mut stream = token.to_vec();
    let mut empty = [0u8; 0];
    SecBuffers::with_parts(
        &mut [
            (SECBUFFER_STREAM, &mut stream[..]),
            (SECBUFFER_DATA, &mut empty[..]),
        ],
        |m| -> SecResult<Vec<u8>> {
            ctx.unseal(m, 0)?;
            Ok(m.bytes(1)?.to_vec())
        },
    )?
    .map_err(|_| Error::InvalidToken)
}

fn size_bytes(n: u32) -> [u8; 3] {
    let n = n.min(MAX_SIZE);
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

impl GssapiLayer {
    /// A context of the GSSAPI profile, before its Kerberos handshake completes; `req` is the
    /// application's fContextReq.
    pub fn new(client: bool, req: u32) -> Self {
        GssapiLayer {
            client,
            phase: Phase::Handshake,
            req,
            base_flags: 0,
            offered: 0,
            layer: 0,
            peer_max: 0,
            peer_authz: Vec::new(),
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The negotiated layer (LAYER_*), once done.
    pub fn layer(&self) -> Option<u8> {
        (self.phase == Phase::Done).then_some(self.layer)
    }

    /// The Kerberos handshake returned SEC_E_OK with `ret_flags`; `token_sent`: it produced an
    /// output token (which goes to the peer with this step's SEC_I_CONTINUE_NEEDED).
    /// Client: the server cookie comes next (after an empty response when no token was
    /// produced, as RFC 4752 requires). Server: with a token, one round trip for the client's
    /// empty answer; without, the server cookie is due now (`Some(cookie)`).
    pub fn handshake_done(
        &mut self,
        ctx: &dyn Context,
        ret_flags: u32,
        token_sent: bool,
        settings: &Settings,
    ) -> SecResult<Option<Vec<u8>>> {
        self.base_flags = ret_flags;
        if self.client {
            self.phase = Phase::AwaitServerCookie;
            return Ok(None);
        }
        if token_sent {
            self.phase = Phase::AwaitEmpty;
            return Ok(None);
        }
        self.server_cookie(ctx, settings).map(Some)
    }

    /// Server, after the client's empty answer to the AP-REP: the server cookie.
    pub fn server_cookie(&mut self, ctx: &dyn Context, settings: &Settings) -> SecResult<Vec<u8>> {
        // The required layer alone: a client cannot then settle for less.
        let mask = wanted(self.req, false);
        if available(self.base_flags, false) & mask == 0 {
            return Err(Error::AlgorithmMismatch);
        }
        let max = if mask == LAYER_NONE {
            0
        } else {
            settings.recv_size
        };
        let s = size_bytes(max);
        let cookie = wrap(ctx, &[mask, s[0], s[1], s[2]])?;
        self.offered = mask;
        self.phase = Phase::AwaitClientCookie;
        Ok(cookie)
    }

    /// Client: the server cookie in, the client cookie out; SEC_E_OK follows.
    pub fn client_cookie(
        &mut self,
        ctx: &dyn Context,
        server_cookie: &[u8],
        settings: &Settings,
    ) -> SecResult<Vec<u8>> {
        let plain = unwrap(ctx, server_cookie)?;
        let result = (|| {
            let [mask, a, b, c] =
                <[u8; 4]>::try_from(plain.as_slice()).map_err(|_| Error::InvalidToken)?;
            let max = u32::from_be_bytes([0, a, b, c]);
            if mask & (LAYER_NONE | LAYER_INTEGRITY | LAYER_CONFIDENTIALITY) == 0
                || (mask & !LAYER_NONE == 0 && max != 0)
            {
                return Err(Error::InvalidToken);
            }
            // The layer asked for, or nothing: "no offered layer the caller asked for".
            let choice = wanted(self.req, true);
            if mask & choice == 0 || available(self.base_flags, true) & choice == 0 {
                return Err(Error::AlgorithmMismatch);
            }
            let own = if choice == LAYER_NONE {
                0
            } else {
                settings.recv_size
            };
            let s = size_bytes(own);
            let mut reply = vec![choice, s[0], s[1], s[2]];
            if let Some(a) = &settings.authz {
                reply.extend_from_slice(a);
            }
            Ok((choice, max, reply))
        })();
        // The server's cookie was consumed by the unwrap: from here a failure ends the
        // negotiation (the peer would not accept the same cookie twice either).
        let (choice, max, reply) = result?;
        let cookie = wrap(ctx, &reply)?;
        self.layer = choice;
        self.peer_max = max;
        self.phase = Phase::Done;
        Ok(cookie)
    }

    /// Server: the client cookie in; SEC_E_OK follows.
    pub fn accept_client_cookie(
        &mut self,
        ctx: &dyn Context,
        client_cookie: &[u8],
        settings: &Settings,
    ) -> SecResult<()> {
        let plain = unwrap(ctx, client_cookie)?;
        let (head, authz) = plain.split_at_checked(4).ok_or(Error::InvalidToken)?;
        let choice = match head[0] {
            l @ (LAYER_NONE | LAYER_INTEGRITY | LAYER_CONFIDENTIALITY) if self.offered & l != 0 => {
                l
            }
            // Older Windows peers: both bits for confidentiality (see the module note).
            0x06 if self.offered & LAYER_CONFIDENTIALITY != 0 => LAYER_CONFIDENTIALITY,
            _ => return Err(Error::AlgorithmMismatch),
        };
        if !authz.is_empty() && !settings.authz_processed {
            return Err(Error::AlgorithmMismatch);
        }
        self.layer = choice;
        self.peer_max = u32::from_be_bytes([0, head[1], head[2], head[3]]);
        self.peer_authz = authz.to_vec();
        self.phase = Phase::Done;
        Ok(())
    }

    /// pfContextAttr once negotiated: the handshake's flags with the confidentiality and
    /// integrity bits of the chosen layer only.
    pub fn ret_flags(&self) -> u32 {
        let integ = if self.client {
            flags::ISC_RET_INTEGRITY
        } else {
            flags::ASC_RET_INTEGRITY
        };
        let mut f = self.base_flags & !(integ | flags::CONFIDENTIALITY);
        if self.layer == LAYER_CONFIDENTIALITY {
            f |= flags::CONFIDENTIALITY | integ;
        } else if self.layer == LAYER_INTEGRITY {
            f |= integ;
        }
        f
    }

    /// SASL_OPTION_SEND_SIZE's default once negotiated: the peer's size minus cbBlockSize,
    /// cbSecurityTrailer and cbMaxSignature (0 with no layer or a peer size of 0).
    pub fn send_size(&self, ctx: &dyn Context) -> Option<u32> {
        if self.phase != Phase::Done {
            return None;
        }
        if self.layer == LAYER_NONE {
            return Some(0);
        }
        let (sig, block, trailer) = sizes(ctx).ok()?;
        Some(self.peer_max.saturating_sub(sig + block + trailer))
    }

    /// Server: the authorization identity the client sent (empty: none).
    pub fn peer_authz(&self) -> &[u8] {
        &self.peer_authz
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wanted_and_available_layers() {
        assert_eq!(wanted(0, true), LAYER_NONE);
        assert_eq!(wanted(flags::ISC_REQ_INTEGRITY, true), LAYER_INTEGRITY);
        assert_eq!(wanted(flags::ASC_REQ_INTEGRITY, true), LAYER_NONE);
        assert_eq!(wanted(flags::ASC_REQ_INTEGRITY, false), LAYER_INTEGRITY);
        assert_eq!(wanted(0x10 | 0x1_0000, true), LAYER_CONFIDENTIALITY);
        assert_eq!(available(0, true), LAYER_NONE);
        assert_eq!(available(0x1_0000, true), LAYER_NONE | LAYER_INTEGRITY);
        assert_eq!(available(0x10, false), 7);
        assert_eq!(size_bytes(0x0100_0000), [0xff, 0xff, 0xff]);
        assert_eq!(size_bytes(65536), [1, 0, 0]);
    }

    #[test]
    fn ret_flags_follow_the_layer() {
        let mut g = GssapiLayer::new(true, 0x10);
        g.base_flags = 0x10 | 0x1_0000 | 0x2;
        g.phase = Phase::Done;
        g.layer = LAYER_NONE;
        assert_eq!(g.ret_flags(), 0x2);
        g.layer = LAYER_INTEGRITY;
        assert_eq!(g.ret_flags(), 0x1_0002);
        g.layer = LAYER_CONFIDENTIALITY;
        assert_eq!(g.ret_flags(), 0x1_0012);
    }
}
