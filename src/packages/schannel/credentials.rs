//! Schannel credentials: what AcquireCredentialsHandle settled and the SECPKG_CRED_ATTR_* answers.

use super::*;

impl Credentials for SchannelCredentials {
    fn package(&self) -> &'static PackageInfo {
        self.info
    }
    fn usage(&self) -> u32 {
        self.usage
    }
    fn new_client_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(SchannelContext::new(self, false)))
    }
    fn new_server_context(self: Arc<Self>) -> SecResult<Box<dyn Context>> {
        Ok(Box::new(SchannelContext::new(self, true)))
    }
    fn query_attribute(&self, attr: u32) -> SecResult<Attribute> {
        match attr {
            // The SP_PROT_* bits of the versions enabled, for the credential's direction only,
            // as Windows answers: an outbound credential restricted to TLS 1.0 reports
            // SP_PROT_TLS1_CLIENT alone (Wine's test_cread_attrs, which runs on Windows).
            SECPKG_ATTR_SUPPORTED_PROTOCOLS => {
                let client = self.usage & SECPKG_CRED_OUTBOUND != 0;
                let server = self.usage & SECPKG_CRED_INBOUND != 0;
                let mut p = 0;
                for v in &self.versions {
                    let (c, s) = if v.version == rustls::ProtocolVersion::TLSv1_3 {
                        (SP_PROT_TLS1_3_CLIENT, SP_PROT_TLS1_3_SERVER)
                    } else {
                        (SP_PROT_TLS1_2_CLIENT, SP_PROT_TLS1_2_SERVER)
                    };
                    if client {
                        p |= c;
                    }
                    if server {
                        p |= s;
                    }
                }
                Ok(Attribute::SupportedProtocols(p))
            }
            // The ALG_IDs of the suites offered: ciphers, hashes, key exchange, signatures.
            SECPKG_ATTR_SUPPORTED_ALGS => Ok(Attribute::AlgList(vec![
                CALG_AES_128,
                CALG_AES_256,
                CALG_SHA_256,
                CALG_SHA_384,
                CALG_ECDH_EPHEM,
                CALG_RSA_SIGN,
                CALG_ECDSA,
            ])),
            // The weakest and strongest bulk cipher offered (AES-128, AES-256 / ChaCha20).
            SECPKG_ATTR_CIPHER_STRENGTHS => Ok(Attribute::CipherStrengths {
                minimum: 128,
                maximum: 256,
            }),
            // A client credential without a certificate has no name (Windows:
            // SEC_E_NO_CREDENTIALS).
            SECPKG_CRED_ATTR_NAMES => {
                let k = self.key.as_ref().ok_or(Error::NoCredentials)?;
                let der = k.cert.first().ok_or(Error::NoCredentials)?;
                Ok(Attribute::Names(cert_subject(der)))
            }
            _ => Err(Error::UnsupportedFunction),
        }
    }
}

/// The subject of a DER certificate as an X.500 string ("CN=…, O=…").
fn cert_subject(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_default()
}
