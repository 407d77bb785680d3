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
            SECPKG_ATTR_SUPPORTED_PROTOCOLS => {
                let mut p = 0;
                for v in &self.versions {
                    p |= if v.version == rustls::ProtocolVersion::TLSv1_3 {
                        SP_PROT_TLS1_3
                    } else {
                        SP_PROT_TLS1_2
                    };
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
