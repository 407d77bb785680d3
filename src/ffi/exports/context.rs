//! Security contexts: the ISC/ASC handshake steps, control tokens, attributes, deletion.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

#[allow(clippy::too_many_arguments)]
unsafe fn context_step(
    side: Side,
    cred: PCredHandle,
    ctx: PCtxtHandle,
    target: Option<String>,
    req: ULONG,
    input: PSecBufferDesc,
    new_ctx: PCtxtHandle,
    output: PSecBufferDesc,
    attrs: *mut ULONG,
    expiry: PTimeStamp,
) -> SecResult<Outcome> {
    // SAFETY: caller's descriptors (NULL allowed), valid for this call.
    let mut input = unsafe { SecBuffers::from_desc(input)? };
    // SAFETY: as above.
    let mut output = unsafe { SecBuffers::from_desc(output)? };
    if let Some(o) = output.as_mut() {
        o.set_allocate(req & ISC_REQ_ALLOCATE_MEMORY != 0);
    }
    let existing = if ctx.is_null() {
        None
    } else {
        // SAFETY: non-NULL caller handle pointer.
        let h = unsafe { read_handle(ctx)? };
        Some((h, handles::context(&h)?))
    };
    let mut fresh: Option<ContextEntry> = None;
    let entry: &ContextEntry = match &existing {
        Some((_, e)) => e,
        None => {
            // SAFETY: caller's handle pointer.
            let credential = unsafe { credentials_of(cred)? };
            if new_ctx.is_null() {
                return Err(Error::InvalidParameter);
            }
            let needed = if side == Side::Client {
                SECPKG_CRED_OUTBOUND
            } else {
                SECPKG_CRED_INBOUND
            };
            if credential.usage() & needed == 0 {
                return Err(Error::NoCredentials);
            }
            let context = match side {
                Side::Client => credential.clone().new_client_context()?,
                Side::Server => credential.clone().new_server_context()?,
            };
            fresh.insert(ContextEntry {
                context,
                credential,
            })
        }
    };
    let mut step = Step {
        target: target.as_deref(),
        req_flags: req,
        input: input.as_mut(),
        output: output.as_mut(),
        ret_flags: 0,
        expiry: NEVER,
    };
    let outcome = match side {
        Side::Client => entry.context.initialize(&mut step)?,
        Side::Server => entry.context.accept(&mut step)?,
    };
    let (ret_flags, expiry_v) = (step.ret_flags, step.expiry);
    let handle = match existing {
        Some((h, _)) => h,
        None => handles::insert_context(fresh.take().ok_or(Error::InternalError)?)?,
    };
    // SAFETY: caller's out-parameters (NULL skipped).
    unsafe {
        put(new_ctx, handle);
        put(attrs, ret_flags);
        put(expiry, TimeStamp { QuadPart: expiry_v });
    }
    Ok(outcome)
}

/// Client side of a handshake. First call: `phContext` NULL, `phCredential` from
/// AcquireCredentialsHandle; the new context is written to `phNewContext`. Later calls pass the
/// context and the peer's token in `pInput`. The output token goes to `pOutput`'s
/// SECBUFFER_TOKEN (too small → `SEC_E_BUFFER_TOO_SMALL`; with ISC_REQ_ALLOCATE_MEMORY it is
/// allocated and freed by the caller with FreeContextBuffer). Returns SEC_I_CONTINUE_NEEDED
/// while more tokens must be exchanged, then SEC_E_OK; errors SEC_E_INVALID_HANDLE,
/// SEC_E_INVALID_TOKEN, SEC_E_LOGON_DENIED, SEC_E_NO_CREDENTIALS, SEC_E_BUFFER_TOO_SMALL,
/// SEC_E_INSUFFICIENT_MEMORY, SEC_E_INTERNAL_ERROR.
#[no_mangle]
pub unsafe extern "system" fn InitializeSecurityContextW(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pszTargetName: *mut SEC_WCHAR,
    fContextReq: ULONG,
    Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: PSecBufferDesc,
    Reserved2: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    let _ = (Reserved1, TargetDataRep, Reserved2);
    // SAFETY: caller's arguments, checked inside.
    guard("InitializeSecurityContextW", || unsafe {
        let target = any_str(pszTargetName as _, Charset::Wide)?;
        context_step(
            Side::Client,
            phCredential,
            phContext,
            target,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    })
}

/// Narrow form of InitializeSecurityContextW (UTF-8 target name).
#[no_mangle]
pub unsafe extern "system" fn InitializeSecurityContextA(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pszTargetName: *mut SEC_CHAR,
    fContextReq: ULONG,
    Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: PSecBufferDesc,
    Reserved2: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    let _ = (Reserved1, TargetDataRep, Reserved2);
    // SAFETY: caller's arguments, checked inside.
    guard("InitializeSecurityContextA", || unsafe {
        let target = any_str(pszTargetName as _, Charset::Ansi)?;
        context_step(
            Side::Client,
            phCredential,
            phContext,
            target,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    })
}

/// Server side of a handshake; the same conventions as InitializeSecurityContextW, with
/// ASC_REQ_* / ASC_RET_* flags. Wrong password or unknown user → `SEC_E_LOGON_DENIED`.
#[no_mangle]
pub unsafe extern "system" fn AcceptSecurityContext(
    phCredential: PCredHandle,
    phContext: PCtxtHandle,
    pInput: PSecBufferDesc,
    fContextReq: ULONG,
    TargetDataRep: ULONG,
    phNewContext: PCtxtHandle,
    pOutput: PSecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: PTimeStamp,
) -> SECURITY_STATUS {
    let _ = TargetDataRep;
    // SAFETY: caller's arguments, checked inside.
    guard("AcceptSecurityContext", || unsafe {
        context_step(
            Side::Server,
            phCredential,
            phContext,
            None,
            fContextReq,
            pInput,
            phNewContext,
            pOutput,
            pfContextAttr,
            ptsExpiry,
        )
    })
}

/// Completes a token for packages that return SEC_I_COMPLETE_NEEDED (none here: SEC_E_OK
/// for a valid context).
#[no_mangle]
pub unsafe extern "system" fn CompleteAuthToken(
    phContext: PCtxtHandle,
    pToken: PSecBufferDesc,
) -> SECURITY_STATUS {
    guard("CompleteAuthToken", || {
        // SAFETY: caller's handle pointer and descriptor.
        let entry = unsafe { context_of(phContext)? };
        // SAFETY: as above.
        let mut bufs = unsafe { SecBuffers::from_desc(pToken)? }.ok_or(Error::InvalidToken)?;
        entry.context.complete_auth_token(&mut bufs)?;
        Ok(Outcome::Ok)
    })
}

/// Applies a control token (Schannel shutdown…); unsupported by the package → SEC_E_UNSUPPORTED_FUNCTION.
#[no_mangle]
pub unsafe extern "system" fn ApplyControlToken(
    phContext: PCtxtHandle,
    pInput: PSecBufferDesc,
) -> SECURITY_STATUS {
    guard("ApplyControlToken", || {
        // SAFETY: caller's handle pointer and descriptor.
        let entry = unsafe { context_of(phContext)? };
        // SAFETY: as above.
        // NULL descriptor: SEC_E_INTERNAL_ERROR, as Windows' Schannel.
        let mut bufs = unsafe { SecBuffers::from_desc(pInput)? }.ok_or(Error::InternalError)?;
        entry.context.apply_control_token(&mut bufs)?;
        Ok(Outcome::Ok)
    })
}

/// Deletes a context and zeroizes its keys (once calls in flight on other threads return).
/// A second call → `SEC_E_INVALID_HANDLE`.
#[no_mangle]
pub unsafe extern "system" fn DeleteSecurityContext(phContext: PCtxtHandle) -> SECURITY_STATUS {
    guard("DeleteSecurityContext", || {
        // SAFETY: caller's handle pointer.
        let h = unsafe { read_handle(phContext)? };
        handles::remove_context(&h)?;
        super::sasl::forget(&h);
        Ok(Outcome::Ok)
    })
}

unsafe fn query_ctx_attrs(
    h: PCtxtHandle,
    attr: ULONG,
    buf: *mut c_void,
    size: Option<ULONG>,
    cs: Charset,
) -> SecResult<Outcome> {
    // SAFETY: caller's handle pointer.
    let entry = unsafe { context_of(h)? };
    if buf.is_null() {
        return Err(Error::InvalidParameter);
    }
    // SAFETY: buf is the caller's struct for this attribute.
    if let Some(r) = unsafe {
        entry
            .context
            .query_attribute_raw(attr, buf, cs == Charset::Wide)
    } {
        return r.map(|()| Outcome::Ok);
    }
    // SAFETY: buf is the caller's struct for this attribute.
    unsafe { deliver_attribute(entry.context.query_attribute(attr)?, buf, size, cs) }
}

/// Queries a context attribute (SECPKG_ATTR_SIZES, NAMES, SESSION_KEY, …) into the struct the
/// attribute documents. Strings, keys and SecPkgInfo it returns are freed with
/// FreeContextBuffer. Unknown or inapplicable attribute → `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn QueryContextAttributesW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryContextAttributesW", || unsafe {
        query_ctx_attrs(phContext, ulAttribute, pBuffer, None, Charset::Wide)
    })
}

/// Narrow form of QueryContextAttributesW.
#[no_mangle]
pub unsafe extern "system" fn QueryContextAttributesA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryContextAttributesA", || unsafe {
        query_ctx_attrs(phContext, ulAttribute, pBuffer, None, Charset::Ansi)
    })
}

/// QueryContextAttributesW with the size of `pBuffer` (too small → `SEC_E_BUFFER_TOO_SMALL`).
#[no_mangle]
pub unsafe extern "system" fn QueryContextAttributesExW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryContextAttributesExW", || unsafe {
        query_ctx_attrs(
            phContext,
            ulAttribute,
            pBuffer,
            Some(cbBuffer),
            Charset::Wide,
        )
    })
}

/// Narrow form of QueryContextAttributesExW.
#[no_mangle]
pub unsafe extern "system" fn QueryContextAttributesExA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("QueryContextAttributesExA", || unsafe {
        query_ctx_attrs(
            phContext,
            ulAttribute,
            pBuffer,
            Some(cbBuffer),
            Charset::Ansi,
        )
    })
}

unsafe fn set_ctx_attrs(
    h: PCtxtHandle,
    attr: ULONG,
    buf: *mut c_void,
    size: ULONG,
) -> SecResult<Outcome> {
    // SAFETY: caller's handle pointer.
    let entry = unsafe { context_of(h)? };
    // SAFETY: the caller's struct of cbBuffer bytes.
    let bytes = unsafe { caller_bytes(buf, size)? };
    entry.context.set_attribute(attr, bytes)?;
    Ok(Outcome::Ok)
}

/// Sets a context attribute; unsupported ones → `SEC_E_UNSUPPORTED_FUNCTION`.
#[no_mangle]
pub unsafe extern "system" fn SetContextAttributesW(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("SetContextAttributesW", || unsafe {
        set_ctx_attrs(phContext, ulAttribute, pBuffer, cbBuffer)
    })
}

/// Narrow form of SetContextAttributesW.
#[no_mangle]
pub unsafe extern "system" fn SetContextAttributesA(
    phContext: PCtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: caller's arguments.
    guard("SetContextAttributesA", || unsafe {
        set_ctx_attrs(phContext, ulAttribute, pBuffer, cbBuffer)
    })
}
