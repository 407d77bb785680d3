//! The one mapping from internal errors and outcomes to `SECURITY_STATUS`.

use crate::ffi::consts::*;
use crate::ffi::types::SECURITY_STATUS;

/// A failed call. Each variant is one documented `SEC_E_*` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    InsufficientMemory,
    InvalidHandle,
    UnsupportedFunction,
    TargetUnknown,
    InternalError,
    SecpkgNotFound,
    NotOwner,
    InvalidToken,
    QopNotSupported,
    NoImpersonation,
    LogonDenied,
    UnknownCredentials,
    NoCredentials,
    MessageAltered,
    OutOfSequence,
    NoAuthenticatingAuthority,
    ContextExpired,
    IncompleteMessage,
    IncompleteCredentials,
    BufferTooSmall,
    WrongPrincipal,
    TimeSkew,
    UntrustedRoot,
    IllegalMessage,
    CertUnknown,
    CertExpired,
    EncryptFailure,
    DecryptFailure,
    AlgorithmMismatch,
    CryptoSystemInvalid,
    InvalidParameter,
    BadBindings,
    WrongCredentialHandle,
    ApplicationProtocolMismatch,
    NotSupported,
    /// Any other failure status, passed through as is: an SSP/AP plug-in's SEC_E_* code or an
    /// NTSTATUS Windows does not translate (`crate::sspap`).
    Other(SECURITY_STATUS),
    MutualAuthFailed,
}

impl Error {
    /// The `SEC_E_*` value Windows returns for this error.
    pub fn status(self) -> SECURITY_STATUS {
        match self {
            Error::InsufficientMemory => SEC_E_INSUFFICIENT_MEMORY,
            Error::InvalidHandle => SEC_E_INVALID_HANDLE,
            Error::UnsupportedFunction => SEC_E_UNSUPPORTED_FUNCTION,
            Error::TargetUnknown => SEC_E_TARGET_UNKNOWN,
            Error::InternalError => SEC_E_INTERNAL_ERROR,
            Error::SecpkgNotFound => SEC_E_SECPKG_NOT_FOUND,
            Error::NotOwner => SEC_E_NOT_OWNER,
            Error::InvalidToken => SEC_E_INVALID_TOKEN,
            Error::QopNotSupported => SEC_E_QOP_NOT_SUPPORTED,
            Error::NoImpersonation => SEC_E_NO_IMPERSONATION,
            Error::LogonDenied => SEC_E_LOGON_DENIED,
            Error::UnknownCredentials => SEC_E_UNKNOWN_CREDENTIALS,
            Error::NoCredentials => SEC_E_NO_CREDENTIALS,
            Error::MessageAltered => SEC_E_MESSAGE_ALTERED,
            Error::OutOfSequence => SEC_E_OUT_OF_SEQUENCE,
            Error::NoAuthenticatingAuthority => SEC_E_NO_AUTHENTICATING_AUTHORITY,
            Error::ContextExpired => SEC_E_CONTEXT_EXPIRED,
            Error::IncompleteMessage => SEC_E_INCOMPLETE_MESSAGE,
            Error::IncompleteCredentials => SEC_E_INCOMPLETE_CREDENTIALS,
            Error::BufferTooSmall => SEC_E_BUFFER_TOO_SMALL,
            Error::WrongPrincipal => SEC_E_WRONG_PRINCIPAL,
            Error::TimeSkew => SEC_E_TIME_SKEW,
            Error::UntrustedRoot => SEC_E_UNTRUSTED_ROOT,
            Error::IllegalMessage => SEC_E_ILLEGAL_MESSAGE,
            Error::CertUnknown => SEC_E_CERT_UNKNOWN,
            Error::CertExpired => SEC_E_CERT_EXPIRED,
            Error::EncryptFailure => SEC_E_ENCRYPT_FAILURE,
            Error::DecryptFailure => SEC_E_DECRYPT_FAILURE,
            Error::AlgorithmMismatch => SEC_E_ALGORITHM_MISMATCH,
            Error::CryptoSystemInvalid => SEC_E_CRYPTO_SYSTEM_INVALID,
            Error::InvalidParameter => SEC_E_INVALID_PARAMETER,
            Error::BadBindings => SEC_E_BAD_BINDINGS,
            Error::WrongCredentialHandle => SEC_E_WRONG_CREDENTIAL_HANDLE,
            Error::ApplicationProtocolMismatch => SEC_E_APPLICATION_PROTOCOL_MISMATCH,
            Error::NotSupported => SEC_E_NOT_SUPPORTED,
            Error::Other(s) => s,
            Error::MutualAuthFailed => SEC_E_MUTUAL_AUTH_FAILED,
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?} (0x{:08X})", self, self.status() as u32)
    }
}

/// A successful call: `SEC_E_OK` or one of the `SEC_I_*` outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    ContinueNeeded,
    CompleteNeeded,
    CompleteAndContinue,
    IncompleteCredentials,
    ContextExpired,
    Renegotiate,
}

impl Outcome {
    /// The `SEC_E_OK` / `SEC_I_*` value.
    pub fn status(self) -> SECURITY_STATUS {
        match self {
            Outcome::Ok => SEC_E_OK,
            Outcome::ContinueNeeded => SEC_I_CONTINUE_NEEDED,
            Outcome::CompleteNeeded => SEC_I_COMPLETE_NEEDED,
            Outcome::CompleteAndContinue => SEC_I_COMPLETE_AND_CONTINUE,
            Outcome::IncompleteCredentials => SEC_I_INCOMPLETE_CREDENTIALS,
            Outcome::ContextExpired => SEC_I_CONTEXT_EXPIRED,
            Outcome::Renegotiate => SEC_I_RENEGOTIATE,
        }
    }
}

/// Result of an SSPI operation.
pub type SecResult<T> = Result<T, Error>;

/// Maps a result to the status a C caller sees.
pub fn to_status(r: SecResult<Outcome>) -> SECURITY_STATUS {
    match r {
        Ok(o) => o.status(),
        Err(e) => e.status(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_match_winerror() {
        let cases: &[(Error, u32)] = &[
            (Error::InsufficientMemory, 0x80090300),
            (Error::InvalidHandle, 0x80090301),
            (Error::UnsupportedFunction, 0x80090302),
            (Error::TargetUnknown, 0x80090303),
            (Error::InternalError, 0x80090304),
            (Error::SecpkgNotFound, 0x80090305),
            (Error::NotOwner, 0x80090306),
            (Error::InvalidToken, 0x80090308),
            (Error::QopNotSupported, 0x8009030A),
            (Error::NoImpersonation, 0x8009030B),
            (Error::LogonDenied, 0x8009030C),
            (Error::UnknownCredentials, 0x8009030D),
            (Error::NoCredentials, 0x8009030E),
            (Error::MessageAltered, 0x8009030F),
            (Error::OutOfSequence, 0x80090310),
            (Error::NoAuthenticatingAuthority, 0x80090311),
            (Error::ContextExpired, 0x80090317),
            (Error::IncompleteMessage, 0x80090318),
            (Error::IncompleteCredentials, 0x80090320),
            (Error::BufferTooSmall, 0x80090321),
            (Error::WrongPrincipal, 0x80090322),
            (Error::TimeSkew, 0x80090324),
            (Error::UntrustedRoot, 0x80090325),
            (Error::IllegalMessage, 0x80090326),
            (Error::CertUnknown, 0x80090327),
            (Error::CertExpired, 0x80090328),
            (Error::EncryptFailure, 0x80090329),
            (Error::DecryptFailure, 0x80090330),
            (Error::AlgorithmMismatch, 0x80090331),
            (Error::CryptoSystemInvalid, 0x80090337),
            (Error::InvalidParameter, 0x8009035D),
            (Error::BadBindings, 0x80090346),
            (Error::WrongCredentialHandle, 0x80090336),
            (Error::ApplicationProtocolMismatch, 0x80090367),
            (Error::NotSupported, 0x80090302),
            (Error::MutualAuthFailed, 0x80090363),
        ];
        for &(e, v) in cases {
            assert_eq!(e.status() as u32, v, "{e:?}");
        }
    }

    #[test]
    fn outcome_codes_match_winerror() {
        assert_eq!(Outcome::Ok.status(), 0);
        assert_eq!(Outcome::ContinueNeeded.status(), 0x00090312);
        assert_eq!(Outcome::CompleteNeeded.status(), 0x00090313);
        assert_eq!(Outcome::CompleteAndContinue.status(), 0x00090314);
        assert_eq!(Outcome::ContextExpired.status(), 0x00090317);
        assert_eq!(Outcome::IncompleteCredentials.status(), 0x00090320);
        assert_eq!(Outcome::Renegotiate.status(), 0x00090321);
        assert_eq!(to_status(Err(Error::InvalidToken)) as u32, 0x80090308);
    }
}
