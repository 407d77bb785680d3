use super::*;

#[test]
fn spn_parsing() {
    let p = service_principal("HTTP/host.example.com", "EXAMPLE.COM").unwrap();
    assert_eq!(p.components, ["HTTP", "host.example.com"]);
    assert_eq!(p.realm, "EXAMPLE.COM");
    assert_eq!(p.name_type, name_type::NT_SRV_INST);
    let p = service_principal("host/h@OTHER.ORG", "EXAMPLE.COM").unwrap();
    assert_eq!((p.components.len(), p.realm.as_str()), (2, "OTHER.ORG"));
    let p = service_principal("a\\/b/c", "R").unwrap();
    assert_eq!(p.components, ["a/b", "c"]);
    assert!(service_principal("", "R").is_none());
    assert!(service_principal("HTTP/", "R").is_none());
    assert!(service_principal("x\\", "R").is_none());
}

#[test]
fn error_codes() {
    assert_eq!(map_error_code(6), Error::LogonDenied);
    assert_eq!(map_error_code(24), Error::LogonDenied);
    assert_eq!(map_error_code(7), Error::TargetUnknown);
    assert_eq!(map_error_code(37), Error::TimeSkew);
    assert_eq!(map_error_code(14), Error::AlgorithmMismatch);
    assert_eq!(map_error_code(999), Error::InternalError);
}

#[test]
fn no_kdc_is_no_authenticating_authority() {
    let client = Principal {
        name_type: 1,
        components: vec!["u".into()],
        realm: "NONE.TEST".into(),
    };
    let e = as_exchange(&KdcSettings::default(), &client, "p", &[]).unwrap_err();
    assert_eq!(e.error, Error::NoAuthenticatingAuthority);
    assert!(e.krb_error.is_none());
}
