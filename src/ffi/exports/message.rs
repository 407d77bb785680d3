//! Per-message protection: EncryptMessage/DecryptMessage, MakeSignature/VerifySignature.

use super::*;

/// Encrypts a message in place (SpSealMessage). For NTLM: `[SECBUFFER_TOKEN (cbSecurityTrailer
/// bytes), SECBUFFER_DATA…]`; for Schannel: `[STREAM_HEADER, DATA, STREAM_TRAILER, EMPTY]`.
/// Returns SEC_E_OK, SEC_E_INVALID_HANDLE, SEC_E_INVALID_TOKEN (no DATA/TOKEN buffer),
/// SEC_E_BUFFER_TOO_SMALL, SEC_E_QOP_NOT_SUPPORTED, SEC_E_CONTEXT_EXPIRED. Safe to call while
/// another thread runs DecryptMessage on the same context.
#[no_mangle]
pub unsafe extern "system" fn EncryptMessage(
    phContext: PCtxtHandle,
    fQOP: ULONG,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    guard("EncryptMessage", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::with_context(&h, |entry| {
            note_package(entry.context.package().name);
            // SAFETY: caller's descriptor, valid for this call.
            let mut msg = unsafe { SecBuffers::from_desc(pMessage)? }.ok_or(Error::InvalidToken)?;
            entry.context.seal(fQOP, &mut msg, MessageSeqNo)?;
            Ok(Outcome::Ok)
        })?
    })
}

/// Decrypts a message in place (SpUnsealMessage) and writes the sender's QOP to `pfQOP`.
/// Tampered → SEC_E_MESSAGE_ALTERED; replayed/reordered → SEC_E_OUT_OF_SEQUENCE; a failed
/// call leaves the context able to process the next genuine message.
#[no_mangle]
pub unsafe extern "system" fn DecryptMessage(
    phContext: PCtxtHandle,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    guard("DecryptMessage", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::with_context(&h, |entry| {
            note_package(entry.context.package().name);
            // SAFETY: caller's descriptor, valid for this call.
            let mut msg = unsafe { SecBuffers::from_desc(pMessage)? }.ok_or(Error::InvalidToken)?;
            let r = entry.context.unseal(&mut msg, MessageSeqNo)?;
            // SAFETY: pfQOP is NULL or the caller's ULONG.
            unsafe { put(pfQOP, r.qop) };
            Ok(r.outcome)
        })?
    })
}

/// Signs a message (SpMakeSignature): `[SECBUFFER_TOKEN (cbMaxSignature), SECBUFFER_DATA…]`.
#[no_mangle]
pub unsafe extern "system" fn MakeSignature(
    phContext: PCtxtHandle,
    fQOP: ULONG,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    guard("MakeSignature", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::with_context(&h, |entry| {
            note_package(entry.context.package().name);
            // SAFETY: caller's descriptor, valid for this call.
            let mut msg = unsafe { SecBuffers::from_desc(pMessage)? }.ok_or(Error::InvalidToken)?;
            entry.context.make_signature(fQOP, &mut msg, MessageSeqNo)?;
            Ok(Outcome::Ok)
        })?
    })
}

/// Verifies a signature (SpVerifySignature); writes the QOP to `pfQOP`.
#[no_mangle]
pub unsafe extern "system" fn VerifySignature(
    phContext: PCtxtHandle,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    guard("VerifySignature", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::with_context(&h, |entry| {
            note_package(entry.context.package().name);
            // SAFETY: caller's descriptor, valid for this call.
            let mut msg = unsafe { SecBuffers::from_desc(pMessage)? }.ok_or(Error::InvalidToken)?;
            let qop = entry.context.verify_signature(&mut msg, MessageSeqNo)?;
            // SAFETY: pfQOP is NULL or the caller's ULONG.
            unsafe { put(pfQOP, qop) };
            Ok(Outcome::Ok)
        })?
    })
}

/// EncryptMessage's name on Windows 2000/XP (secur32.dll still exports it): the same function.
#[no_mangle]
pub unsafe extern "system" fn SealMessage(
    phContext: PCtxtHandle,
    fQOP: ULONG,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: forwarded under EncryptMessage's own contract.
    unsafe { EncryptMessage(phContext, fQOP, pMessage, MessageSeqNo) }
}

/// DecryptMessage's name on Windows 2000/XP (secur32.dll still exports it): the same function.
#[no_mangle]
pub unsafe extern "system" fn UnsealMessage(
    phContext: PCtxtHandle,
    pMessage: PSecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    // SAFETY: forwarded under DecryptMessage's own contract.
    unsafe { DecryptMessage(phContext, pMessage, MessageSeqNo, pfQOP) }
}
