//! Kerberos messages (RFC 4120 §5) and the GSS InitialContextToken framing: every top-level
//! decoder of `packages::kerberos::asn1` on the same bytes. None may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use secur32::packages::kerberos::asn1::fuzz_api as k;

fuzz_target!(|data: &[u8]| {
    k::as_rep(data);
    k::tgs_rep(data);
    k::krb_error(data);
    k::ap_req(data);
    k::ap_rep(data);
    k::krb_cred(data);
    k::enc_kdc_rep_part(data);
    k::enc_ticket_part(data);
    k::authenticator(data);
    k::gss_token(data);
});
