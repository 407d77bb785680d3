//! ccache and keytab against files written by real peers: MIT `kinit`/`kvno`/`kadmin.local
//! ktadd`/`ktutil` (tests/kerberos/mit-kdc.sh) and Samba `exportkeytab` (samba-kdc.sh), compared
//! with what MIT's `klist` reports; and caches we `store` into, read back by MIT.

use super::ccache::{ccache_path, Ccache};
use super::config::etype_from_name;
use super::crypto::Etype;
use super::keytab::Keytab;
use super::test_kdc::{klist_time, TestKdc};
use super::{Credential, Principal};

fn display(p: &Principal) -> String {
    format!("{}@{}", p.components.join("/"), p.realm)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An enctype as klist names it (`DEPRECATED:` prefix removed).
fn klist_etype(name: &str) -> Etype {
    etype_from_name(name.trim().trim_start_matches("DEPRECATED:"))
        .unwrap_or_else(|| panic!("enctype {name}"))
}

/// MIT klist's flag letters (`klist -f`) for TicketFlags.
fn flag_letters(f: u32) -> String {
    const L: [(u32, char); 14] = [
        (0x4000_0000, 'F'),
        (0x2000_0000, 'f'),
        (0x1000_0000, 'P'),
        (0x0800_0000, 'p'),
        (0x0400_0000, 'D'),
        (0x0200_0000, 'd'),
        (0x0080_0000, 'R'),
        (0x0040_0000, 'I'),
        (0x0100_0000, 'i'),
        (0x0010_0000, 'H'),
        (0x0020_0000, 'A'),
        (0x0008_0000, 'T'),
        (0x0004_0000, 'O'),
        (0x0000_8000, 'a'),
    ];
    L.iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, c)| *c)
        .collect()
}

/// One credential as `klist -e -f` prints it (LC_ALL=C, TZ=UTC).
#[derive(Debug, PartialEq)]
struct Listed {
    start: String,
    end: String,
    server: String,
    renew: Option<String>,
    flags: String,
    skey: Etype,
}

fn parse_klist(out: &str) -> (String, Vec<Listed>) {
    let default = out
        .lines()
        .find_map(|l| l.strip_prefix("Default principal: "))
        .expect("default principal")
        .to_owned();
    let mut v = Vec::new();
    let lines: Vec<&str> = out.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() != 5 || !f[0].contains('/') || !f[1].contains(':') {
            continue;
        }
        let mut renew = None;
        let mut flags = String::new();
        let mut skey = None;
        for m in &lines[i + 1..(i + 3).min(lines.len())] {
            let m = m.trim();
            if let Some(r) = m.strip_prefix("renew until ") {
                renew = Some(r[..17].to_owned());
            }
            if let Some(i) = m.find("Flags: ") {
                flags = m[i + 7..].trim().to_owned();
            }
            if let Some(e) = m.strip_prefix("Etype (skey, tkt): ") {
                skey = Some(klist_etype(e.split(',').next().unwrap_or("")));
            }
        }
        v.push(Listed {
            start: format!("{} {}", f[0], f[1]),
            end: format!("{} {}", f[2], f[3]),
            server: f[4].to_owned(),
            renew,
            flags,
            skey: skey.expect("Etype line"),
        });
    }
    (default, v)
}

fn listed(c: &Credential) -> Listed {
    Listed {
        start: klist_time(c.start_time.unwrap_or(c.auth_time)),
        end: klist_time(c.end_time),
        server: display(&c.server),
        renew: c
            .renew_till
            .filter(|_| c.flags & 0x0080_0000 != 0)
            .map(klist_time),
        flags: flag_letters(c.flags),
        skey: c.key.etype(),
    }
}

/// Our reading of the cache equals `klist -e -f`'s.
fn assert_same_as_klist(kdc: &TestKdc, cc: &str, env: &[(&str, &str)]) -> Ccache {
    let mut e = vec![("KRB5CCNAME", cc)];
    e.extend_from_slice(env);
    let (default, want) = parse_klist(&kdc.run_env("klist", &["-e", "-f"], "", &e));
    let ours = Ccache::open_name(cc).unwrap_or_else(|e| panic!("{cc}: {e:?}"));
    assert_eq!(display(ours.default_principal()), default);
    let got: Vec<Listed> = ours.credentials().iter().map(listed).collect();
    assert_eq!(got, want, "{cc}");
    ours
}

/// The keytab's entries as `klist -k -K -e -t` prints them: (kvno, time, principal, etype, key).
fn klist_keytab(kdc: &TestKdc, kt: &str) -> Vec<(u32, String, String, Etype, String)> {
    let out = kdc.run("klist", &["-k", "-K", "-e", "-t", kt], "");
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let kvno = f.first()?.parse().ok()?;
            Some((
                kvno,
                format!("{} {}", f[1], f[2]),
                f[3].to_owned(),
                klist_etype(f[4].trim_matches(['(', ')'])),
                f[5].trim_matches(['(', ')'])
                    .trim_start_matches("0x")
                    .to_owned(),
            ))
        })
        .collect()
}

fn assert_keytab_same_as_klist(kdc: &TestKdc, kt: &str) -> Keytab {
    let want = klist_keytab(kdc, kt);
    let ours = Keytab::open_name(kt).unwrap_or_else(|e| panic!("{kt}: {e:?}"));
    let got: Vec<_> = ours
        .entries
        .iter()
        .map(|e| {
            (
                e.kvno,
                klist_time(e.timestamp as i64),
                display(&e.principal),
                e.key.etype(),
                hex(e.key.bytes()),
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want, "{kt}");
    ours
}

fn principal(s: &str) -> Principal {
    let (name, realm) = s.rsplit_once('@').expect("realm");
    Principal {
        name_type: super::name_type::NT_PRINCIPAL,
        components: name.split('/').map(str::to_owned).collect(),
        realm: realm.to_owned(),
    }
}

/// MIT's initiator (python3-gssapi) uses `ccache`'s ticket and session key for HTTP/localhost,
/// and its acceptor checks them with the keytab: proves a stored credential whole.
fn gssapi_uses_cached_ticket(kdc: &TestKdc, ccache: &str) -> bool {
    const PY: &str = r#"
import gssapi
n = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
c = gssapi.SecurityContext(name=n, usage="initiate")
s = gssapi.SecurityContext(creds=gssapi.Credentials(usage="accept"))
t = c.step()
while not (c.complete and s.complete):
    t = s.step(t)
    if not c.complete:
        t = c.step(t)
assert s.unwrap(c.wrap(b"ccache", True).message).message == b"ccache"
print("ok", s.initiator_name)
"#;
    let probe = std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import gssapi"])
        .status();
    if !matches!(probe, Ok(s) if s.success()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3-gssapi missing on CI"
        );
        eprintln!(
            "\n*** SKIPPED part: python3-gssapi not installed (scripts/setup.sh installs it)\n"
        );
        return false;
    }
    let out = kdc.run_env(
        "/usr/bin/python3",
        &["-c", PY],
        "",
        &[("KRB5CCNAME", ccache)],
    );
    assert!(out.starts_with("ok user1@"), "{out}");
    true
}

#[test]
fn mit_ccache_all_versions_parse_and_store() {
    let Some(kdc) = TestKdc::start("mit", false) else {
        return;
    };
    let dir = kdc.dir.to_str().expect("utf-8").to_owned();
    let realm = kdc.var("REALM").to_owned();
    let pw = format!("{}\n", kdc.var("USER1_PASSWORD"));
    let services = [
        "HTTP/localhost",
        "svc-aes128/localhost",
        "svc-sha256/localhost",
        "svc-sha384/localhost",
        "svc-rc4/localhost",
    ];
    let mut stored = Vec::new();
    for v in 1..=4u8 {
        let conf = format!("{dir}/v{v}.conf");
        std::fs::write(&conf, format!("[libdefaults]\n\tccache_type = {v}\n")).unwrap();
        let krb5_config = format!("{}:{conf}", kdc.var("KRB5_CONFIG"));
        let env = [("KRB5_CONFIG", krb5_config.as_str())];
        let cc = format!("FILE:{dir}/cc{v}");
        let with_cc = [env[0], ("KRB5CCNAME", cc.as_str())];
        kdc.run_env("kinit", &["user1"], &pw, &with_cc);
        let mut args = vec!["-q"];
        args.extend(services);
        kdc.run_env("kvno", &args, "", &with_cc);
        let ours = assert_same_as_klist(&kdc, &cc, &env);
        assert_eq!(ours.version(), v);
        assert_eq!(ours.credentials().len(), 1 + services.len());
        let tgt = ours.tgt(&realm).expect("TGT");
        assert_eq!(tgt.key.etype(), Etype::Aes256CtsHmacSha196);
        assert_eq!(tgt.client, *ours.default_principal());
        assert!(
            tgt.ticket.first() == Some(&0x61),
            "Ticket is [APPLICATION 1]"
        );
        let http = ours
            .find(&principal(&format!("HTTP/localhost@{realm}")))
            .expect("HTTP");
        assert!(ours
            .find(&principal(&format!("HTTP/other@{realm}")))
            .is_none());

        // Store the service ticket into a fresh cache of the same version: MIT's klist lists it
        // with the same times and enctype.
        let fresh = format!("FILE:{dir}/fresh{v}");
        kdc.run_env(
            "kinit",
            &["user1"],
            &pw,
            &[env[0], ("KRB5CCNAME", fresh.as_str())],
        );
        let mut f = Ccache::open_name(&fresh).unwrap();
        assert_eq!(f.credentials().len(), 1);
        f.store(http).unwrap();
        let back = assert_same_as_klist(&kdc, &fresh, &env);
        assert_eq!(back.credentials().len(), 2);
        assert_eq!(
            back.find(&http.server).map(|c| c.key.bytes()),
            Some(http.key.bytes())
        );
        stored.push(fresh);
    }
    // With the KDC gone, MIT's GSSAPI can only use the ticket and session key we stored.
    kdc.stop();
    for fresh in &stored {
        if !gssapi_uses_cached_ticket(&kdc, fresh) {
            break;
        }
    }
}

#[test]
fn mit_dir_collection() {
    let Some(kdc) = TestKdc::start("mit", false) else {
        return;
    };
    let coll = format!("DIR:{}/coll", kdc.dir.display());
    std::fs::create_dir_all(kdc.dir.join("coll")).unwrap();
    let pw1 = format!("{}\n", kdc.var("USER1_PASSWORD"));
    let pw2 = format!("{}\n", kdc.var("USER_PASSWORD"));
    kdc.run_env("kinit", &["user1"], &pw1, &[("KRB5CCNAME", &coll)]);
    kdc.run_env("kinit", &["user_aes128"], &pw2, &[("KRB5CCNAME", &coll)]);
    // MIT made the newest cache primary: klist and we agree on which it is.
    let c = assert_same_as_klist(&kdc, &coll, &[]);
    assert_eq!(c.default_principal().components, ["user_aes128"]);
    let primary = std::fs::read_to_string(kdc.dir.join("coll/primary")).unwrap();
    assert_eq!(c.path(), kdc.dir.join("coll").join(primary.trim()));
    // DIR::path names one file of the collection: the other one holds user1.
    let other = std::fs::read_dir(kdc.dir.join("coll"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().is_some_and(|n| n != "primary") && p.as_path() != c.path())
        .expect("second cache");
    let sub = format!("DIR::{}", other.display());
    let u1 = assert_same_as_klist(&kdc, &sub, &[]);
    assert_eq!(u1.default_principal().components, ["user1"]);
    assert_eq!(ccache_path(&sub).unwrap(), other);
}

/// ktutil reads keys and passwords with its own buffered reads: one line at a time, paced.
fn ktutil(kdc: &TestKdc, lines: &[&str]) {
    use std::io::Write;
    let mut child = kdc
        .cmd("ktutil")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ktutil");
    let mut stdin = child.stdin.take().unwrap();
    for l in lines {
        writeln!(stdin, "{l}").unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn mit_keytabs_ktadd_ktutil_ktremove() {
    let Some(kdc) = TestKdc::start("mit", false) else {
        return;
    };
    let realm = kdc.var("REALM").to_owned();
    // kadmin.local ktadd (by mit-kdc.sh): 15 keys, kvno 1.
    let kt = kdc.var("KRB5_KTNAME").to_owned();
    let ours = assert_keytab_same_as_klist(&kdc, &kt);
    assert_eq!(ours.entries.len(), 15);
    let http = principal(&format!("HTTP/localhost@{realm}"));
    for e in [
        Etype::Aes256CtsHmacSha196,
        Etype::Aes128CtsHmacSha196,
        Etype::Aes128CtsHmacSha256128,
        Etype::Aes256CtsHmacSha384192,
        Etype::Rc4Hmac,
    ] {
        let k = ours.find(&http, None, e).expect("HTTP key");
        assert_eq!((k.kvno, k.key.etype()), (1, e));
        assert!(ours.find(&http, Some(2), e).is_none());
    }
    let rc4only = principal(&format!("svc-rc4/localhost@{realm}"));
    assert!(ours
        .find(&rc4only, None, Etype::Aes256CtsHmacSha196)
        .is_none());
    assert!(ours.find(&rc4only, Some(1), Etype::Rc4Hmac).is_some());

    // ktutil: a 32-bit kvno (300), a password-derived key, and a key re-added with kvno 4.
    let kt2 = kdc.dir.join("ktutil.keytab");
    ktutil(
        &kdc,
        &[
            &format!("addent -key -p big@{realm} -k 300 -e rc4-hmac"),
            "00112233445566778899aabbccddeeff",
            &format!("addent -password -p user1@{realm} -k 3 -e aes256-cts-hmac-sha1-96"),
            kdc.var("USER1_PASSWORD"),
            &format!("addent -key -p user1@{realm} -k 4 -e aes256-cts-hmac-sha1-96"),
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            &format!("wkt {}", kt2.display()),
        ],
    );
    let kt2 = format!("FILE:{}", kt2.display());
    let ours = assert_keytab_same_as_klist(&kdc, &kt2);
    let big = principal(&format!("big@{realm}"));
    assert_eq!(
        ours.find(&big, None, Etype::Rc4Hmac).map(|e| e.kvno),
        Some(300)
    );
    let u1 = principal(&format!("user1@{realm}"));
    let newest = ours.find(&u1, None, Etype::Aes256CtsHmacSha196).unwrap();
    assert_eq!((newest.kvno, newest.key.bytes()[31]), (4, 0x1f));
    assert_eq!(
        ours.find(&u1, Some(3), Etype::Aes256CtsHmacSha196)
            .map(|e| e.kvno),
        Some(3)
    );

    // ktremove leaves holes (negative record lengths) in place: skipped as MIT skips them.
    let path = kt.trim_start_matches("FILE:");
    kdc.run(
        "kadmin.local",
        &[
            "-r",
            &realm,
            "-q",
            &format!("ktremove -k {path} HTTP/localhost all"),
        ],
        "",
    );
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes[2..].chunks(4).any(|c| c.first() == Some(&0xff)),
        "expected a hole record"
    );
    let ours = assert_keytab_same_as_klist(&kdc, &kt);
    assert_eq!(ours.entries.len(), 10);
    assert!(ours.find(&http, None, Etype::Aes256CtsHmacSha196).is_none());
}

#[test]
fn samba_ccache_and_keytab() {
    let Some(kdc) = TestKdc::start("samba", true) else {
        return;
    };
    let realm = kdc.var("REALM").to_owned();
    kdc.run(
        "kvno",
        &["-q", "HTTP/localhost", "HTTP/svc-aes.localhost"],
        "",
    );
    let cc = kdc.var("KRB5CCNAME").to_owned();
    let ours = assert_same_as_klist(&kdc, &cc, &[]);
    // AD: an RC4 ticket for an account without msDS-SupportedEncryptionTypes, AES session key.
    let http = ours
        .find(&principal(&format!("HTTP/localhost@{realm}")))
        .unwrap();
    assert_eq!(http.key.etype(), Etype::Aes256CtsHmacSha196);
    let kt = assert_keytab_same_as_klist(&kdc, kdc.var("KRB5_KTNAME"));
    let spn = principal(&format!("HTTP/localhost@{realm}"));
    assert!(kt.find(&spn, None, Etype::Rc4Hmac).is_some());
    let acct = principal(&format!("svc_aes@{realm}"));
    assert!(kt.find(&acct, None, Etype::Aes256CtsHmacSha196).is_some());
}
