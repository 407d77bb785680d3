//! RFC 4120 §7.2.1 (UDP) and §7.2.2 (TCP, 4-byte big-endian length prefix) transport to the
//! KDCs of a realm, with bounded timeouts.

use super::{KdcSettings, Transport};
use crate::packages::kerberos::asn1::{application_tag, error_code, KrbError};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

/// Largest TCP reply accepted (AD replies with big PACs stay far below this).
const MAX_TCP_REPLY: usize = 16 << 20;

/// Why no reply came back.
#[derive(Debug)]
pub enum TransportError {
    /// The realm has no KDC configured.
    NoKdc,
    /// No KDC answered within the time bound (or none could be reached).
    NoAnswer,
}

/// Whether `b` looks like a reply to a KDC request: KDC-REP (11, 13) or KRB-ERROR (30).
fn is_reply(b: &[u8]) -> bool {
    matches!(application_tag(b), Some(11) | Some(13) | Some(30))
}

fn is_too_big(b: &[u8]) -> bool {
    application_tag(b) == Some(30)
        && KrbError::from_bytes(b)
            .map(|e| e.error_code == error_code::KRB_ERR_RESPONSE_TOO_BIG)
            .unwrap_or(false)
}

fn udp_exchange(addr: SocketAddr, req: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let bind: SocketAddr = if addr.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = UdpSocket::bind(bind).ok()?;
    sock.connect(addr).ok()?;
    sock.send(req).ok()?;
    let deadline = Instant::now() + wait;
    let mut buf = vec![0u8; 65536];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        sock.set_read_timeout(Some(left)).ok()?;
        match sock.recv(&mut buf) {
            Ok(n) if is_reply(&buf[..n]) => {
                buf.truncate(n);
                return Some(buf);
            }
            Ok(_) => continue, // not a Kerberos reply: keep waiting
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // Timeout, or ICMP port unreachable (ConnectionRefused) on a connected socket.
            Err(_) => return None,
        }
    }
}

fn tcp_exchange(addr: SocketAddr, req: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + wait;
    let mut s = TcpStream::connect_timeout(&addr, wait).ok()?;
    let left = deadline.checked_duration_since(Instant::now())?;
    s.set_write_timeout(Some(left.max(Duration::from_millis(1))))
        .ok()?;
    let len = u32::try_from(req.len()).ok()?;
    let mut framed = Vec::with_capacity(4 + req.len());
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(req);
    s.write_all(&framed).ok()?;
    let read_exact = |s: &mut TcpStream, buf: &mut [u8]| -> Option<()> {
        let left = deadline.checked_duration_since(Instant::now())?;
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok()?;
        s.read_exact(buf).ok()
    };
    let mut lb = [0u8; 4];
    read_exact(&mut s, &mut lb)?;
    let n = u32::from_be_bytes(lb) as usize;
    // The high bit is reserved for an extension (RFC 4120 §7.2.2); we ask for none.
    if n & 0x8000_0000 != 0 || n > MAX_TCP_REPLY {
        return None;
    }
    let mut reply = vec![0u8; n];
    read_exact(&mut s, &mut reply)?;
    is_reply(&reply).then_some(reply)
}

/// Sends `req` (a DER AS-REQ or TGS-REQ) to the KDCs of `realm` and returns the first reply.
///
/// Each KDC is tried in turn, in configured order, for `settings.udp_tries` passes: over UDP
/// waiting `settings.kdc_timeout`, unless `req` is larger than `udp_preference_limit`; over TCP
/// when UDP is not used, brings no answer, or the KDC answers KRB_ERR_RESPONSE_TOO_BIG. The whole call returns
/// within about `settings.total_timeout` (a DNS lookup of a KDC host name is not bounded).
///
/// With `settings.kdc_proxy` (MS-KKDCP), the request goes through the proxy when no KDC of the
/// realm is known or answers, or straight away with FORCEPROXY, as Windows does; the proxy
/// exchange has its own `settings.total_timeout` bound.
pub fn send_to_realm(
    settings: &KdcSettings,
    realm: &str,
    req: &[u8],
) -> Result<Vec<u8>, TransportError> {
    let proxied = |p: &super::proxy::KdcProxy| {
        super::proxy::exchange(p, realm, req, settings.total_timeout)
            .filter(|r| is_reply(r))
            .ok_or(TransportError::NoAnswer)
    };
    match &settings.kdc_proxy {
        Some(p) if p.force => proxied(p),
        Some(p) => send_direct(settings, realm, req).or_else(|_| proxied(p)),
        None => send_direct(settings, realm, req),
    }
}

fn send_direct(settings: &KdcSettings, realm: &str, req: &[u8]) -> Result<Vec<u8>, TransportError> {
    let kdcs = settings.kdcs(realm);
    if kdcs.is_empty() {
        return Err(TransportError::NoKdc);
    }
    let start = Instant::now();
    let deadline = start + settings.total_timeout;
    let prefer_tcp = req.len() > settings.udp_preference_limit;
    for _pass in 0..settings.udp_tries.max(1) {
        for kdc in &kdcs {
            let addrs: Vec<SocketAddr> = match (kdc.host.as_str(), kdc.port).to_socket_addrs() {
                Ok(a) => a.collect(),
                Err(_) => continue,
            };
            for addr in addrs {
                let left = match deadline.checked_duration_since(Instant::now()) {
                    Some(l) if !l.is_zero() => l,
                    _ => return Err(TransportError::NoAnswer),
                };
                let wait = settings.kdc_timeout.min(left);
                if kdc.transport != Transport::Tcp
                    && (!prefer_tcp || kdc.transport == Transport::Udp)
                {
                    match udp_exchange(addr, req, wait) {
                        Some(r) if is_too_big(&r) => {}
                        Some(r) => return Ok(r),
                        // No UDP answer: the KDC may listen on TCP only (the deadline bounds it).
                        None => {}
                    }
                }
                if kdc.transport == Transport::Udp {
                    continue;
                }
                if let Some(r) = tcp_exchange(addr, req, wait) {
                    return Ok(r);
                }
            }
        }
    }
    Err(TransportError::NoAnswer)
}

#[cfg(test)]
mod tests {
    use super::super::{KdcAddr, KdcSettings, Transport};
    use super::*;

    fn settings(port: u16) -> KdcSettings {
        KdcSettings {
            realms: vec![(
                "NOWHERE.TEST".into(),
                vec![KdcAddr {
                    host: "127.0.0.1".into(),
                    port,
                    transport: Transport::Any,
                }],
            )],
            kdc_timeout: Duration::from_millis(300),
            total_timeout: Duration::from_secs(2),
            ..KdcSettings::default()
        }
    }

    #[test]
    fn unknown_realm_and_silent_kdc() {
        let s = settings(9);
        assert!(matches!(
            send_to_realm(&s, "OTHER.TEST", b"x"),
            Err(TransportError::NoKdc)
        ));
        // A UDP socket that never answers: bounded by the total timeout.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let s = settings(silent.local_addr().unwrap().port());
        let t = Instant::now();
        assert!(matches!(
            send_to_realm(&s, "NOWHERE.TEST", b"x"),
            Err(TransportError::NoAnswer)
        ));
        let took = t.elapsed();
        assert!(took < Duration::from_millis(2600), "{took:?}");
        assert!(took >= Duration::from_millis(250), "{took:?}");
    }
}
