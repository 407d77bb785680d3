//! The callbacks a loaded SSP/AP receives: LSA_SECPKG_FUNCTION_TABLE (SpInitialize) and
//! SECPKG_DLL_FUNCTIONS (SpInstanceInit).
//!
//! The "client" of every call is this process, so client memory is ordinary memory: the
//! client-buffer callbacks allocate, free and copy in place. Heap memory (AllocateLsaHeap,
//! AllocatePrivateHeap, AllocateClientBuffer, SECPKG_DLL_FUNCTIONS.AllocateHeap) is zeroed and
//! freeable by FreeContextBuffer, so output tokens a package allocates for
//! ISC_REQ_ALLOCATE_MEMORY reach the caller as Windows' do. Callbacks that need an access token,
//! SAM, the Credential Manager or a domain controller return STATUS_NOT_IMPLEMENTED (NULL or
//! FALSE where they return no NTSTATUS). None can panic.

use crate::buffers::{alloc_context_buffer, free_context_buffer};
use crate::ffi::lsa::{NTSTATUS, PLSA_STRING, PNTSTATUS, SECURITY_LOGON_TYPE};
use crate::ffi::ntsecpkg::*;
use crate::ffi::schannel::PUNICODE_STRING;
use crate::ffi::types::*;

pub const STATUS_SUCCESS: NTSTATUS = 0;
pub const STATUS_NOT_IMPLEMENTED: NTSTATUS = 0xC000_0002_u32 as NTSTATUS;
pub const STATUS_INVALID_PARAMETER: NTSTATUS = 0xC000_000D_u32 as NTSTATUS;
pub const STATUS_NO_MEMORY: NTSTATUS = 0xC000_0017_u32 as NTSTATUS;

/// SECURITY_IMPERSONATION_LEVEL SecurityImpersonation.
const SECURITY_IMPERSONATION: u32 = 2;

fn alloc_zeroed(len: usize) -> PVOID {
    match alloc_context_buffer(len) {
        Some(p) => {
            // SAFETY: p is a fresh allocation of at least len bytes.
            unsafe { core::ptr::write_bytes(p, 0, len) };
            p as PVOID
        }
        None => core::ptr::null_mut(),
    }
}

unsafe extern "system" fn allocate_lsa_heap(length: ULONG) -> PVOID {
    alloc_zeroed(length as usize)
}

unsafe extern "system" fn free_lsa_heap(base: PVOID) {
    if !base.is_null() {
        free_context_buffer(base);
    }
}

unsafe extern "system" fn allocate_private_heap(length: usize) -> PVOID {
    alloc_zeroed(length)
}

unsafe extern "system" fn allocate_client_buffer(
    _req: PLSA_CLIENT_REQUEST,
    length: ULONG,
    out: *mut PVOID,
) -> NTSTATUS {
    if out.is_null() {
        return STATUS_INVALID_PARAMETER;
    }
    let p = alloc_zeroed(length as usize);
    if p.is_null() {
        return STATUS_NO_MEMORY;
    }
    // SAFETY: out is the package's non-NULL PVOID.
    unsafe { out.write_unaligned(p) };
    STATUS_SUCCESS
}

unsafe extern "system" fn free_client_buffer(_req: PLSA_CLIENT_REQUEST, base: PVOID) -> NTSTATUS {
    if !base.is_null() {
        free_context_buffer(base);
    }
    STATUS_SUCCESS
}

unsafe extern "system" fn copy_to_client_buffer(
    _req: PLSA_CLIENT_REQUEST,
    length: ULONG,
    client: PVOID,
    from: PVOID,
) -> NTSTATUS {
    if length == 0 {
        return STATUS_SUCCESS;
    }
    if client.is_null() || from.is_null() {
        return STATUS_INVALID_PARAMETER;
    }
    // SAFETY: the package vouches for `length` bytes at both (the client is this process);
    // `copy` tolerates overlap.
    unsafe { core::ptr::copy(from as *const u8, client as *mut u8, length as usize) };
    STATUS_SUCCESS
}

unsafe extern "system" fn copy_from_client_buffer(
    req: PLSA_CLIENT_REQUEST,
    length: ULONG,
    to: PVOID,
    client: PVOID,
) -> NTSTATUS {
    // SAFETY: the same copy in the other direction.
    unsafe { copy_to_client_buffer(req, length, to, client) }
}

/// The client is this process, running as itself: nothing to change.
unsafe extern "system" fn impersonate_client() -> NTSTATUS {
    STATUS_SUCCESS
}

fn ids() -> (ULONG, ULONG) {
    // SAFETY: getpid and gettid have no preconditions.
    #[cfg(target_os = "linux")]
    let (p, t) = unsafe { (libc::getpid() as ULONG, libc::gettid() as ULONG) };
    #[cfg(not(target_os = "linux"))]
    let (p, t) = (std::process::id(), 0);
    (p, t)
}

unsafe extern "system" fn get_client_info(info: PSECPKG_CLIENT_INFO) -> NTSTATUS {
    if info.is_null() {
        return STATUS_INVALID_PARAMETER;
    }
    let (pid, tid) = ids();
    // SAFETY: the package's non-NULL SECPKG_CLIENT_INFO.
    unsafe {
        info.write_unaligned(SECPKG_CLIENT_INFO {
            LogonId: LUID::default(),
            ProcessID: pid,
            ThreadID: tid,
            HasTcbPrivilege: 0,
            Impersonating: 0,
            Restricted: 0,
            ClientFlags: 0,
            ImpersonationLevel: SECURITY_IMPERSONATION,
        })
    };
    STATUS_SUCCESS
}

unsafe extern "system" fn get_call_info(info: PSECPKG_CALL_INFO) -> BOOLEAN {
    if info.is_null() {
        return 0;
    }
    let (pid, tid) = ids();
    // SAFETY: the package's non-NULL SECPKG_CALL_INFO.
    unsafe {
        info.write_unaligned(SECPKG_CALL_INFO {
            ProcessId: pid,
            ThreadId: tid,
            Attributes: SECPKG_CALL_IN_PROC,
            CallCount: 1,
        })
    };
    1
}

/// In-process, the buffer is already mapped: the output is the input.
unsafe extern "system" fn map_buffer(input: PSecBuffer, output: PSecBuffer) -> NTSTATUS {
    if input.is_null() || output.is_null() {
        return STATUS_INVALID_PARAMETER;
    }
    // SAFETY: the package's non-NULL SecBuffers.
    unsafe { output.write_unaligned(input.read_unaligned()) };
    STATUS_SUCCESS
}

/// LsaProtectMemory / LsaUnprotectMemory: the memory never leaves this process; unchanged.
unsafe extern "system" fn protect_memory(_buffer: PVOID, _size: ULONG) {}

unsafe extern "system" fn register_callback(_id: ULONG, _cb: PLSA_CALLBACK_FUNCTION) -> NTSTATUS {
    STATUS_SUCCESS
}

// --- entries with no Linux meaning ------------------------------------------------------------

unsafe extern "system" fn ni_luid(_: PLUID) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_add_credential(
    _: PLUID,
    _: ULONG,
    _: PLSA_STRING,
    _: PLSA_STRING,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_get_credentials(
    _: PLUID,
    _: ULONG,
    _: *mut ULONG,
    _: BOOLEAN,
    _: PLSA_STRING,
    _: *mut ULONG,
    _: PLSA_STRING,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_delete_credential(_: PLUID, _: ULONG, _: PLSA_STRING) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_void() -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_duplicate_handle(_: HANDLE, _: PHANDLE) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_save_supplemental(
    _: PLUID,
    _: ULONG,
    _: PVOID,
    _: BOOLEAN,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_create_thread(
    _: PVOID,
    _: ULONG,
    _: PVOID,
    _: PVOID,
    _: ULONG,
    _: *mut ULONG,
) -> HANDLE {
    core::ptr::null_mut()
}
unsafe extern "system" fn ni_register_notification(
    _: PVOID,
    _: PVOID,
    _: ULONG,
    _: ULONG,
    _: ULONG,
    _: ULONG,
    _: HANDLE,
) -> HANDLE {
    core::ptr::null_mut()
}
unsafe extern "system" fn ni_handle(_: HANDLE) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_create_token(
    _: PLUID,
    _: PVOID,
    _: SECURITY_LOGON_TYPE,
    _: u32,
    _: u32,
    _: PVOID,
    _: PVOID,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: PHANDLE,
    _: PNTSTATUS,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_audit_logon(
    _: NTSTATUS,
    _: NTSTATUS,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: PVOID,
    _: SECURITY_LOGON_TYPE,
    _: PVOID,
    _: PLUID,
) {
}
unsafe extern "system" fn ni_call_package(
    _: PUNICODE_STRING,
    _: PVOID,
    _: ULONG,
    _: *mut PVOID,
    _: *mut ULONG,
    _: PNTSTATUS,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_call_package_ex(
    _: PUNICODE_STRING,
    _: PVOID,
    _: PVOID,
    _: ULONG,
    _: *mut PVOID,
    _: *mut ULONG,
    _: PNTSTATUS,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_create_shared(_: ULONG, _: ULONG) -> PVOID {
    core::ptr::null_mut()
}
unsafe extern "system" fn ni_alloc_shared(_: PVOID, _: ULONG) -> PVOID {
    core::ptr::null_mut()
}
unsafe extern "system" fn ni_free_shared(_: PVOID, _: PVOID) {}
unsafe extern "system" fn ni_delete_shared(_: PVOID) -> BOOLEAN {
    0
}
unsafe extern "system" fn ni_open_sam_user(
    _: PSECURITY_STRING,
    _: SECPKG_NAME_TYPE,
    _: PSECURITY_STRING,
    _: BOOLEAN,
    _: ULONG,
    _: *mut PVOID,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_get_user_credentials(
    _: PVOID,
    _: *mut PVOID,
    _: *mut ULONG,
    _: *mut PVOID,
    _: *mut ULONG,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_get_user_auth_data(
    _: PVOID,
    _: *mut *mut UCHAR,
    _: *mut ULONG,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_close_sam_user(_: PVOID) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_convert_auth_data(
    _: PVOID,
    _: ULONG,
    _: u32,
    _: PVOID,
    _: SECURITY_LOGON_TYPE,
    _: PUNICODE_STRING,
    _: PHANDLE,
    _: PLUID,
    _: PUNICODE_STRING,
    _: PNTSTATUS,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_client_callback(
    _: *mut SEC_CHAR,
    _: ULONG_PTR,
    _: ULONG_PTR,
    _: PSecBuffer,
    _: PSecBuffer,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_update_credentials(
    _: PSECPKG_PRIMARY_CRED,
    _: PSECPKG_SUPPLEMENTAL_CRED_ARRAY,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_get_auth_data_for_user(
    _: PSECURITY_STRING,
    _: SECPKG_NAME_TYPE,
    _: PSECURITY_STRING,
    _: *mut *mut UCHAR,
    _: *mut ULONG,
    _: PUNICODE_STRING,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_crack_single_name(
    _: ULONG,
    _: BOOLEAN,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: ULONG,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: *mut ULONG,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_audit_account_logon(
    _: ULONG,
    _: BOOLEAN,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: NTSTATUS,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_open_token_by_logon_id(_: PLUID, _: PHANDLE) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_expand_auth_data(
    _: *mut UCHAR,
    _: ULONG,
    _: PVOID,
    _: *mut *mut UCHAR,
    _: *mut ULONG,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
unsafe extern "system" fn ni_create_token_ex(
    _: PLUID,
    _: PVOID,
    _: SECURITY_LOGON_TYPE,
    _: u32,
    _: u32,
    _: PVOID,
    _: PVOID,
    _: PUNICODE_STRING,
    _: PUNICODE_STRING,
    _: PVOID,
    _: u32,
    _: PHANDLE,
    _: PNTSTATUS,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}
/// The Credential Manager slots (CrediRead, CrediReadDomainCredentials, CrediFreeCredentials,
/// CrediWrite) are typed PLSA_PROTECT_MEMORY in the header; this stub takes their longest
/// argument list and returns STATUS_NOT_IMPLEMENTED.
unsafe extern "system" fn ni_credi(
    _: PVOID,
    _: ULONG,
    _: PVOID,
    _: ULONG,
    _: ULONG,
    _: PVOID,
) -> NTSTATUS {
    STATUS_NOT_IMPLEMENTED
}

fn credi_slot() -> PLSA_PROTECT_MEMORY {
    type Credi = unsafe extern "system" fn(PVOID, ULONG, PVOID, ULONG, ULONG, PVOID) -> NTSTATUS;
    let f: Credi = ni_credi;
    // SAFETY: both are `extern "system"` function pointers of the same size; the package calls
    // the slot with the CrediXxx signature (≤ 6 pointer-sized arguments, NTSTATUS result),
    // which `ni_credi` accepts in the C calling convention; Rust never calls it through this type.
    Some(unsafe { core::mem::transmute::<Credi, unsafe extern "system" fn(PVOID, ULONG)>(f) })
}

/// A fresh LSA_SECPKG_FUNCTION_TABLE (one per package, leaked: packages keep the pointer).
pub fn lsa_table() -> LSA_SECPKG_FUNCTION_TABLE {
    LSA_SECPKG_FUNCTION_TABLE {
        CreateLogonSession: Some(ni_luid),
        DeleteLogonSession: Some(ni_luid),
        AddCredential: Some(ni_add_credential),
        GetCredentials: Some(ni_get_credentials),
        DeleteCredential: Some(ni_delete_credential),
        AllocateLsaHeap: Some(allocate_lsa_heap),
        FreeLsaHeap: Some(free_lsa_heap),
        AllocateClientBuffer: Some(allocate_client_buffer),
        FreeClientBuffer: Some(free_client_buffer),
        CopyToClientBuffer: Some(copy_to_client_buffer),
        CopyFromClientBuffer: Some(copy_from_client_buffer),
        ImpersonateClient: Some(impersonate_client),
        UnloadPackage: Some(ni_void),
        DuplicateHandle: Some(ni_duplicate_handle),
        SaveSupplementalCredentials: Some(ni_save_supplemental),
        CreateThread: Some(ni_create_thread),
        GetClientInfo: Some(get_client_info),
        RegisterNotification: Some(ni_register_notification),
        CancelNotification: Some(ni_handle),
        MapBuffer: Some(map_buffer),
        CreateToken: Some(ni_create_token),
        AuditLogon: Some(ni_audit_logon),
        CallPackage: Some(ni_call_package),
        FreeReturnBuffer: Some(free_lsa_heap),
        GetCallInfo: Some(get_call_info),
        CallPackageEx: Some(ni_call_package_ex),
        CreateSharedMemory: Some(ni_create_shared),
        AllocateSharedMemory: Some(ni_alloc_shared),
        FreeSharedMemory: Some(ni_free_shared),
        DeleteSharedMemory: Some(ni_delete_shared),
        OpenSamUser: Some(ni_open_sam_user),
        GetUserCredentials: Some(ni_get_user_credentials),
        GetUserAuthData: Some(ni_get_user_auth_data),
        CloseSamUser: Some(ni_close_sam_user),
        ConvertAuthDataToToken: Some(ni_convert_auth_data),
        ClientCallback: Some(ni_client_callback),
        UpdateCredentials: Some(ni_update_credentials),
        GetAuthDataForUser: Some(ni_get_auth_data_for_user),
        CrackSingleName: Some(ni_crack_single_name),
        AuditAccountLogon: Some(ni_audit_account_logon),
        CallPackagePassthrough: Some(ni_call_package_ex),
        DummyFunction1: credi_slot(),
        DummyFunction2: credi_slot(),
        DummyFunction3: credi_slot(),
        LsaProtectMemory: Some(protect_memory),
        LsaUnprotectMemory: Some(protect_memory),
        OpenTokenByLogonId: Some(ni_open_token_by_logon_id),
        ExpandAuthDataForDomain: Some(ni_expand_auth_data),
        AllocatePrivateHeap: Some(allocate_private_heap),
        FreePrivateHeap: Some(free_lsa_heap),
        CreateTokenEx: Some(ni_create_token_ex),
        DummyFunction4: credi_slot(),
    }
}

/// SECPKG_DLL_FUNCTIONS for SpInstanceInit. RegisterCallback succeeds and records nothing: an
/// in-process package is never called back from an LSA.
pub fn dll_functions() -> SECPKG_DLL_FUNCTIONS {
    SECPKG_DLL_FUNCTIONS {
        AllocateHeap: Some(allocate_lsa_heap),
        FreeHeap: Some(free_lsa_heap),
        RegisterCallback: Some(register_callback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_and_client_buffer_callbacks_work() {
        let t = lsa_table();
        // SAFETY: the callbacks with valid arguments, as a package would call them.
        unsafe {
            let p = t.AllocateLsaHeap.unwrap()(32) as *mut u8;
            assert!(!p.is_null());
            assert!(core::slice::from_raw_parts(p, 32).iter().all(|&b| b == 0));
            let mut client: PVOID = core::ptr::null_mut();
            let req = core::ptr::null_mut();
            assert_eq!(t.AllocateClientBuffer.unwrap()(req, 5, &mut client), 0);
            let mut src = *b"hello";
            assert_eq!(
                t.CopyToClientBuffer.unwrap()(req, 5, client, src.as_mut_ptr().cast()),
                0
            );
            let mut back = [0u8; 5];
            assert_eq!(
                t.CopyFromClientBuffer.unwrap()(req, 5, back.as_mut_ptr().cast(), client),
                0
            );
            assert_eq!(&back, b"hello");
            assert_eq!(t.FreeClientBuffer.unwrap()(req, client), 0);
            t.FreeLsaHeap.unwrap()(p.cast());
            // Freed memory is no longer a live context buffer.
            assert!(!free_context_buffer(p.cast()));
            assert_eq!(
                t.CreateToken.unwrap()(
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                    0,
                    0,
                    0,
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                    core::ptr::null_mut(),
                ),
                STATUS_NOT_IMPLEMENTED
            );
            let mut ci: SECPKG_CALL_INFO = core::mem::zeroed();
            assert_eq!(t.GetCallInfo.unwrap()(&mut ci), 1);
            assert_eq!(ci.ProcessId, std::process::id());
        }
    }
}
