//! AS and TGS exchanges against real KDCs. The KDCs' settings come from the environment when
//! tests/kerberos/kdc-tests.sh runs this binary (KDC_PORT, REALM, USER1, … from mit-kdc.sh or
//! samba-kdc.sh); otherwise the first test starts the MIT KDCs itself with
//! `kdc-tests.sh serve mit PID` (stopped by PID when this process exits). When they cannot
//! start, each test skips loudly (and fails under CI=true).

use secur32::packages::kerberos::asn1::{error_code, EncTicketPart, KerberosFlags, Ticket};
use secur32::packages::kerberos::config::Config;
use secur32::packages::kerberos::crypto::{Etype, Key};
use secur32::packages::kerberos::kdc::{
    as_exchange, service_principal, tgs_exchange, KdcAddr, KdcSettings, TgsOptions, Transport,
};
use secur32::packages::kerberos::{name_type, Credential, Principal};
use secur32::status::Error;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Env {
    realm: String,
    settings: KdcSettings,
    kind: String,
}

/// The KDC variables: from this process's environment, or from a KDC started here.
fn kdc_vars() -> Option<&'static HashMap<String, String>> {
    static VARS: OnceLock<Option<HashMap<String, String>>> = OnceLock::new();
    VARS.get_or_init(|| {
        if std::env::var("KDC_PORT").is_ok() {
            return Some(std::env::vars().collect());
        }
        let root = env!("CARGO_MANIFEST_DIR");
        let out = std::process::Command::new("bash")
            .arg(format!("{root}/tests/kerberos/kdc-tests.sh"))
            .args(["serve", "mit", &std::process::id().to_string()])
            .stderr(std::process::Stdio::inherit())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .filter_map(|l| l.strip_prefix("export "))
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
                    .collect(),
            ),
            other => {
                let why = format!("{other:?}");
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "the MIT KDC did not start (CI=true: no skipping): {why}"
                );
                eprintln!("\n*** SKIPPED: the MIT KDC could not start here: {why}\n");
                None
            }
        }
    })
    .as_ref()
}

fn env() -> Option<Env> {
    let vars = kdc_vars()?;
    let port: u16 = var("KDC_PORT").parse().expect("KDC_PORT");
    let realm = var("REALM");
    // The KDC list comes from the KDC's krb5.conf, as in use.
    let conf = std::fs::read_to_string(var("KRB5_CONFIG")).expect("KRB5_CONFIG");
    let settings = KdcSettings::from_config(&Config::parse(&conf, false));
    let ports: Vec<u16> = settings.kdcs(&realm).iter().map(|k| k.port).collect();
    assert_eq!(ports, [port], "krb5.conf's KDC for {realm}");
    Some(Env {
        realm,
        settings,
        kind: vars.get("KDC_KIND").cloned().unwrap_or_default(),
    })
}

fn var(name: &str) -> String {
    kdc_vars()
        .and_then(|v| v.get(name).cloned())
        .unwrap_or_else(|| panic!("{name} unset"))
}

fn user(e: &Env, name: &str) -> Principal {
    Principal {
        name_type: name_type::NT_PRINCIPAL,
        components: vec![name.into()],
        realm: e.realm.clone(),
    }
}

fn tgt(e: &Env) -> Credential {
    as_exchange(
        &e.settings,
        &user(e, &var("USER1")),
        &var("USER1_PASSWORD"),
        &[],
    )
    .expect("AS user1")
}

/// The keys of `principal` in KRB5_KTNAME, read with MIT's `klist -k -K -e`.
fn keytab_keys(kt: &str, principal: &str) -> Vec<Key> {
    let out = std::process::Command::new("klist")
        .args(["-k", "-K", "-e", kt])
        .output()
        .expect("klist");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut keys = Vec::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (_kvno, name) = match (f.next(), f.next()) {
            (Some(k), Some(n)) => (k, n),
            _ => continue,
        };
        if name != principal {
            continue;
        }
        let rest: Vec<&str> = f.collect();
        let etype = rest
            .first()
            .map(|s| {
                s.trim_matches(|c| c == '(' || c == ')')
                    .trim_start_matches("DEPRECATED:")
            })
            .and_then(Etype::from_name);
        let hex = rest.last().map(|s| {
            s.trim_matches(|c| c == '(' || c == ')')
                .trim_start_matches("0x")
        });
        if let (Some(etype), Some(hex)) = (etype, hex) {
            let bytes: Vec<u8> = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            keys.push(Key::new(etype, &bytes).expect("key length"));
        }
    }
    keys
}

/// Decrypts the service ticket with the service's keytab key (key usage 2): the ticket is real.
fn verify_ticket(cred: &Credential, service: &str) -> EncTicketPart {
    verify_ticket_with(cred, service, &var("KRB5_KTNAME"))
}

fn verify_ticket_with(cred: &Credential, service: &str, kt: &str) -> EncTicketPart {
    let ticket = Ticket::from_bytes(&cred.ticket).unwrap();
    let keys = keytab_keys(kt, service);
    let key = keys
        .iter()
        .find(|k| k.etype().to_i32() == ticket.enc_part.etype)
        .unwrap_or_else(|| {
            panic!(
                "no {service} key of etype {} in the keytab",
                ticket.enc_part.etype
            )
        });
    let plain = key
        .decrypt(2, ticket.enc_part.cipher.as_bytes())
        .expect("ticket decrypts with the keytab key");
    let part = EncTicketPart::from_bytes(&plain).unwrap();
    assert_eq!(
        part.key.keyvalue.0.as_slice(),
        cred.key.bytes(),
        "session key in the ticket"
    );
    assert_eq!(
        part.cname.to_text().to_lowercase(),
        cred.client.components.join("/").to_lowercase()
    );
    part
}

#[test]
fn as_exchange_user1() {
    let Some(e) = env() else { return };
    let t0 = Instant::now();
    let c = tgt(&e);
    eprintln!("AS exchange (with preauth round) took {:?}", t0.elapsed());
    assert_eq!(c.server.components, ["krbtgt", e.realm.as_str()]);
    assert_eq!(c.client.realm, e.realm);
    let f = KerberosFlags(c.flags);
    assert!(
        f.bit(9) && f.bit(10),
        "initial + pre-authent: {:#x}",
        c.flags
    );
    assert!(c.end_time > c.auth_time);
    // TCP only (every request is above the UDP preference limit): the same result.
    let mut tcp = e.settings.clone();
    tcp.udp_preference_limit = 1;
    let c2 = as_exchange(&tcp, &user(&e, &var("USER1")), &var("USER1_PASSWORD"), &[])
        .expect("AS over TCP");
    assert_eq!(c2.client, c.client);
}

#[test]
fn as_exchange_each_enctype() {
    let Some(e) = env() else { return };
    if e.kind != "mit" {
        eprintln!("SKIPPED: single-enctype users exist in the MIT realm only");
        return;
    }
    for (u, etype) in [
        ("user_aes256", Etype::Aes256CtsHmacSha196),
        ("user_aes128", Etype::Aes128CtsHmacSha196),
        ("user_sha256", Etype::Aes128CtsHmacSha256128),
        ("user_sha384", Etype::Aes256CtsHmacSha384192),
        ("user_rc4", Etype::Rc4Hmac),
    ] {
        // All enctypes offered: the KDC picks the user's only key.
        let c = as_exchange(&e.settings, &user(&e, u), &var("USER_PASSWORD"), &[])
            .unwrap_or_else(|x| panic!("{u}: {x}"));
        assert_eq!(c.client.components, [u]);
        // Only that enctype offered: the session key is of it too.
        let c = as_exchange(&e.settings, &user(&e, u), &var("USER_PASSWORD"), &[etype])
            .unwrap_or_else(|x| panic!("{u}: {x}"));
        assert_eq!(c.key.etype(), etype, "{u}");
    }
    // A user whose only key is RC4 asked for AES only: no common enctype.
    let x = as_exchange(
        &e.settings,
        &user(&e, "user_rc4"),
        &var("USER_PASSWORD"),
        &[Etype::Aes256CtsHmacSha196],
    )
    .unwrap_err();
    assert_eq!(x.error, Error::AlgorithmMismatch, "{x}");
}

#[test]
fn as_exchange_failures() {
    let Some(e) = env() else { return };
    let x = as_exchange(&e.settings, &user(&e, &var("USER1")), "wrong password", &[]).unwrap_err();
    assert_eq!(x.error, Error::LogonDenied, "{x}");
    let code = x.krb_error.as_ref().map(|k| k.error_code);
    assert!(
        matches!(
            code,
            Some(error_code::KDC_ERR_PREAUTH_FAILED) | Some(error_code::KRB_AP_ERR_BAD_INTEGRITY)
        ),
        "{x}"
    );
    let x = as_exchange(&e.settings, &user(&e, "no_such_user"), "x", &[]).unwrap_err();
    assert_eq!(x.error, Error::LogonDenied, "{x}");
    assert_eq!(
        x.krb_error.map(|k| k.error_code),
        Some(error_code::KDC_ERR_C_PRINCIPAL_UNKNOWN)
    );
    // Unknown realm.
    let mut p = user(&e, "user1");
    p.realm = "UNKNOWN.REALM".into();
    assert_eq!(
        as_exchange(&e.settings, &p, "x", &[]).unwrap_err().error,
        Error::NoAuthenticatingAuthority
    );
}

#[test]
fn no_kdc_answering_is_bounded() {
    let Some(e) = env() else { return };
    // A port nobody listens on (UDP and TCP refused) and a UDP socket that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let closed = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    for port in [closed, silent.local_addr().unwrap().port()] {
        let mut s = e.settings.clone();
        s.realms = vec![];
        s.config = None;
        s.realms.push((
            e.realm.clone(),
            vec![KdcAddr {
                host: "127.0.0.1".into(),
                port,
                transport: Transport::Any,
            }],
        ));
        let t0 = Instant::now();
        let x = as_exchange(&s, &user(&e, "user1"), "x", &[]).unwrap_err();
        let took = t0.elapsed();
        eprintln!("no KDC on port {port}: {:?} after {took:?}", x.error);
        assert_eq!(x.error, Error::NoAuthenticatingAuthority);
        assert!(
            took <= s.total_timeout + Duration::from_millis(500),
            "{took:?}"
        );
    }
}

#[test]
fn tgs_exchange_service_ticket_decrypts_with_keytab() {
    let Some(e) = env() else { return };
    let t = tgt(&e);
    let spn = var("SERVICE");
    let svc = service_principal(&spn, &e.realm).unwrap();
    let t0 = Instant::now();
    let c = tgs_exchange(&e.settings, &t, &svc, &TgsOptions::default()).expect("TGS");
    eprintln!("TGS exchange took {:?}", t0.elapsed());
    assert_eq!(
        c.server.components.join("/").to_lowercase(),
        spn.to_lowercase()
    );
    assert_eq!(c.client, t.client);
    assert!(KerberosFlags(c.flags).bit(1), "forwardable: {:#x}", c.flags);
    let part = verify_ticket(&c, &format!("{spn}@{}", e.realm));
    assert_eq!(part.crealm.0, e.realm);
}

#[test]
fn tgs_exchange_each_service_enctype() {
    let Some(e) = env() else { return };
    if e.kind != "mit" {
        eprintln!("SKIPPED: single-enctype services exist in the MIT realm only");
        return;
    }
    let t = tgt(&e);
    for (svc, etype) in [
        ("svc-aes256/localhost", 18),
        ("svc-aes128/localhost", 17),
        ("svc-sha256/localhost", 19),
        ("svc-sha384/localhost", 20),
        ("svc-rc4/localhost", 23),
    ] {
        let p = service_principal(svc, &e.realm).unwrap();
        let c = tgs_exchange(&e.settings, &t, &p, &TgsOptions::default())
            .unwrap_or_else(|x| panic!("{svc}: {x}"));
        assert_eq!(
            Ticket::from_bytes(&c.ticket).unwrap().enc_part.etype,
            etype,
            "{svc}"
        );
        verify_ticket(&c, &format!("{svc}@{}", e.realm));
    }
}

#[test]
fn tgs_exchange_unknown_service() {
    let Some(e) = env() else { return };
    let t = tgt(&e);
    let p = service_principal("HTTP/no-such-host.invalid", &e.realm).unwrap();
    let x = tgs_exchange(&e.settings, &t, &p, &TgsOptions::default()).unwrap_err();
    assert_eq!(x.error, Error::TargetUnknown, "{x}");
    assert_eq!(
        x.krb_error.map(|k| k.error_code),
        Some(error_code::KDC_ERR_S_PRINCIPAL_UNKNOWN)
    );
}

#[test]
fn tgs_exchange_samba_aes_service() {
    let Some(e) = env() else { return };
    if e.kind != "samba" {
        eprintln!("SKIPPED: AES_SERVICE exists in the Samba realm only");
        return;
    }
    let t = tgt(&e);
    let p = service_principal(&var("AES_SERVICE"), &e.realm).unwrap();
    let c = tgs_exchange(&e.settings, &t, &p, &TgsOptions::default()).expect("TGS");
    // msDS-SupportedEncryptionTypes 0x18: an aes256 ticket, keyed with the account's key.
    assert_eq!(Ticket::from_bytes(&c.ticket).unwrap().enc_part.etype, 18);
    verify_ticket(&c, &format!("{}@{}", var("AES_SERVICE_ACCOUNT"), e.realm));
}

/// The second MIT realm of kdc-tests.sh (OTHER_REALM), or None (skipped with a message).
fn other(e: &Env) -> Option<(String, KdcSettings)> {
    if e.kind != "mit" {
        eprintln!("SKIPPED: the second realm exists with the MIT KDC only");
        return None;
    }
    let realm = var("OTHER_REALM");
    let port: u16 = var("OTHER_KDC_PORT").parse().unwrap();
    let mut s = e.settings.clone();
    s.realms.push((
        realm.clone(),
        vec![KdcAddr {
            host: "127.0.0.1".into(),
            port,
            transport: Transport::Any,
        }],
    ));
    Some((realm, s))
}

#[test]
fn tgs_exchange_cross_realm() {
    let Some(e) = env() else { return };
    let Some((realm, settings)) = other(&e) else {
        return;
    };
    let t = tgt(&e);
    let p = service_principal(&format!("HTTP/other.localhost@{realm}"), &e.realm).unwrap();
    let c = tgs_exchange(&settings, &t, &p, &TgsOptions::default()).expect("cross-realm TGS");
    assert_eq!(c.server.realm, realm);
    assert_eq!(c.client, t.client);
    let part = verify_ticket_with(
        &c,
        &format!("HTTP/other.localhost@{realm}"),
        &var("OTHER_KTNAME"),
    );
    assert_eq!(part.crealm.0, e.realm);
    // The KDC of OTHER.TEST is unknown: no authority.
    let x = tgs_exchange(&e.settings, &t, &p, &TgsOptions::default()).unwrap_err();
    assert_eq!(x.error, Error::NoAuthenticatingAuthority, "{x}");
}

#[test]
fn tcp_fallback_on_response_too_big() {
    use secur32::packages::kerberos::asn1::{
        msg_type, App, AsReq, KdcReq, KdcReqBody, KerberosTime, KrbError, PrincipalName, UInt32,
    };
    use secur32::packages::kerberos::kdc::transport::send_to_realm;
    let Some(e) = env() else { return };
    let Some((realm, settings)) = other(&e) else {
        return;
    };
    // Two distinct requests: MIT's KDC replays a repeated request from its lookaside cache.
    let req = |nonce: u32| {
        AsReq::from(App(KdcReq {
            pvno: 5,
            msg_type: msg_type::AS_REQ,
            padata: None,
            req_body: KdcReqBody {
                kdc_options: KerberosFlags(0),
                cname: Some(PrincipalName::new(1, &["nobody"])),
                realm: realm.as_str().into(),
                sname: Some(PrincipalName::new(2, &["krbtgt", &realm])),
                from: None,
                till: KerberosTime(2_000_000_000),
                rtime: None,
                nonce: UInt32(nonce),
                etype: vec![18],
                addresses: None,
                enc_authorization_data: None,
                additional_tickets: None,
            },
        }))
        .to_bytes()
        .unwrap()
    };
    // Over UDP the KDC refuses to send its answer…
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    sock.send_to(
        &req(7),
        ("127.0.0.1", var("OTHER_KDC_PORT").parse::<u16>().unwrap()),
    )
    .unwrap();
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).unwrap();
    assert_eq!(
        KrbError::from_bytes(&buf[..n]).unwrap().error_code,
        error_code::KRB_ERR_RESPONSE_TOO_BIG
    );
    // …so the transport asks again over TCP and gets it.
    let reply = send_to_realm(&settings, &realm, &req(8)).expect("reply over TCP");
    assert_eq!(
        KrbError::from_bytes(&reply).unwrap().error_code,
        error_code::KDC_ERR_C_PRINCIPAL_UNKNOWN
    );
}

#[test]
fn as_exchange_clock_skew() {
    let Some(e) = env() else { return };
    // A client clock one hour ahead: the KDC answers KRB_AP_ERR_SKEW to PA-ENC-TIMESTAMP.
    let mut s = e.settings.clone();
    s.clock_offset = 3600;
    s.kdc_timesync = false;
    let x = as_exchange(&s, &user(&e, &var("USER1")), &var("USER1_PASSWORD"), &[]).unwrap_err();
    assert_eq!(x.error, Error::TimeSkew, "{x}");
    assert_eq!(
        x.krb_error.map(|k| k.error_code),
        Some(error_code::KRB_AP_ERR_SKEW)
    );
    // With kdc_timesync (the default) the exchange retries with the KDC's time and succeeds.
    s.kdc_timesync = true;
    let c = as_exchange(&s, &user(&e, &var("USER1")), &var("USER1_PASSWORD"), &[])
        .expect("AS after skew recovery");
    assert_eq!(c.client.components, [var("USER1")]);
}

/// A UDP relay in front of the real KDC that passes every reply through `alter` (a hostile
/// network); returns its port. The thread ends after 20 s without traffic.
fn hostile_relay(kdc_port: u16, alter: impl Fn(Vec<u8>) -> Vec<u8> + Send + 'static) -> u16 {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    std::thread::spawn(move || {
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut buf = vec![0u8; 65536];
        while let Ok((n, client)) = sock.recv_from(&mut buf) {
            let up = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            up.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            up.send_to(&buf[..n], ("127.0.0.1", kdc_port)).unwrap();
            let mut r = vec![0u8; 65536];
            if let Ok(m) = up.recv(&mut r) {
                r.truncate(m);
                let _ = sock.send_to(&alter(r), client);
            }
        }
    });
    port
}

fn via(e: &Env, port: u16) -> KdcSettings {
    KdcSettings {
        realms: vec![(
            e.realm.clone(),
            vec![KdcAddr {
                host: "127.0.0.1".into(),
                port,
                transport: Transport::Udp,
            }],
        )],
        config: None,
        total_timeout: Duration::from_secs(3),
        ..KdcSettings::default()
    }
}

fn kdc_port() -> u16 {
    var("KDC_PORT").parse().unwrap()
}

#[test]
fn hostile_as_replies_refused() {
    let Some(e) = env() else { return };
    if e.kind != "mit" {
        eprintln!("SKIPPED: Samba's AS-REP goes over TCP (too big for UDP); the relay is UDP");
        return;
    }
    let u = user(&e, &var("USER1"));
    let pw = var("USER1_PASSWORD");
    let is = |b: &[u8], tag: u8| b.first() == Some(&(0x60 | tag));
    // The enc-part's last byte (inside the integrity-protected ciphertext) flipped.
    let p = hostile_relay(kdc_port(), move |mut r| {
        if is(&r, 11) {
            *r.last_mut().unwrap() ^= 1;
        }
        r
    });
    let x = as_exchange(&via(&e, p), &u, &pw, &[]).unwrap_err();
    assert_eq!(x.error, Error::InternalError, "{x}");
    assert!(x.detail.contains("integrity"), "{x}");
    // Truncated replies (the KRB-ERROR, then the AS-REP).
    for tag in [30u8, 11] {
        let p = hostile_relay(kdc_port(), move |mut r| {
            if is(&r, tag) {
                r.truncate(r.len() / 2);
            }
            r
        });
        let x = as_exchange(&via(&e, p), &u, &pw, &[]).unwrap_err();
        // A malformed KDC reply: SEC_E_INTERNAL_ERROR.
        assert_eq!(x.error, Error::InternalError, "tag {tag}: {x}");
        assert!(x.detail.contains("malformed"), "{x}");
    }
    // An old AS-REP replayed in place of the new one: the nonce does not match.
    let stored = std::sync::Arc::new(std::sync::Mutex::new(None::<Vec<u8>>));
    let s2 = stored.clone();
    let p = hostile_relay(kdc_port(), move |r| {
        if !is(&r, 11) {
            return r;
        }
        let mut old = s2.lock().unwrap();
        match old.as_ref() {
            Some(o) => o.clone(),
            None => {
                *old = Some(r.clone());
                r
            }
        }
    });
    as_exchange(&via(&e, p), &u, &pw, &[]).expect("first exchange passes");
    let x = as_exchange(&via(&e, p), &u, &pw, &[]).unwrap_err();
    assert_eq!(x.error, Error::InternalError, "{x}");
    assert!(x.detail.contains("nonce"), "{x}");
    // Bit flips all over the AS-REP: never a panic; whatever is accepted decrypted and matched.
    let mut accepted = 0;
    for i in (0..800).step_by(23) {
        let p = hostile_relay(kdc_port(), move |mut r| {
            if is(&r, 11) && i < r.len() {
                r[i] ^= 0x10;
            }
            r
        });
        if let Ok(c) = as_exchange(&via(&e, p), &u, &pw, &[]) {
            accepted += 1;
            assert_eq!(c.client.components, [var("USER1")]);
        }
    }
    eprintln!("bit-flipped AS-REPs accepted (flip outside the protected parts): {accepted}");
}

#[test]
fn hostile_tgs_reply_refused() {
    let Some(e) = env() else { return };
    if e.kind != "mit" {
        eprintln!("SKIPPED: Samba's replies go over TCP (too big for UDP); the relay is UDP");
        return;
    }
    let t = tgt(&e);
    let p = hostile_relay(kdc_port(), |mut r| {
        if r.first() == Some(&0x6d) {
            *r.last_mut().unwrap() ^= 1;
        }
        r
    });
    let svc = service_principal(&var("SERVICE"), &e.realm).unwrap();
    let x = tgs_exchange(&via(&e, p), &t, &svc, &TgsOptions::default()).unwrap_err();
    assert_eq!(x.error, Error::InternalError, "{x}");
    assert!(x.detail.contains("does not decrypt"), "{x}");
}

#[test]
fn tgs_exchange_follows_kdc_referral() {
    let Some(e) = env() else { return };
    let Some((realm, settings)) = other(&e) else {
        return;
    };
    let t = tgt(&e);
    // Asked of MIT.TEST's KDC, which maps *.other.test to OTHER.TEST and answers with a
    // referral TGT (krbtgt/OTHER.TEST@MIT.TEST) for this host-based name (RFC 6806 §8).
    let svc = Principal {
        name_type: name_type::NT_SRV_HST,
        components: vec!["HTTP".into(), "www.other.test".into()],
        realm: e.realm.clone(),
    };
    let c = tgs_exchange(&settings, &t, &svc, &TgsOptions::default()).expect("TGS via referral");
    assert_eq!(c.server.realm, realm);
    assert_eq!(c.server.components, ["HTTP", "www.other.test"]);
    verify_ticket_with(
        &c,
        &format!("HTTP/www.other.test@{realm}"),
        &var("OTHER_KTNAME"),
    );
    // With no referral hop allowed, the chain stops.
    let mut s = settings.clone();
    s.max_referrals = 0;
    let x = tgs_exchange(&s, &t, &svc, &TgsOptions::default()).unwrap_err();
    assert_eq!(x.error, Error::NoAuthenticatingAuthority, "{x}");
}
