//! Round trips and decoding of real messages captured from MIT's KDC
//! (tests/data/kerberos/mit, see its README).

use super::*;
use der::asn1::OctetString;

fn fixture(name: &str) -> Vec<u8> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kerberos/mit/");
    std::fs::read(format!("{p}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn octets(b: &[u8]) -> OctetString {
    OctetString::new(b.to_vec()).unwrap()
}

#[test]
fn mit_as_req_without_preauth() {
    let b = fixture("01-c2s-as-req.der");
    let req = AsReq::from_bytes(&b).unwrap();
    assert_eq!(req.pvno, 5);
    assert_eq!(req.msg_type, msg_type::AS_REQ);
    let body = &req.req_body;
    assert_eq!(body.realm.0, "MIT.TEST");
    assert_eq!(body.cname.as_ref().unwrap().to_text(), "user1");
    assert_eq!(body.sname.as_ref().unwrap().to_text(), "krbtgt/MIT.TEST");
    assert!(body.etype.contains(&18));
    assert!(KerberosFlags(body.kdc_options.0).bit(flags::FORWARDABLE));
    // DER round trip is byte-exact.
    assert_eq!(req.to_bytes().unwrap(), b);
}

#[test]
fn mit_preauth_required_error() {
    let b = fixture("02-s2c-krb-error.der");
    assert_eq!(application_tag(&b), Some(30));
    let e = KrbError::from_bytes(&b).unwrap();
    assert_eq!(e.error_code, error_code::KDC_ERR_PREAUTH_REQUIRED);
    assert_eq!(e.realm.0, "MIT.TEST");
    assert_eq!(e.sname.to_text(), "krbtgt/MIT.TEST");
    let md = e.method_data().unwrap();
    assert!(md
        .iter()
        .any(|p| p.padata_type == pa_type::PA_ENC_TIMESTAMP));
    let info = e.etype_info2().unwrap();
    assert!(!info.is_empty());
    // user1 has every enctype; the KDC lists its preferred first: aes256-cts-hmac-sha1-96.
    assert_eq!(info[0].etype, 18);
    assert_eq!(info[0].salt.as_ref().unwrap().0, "MIT.TESTuser1");
    assert_eq!(e.to_bytes().unwrap(), b);
}

#[test]
fn mit_as_req_with_enc_timestamp() {
    let b = fixture("03-c2s-as-req.der");
    let req = AsReq::from_bytes(&b).unwrap();
    let pa = req.padata.as_ref().unwrap();
    let ts = pa
        .iter()
        .find(|p| p.padata_type == pa_type::PA_ENC_TIMESTAMP)
        .unwrap();
    let ed: EncryptedData = decode_der("PA-ENC-TIMESTAMP", ts.padata_value.as_bytes()).unwrap();
    assert_eq!(ed.etype, 18);
    assert_eq!(req.to_bytes().unwrap(), b);
}

#[test]
fn mit_as_rep() {
    let b = fixture("04-s2c-as-rep.der");
    let rep = AsRep::from_bytes(&b).unwrap();
    assert_eq!(rep.msg_type, msg_type::AS_REP);
    assert_eq!(rep.crealm.0, "MIT.TEST");
    assert_eq!(rep.cname.to_text(), "user1");
    assert_eq!(rep.ticket.tkt_vno, 5);
    assert_eq!(rep.ticket.sname.to_text(), "krbtgt/MIT.TEST");
    assert_eq!(rep.enc_part.etype, 18);
    assert_eq!(rep.to_bytes().unwrap(), b);
    // Not a TGS-REP, not a KRB-ERROR.
    assert!(TgsRep::from_bytes(&b).is_err());
    assert!(KrbError::from_bytes(&b).is_err());
}

#[test]
fn mit_tgs_req_and_rep() {
    let b = fixture("05-c2s-tgs-req.der");
    let req = TgsReq::from_bytes(&b).unwrap();
    let pa = req.padata.as_ref().unwrap();
    let ap = pa
        .iter()
        .find(|p| p.padata_type == pa_type::PA_TGS_REQ)
        .unwrap();
    let ap_req = ApReq::from_bytes(ap.padata_value.as_bytes()).unwrap();
    assert_eq!(ap_req.ticket.sname.to_text(), "krbtgt/MIT.TEST");
    assert_eq!(
        req.req_body.sname.as_ref().unwrap().to_text(),
        "HTTP/localhost"
    );
    assert_eq!(req.to_bytes().unwrap(), b);

    let b = fixture("06-s2c-tgs-rep.der");
    let rep = TgsRep::from_bytes(&b).unwrap();
    assert_eq!(rep.ticket.sname.to_text(), "HTTP/localhost");
    assert_eq!(rep.ticket.realm.0, "MIT.TEST");
    assert_eq!(rep.to_bytes().unwrap(), b);
    assert_eq!(rep.ticket.to_bytes().unwrap().first(), Some(&0x61));
}

#[test]
fn mit_unknown_service_error() {
    let e = KrbError::from_bytes(&fixture("08-s2c-krb-error.der")).unwrap();
    assert_eq!(e.error_code, error_code::KDC_ERR_S_PRINCIPAL_UNKNOWN);
    assert!(e.e_text.is_some() || e.e_data.is_none());
}

#[test]
fn truncations_and_bit_flips_never_panic() {
    for name in [
        "02-s2c-krb-error.der",
        "04-s2c-as-rep.der",
        "06-s2c-tgs-rep.der",
    ] {
        let b = fixture(name);
        for i in 0..b.len() {
            assert!(AsRep::from_bytes(&b[..i]).is_err());
            assert!(TgsRep::from_bytes(&b[..i]).is_err());
            assert!(KrbError::from_bytes(&b[..i]).is_err());
        }
        for i in 0..b.len() {
            for bit in [0x01u8, 0x80] {
                let mut m = b.clone();
                m[i] ^= bit;
                let _ = AsRep::from_bytes(&m);
                let _ = TgsRep::from_bytes(&m);
                let _ = KrbError::from_bytes(&m).map(|e| e.etype_info2());
                let _ = ApReq::from_bytes(&m);
                let _ = EncKdcRepPart::from_bytes(&m);
            }
        }
    }
}

fn sample_body(tag: u32) -> EncKdcRepPart {
    EncKdcRepPart {
        tag,
        body: EncKdcRepPartBody {
            key: EncryptionKey {
                keytype: 18,
                keyvalue: SecretOctets(vec![7u8; 32].into()),
            },
            last_req: vec![LastReqEntry {
                lr_type: 0,
                lr_value: KerberosTime(0),
            }],
            nonce: UInt32(0xdead_beef),
            key_expiration: None,
            flags: KerberosFlags(0x40e1_0000),
            authtime: KerberosTime(1_700_000_000),
            starttime: Some(KerberosTime(1_700_000_001)),
            endtime: KerberosTime(1_700_036_000),
            renew_till: None,
            srealm: "EXAMPLE.COM".into(),
            sname: PrincipalName::new(2, &["krbtgt", "EXAMPLE.COM"]),
            caddr: None,
            encrypted_pa_data: None,
        },
    }
}

#[test]
fn enc_kdc_rep_part_accepts_25_and_26() {
    for tag in [25, 26] {
        let p = sample_body(tag);
        let b = p.to_bytes().unwrap();
        assert_eq!(b[0], 0x60 | tag as u8);
        let d = EncKdcRepPart::from_bytes(&b).unwrap();
        assert_eq!(d, p);
    }
    let b = App::<27, _>(sample_body(25).body).to_der().unwrap();
    assert!(EncKdcRepPart::from_bytes(&b).is_err());
}

#[test]
fn kerberos_time_and_flags() {
    let t = KerberosTime(1_700_000_000);
    let b = t.to_der().unwrap();
    assert_eq!(&b[2..], b"20231114221320Z");
    assert_eq!(KerberosTime::from_der(&b).unwrap(), t);
    assert_eq!(i64::from(t), 1_700_000_000);
    // A year past 9999 cannot be encoded: an error, not a panic.
    assert!(KerberosTime(300_000_000_000).to_der().is_err());

    let f = KerberosFlags(0)
        .with_bit(flags::FORWARDABLE)
        .with_bit(flags::CANONICALIZE);
    assert_eq!(u32::from(f), 0x4001_0000);
    assert_eq!(
        f.to_der().unwrap(),
        [0x03, 0x05, 0x00, 0x40, 0x01, 0x00, 0x00]
    );
    assert!(f.bit(1) && f.bit(15) && !f.bit(0) && !f.bit(40));
    // Shorter and longer BIT STRINGs decode (bits past 31 ignored).
    assert_eq!(
        KerberosFlags::from_der(&[0x03, 0x02, 0x00, 0x40])
            .unwrap()
            .0,
        0x4000_0000
    );
    let long = [0x03, 0x06, 0x00, 0x80, 0, 0, 1, 0xff];
    assert_eq!(KerberosFlags::from_der(&long).unwrap().0, 0x8000_0001);
}

#[test]
fn uint32_accepts_negative_encodings() {
    assert_eq!(
        UInt32(0xffff_ffff).to_der().unwrap(),
        [2, 5, 0, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(
        UInt32::from_der(&[2, 5, 0, 0xff, 0xff, 0xff, 0xff])
            .unwrap()
            .0,
        0xffff_ffff
    );
    assert_eq!(UInt32::from_der(&[2, 1, 0xff]).unwrap().0, 0xffff_ffff);
    assert!(UInt32::from_der(&[2, 5, 1, 0, 0, 0, 0]).is_err());
}

#[test]
fn principal_name_conversions() {
    let p = super::super::Principal {
        name_type: 2,
        components: vec!["HTTP".into(), "host.example.com".into()],
        realm: "EXAMPLE.COM".into(),
    };
    let n = PrincipalName::from(&p);
    assert_eq!(n.to_text(), "HTTP/host.example.com");
    assert_eq!(n.to_principal(&"EXAMPLE.COM".into()), p);
    let b = n.to_der().unwrap();
    assert_eq!(PrincipalName::from_der(&b).unwrap(), n);
}

#[test]
fn ap_messages_authenticator_and_cred_round_trip() {
    let ticket = Ticket::from_bytes(
        &TgsRep::from_bytes(&fixture("06-s2c-tgs-rep.der"))
            .unwrap()
            .ticket
            .to_bytes()
            .unwrap(),
    )
    .unwrap();
    let ed = EncryptedData::new(18, Some(3), vec![1, 2, 3]).unwrap();
    let ap = ApReq::from(App(ApReqBody {
        pvno: 5,
        msg_type: msg_type::AP_REQ,
        ap_options: KerberosFlags(0).with_bit(flags::MUTUAL_REQUIRED),
        ticket: ticket.clone(),
        authenticator: ed.clone(),
    }));
    assert_eq!(ApReq::from_bytes(&ap.to_bytes().unwrap()).unwrap(), ap);

    let auth = Authenticator::from(App(AuthenticatorBody {
        authenticator_vno: 5,
        crealm: "MIT.TEST".into(),
        cname: PrincipalName::new(1, &["user1"]),
        cksum: Some(Checksum {
            cksumtype: 0x8003,
            checksum: octets(&[0; 24]),
        }),
        cusec: 999_999,
        ctime: KerberosTime(1_700_000_000),
        subkey: Some(EncryptionKey {
            keytype: 17,
            keyvalue: SecretOctets(vec![1; 16].into()),
        }),
        seq_number: Some(UInt32(0x8000_0000)),
        authorization_data: Some(vec![AuthorizationDataEntry {
            ad_type: 1,
            ad_data: octets(b"x"),
        }]),
    }));
    let b = auth.to_bytes().unwrap();
    assert_eq!(b[0], 0x62);
    assert_eq!(Authenticator::from_bytes(&b).unwrap(), auth);

    let rep = ApRep::from(App(ApRepBody {
        pvno: 5,
        msg_type: 15,
        enc_part: ed.clone(),
    }));
    assert_eq!(ApRep::from_bytes(&rep.to_bytes().unwrap()).unwrap(), rep);
    let part = EncApRepPart::from(App(EncApRepPartBody {
        ctime: KerberosTime(5),
        cusec: 6,
        subkey: None,
        seq_number: Some(UInt32(7)),
    }));
    assert_eq!(
        EncApRepPart::from_bytes(&part.to_bytes().unwrap()).unwrap(),
        part
    );

    let cred = KrbCred::from(App(KrbCredBody {
        pvno: 5,
        msg_type: msg_type::KRB_CRED,
        tickets: vec![ticket],
        enc_part: EncryptedData::new(0, None, vec![]).unwrap(),
    }));
    assert_eq!(
        KrbCred::from_bytes(&cred.to_bytes().unwrap()).unwrap(),
        cred
    );
    let info = KrbCredInfo {
        key: EncryptionKey {
            keytype: 18,
            keyvalue: SecretOctets(vec![9; 32].into()),
        },
        prealm: Some("MIT.TEST".into()),
        pname: Some(PrincipalName::new(1, &["user1"])),
        flags: Some(KerberosFlags(0x5000_0000)),
        authtime: None,
        starttime: Some(KerberosTime(1)),
        endtime: Some(KerberosTime(2)),
        renew_till: None,
        srealm: Some("MIT.TEST".into()),
        sname: Some(PrincipalName::new(2, &["HTTP", "localhost"])),
        caddr: None,
    };
    let ecp = EncKrbCredPart::from(App(EncKrbCredPartBody {
        ticket_info: vec![info],
        nonce: None,
        timestamp: Some(KerberosTime(3)),
        usec: Some(4),
        s_address: None,
        r_address: None,
    }));
    assert_eq!(
        EncKrbCredPart::from_bytes(&ecp.to_bytes().unwrap()).unwrap(),
        ecp
    );
}

#[test]
fn pa_data_payloads() {
    let pac = PaData::pac_request(true).unwrap();
    assert_eq!(pac.padata_type, 128);
    // KERB-PA-PAC-REQUEST { include-pac [0] TRUE } as Windows sends it.
    assert_eq!(
        pac.padata_value.as_bytes(),
        [0x30, 0x05, 0xa0, 0x03, 0x01, 0x01, 0xff]
    );
    let ts = PaEncTsEnc {
        patimestamp: KerberosTime(1_700_000_000),
        pausec: Some(12),
    };
    assert_eq!(PaEncTsEnc::from_der(&ts.to_der().unwrap()).unwrap(), ts);
    let info = vec![EtypeInfo2Entry {
        etype: 18,
        salt: Some("EXAMPLE.COMuser".into()),
        s2kparams: Some(octets(&[0, 0, 0x10, 0])),
    }];
    assert_eq!(decode_etype_info2(&info.to_der().unwrap()).unwrap(), info);
}

#[test]
fn mit_as_rep_enc_part_decrypts_to_enc_tgs_rep_part_tag() {
    use super::super::crypto::{Etype, Key};
    // user1's password and the ETYPE-INFO2 salt of 02-s2c-krb-error.der.
    let rep = AsRep::from_bytes(&fixture("04-s2c-as-rep.der")).unwrap();
    let key = Key::from_password(
        Etype::Aes256CtsHmacSha196,
        "Password01",
        "MIT.TESTuser1",
        None,
    )
    .unwrap();
    let plain = key.decrypt(3, rep.enc_part.cipher.as_bytes()).unwrap();
    let enc = EncKdcRepPart::from_bytes(&plain).unwrap();
    assert_eq!(
        enc.tag,
        EncKdcRepPart::TGS_TAG,
        "MIT's AS-REP carries EncTGSRepPart"
    );
    assert_eq!(enc.body.sname.to_text(), "krbtgt/MIT.TEST");
    let req = AsReq::from_bytes(&fixture("03-c2s-as-req.der")).unwrap();
    assert_eq!(enc.body.nonce, req.req_body.nonce);
    assert_eq!(enc.to_bytes().unwrap(), plain.as_slice());
}

fn samba(name: &str) -> Vec<u8> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kerberos/samba/");
    std::fs::read(format!("{p}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn samba_messages() {
    use super::super::crypto::{Etype, Key};
    let e = KrbError::from_bytes(&samba("02-s2c-krb-error.der")).unwrap();
    assert_eq!(e.error_code, error_code::KDC_ERR_PREAUTH_REQUIRED);
    let info = e.etype_info2().unwrap();
    let aes = info.iter().find(|i| i.etype == 18).expect("aes256 entry");
    let salt = aes.salt.as_ref().unwrap().0.clone();
    assert_eq!(salt, "SAMBA.TESTuser1");

    let too_big = KrbError::from_bytes(&samba("04-s2c-krb-error.der")).unwrap();
    assert_eq!(too_big.error_code, error_code::KRB_ERR_RESPONSE_TOO_BIG);

    let b = samba("06-s2c-tcp-as-rep.der");
    let rep = AsRep::from_bytes(&b).unwrap();
    assert_eq!(rep.to_bytes().unwrap(), b);
    let etype = Etype::from_i32(rep.enc_part.etype).unwrap();
    let info = info.iter().find(|i| i.etype == rep.enc_part.etype).unwrap();
    let salt = info.salt.as_ref().unwrap().0.clone();
    let key = Key::from_password(etype, "Passw0rd!", &salt, None).unwrap();
    let plain = key.decrypt(3, rep.enc_part.cipher.as_bytes()).unwrap();
    let enc = EncKdcRepPart::from_bytes(&plain).unwrap();
    assert_eq!(
        enc.tag,
        EncKdcRepPart::AS_TAG,
        "Samba (Heimdal) sends EncASRepPart"
    );
    assert_eq!(enc.body.srealm.0, "SAMBA.TEST");
    let req = AsReq::from_bytes(&samba("05-c2s-tcp-as-req.der")).unwrap();
    assert_eq!(enc.body.nonce, req.req_body.nonce);

    let b = samba("08-s2c-tcp-tgs-rep.der");
    let rep = TgsRep::from_bytes(&b).unwrap();
    assert_eq!(rep.ticket.sname.to_text(), "HTTP/localhost");
    assert_eq!(
        rep.ticket.enc_part.etype, 23,
        "AD issues an RC4 ticket for this account"
    );
    assert_eq!(rep.to_bytes().unwrap(), b);
    let e = KrbError::from_bytes(&samba("10-s2c-tcp-krb-error.der")).unwrap();
    assert_eq!(e.error_code, error_code::KDC_ERR_S_PRINCIPAL_UNKNOWN);
}

#[test]
fn mit_gss_tokens() {
    let t = fixture("gss-ap-req.bin");
    let tok = gss::parse_initial_context_token(&t).unwrap();
    assert_eq!(tok.mech, gss::Mech::Krb5);
    assert_eq!(tok.tok_id, gss::TOK_ID_AP_REQ);
    let ap = ApReq::from_bytes(tok.message).unwrap();
    assert_eq!(ap.ticket.sname.to_text(), "HTTP/localhost");
    assert!(ap.ap_options.bit(flags::MUTUAL_REQUIRED));
    assert_eq!(
        gss::encode_initial_context_token(tok.mech, tok.tok_id, &ap.to_bytes().unwrap()),
        t
    );

    let t = fixture("gss-ap-rep.bin");
    let tok = gss::parse_initial_context_token(&t).unwrap();
    assert_eq!(tok.tok_id, gss::TOK_ID_AP_REP);
    let rep = ApRep::from_bytes(tok.message).unwrap();
    assert_eq!(rep.msg_type, msg_type::AP_REP);
    assert_eq!(rep.to_bytes().unwrap(), tok.message);
}
