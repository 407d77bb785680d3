//! SASL DIGEST-MD5 (RFC 2831): the digest-challenge (§2.1.1), digest-response (§2.1.2),
//! response-auth (§2.1.3) and the values computed from them: H(A1), response-value,
//! rspauth, and the session key H(A1) from which the security layer keys come (§2.3, §2.4).

use super::directives::{options, Directives};
use crate::status::{Error, SecResult};
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Quality of protection (RFC 2831 §2.1.2 qop-value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Qop {
    /// Authentication only.
    Auth,
    /// Integrity protection (HMAC-MD5 MAC, §2.3).
    AuthInt,
    /// Confidentiality (a cipher plus the MAC, §2.4).
    AuthConf,
}

impl Qop {
    pub fn name(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
            Qop::AuthConf => "auth-conf",
        }
    }
    fn from_name(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auth" => Some(Qop::Auth),
            "auth-int" => Some(Qop::AuthInt),
            "auth-conf" => Some(Qop::AuthConf),
            _ => None,
        }
    }
}

/// Ciphers of the confidentiality layer (RFC 2831 §2.4), strongest first as peers prefer them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cipher {
    Rc4,
    TripleDes,
    Rc456,
    Des,
    Rc440,
}

impl Cipher {
    /// Preference order when choosing from a challenge's list.
    pub const PREFERENCE: [Cipher; 5] = [
        Cipher::Rc4,
        Cipher::TripleDes,
        Cipher::Rc456,
        Cipher::Des,
        Cipher::Rc440,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Cipher::Rc4 => "rc4",
            Cipher::TripleDes => "3des",
            Cipher::Rc456 => "rc4-56",
            Cipher::Des => "des",
            Cipher::Rc440 => "rc4-40",
        }
    }
    pub fn from_name(s: &str) -> Option<Self> {
        Self::PREFERENCE
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s))
    }
    /// Bytes of H(A1) keying the cipher (§2.4: n = 16, 5 for rc4-40, 7 for rc4-56).
    pub fn key_bytes(self) -> usize {
        match self {
            Cipher::Rc440 => 5,
            Cipher::Rc456 => 7,
            _ => 16,
        }
    }
    /// CBC block size (0 for the RC4 stream ciphers).
    pub fn block(self) -> usize {
        match self {
            Cipher::Des | Cipher::TripleDes => 8,
            _ => 0,
        }
    }
    /// Key length in bits as SECPKG_ATTR_KEY_INFO reports it.
    pub fn bits(self) -> u32 {
        match self {
            Cipher::Rc4 => 128,
            Cipher::TripleDes => 112,
            Cipher::Rc456 => 56,
            Cipher::Des => 56,
            Cipher::Rc440 => 40,
        }
    }
}

/// The default and largest maxbuf (RFC 2831 §2.1.1: 65536 when absent).
pub const DEFAULT_MAXBUF: u32 = 65536;

/// What the server offers (digest-challenge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realms: Vec<String>,
    pub nonce: String,
    pub qops: Vec<Qop>,
    pub maxbuf: u32,
    pub utf8: bool,
    pub ciphers: Vec<Cipher>,
}

impl Challenge {
    /// Builds the digest-challenge a server sends.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for r in &self.realms {
            Directives::push_quoted(&mut s, "realm", r);
        }
        Directives::push_quoted(&mut s, "nonce", &self.nonce);
        let q: Vec<&str> = self.qops.iter().map(|q| q.name()).collect();
        Directives::push_quoted(&mut s, "qop", &q.join(","));
        if self.maxbuf != DEFAULT_MAXBUF {
            Directives::push_token(&mut s, "maxbuf", &self.maxbuf.to_string());
        }
        if self.utf8 {
            Directives::push_token(&mut s, "charset", "utf-8");
        }
        Directives::push_token(&mut s, "algorithm", "md5-sess");
        if !self.ciphers.is_empty() {
            let c: Vec<&str> = self.ciphers.iter().map(|c| c.name()).collect();
            Directives::push_quoted(&mut s, "cipher", &c.join(","));
        }
        s
    }

    /// Parses a digest-challenge (client side). Unknown qop and cipher names are skipped as
    /// §2.1.1 requires; a missing nonce or algorithm, or duplicates → SEC_E_INVALID_TOKEN.
    pub fn parse(b: &[u8]) -> SecResult<Self> {
        if b.len() > 2048 {
            return Err(Error::InvalidToken);
        }
        let d = Directives::parse(b)?;
        d.unique(&[
            "nonce",
            "qop",
            "maxbuf",
            "charset",
            "algorithm",
            "cipher",
            "stale",
        ])?;
        let nonce = d.get("nonce").ok_or(Error::InvalidToken)?.to_string();
        if !d
            .get("algorithm")
            .is_some_and(|a| a.eq_ignore_ascii_case("md5-sess"))
        {
            return Err(Error::InvalidToken);
        }
        let qops = match d.get("qop") {
            Some(q) => options(q).filter_map(Qop::from_name).collect(),
            None => vec![Qop::Auth],
        };
        let maxbuf = match d.get("maxbuf") {
            Some(m) => m
                .parse::<u32>()
                .ok()
                .filter(|&m| m > 16)
                .ok_or(Error::InvalidToken)?,
            None => DEFAULT_MAXBUF,
        };
        let utf8 = match d.get("charset") {
            Some(c) if c.eq_ignore_ascii_case("utf-8") => true,
            Some(_) => return Err(Error::InvalidToken),
            None => false,
        };
        let ciphers = d
            .get("cipher")
            .map(|c| options(c).filter_map(Cipher::from_name).collect())
            .unwrap_or_default();
        Ok(Challenge {
            realms: d.all("realm").map(str::to_string).collect(),
            nonce,
            qops,
            maxbuf,
            utf8,
            ciphers,
        })
    }
}

/// What the client sends (digest-response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub cnonce: String,
    pub nc: u32,
    pub qop: Qop,
    pub digest_uri: String,
    pub response: String,
    pub maxbuf: u32,
    pub utf8: bool,
    pub cipher: Option<Cipher>,
    pub authzid: Option<String>,
}

impl Response {
    /// Builds the digest-response.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        if self.utf8 {
            Directives::push_token(&mut s, "charset", "utf-8");
        }
        Directives::push_quoted(&mut s, "username", &self.username);
        Directives::push_quoted(&mut s, "realm", &self.realm);
        Directives::push_quoted(&mut s, "nonce", &self.nonce);
        Directives::push_token(&mut s, "nc", &format!("{:08x}", self.nc));
        Directives::push_quoted(&mut s, "cnonce", &self.cnonce);
        Directives::push_quoted(&mut s, "digest-uri", &self.digest_uri);
        Directives::push_token(&mut s, "maxbuf", &self.maxbuf.to_string());
        Directives::push_token(&mut s, "response", &self.response);
        Directives::push_token(&mut s, "qop", self.qop.name());
        if let Some(c) = self.cipher {
            Directives::push_token(&mut s, "cipher", c.name());
        }
        if let Some(a) = &self.authzid {
            Directives::push_quoted(&mut s, "authzid", a);
        }
        s
    }

    /// Parses a digest-response (server side).
    pub fn parse(b: &[u8]) -> SecResult<Self> {
        let d = Directives::parse(b)?;
        d.unique(&[
            "username",
            "realm",
            "nonce",
            "cnonce",
            "nc",
            "qop",
            "digest-uri",
            "response",
            "maxbuf",
            "charset",
            "cipher",
            "authzid",
        ])?;
        let req = |n: &str| d.get(n).map(str::to_string).ok_or(Error::InvalidToken);
        let nc_s = req("nc")?;
        if nc_s.len() != 8 {
            return Err(Error::InvalidToken);
        }
        let nc = u32::from_str_radix(&nc_s, 16).map_err(|_| Error::InvalidToken)?;
        let qop = match d.get("qop") {
            Some(q) => Qop::from_name(q).ok_or(Error::InvalidToken)?,
            None => Qop::Auth,
        };
        let response = req("response")?;
        if response.len() != 32 || !response.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::InvalidToken);
        }
        let cipher = match (qop, d.get("cipher")) {
            (Qop::AuthConf, Some(c)) => Some(Cipher::from_name(c).ok_or(Error::InvalidToken)?),
            (Qop::AuthConf, None) => return Err(Error::InvalidToken),
            _ => None,
        };
        let maxbuf = match d.get("maxbuf") {
            Some(m) => m
                .parse::<u32>()
                .ok()
                .filter(|&m| m > 16)
                .ok_or(Error::InvalidToken)?,
            None => DEFAULT_MAXBUF,
        };
        let utf8 = match d.get("charset") {
            Some(c) if c.eq_ignore_ascii_case("utf-8") => true,
            Some(_) => return Err(Error::InvalidToken),
            None => false,
        };
        Ok(Response {
            username: req("username")?,
            realm: d.get("realm").unwrap_or("").to_string(),
            nonce: req("nonce")?,
            cnonce: req("cnonce")?,
            nc,
            qop,
            digest_uri: req("digest-uri")?,
            response: response.to_ascii_lowercase(),
            maxbuf,
            utf8,
            cipher,
            authzid: d.get("authzid").map(str::to_string),
        })
    }
}

/// Parses response-auth (`rspauth=<32 hex>`, §2.1.3).
pub fn parse_rspauth(b: &[u8]) -> SecResult<String> {
    let d = Directives::parse(b)?;
    d.unique(&["rspauth"])?;
    let r = d.get("rspauth").ok_or(Error::InvalidToken)?;
    if r.len() != 32 {
        return Err(Error::InvalidToken);
    }
    Ok(r.to_ascii_lowercase())
}

/// MD5 of the concatenated parts.
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 15) as usize] as char);
    }
    s
}

/// §2.1.2.1: with charset=utf-8, a string whose characters all lie in ISO 8859-1 is hashed in
/// ISO 8859-1; otherwise (or without charset) as its UTF-8 bytes.
pub fn to_8859_1(s: &str, utf8: bool) -> Zeroizing<Vec<u8>> {
    if utf8 && s.chars().all(|c| (c as u32) < 256) {
        Zeroizing::new(s.chars().map(|c| c as u8).collect())
    } else {
        Zeroizing::new(s.as_bytes().to_vec())
    }
}

/// H({ username-value, ":", realm-value, ":", passwd }): the "user hash" a server may store.
pub fn user_hash(user: &str, realm: &str, password: &str, utf8: bool) -> Zeroizing<[u8; 16]> {
    Zeroizing::new(md5(&[
        &to_8859_1(user, utf8),
        b":",
        &to_8859_1(realm, utf8),
        b":",
        &to_8859_1(password, utf8),
    ]))
}

/// H(A1), A1 = { user hash, ":", nonce, ":", cnonce [":" authzid] } (§2.1.2.1): the session key.
pub fn ha1(
    user_hash: &[u8; 16],
    nonce: &str,
    cnonce: &str,
    authzid: Option<&str>,
) -> Zeroizing<[u8; 16]> {
    let mut h = Md5::new();
    h.update(user_hash);
    h.update(b":");
    h.update(nonce.as_bytes());
    h.update(b":");
    h.update(cnonce.as_bytes());
    if let Some(a) = authzid {
        h.update(b":");
        h.update(a.as_bytes());
    }
    Zeroizing::new(h.finalize().into())
}

/// response-value (§2.1.2.1) when `initial` (A2 = "AUTHENTICATE:" digest-uri …), or rspauth
/// (§2.1.3, A2 = ":" digest-uri …).
pub fn response_value(ha1: &[u8; 16], r: &Response, initial: bool) -> String {
    let mut a2 = String::new();
    if initial {
        a2.push_str("AUTHENTICATE");
    }
    a2.push(':');
    a2.push_str(&r.digest_uri);
    if r.qop != Qop::Auth {
        a2.push_str(":00000000000000000000000000000000");
    }
    let ha2 = hex(&md5(&[a2.as_bytes()]));
    let hex_a1 = Zeroizing::new(hex(ha1));
    hex(&md5(&[
        hex_a1.as_bytes(),
        b":",
        r.nonce.as_bytes(),
        b":",
        format!("{:08x}", r.nc).as_bytes(),
        b":",
        r.cnonce.as_bytes(),
        b":",
        r.qop.name().as_bytes(),
        b":",
        ha2.as_bytes(),
    ]))
}

/// Constant-time comparison of two hex digests.
pub fn digest_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2831 §4's example (IMAP, chris / secret), with the erratum's published values
    /// (response d388dad90d4bbd760a152321f2143af7, rspauth ea40f60335c427b5527b84dbabcdfffd).
    #[test]
    fn rfc2831_example() {
        let chal = Challenge::parse(
            br#"realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8"#,
        )
        .unwrap();
        assert_eq!(chal.qops, vec![Qop::Auth]);
        let r = Response {
            username: "chris".into(),
            realm: "elwood.innosoft.com".into(),
            nonce: chal.nonce.clone(),
            cnonce: "OA6MHXh6VqTrRk".into(),
            nc: 1,
            qop: Qop::Auth,
            digest_uri: "imap/elwood.innosoft.com".into(),
            response: String::new(),
            maxbuf: DEFAULT_MAXBUF,
            utf8: true,
            cipher: None,
            authzid: None,
        };
        let uh = user_hash("chris", "elwood.innosoft.com", "secret", true);
        let k = ha1(&uh, &r.nonce, &r.cnonce, None);
        assert_eq!(
            response_value(&k, &r, true),
            "d388dad90d4bbd760a152321f2143af7"
        );
        assert_eq!(
            response_value(&k, &r, false),
            "ea40f60335c427b5527b84dbabcdfffd"
        );
        let mut r2 = r.clone();
        r2.response = "d388dad90d4bbd760a152321f2143af7".into();
        assert_eq!(Response::parse(r2.encode().as_bytes()).unwrap(), r2);
    }

    #[test]
    fn rejects_malformed() {
        assert!(Challenge::parse(b"nonce=\"x\"").is_err()); // no algorithm
        assert!(Challenge::parse(b"nonce=x,nonce=y,algorithm=md5-sess").is_err());
        assert!(
            Response::parse(b"username=u,nonce=n,cnonce=c,nc=1,digest-uri=x,response=00").is_err()
        );
        assert_eq!(
            parse_rspauth(b"rspauth=ea40f60335c427b5527b84dbabcdfffd")
                .unwrap()
                .len(),
            32
        );
        assert_eq!(&*to_8859_1("é", true), &[0xe9]);
        assert_eq!(&*to_8859_1("é", false), "é".as_bytes());
    }
}
