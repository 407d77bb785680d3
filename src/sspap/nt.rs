//! NTSTATUS (what an SSP/AP returns) → SECURITY_STATUS (what the caller sees).

use crate::ffi::lsa::NTSTATUS;
use crate::status::{Error, Outcome, SecResult};

const FACILITY_SECURITY: u32 = 0x0009_0000;

/// The NTSTATUS codes Windows translates to a SEC_E_* code, and the code each becomes.
const TRANSLATED: &[(u32, Error)] = &[
    (0xC000_0017, Error::InsufficientMemory), // STATUS_NO_MEMORY
    (0xC000_009A, Error::InsufficientMemory), // STATUS_INSUFFICIENT_RESOURCES
    (0xC000_0008, Error::InvalidHandle),      // STATUS_INVALID_HANDLE
    (0xC000_0002, Error::UnsupportedFunction), // STATUS_NOT_IMPLEMENTED
    (0xC000_00BB, Error::UnsupportedFunction), // STATUS_NOT_SUPPORTED
    (0xC000_0003, Error::UnsupportedFunction), // STATUS_INVALID_INFO_CLASS
    (0xC000_000D, Error::InvalidParameter),   // STATUS_INVALID_PARAMETER
    (0xC000_0023, Error::BufferTooSmall),     // STATUS_BUFFER_TOO_SMALL
    (0xC000_006D, Error::LogonDenied),        // STATUS_LOGON_FAILURE
    (0xC000_0064, Error::LogonDenied),        // STATUS_NO_SUCH_USER
    (0xC000_006A, Error::LogonDenied),        // STATUS_WRONG_PASSWORD
    (0xC000_006E, Error::LogonDenied),        // STATUS_ACCOUNT_RESTRICTION
    (0xC000_0071, Error::LogonDenied),        // STATUS_PASSWORD_EXPIRED
    (0xC000_0072, Error::LogonDenied),        // STATUS_ACCOUNT_DISABLED
    (0xC000_0234, Error::LogonDenied),        // STATUS_ACCOUNT_LOCKED_OUT
    (0xC000_00FE, Error::SecpkgNotFound),     // STATUS_NO_SUCH_PACKAGE
    (0xC000_0022, Error::NotOwner),           // STATUS_ACCESS_DENIED
    (0xC000_0061, Error::NotOwner),           // STATUS_PRIVILEGE_NOT_HELD
    (0xC000_005E, Error::NoAuthenticatingAuthority), // STATUS_NO_LOGON_SERVERS
    (0xC000_0133, Error::TimeSkew),           // STATUS_TIME_DIFFERENCE_AT_DC
    (0xC000_00E5, Error::InternalError),      // STATUS_INTERNAL_ERROR
    (0xC000_005F, Error::NoCredentials),      // STATUS_NO_SUCH_LOGON_SESSION
];

/// Every SEC_E_* variant, to turn a package's SEC_E_* code back into its variant.
const SEC_ERRORS: &[Error] = &[
    Error::InsufficientMemory,
    Error::InvalidHandle,
    Error::UnsupportedFunction,
    Error::TargetUnknown,
    Error::InternalError,
    Error::SecpkgNotFound,
    Error::NotOwner,
    Error::InvalidToken,
    Error::QopNotSupported,
    Error::NoImpersonation,
    Error::LogonDenied,
    Error::UnknownCredentials,
    Error::NoCredentials,
    Error::MessageAltered,
    Error::OutOfSequence,
    Error::NoAuthenticatingAuthority,
    Error::ContextExpired,
    Error::IncompleteMessage,
    Error::IncompleteCredentials,
    Error::BufferTooSmall,
    Error::WrongPrincipal,
    Error::TimeSkew,
    Error::UntrustedRoot,
    Error::IllegalMessage,
    Error::CertUnknown,
    Error::CertExpired,
    Error::EncryptFailure,
    Error::DecryptFailure,
    Error::AlgorithmMismatch,
    Error::CryptoSystemInvalid,
    Error::InvalidParameter,
    Error::BadBindings,
    Error::WrongCredentialHandle,
    Error::ApplicationProtocolMismatch,
];

const OUTCOMES: &[Outcome] = &[
    Outcome::Ok,
    Outcome::ContinueNeeded,
    Outcome::CompleteNeeded,
    Outcome::CompleteAndContinue,
    Outcome::IncompleteCredentials,
    Outcome::ContextExpired,
    Outcome::Renegotiate,
];

/// Maps a package's status: STATUS_SUCCESS → `SEC_E_OK`; SEC_E_* / SEC_I_* pass through;
/// the STATUS_* codes Windows translates become their SEC_E_* code (STATUS_NO_MEMORY →
/// SEC_E_INSUFFICIENT_MEMORY, STATUS_LOGON_FAILURE → SEC_E_LOGON_DENIED, STATUS_NOT_IMPLEMENTED
/// → SEC_E_UNSUPPORTED_FUNCTION, …); any other failure passes through unchanged, as Windows
/// returns it; any other success is `SEC_E_OK`.
pub fn to_result(s: NTSTATUS) -> SecResult<Outcome> {
    let u = s as u32;
    if s >= 0 {
        return Ok(OUTCOMES
            .iter()
            .copied()
            .find(|o| o.status() == s)
            .unwrap_or(Outcome::Ok));
    }
    if u & 0x0FFF_0000 == FACILITY_SECURITY {
        return Err(SEC_ERRORS
            .iter()
            .copied()
            .find(|e| e.status() == s)
            .unwrap_or(Error::Other(s)));
    }
    Err(TRANSLATED
        .iter()
        .find(|(code, _)| *code == u)
        .map_or(Error::Other(s), |(_, e)| *e))
}

/// `to_result` for calls whose SEC_I_* outcomes do not matter (messages, attributes…).
pub fn check(s: NTSTATUS) -> SecResult<()> {
    to_result(s).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_translations() {
        assert_eq!(to_result(0), Ok(Outcome::Ok));
        assert_eq!(to_result(0x0009_0312), Ok(Outcome::ContinueNeeded));
        assert_eq!(to_result(0x0000_0103), Ok(Outcome::Ok)); // STATUS_PENDING
        let err = |v: u32| to_result(v as i32).unwrap_err().status() as u32;
        assert_eq!(err(0x8009_030F), 0x8009_030F); // SEC_E_MESSAGE_ALTERED
        assert_eq!(err(0x8009_0399), 0x8009_0399); // an unnamed SEC_E_ code
        assert_eq!(err(0xC000_0017), 0x8009_0300);
        assert_eq!(err(0xC000_006D), 0x8009_030C);
        assert_eq!(err(0xC000_0002), 0x8009_0302);
        assert_eq!(err(0xC000_0008), 0x8009_0301);
        assert_eq!(err(0xC000_0023), 0x8009_0321);
        assert_eq!(err(0xC000_0001), 0xC000_0001); // STATUS_UNSUCCESSFUL: as is
    }
}
