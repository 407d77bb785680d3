//! HTTP Digest (RFC 7616 / RFC 2617) as WDigest does it with ISC_REQ_USE_HTTP_STYLE /
//! ASC_REQ_HTTP: MD5 and MD5-sess, qop auth and auth-int, H(A1) in hex (RFC 2617 §3.2.2.2,
//! unlike SASL's binary H(A1)). Tokens are the header parameters without the "Digest "
//! scheme word (WWW-Authenticate challenge from ASC, Authorization response from ISC); a
//! leading "Digest " is accepted on input.
//!
//! Nonces are stateless: hex(timestamp ‖ random ‖ HMAC-MD5(process secret, timestamp ‖ random)),
//! so a server may verify an Authorization header on a new connection with a new context, as
//! IIS does with WDigest.

use super::directives::{options, Directives};
use super::sasl::{digest_eq, hex, md5};
use crate::status::{Error, SecResult};
use hmac::{Hmac, Mac};
use md5::Md5;
use ring::rand::{SecureRandom, SystemRandom};
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// How long a nonce stays valid.
pub const NONCE_LIFETIME_SECS: u64 = 3600;

fn secret() -> &'static [u8; 32] {
    static S: OnceLock<[u8; 32]> = OnceLock::new();
    S.get_or_init(|| {
        let mut k = [0u8; 32];
        let _ = SystemRandom::new().fill(&mut k);
        k
    })
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn nonce_mac(body: &[u8]) -> [u8; 16] {
    let mut m = <Hmac<Md5> as hmac::KeyInit>::new_from_slice(secret()).expect("any key length");
    m.update(body);
    m.finalize().into_bytes().into()
}

/// A new server nonce.
pub fn new_nonce() -> SecResult<String> {
    let mut body = [0u8; 16];
    body[..8].copy_from_slice(&now().to_be_bytes());
    SystemRandom::new()
        .fill(&mut body[8..])
        .map_err(|_| Error::InternalError)?;
    let mut all = body.to_vec();
    all.extend_from_slice(&nonce_mac(&body));
    Ok(hex(&all))
}

/// Whether `nonce` is one of ours and still fresh.
pub fn nonce_valid(nonce: &str) -> bool {
    if nonce.len() != 64 || !nonce.bytes().all(|c| c.is_ascii_hexdigit()) {
        return false;
    }
    let mut raw = [0u8; 32];
    for (i, r) in raw.iter_mut().enumerate() {
        *r = u8::from_str_radix(&nonce[2 * i..2 * i + 2], 16).unwrap_or(0);
    }
    let mut body = [0u8; 16];
    body.copy_from_slice(&raw[..16]);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        &nonce_mac(&body)[..],
        &raw[16..],
    )) {
        return false;
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&body[..8]);
    let t = u64::from_be_bytes(ts);
    let n = now();
    t <= n + 60 && n - t.min(n) <= NONCE_LIFETIME_SECS
}

/// Strips an optional leading "Digest" scheme word.
pub fn strip_scheme(b: &[u8]) -> &[u8] {
    let t = b.trim_ascii_start();
    if t.len() >= 6 && t[..6].eq_ignore_ascii_case(b"digest") && t.get(6).is_none_or(|c| *c == b' ')
    {
        &t[6..]
    } else {
        t
    }
}

/// The WWW-Authenticate parameters a server sends.
pub fn challenge(realm: &str, auth_int: bool, stale: bool) -> SecResult<String> {
    let mut s = String::new();
    Directives::push_quoted(&mut s, "realm", realm);
    Directives::push_quoted(
        &mut s,
        "qop",
        if auth_int { "auth,auth-int" } else { "auth" },
    );
    Directives::push_token(&mut s, "algorithm", "MD5-sess");
    Directives::push_quoted(&mut s, "nonce", &new_nonce()?);
    Directives::push_token(&mut s, "charset", "utf-8");
    if stale {
        Directives::push_token(&mut s, "stale", "true");
    }
    Ok(s)
}

/// The values of an Authorization header the server needs.
pub struct Authorization {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub sess: bool,
    pub qop: Option<String>,
    pub nc: String,
    pub cnonce: String,
}

impl Authorization {
    pub fn parse(b: &[u8]) -> SecResult<Self> {
        let d = Directives::parse(strip_scheme(b))?;
        d.unique(&[
            "username",
            "realm",
            "nonce",
            "uri",
            "response",
            "algorithm",
            "qop",
            "nc",
            "cnonce",
        ])?;
        let req = |n: &str| d.get(n).map(str::to_string).ok_or(Error::InvalidToken);
        let sess = match d.get("algorithm") {
            None => false,
            Some(a) if a.eq_ignore_ascii_case("md5") => false,
            Some(a) if a.eq_ignore_ascii_case("md5-sess") => true,
            Some(_) => return Err(Error::InvalidToken),
        };
        let qop = d.get("qop").map(str::to_ascii_lowercase);
        let (nc, cnonce) = match &qop {
            Some(q) if q == "auth" || q == "auth-int" => (req("nc")?, req("cnonce")?),
            Some(_) => return Err(Error::InvalidToken),
            None if sess => return Err(Error::InvalidToken),
            None => (String::new(), d.get("cnonce").unwrap_or("").to_string()),
        };
        Ok(Authorization {
            username: req("username")?,
            realm: d.get("realm").unwrap_or("").to_string(),
            nonce: req("nonce")?,
            uri: req("uri")?,
            response: req("response")?.to_ascii_lowercase(),
            sess,
            qop,
            nc,
            cnonce,
        })
    }
}

/// request-digest (RFC 2617 §3.2.2.1) in hex.
#[allow(clippy::too_many_arguments)]
pub fn request_digest(
    user: &str,
    realm: &str,
    password: &str,
    sess: bool,
    nonce: &str,
    cnonce: &str,
    nc: &str,
    qop: Option<&str>,
    method: &str,
    uri: &str,
    h_entity: &str,
) -> String {
    let mut ha1 = Zeroizing::new(hex(&md5(&[
        user.as_bytes(),
        b":",
        realm.as_bytes(),
        b":",
        password.as_bytes(),
    ])));
    if sess {
        ha1 = Zeroizing::new(hex(&md5(&[
            ha1.as_bytes(),
            b":",
            nonce.as_bytes(),
            b":",
            cnonce.as_bytes(),
        ])));
    }
    let ha2 = if qop == Some("auth-int") {
        hex(&md5(&[
            method.as_bytes(),
            b":",
            uri.as_bytes(),
            b":",
            h_entity.as_bytes(),
        ]))
    } else {
        hex(&md5(&[method.as_bytes(), b":", uri.as_bytes()]))
    };
    match qop {
        Some(q) => hex(&md5(&[
            ha1.as_bytes(),
            b":",
            nonce.as_bytes(),
            b":",
            nc.as_bytes(),
            b":",
            cnonce.as_bytes(),
            b":",
            q.as_bytes(),
            b":",
            ha2.as_bytes(),
        ])),
        None => hex(&md5(&[
            ha1.as_bytes(),
            b":",
            nonce.as_bytes(),
            b":",
            ha2.as_bytes(),
        ])),
    }
}

/// Server check of an Authorization's request-digest against a password (the nonce is
/// checked separately with [`nonce_valid`]).
pub fn verify(a: &Authorization, password: &str, method: &str, h_entity: &str) -> bool {
    let want = request_digest(
        &a.username,
        &a.realm,
        password,
        a.sess,
        &a.nonce,
        &a.cnonce,
        &a.nc,
        a.qop.as_deref(),
        method,
        &a.uri,
        h_entity,
    );
    digest_eq(&want, &a.response)
}

/// A parsed WWW-Authenticate challenge (client side).
#[derive(Clone)]
pub struct HttpChallenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub sess: bool,
    pub qops: Vec<String>,
}

impl HttpChallenge {
    pub fn parse(b: &[u8]) -> SecResult<Self> {
        let d = Directives::parse(strip_scheme(b))?;
        d.unique(&["realm", "nonce", "opaque", "algorithm", "qop"])?;
        let sess = match d.get("algorithm") {
            None => false,
            Some(a) if a.eq_ignore_ascii_case("md5") => false,
            Some(a) if a.eq_ignore_ascii_case("md5-sess") => true,
            Some(_) => return Err(Error::InvalidToken),
        };
        Ok(HttpChallenge {
            realm: d.get("realm").unwrap_or("").to_string(),
            nonce: d.get("nonce").ok_or(Error::InvalidToken)?.to_string(),
            opaque: d.get("opaque").map(str::to_string),
            sess,
            qops: d
                .get("qop")
                .map(|q| options(q).map(str::to_ascii_lowercase).collect())
                .unwrap_or_default(),
        })
    }
}

/// Builds the Authorization parameters for `uri` (client side).
#[allow(clippy::too_many_arguments)]
pub fn authorization(
    ch: &HttpChallenge,
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
    h_entity: &str,
    nc: u32,
    cnonce: &str,
) -> String {
    let qop = if ch.qops.iter().any(|q| q == "auth") {
        Some("auth")
    } else if ch.qops.iter().any(|q| q == "auth-int") {
        Some("auth-int")
    } else {
        None
    };
    let nc_s = format!("{nc:08x}");
    let resp = request_digest(
        user, &ch.realm, password, ch.sess, &ch.nonce, cnonce, &nc_s, qop, method, uri, h_entity,
    );
    let mut s = String::new();
    Directives::push_quoted(&mut s, "username", user);
    Directives::push_quoted(&mut s, "realm", &ch.realm);
    Directives::push_quoted(&mut s, "nonce", &ch.nonce);
    Directives::push_quoted(&mut s, "uri", uri);
    Directives::push_token(
        &mut s,
        "algorithm",
        if ch.sess { "MD5-sess" } else { "MD5" },
    );
    Directives::push_quoted(&mut s, "response", &resp);
    if let Some(q) = qop {
        Directives::push_token(&mut s, "qop", q);
        Directives::push_token(&mut s, "nc", &nc_s);
        Directives::push_quoted(&mut s, "cnonce", cnonce);
    }
    if let Some(o) = &ch.opaque {
        Directives::push_quoted(&mut s, "opaque", o);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5's example (Mufasa / Circle Of Life).
    #[test]
    fn rfc2617_example() {
        let r = request_digest(
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            false,
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "0a4f113b",
            "00000001",
            Some("auth"),
            "GET",
            "/dir/index.html",
            "",
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn nonce_round_trip() {
        let n = new_nonce().unwrap();
        assert!(nonce_valid(&n));
        let mut bad = n.clone().into_bytes();
        bad[63] = if bad[63] == b'0' { b'1' } else { b'0' };
        assert!(!nonce_valid(core::str::from_utf8(&bad).unwrap()));
        assert!(!nonce_valid("zz"));
        let ch = HttpChallenge::parse(
            format!("Digest {}", challenge("r", false, false).unwrap()).as_bytes(),
        )
        .unwrap();
        let auth = authorization(&ch, "u", "p", "GET", "/", "", 1, "abc");
        let a = Authorization::parse(auth.as_bytes()).unwrap();
        assert!(nonce_valid(&a.nonce));
        assert!(verify(&a, "p", "GET", ""));
        assert!(!verify(&a, "q", "GET", ""));
        assert!(!verify(&a, "p", "POST", ""));
    }
}
