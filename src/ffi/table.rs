//! InitSecurityInterfaceA/W: the static SecurityFunctionTable whose slots are the exports.

use super::consts::SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION;
use super::exports::*;
use super::types::*;

struct TableW(SecurityFunctionTableW);
// SAFETY: the table is immutable; its raw-pointer fields are NULL reserved slots.
unsafe impl Sync for TableW {}
struct TableA(SecurityFunctionTableA);
// SAFETY: as for TableW.
unsafe impl Sync for TableA {}

static TABLE_W: TableW = TableW(SecurityFunctionTableW {
    dwVersion: SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION,
    EnumerateSecurityPackagesW: Some(EnumerateSecurityPackagesW),
    QueryCredentialsAttributesW: Some(QueryCredentialsAttributesW),
    AcquireCredentialsHandleW: Some(AcquireCredentialsHandleW),
    FreeCredentialsHandle: Some(FreeCredentialsHandle),
    Reserved2: core::ptr::null_mut(),
    InitializeSecurityContextW: Some(InitializeSecurityContextW),
    AcceptSecurityContext: Some(AcceptSecurityContext),
    CompleteAuthToken: Some(CompleteAuthToken),
    DeleteSecurityContext: Some(DeleteSecurityContext),
    ApplyControlToken: Some(ApplyControlToken),
    QueryContextAttributesW: Some(QueryContextAttributesW),
    ImpersonateSecurityContext: Some(ImpersonateSecurityContext),
    RevertSecurityContext: Some(RevertSecurityContext),
    MakeSignature: Some(MakeSignature),
    VerifySignature: Some(VerifySignature),
    FreeContextBuffer: Some(FreeContextBuffer),
    QuerySecurityPackageInfoW: Some(QuerySecurityPackageInfoW),
    Reserved3: Some(EncryptMessage),
    Reserved4: Some(DecryptMessage),
    ExportSecurityContext: Some(ExportSecurityContext),
    ImportSecurityContextW: Some(ImportSecurityContextW),
    AddCredentialsW: Some(AddCredentialsW),
    Reserved8: core::ptr::null_mut(),
    QuerySecurityContextToken: Some(QuerySecurityContextToken),
    EncryptMessage: Some(EncryptMessage),
    DecryptMessage: Some(DecryptMessage),
    SetContextAttributesW: Some(SetContextAttributesW),
    SetCredentialsAttributesW: Some(SetCredentialsAttributesW),
    ChangeAccountPasswordW: Some(ChangeAccountPasswordW),
    QueryContextAttributesExW: Some(QueryContextAttributesExW),
    QueryCredentialsAttributesExW: Some(QueryCredentialsAttributesExW),
});

static TABLE_A: TableA = TableA(SecurityFunctionTableA {
    dwVersion: SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION,
    EnumerateSecurityPackagesA: Some(EnumerateSecurityPackagesA),
    QueryCredentialsAttributesA: Some(QueryCredentialsAttributesA),
    AcquireCredentialsHandleA: Some(AcquireCredentialsHandleA),
    FreeCredentialHandle: Some(FreeCredentialsHandle),
    Reserved2: core::ptr::null_mut(),
    InitializeSecurityContextA: Some(InitializeSecurityContextA),
    AcceptSecurityContext: Some(AcceptSecurityContext),
    CompleteAuthToken: Some(CompleteAuthToken),
    DeleteSecurityContext: Some(DeleteSecurityContext),
    ApplyControlToken: Some(ApplyControlToken),
    QueryContextAttributesA: Some(QueryContextAttributesA),
    ImpersonateSecurityContext: Some(ImpersonateSecurityContext),
    RevertSecurityContext: Some(RevertSecurityContext),
    MakeSignature: Some(MakeSignature),
    VerifySignature: Some(VerifySignature),
    FreeContextBuffer: Some(FreeContextBuffer),
    QuerySecurityPackageInfoA: Some(QuerySecurityPackageInfoA),
    Reserved3: Some(EncryptMessage),
    Reserved4: Some(DecryptMessage),
    ExportSecurityContext: Some(ExportSecurityContext),
    ImportSecurityContextA: Some(ImportSecurityContextA),
    AddCredentialsA: Some(AddCredentialsA),
    Reserved8: core::ptr::null_mut(),
    QuerySecurityContextToken: Some(QuerySecurityContextToken),
    EncryptMessage: Some(EncryptMessage),
    DecryptMessage: Some(DecryptMessage),
    SetContextAttributesA: Some(SetContextAttributesA),
    SetCredentialsAttributesA: Some(SetCredentialsAttributesA),
    ChangeAccountPasswordA: Some(ChangeAccountPasswordA),
    QueryContextAttributesExA: Some(QueryContextAttributesExA),
    QueryCredentialsAttributesExA: Some(QueryCredentialsAttributesExA),
});

/// Returns the wide function table: `dwVersion` = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION
/// (1), the value Windows reports, with every slot of the version-5 layout filled
/// (`Reserved3`/`Reserved4` are EncryptMessage/DecryptMessage, as on Windows). The table is
/// static: do not modify or free it.
#[no_mangle]
pub extern "system" fn InitSecurityInterfaceW() -> PSecurityFunctionTableW {
    &TABLE_W.0 as *const SecurityFunctionTableW as PSecurityFunctionTableW
}

/// Returns the narrow function table; see InitSecurityInterfaceW.
#[no_mangle]
pub extern "system" fn InitSecurityInterfaceA() -> PSecurityFunctionTableA {
    &TABLE_A.0 as *const SecurityFunctionTableA as PSecurityFunctionTableA
}
