//! MS-KKDCP: Kerberos over HTTPS through a KDC proxy (SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS).
//!
//! The request, framed as for TCP (RFC 4120 §7.2.2), goes in a KDC-PROXY-MESSAGE (MS-KKDCP
//! §2.2.2) POSTed over HTTPS to `https://host:port/path` (§2.1, Content-Type
//! `application/kerberos`); the reply body is a KDC-PROXY-MESSAGE whose kerb-message is the
//! TCP-framed KDC reply.

use crate::status::{Error, SecResult};
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `KDC_PROXY_SETTINGS_V1`.
const KDC_PROXY_SETTINGS_V1: u32 = 1;
/// `KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY`: always use the proxy, even when a KDC is reachable.
const KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY: u32 = 1;
/// Size of SecPkgCredentials_KdcProxySettingsW: Version, Flags (ULONG), ProxyServerOffset,
/// ProxyServerLength, ClientTlsCredOffset, ClientTlsCredLength (USHORT).
const SETTINGS_SIZE: usize = 16;
/// Largest HTTP reply accepted (headers and body).
const MAX_REPLY: usize = 1 << 20;

/// A KDC proxy from SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdcProxy {
    pub host: String,
    /// Default 443.
    pub port: u16,
    /// The URL path without its leading '/', default `KdcProxy`.
    pub path: String,
    /// KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY: never try the realm's KDCs directly.
    pub force: bool,
}

fn u16_at(b: &[u8], at: usize) -> usize {
    u16::from_le_bytes([b[at], b[at + 1]]) as usize
}

impl KdcProxy {
    /// Parses a SecPkgCredentials_KdcProxySettingsW (16 bytes, little-endian) followed by its
    /// strings: ProxyServerOffset/Length locate a UTF-16LE `host[:port[:path]]` (offset from the
    /// struct's start, length in bytes). `None` when no proxy server is named (the flags alone
    /// change nothing then).
    /// Errors: short buffer, Version ≠ 1, a string outside the buffer, odd length, bad UTF-16,
    /// empty host or bad port → SEC_E_INVALID_TOKEN.
    pub fn from_settings(b: &[u8]) -> SecResult<Option<KdcProxy>> {
        if b.len() < SETTINGS_SIZE {
            return Err(Error::InvalidToken);
        }
        let version = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let flags = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        if version != KDC_PROXY_SETTINGS_V1 {
            return Err(Error::InvalidToken);
        }
        let (off, len) = (u16_at(b, 8), u16_at(b, 10));
        let (tls_off, tls_len) = (u16_at(b, 12), u16_at(b, 14));
        if tls_len != 0 && (tls_off < SETTINGS_SIZE || tls_off + tls_len > b.len()) {
            return Err(Error::InvalidToken);
        }
        if len == 0 {
            return Ok(None);
        }
        if off < SETTINGS_SIZE || off + len > b.len() || len % 2 != 0 {
            return Err(Error::InvalidToken);
        }
        let units: Vec<u16> = b[off..off + len]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let server = String::from_utf16(&units).map_err(|_| Error::InvalidToken)?;
        let mut parts = server.splitn(3, ':');
        let host = parts.next().unwrap_or_default();
        let port = match parts.next() {
            None | Some("") => 443,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or(Error::InvalidToken)?,
        };
        let path = match parts.next() {
            None | Some("") => "KdcProxy",
            Some(p) => p.trim_start_matches('/'),
        };
        if host.is_empty() {
            return Err(Error::InvalidToken);
        }
        Ok(Some(KdcProxy {
            host: host.to_owned(),
            port,
            path: path.to_owned(),
            force: flags & KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY != 0,
        }))
    }

    /// `/path` with bytes outside RFC 3986 pchar percent-encoded.
    fn request_target(&self) -> String {
        let mut s = String::from("/");
        for &c in self.path.as_bytes() {
            if c.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&c) {
                s.push(c as char);
            } else {
                s.push_str(&format!("%{c:02X}"));
            }
        }
        s
    }
}

fn der_len(out: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let b = (n as u64).to_be_bytes();
        let skip = b.iter().take_while(|x| **x == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&b[skip..]);
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    der_len(&mut v, content.len());
    v.extend_from_slice(content);
    v
}

/// One DER TLV at the start of `b`: (tag, content, rest). `None` on malformed input.
fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, b) = b.split_first()?;
    let (&l, mut b) = b.split_first()?;
    let len = if l < 0x80 {
        l as usize
    } else {
        let n = (l & 0x7f) as usize;
        if n == 0 || n > 4 || b.len() < n {
            return None;
        }
        let v = b[..n].iter().fold(0usize, |a, x| (a << 8) | *x as usize);
        b = &b[n..];
        v
    };
    (b.len() >= len).then(|| (tag, &b[..len], &b[len..]))
}

/// KDC-PROXY-MESSAGE (MS-KKDCP §2.2.2, EXPLICIT TAGS) carrying `req` with its TCP length
/// prefix and `realm` as target-domain.
pub fn encode_message(req: &[u8], realm: &str) -> Vec<u8> {
    let mut framed = (req.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(req);
    let mut body = tlv(0xa0, &tlv(0x04, &framed));
    body.extend(tlv(0xa1, &tlv(0x1b, realm.as_bytes())));
    tlv(0x30, &body)
}

/// The kerb-message of a KDC-PROXY-MESSAGE with its TCP length prefix removed (which must
/// match). `None` on malformed input.
pub fn decode_message(b: &[u8]) -> Option<Vec<u8>> {
    let (tag, seq, _) = read_tlv(b)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, field, _) = read_tlv(seq)?;
    if tag != 0xa0 {
        return None;
    }
    let (tag, framed, _) = read_tlv(field)?;
    if tag != 0x04 || framed.len() < 4 {
        return None;
    }
    let n = u32::from_be_bytes([framed[0], framed[1], framed[2], framed[3]]) as usize;
    (n == framed.len() - 4).then(|| framed[4..].to_vec())
}

fn tls_config() -> Option<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for der in crate::packages::schannel::trusted_root_ders() {
        let _ = roots.add(CertificateDer::from(der));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Some(Arc::new(cfg))
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// One HTTP/1.1 POST over TLS; the body of a 200 reply (Content-Length, or up to the end of
/// the connection). `Err` describes the failure for the log.
fn post(proxy: &KdcProxy, body: &[u8], deadline: Instant) -> Result<Vec<u8>, String> {
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| "timed out".to_owned())
    };
    let addrs: Vec<SocketAddr> = (proxy.host.as_str(), proxy.port)
        .to_socket_addrs()
        .map_err(|e| format!("resolving {}: {e}", proxy.host))?
        .collect();
    let mut tcp = None;
    for a in addrs {
        if let Ok(s) = TcpStream::connect_timeout(&a, left()?) {
            tcp = Some(s);
            break;
        }
    }
    let tcp = tcp.ok_or_else(|| format!("cannot connect to {}:{}", proxy.host, proxy.port))?;
    let name = ServerName::try_from(proxy.host.clone()).map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(tls_config().ok_or("TLS configuration")?, name)
        .map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let host = if proxy.port == 443 {
        proxy.host.clone()
    } else {
        format!("{}:{}", proxy.host, proxy.port)
    };
    let mut msg = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/kerberos\r\n\
         Content-Length: {}\r\nCache-Control: no-cache\r\nPragma: no-cache\r\n\
         Connection: close\r\n\r\n",
        proxy.request_target(),
        body.len()
    )
    .into_bytes();
    msg.extend_from_slice(body);
    let set_timeouts = |s: &TcpStream, d: Duration| {
        let _ = s.set_read_timeout(Some(d));
        let _ = s.set_write_timeout(Some(d));
    };
    set_timeouts(&tls.sock, left()?);
    tls.write_all(&msg).map_err(|e| e.to_string())?;
    tls.flush().map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut expect: Option<usize> = None;
    loop {
        if let (Some(h), Some(n)) = (find(&buf, b"\r\n\r\n"), expect) {
            if buf.len() >= h + 4 + n {
                break;
            }
        }
        set_timeouts(&tls.sock, left()?);
        match tls.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A server closing without close_notify: the body read so far is judged below.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.to_string()),
        }
        if buf.len() > MAX_REPLY {
            return Err("reply too large".into());
        }
        if expect.is_none() {
            if let Some(h) = find(&buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..h]).to_string();
                let mut lines = head.split("\r\n");
                let status = lines.next().unwrap_or_default();
                let code = status.split(' ').nth(1).unwrap_or_default();
                if !status.starts_with("HTTP/1.") || code != "200" {
                    return Err(format!("proxy replied {status:?}"));
                }
                for l in lines {
                    if let Some((k, v)) = l.split_once(':') {
                        if k.trim().eq_ignore_ascii_case("content-length") {
                            expect = v.trim().parse().ok();
                        } else if k.trim().eq_ignore_ascii_case("transfer-encoding") {
                            return Err("chunked replies are not supported".into());
                        }
                    }
                }
                expect.get_or_insert(usize::MAX);
            }
        }
    }
    let h = find(&buf, b"\r\n\r\n").ok_or("no HTTP reply")?;
    let mut body = buf.split_off(h + 4);
    if let Some(n) = expect.filter(|n| *n != usize::MAX) {
        if body.len() < n {
            return Err("reply body cut short".into());
        }
        body.truncate(n);
    }
    Ok(body)
}

/// Sends `req` (a DER AS-REQ or TGS-REQ for `realm`) through `proxy`; the KDC's reply, or
/// `None` (logged) when the proxy could not be used, within `wait`.
pub fn exchange(proxy: &KdcProxy, realm: &str, req: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + wait;
    let body = encode_message(req, realm);
    let r = post(proxy, &body, deadline)
        .and_then(|b| decode_message(&b).ok_or_else(|| "malformed KDC-PROXY-MESSAGE".into()));
    match r {
        Ok(reply) => Some(reply),
        Err(e) => {
            crate::log!(
                crate::log::Level::Debug,
                "kerberos: KDC proxy {}:{}/{}: {e}",
                proxy.host,
                proxy.port,
                proxy.path
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(version: u32, flags: u32, server: &str) -> Vec<u8> {
        let s: Vec<u8> = server
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let mut b = version.to_le_bytes().to_vec();
        b.extend(flags.to_le_bytes());
        let off = if s.is_empty() { 0u16 } else { 16 };
        b.extend(off.to_le_bytes());
        b.extend((s.len() as u16).to_le_bytes());
        b.extend([0u8; 4]);
        b.extend(s);
        b
    }

    #[test]
    fn parse_settings() {
        assert_eq!(KdcProxy::from_settings(&settings(1, 0, "")), Ok(None));
        assert_eq!(KdcProxy::from_settings(&settings(1, 1, "")), Ok(None));
        let p = KdcProxy::from_settings(&settings(1, 1, "kdc.example.com"))
            .unwrap()
            .unwrap();
        assert_eq!((p.port, p.path.as_str(), p.force), (443, "KdcProxy", true));
        let p = KdcProxy::from_settings(&settings(1, 0, "kdc.\u{1f4a0}.com:8443:kdc\0proxy"))
            .unwrap()
            .unwrap();
        assert_eq!(p.host, "kdc.\u{1f4a0}.com");
        assert_eq!((p.port, p.force), (8443, false));
        assert_eq!(p.request_target(), "/kdc%00proxy");
        assert_eq!(
            KdcProxy::from_settings(&settings(2, 0, "a")),
            Err(Error::InvalidToken)
        );
        assert_eq!(
            KdcProxy::from_settings(&settings(1, 0, "a:x")),
            Err(Error::InvalidToken)
        );
        assert_eq!(
            KdcProxy::from_settings(&settings(1, 0, ":443")),
            Err(Error::InvalidToken)
        );
        let mut cut = settings(1, 0, "kdc.example.com");
        cut.truncate(20);
        assert_eq!(KdcProxy::from_settings(&cut), Err(Error::InvalidToken));
        assert_eq!(
            KdcProxy::from_settings(&[1, 0, 0]),
            Err(Error::InvalidToken)
        );
    }

    #[test]
    fn message_round_trip() {
        let req = vec![0x6a; 300];
        let m = encode_message(&req, "EXAMPLE.COM");
        assert_eq!(decode_message(&m), Some(req));
        assert_eq!(decode_message(&m[..m.len() - 1]), None);
        for i in 0..m.len() {
            let _ = decode_message(&m[..i]);
        }
    }
}
