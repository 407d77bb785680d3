//! Certificate verification policies and the rustls error → SEC_E_* mapping.
#![forbid(unsafe_code)]

use crate::status::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::ResolvesServerCert;
use rustls::sign::CertifiedKey;
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme,
};
use std::sync::Arc;

/// How the client checks the server certificate.
#[derive(Debug)]
pub struct ServerVerifier {
    /// Chain check against the trusted roots; `None`: no trusted roots (every chain is
    /// untrusted).
    pub webpki: Option<Arc<WebPkiServerVerifier>>,
    /// SHA-256 of the trusted roots' DER.
    pub trusted: Arc<std::collections::HashSet<Vec<u8>>>,
    /// SCH_CRED_MANUAL_CRED_VALIDATION / ISC_REQ_MANUAL_CRED_VALIDATION: the caller checks.
    pub manual: bool,
    /// Name check (off with SCH_CRED_NO_SERVERNAME_CHECK or no target name).
    pub check_name: bool,
    pub provider: Arc<CryptoProvider>,
}

impl ServerVerifier {
    fn is_trusted_root(&self, cert: &CertificateDer<'_>) -> bool {
        let h = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
        self.trusted.contains(h.as_ref())
    }

    /// A trusted root presented as the server certificate (Windows trusts a self-signed
    /// certificate installed as a root): its dates and name still count.
    fn check_trusted_root(
        &self,
        cert: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
        chain_error: rustls::Error,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use x509_parser::prelude::*;
        let Ok((_, x)) = X509Certificate::from_der(cert.as_ref()) else {
            return Err(chain_error);
        };
        let t = now.as_secs() as i64;
        if t < x.validity().not_before.timestamp() {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet,
            ));
        }
        if t > x.validity().not_after.timestamp() {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
        }
        if self.check_name {
            let ee = webpki::EndEntityCert::try_from(cert).map_err(|_| chain_error.clone())?;
            if ee.verify_is_valid_for_subject_name(server_name).is_err() {
                return Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName,
                ));
            }
        }
        Ok(ServerCertVerified::assertion())
    }
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.manual {
            return Ok(ServerCertVerified::assertion());
        }
        let Some(v) = &self.webpki else {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ));
        };
        match v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            Err(e) if self.is_trusted_root(end_entity) => {
                self.check_trusted_root(end_entity, server_name, now, e)
            }
            // A self-signed CA certificate that is not trusted: untrusted root, as Windows.
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(o)))
                if matches!(
                    o.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer,
                ))
            }
            r => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A server asking for a client certificate (ASC_REQ_MUTUAL_AUTH) accepts any certificate
/// whose handshake signature verifies; the application inspects it through
/// SECPKG_ATTR_REMOTE_CERT_CONTEXT, as with Windows' manual validation.
#[derive(Debug)]
pub struct AnyClientCert {
    pub provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

thread_local! {
    /// Set when rustls asks for the client certificate during the current call on this
    /// thread (one ISC call drives rustls on one thread).
    static ASKED: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// The client certificate of the credentials. One per credentials: rustls resumes a session
/// only with the same resolver and verifier objects.
#[derive(Debug)]
pub struct ClientCert {
    pub key: Option<Arc<CertifiedKey>>,
}

impl ClientCert {
    /// Clears the "server asked for a certificate" mark of this thread.
    pub fn reset_asked() {
        ASKED.with(|a| a.set(false));
    }
    /// Whether the server asked for a certificate since `reset_asked`.
    pub fn asked() -> bool {
        ASKED.with(|a| a.get())
    }
}

impl ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        ASKED.with(|a| a.set(true));
        let k = self.key.as_ref()?;
        k.key.choose_scheme(sigschemes)?;
        Some(k.clone())
    }
    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// The server certificate of the credentials.
#[derive(Debug)]
pub struct ServerCert(pub Arc<CertifiedKey>);

impl ResolvesServerCert for ServerCert {
    fn resolve(&self, _hello: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// The SEC_E_* Windows returns for a handshake failure.
pub fn map_error(e: &rustls::Error) -> Error {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(c) => match c {
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => Error::CertExpired,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Error::WrongPrincipal
            }
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                Error::UntrustedRoot
            }
            _ => Error::CertUnknown,
        },
        E::AlertReceived(a) => match a {
            AlertDescription::HandshakeFailure
            | AlertDescription::ProtocolVersion
            | AlertDescription::InsufficientSecurity => Error::AlgorithmMismatch,
            AlertDescription::NoApplicationProtocol => Error::ApplicationProtocolMismatch,
            AlertDescription::DecryptError | AlertDescription::BadRecordMac => {
                Error::DecryptFailure
            }
            AlertDescription::CertificateExpired => Error::CertExpired,
            AlertDescription::UnknownCA => Error::UntrustedRoot,
            AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateRequired => Error::CertUnknown,
            _ => Error::IllegalMessage,
        },
        E::PeerIncompatible(_) => Error::AlgorithmMismatch,
        E::NoApplicationProtocol => Error::ApplicationProtocolMismatch,
        E::DecryptError => Error::DecryptFailure,
        E::NoCertificatesPresented => Error::NoCredentials,
        _ => Error::IllegalMessage,
    }
}
