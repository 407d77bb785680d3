//! SSP/AP plug-ins: third-party security packages written to Microsoft's SSP/AP interface
//! (ntsecpkg.h: SpLsaModeInitialize, SpUserModeInitialize, SpSealMessage, …), loaded from a
//! shared object and dispatched through the same handle table and package traits as the
//! built-in packages (`dispatch`).
//!
//! Loading a library (AddSecurityPackage, or each path of `SECUR32_PACKAGES`):
//! 1. `dlopen` it and find `SpLsaModeInitialize` (required) and `SpUserModeInitialize`
//!    (optional: without it, message calls are `SEC_E_UNSUPPORTED_FUNCTION`).
//! 2. `SpLsaModeInitialize(SECPKG_INTERFACE_VERSION, …)` → N SECPKG_FUNCTION_TABLEs. Only the
//!    entries the returned PackageVersion covers are read (27 for SECPKG_INTERFACE_VERSION,
//!    28 for _2, 29 for _3 and later), never past an older table's end.
//! 3. For each table: `SpInitialize(id, SECPKG_PARAMETERS, LSA_SECPKG_FUNCTION_TABLE)`
//!    (`callbacks`), `SpGetInfo` → the SecPkgInfo EnumerateSecurityPackages and
//!    QuerySecurityPackageInfo report.
//! 4. `SpUserModeInitialize` → SECPKG_USER_FUNCTION_TABLEs (same order), `SpInstanceInit`
//!    with SECPKG_DLL_FUNCTIONS for each.
//! 5. Register each package under its name; a name already registered is refused.
//!
//! A bad plug-in never takes the caller down on our side: a missing or unloadable file, a
//! library without SpLsaModeInitialize, a NULL or empty table list, an interface version below
//! SECPKG_INTERFACE_VERSION or a table without SpGetInfo / SpAcquireCredentialsHandle →
//! `SEC_E_SECPKG_NOT_FOUND`; a failing SpLsaModeInitialize / SpInitialize / SpGetInfo /
//! SpUserModeInitialize / SpInstanceInit → its status, mapped as Windows maps NTSTATUS
//! (`nt`); a library already loaded or a name already registered → `SEC_E_INVALID_PARAMETER`. Each failure writes one
//! `SECUR32_LOG` line at level `error`. Libraries are never unloaded (as on Windows, where
//! DeleteSecurityPackage is unsupported).

mod callbacks;
mod dispatch;
pub mod nt;

use crate::ffi::ntsecpkg::*;
use crate::ffi::types::*;
use crate::log::Level;
use crate::package::{self, PackageInfo};
use crate::status::{Error, SecResult};
use dispatch::Plugin;
use parking_lot::Mutex;
use std::cell::Cell;
use std::sync::Once;

/// The environment variable naming the plug-ins to load (the analogue of the LSA's
/// "Security Packages" registry value): shared-object paths separated by `:`. Read once, at
/// the first package lookup by a name that is not built in or the first enumeration.
pub const ENV_PACKAGES: &str = "SECUR32_PACKAGES";

/// Every plug-in package loaded (leaked: packages live as long as the process).
static PLUGINS: Mutex<Vec<&'static Plugin>> = Mutex::new(Vec::new());

/// The 'static plug-in `p` is (every Plugin is leaked at registration).
fn plugin_static(p: &Plugin) -> SecResult<&'static Plugin> {
    PLUGINS
        .lock()
        .iter()
        .copied()
        .find(|q| core::ptr::eq(*q, p))
        .ok_or(Error::InternalError)
}

thread_local! {
    /// This thread is loading the configured plug-ins (a plug-in calling back into secur32
    /// during its initialisation must not wait for itself).
    static LOADING: Cell<bool> = const { Cell::new(false) };
}

/// Loads the plug-ins `SECUR32_PACKAGES` names, once per process. Failures are logged and
/// never fatal.
pub fn load_configured() {
    static ONCE: Once = Once::new();
    if ONCE.is_completed() || LOADING.with(Cell::get) {
        return;
    }
    ONCE.call_once(|| {
        LOADING.with(|l| l.set(true));
        if let Some(list) = std::env::var_os(ENV_PACKAGES) {
            for path in list.to_string_lossy().split(':').filter(|p| !p.is_empty()) {
                if let Err(e) = add_package(path) {
                    crate::log!(Level::Error, "{ENV_PACKAGES}: {path} not loaded: {e}");
                }
            }
        }
        LOADING.with(|l| l.set(false));
    });
}

fn fail(path: &str, e: Error, why: core::fmt::Arguments<'_>) -> Error {
    crate::log!(Level::Error, "security package {path}: {why}: {e}");
    e
}

/// A PackageVersion's number of SECPKG_FUNCTION_TABLE entries (see the module comment), or
/// None for a version below SECPKG_INTERFACE_VERSION.
fn lsa_entries(version: ULONG) -> Option<usize> {
    match version {
        v if v >= SECPKG_INTERFACE_VERSION_3 => Some(29),
        v if v >= SECPKG_INTERFACE_VERSION_2 => Some(28),
        v if v >= SECPKG_INTERFACE_VERSION => Some(27),
        _ => None,
    }
}

/// Copies the first `entries` pointer-sized entries of a package's table into a zeroed
/// (all-None) table of ours.
///
/// # Safety
/// `src` points to at least `entries` readable pointer-sized entries; `T` is a table of
/// `Option<fn>` fields only, and `entries * size_of::<usize>() <= size_of::<T>()`.
unsafe fn copy_table<T: Default>(src: *const T, entries: usize) -> T {
    let mut t = T::default();
    let n = (entries * core::mem::size_of::<usize>()).min(core::mem::size_of::<T>());
    // SAFETY: per the contract; any pointer value, NULL included, is a valid Option<fn>.
    unsafe { core::ptr::copy_nonoverlapping(src as *const u8, &mut t as *mut T as *mut u8, n) };
    t
}

/// Loads a shared object exporting SpLsaModeInitialize (and optionally SpUserModeInitialize)
/// and registers every package it provides. Errors: see the module comment. Packages of the
/// library registered before a failure stay registered.
pub fn add_package(path: &str) -> SecResult<()> {
    let lib = open(path)?;
    {
        // The same library twice (dlopen hands back the same handle): never initialise it again.
        static OPENED: Mutex<Vec<usize>> = Mutex::new(Vec::new());
        let mut opened = OPENED.lock();
        if opened.contains(&(lib.0 as usize)) {
            return Err(fail(
                path,
                Error::InvalidParameter,
                format_args!("already loaded"),
            ));
        }
        opened.push(lib.0 as usize);
    }
    let lsa_init: SpLsaModeInitializeFn = lib.symbol(c"SpLsaModeInitialize");
    let Some(lsa_init) = lsa_init else {
        return Err(fail(
            path,
            Error::SecpkgNotFound,
            format_args!("no SpLsaModeInitialize"),
        ));
    };
    let (mut version, mut tables, mut count) = (0 as ULONG, core::ptr::null_mut(), 0 as ULONG);
    // SAFETY: the package's exported initializer with our locals as out-parameters.
    let s = unsafe {
        lsa_init(
            SECPKG_INTERFACE_VERSION,
            &mut version,
            &mut tables,
            &mut count,
        )
    };
    nt::check(s).map_err(|e| fail(path, e, format_args!("SpLsaModeInitialize failed")))?;
    if tables.is_null() || count == 0 || count > 64 {
        return Err(fail(
            path,
            Error::SecpkgNotFound,
            format_args!("SpLsaModeInitialize returned {count} tables at {tables:p}"),
        ));
    }
    let Some(entries) = lsa_entries(version) else {
        return Err(fail(
            path,
            Error::SecpkgNotFound,
            format_args!("interface version 0x{version:08X} is below SECPKG_INTERFACE_VERSION"),
        ));
    };
    let user_init: SpUserModeInitializeFn = lib.symbol(c"SpUserModeInitialize");
    let (mut uversion, mut utables, mut ucount) = (0 as ULONG, core::ptr::null_mut(), 0 as ULONG);
    if let Some(user_init) = user_init {
        // SAFETY: as for SpLsaModeInitialize.
        let s = unsafe {
            user_init(
                SECPKG_INTERFACE_VERSION,
                &mut uversion,
                &mut utables,
                &mut ucount,
            )
        };
        nt::check(s).map_err(|e| fail(path, e, format_args!("SpUserModeInitialize failed")))?;
        if utables.is_null() || uversion < SECPKG_INTERFACE_VERSION {
            ucount = 0;
        }
    }
    for i in 0..count as usize {
        // SAFETY: the package returned `count` tables at `tables`, each at least as long as
        // its version says (`entries`).
        let lsa: SECPKG_FUNCTION_TABLE = unsafe { copy_table(tables.add(i), entries) };
        let user = if i < ucount as usize {
            // SAFETY: `ucount` user tables of the full size at `utables`.
            unsafe { copy_table(utables.add(i), 14) }
        } else {
            SECPKG_USER_FUNCTION_TABLE::default()
        };
        load_one(path, i, lsa, user)?;
    }
    Ok(())
}

fn load_one(
    path: &str,
    i: usize,
    lsa: SECPKG_FUNCTION_TABLE,
    user: SECPKG_USER_FUNCTION_TABLE,
) -> SecResult<()> {
    let (Some(get_info), Some(_)) = (lsa.GetInfo, lsa.AcquireCredentialsHandle) else {
        return Err(fail(
            path,
            Error::SecpkgNotFound,
            format_args!("table {i} lacks SpGetInfo or SpAcquireCredentialsHandle"),
        ));
    };
    static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let id = package::registry().len() + NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Some(init) = lsa.Initialize {
        let params: &'static mut SECPKG_PARAMETERS = Box::leak(Box::new(parameters()));
        let table: &'static mut LSA_SECPKG_FUNCTION_TABLE =
            Box::leak(Box::new(callbacks::lsa_table()));
        // SAFETY: the package's entry point with leaked (process-lifetime) structures.
        let s = unsafe { init(id, params, table) };
        nt::check(s).map_err(|e| fail(path, e, format_args!("SpInitialize (table {i}) failed")))?;
    }
    // SAFETY: all-zero is a valid SecPkgInfoW (NULL strings).
    let mut pi: SecPkgInfoW = unsafe { core::mem::zeroed() };
    // SAFETY: the package's entry point with our local.
    let s = unsafe { get_info(&mut pi) };
    nt::check(s).map_err(|e| fail(path, e, format_args!("SpGetInfo (table {i}) failed")))?;
    // SAFETY: the package's NUL-terminated UTF-16 strings (or NULL).
    let name = unsafe { crate::ffi::strings::w_str(pi.Name) }
        .ok()
        .flatten();
    // SAFETY: as above.
    let comment = unsafe { crate::ffi::strings::w_str(pi.Comment) }
        .ok()
        .flatten();
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Err(fail(
            path,
            Error::SecpkgNotFound,
            format_args!("SpGetInfo gave no name"),
        ));
    };
    if package::find(&name).is_some() {
        return Err(fail(
            path,
            Error::InvalidParameter,
            format_args!("a package named \"{name}\" is already registered"),
        ));
    }
    if let Some(f) = user.InstanceInit {
        let dll: &'static mut SECPKG_DLL_FUNCTIONS =
            Box::leak(Box::new(callbacks::dll_functions()));
        let mut unused: PVOID = core::ptr::null_mut();
        // SAFETY: the package's entry point with a leaked table and our local.
        let s = unsafe { f(SECPKG_INTERFACE_VERSION, dll, &mut unused) };
        nt::check(s).map_err(|e| fail(path, e, format_args!("SpInstanceInit ({name}) failed")))?;
    }
    let info: &'static PackageInfo = Box::leak(Box::new(PackageInfo {
        name: Box::leak(name.clone().into_boxed_str()),
        aliases: &[],
        comment: Box::leak(comment.unwrap_or_default().into_boxed_str()),
        capabilities: pi.fCapabilities,
        version: pi.wVersion,
        rpc_id: pi.wRPCID,
        max_token: pi.cbMaxToken,
    }));
    let plugin: &'static Plugin = Box::leak(Box::new(Plugin { info, lsa, user }));
    let mut plugins = PLUGINS.lock();
    package::register(plugin).map_err(|e| {
        fail(
            path,
            e,
            format_args!("a package named \"{name}\" is already registered"),
        )
    })?;
    plugins.push(plugin);
    crate::log!(Level::Info, "security package {path}: loaded \"{name}\"");
    Ok(())
}

/// SECPKG_PARAMETERS for a stand-alone machine that permits strong encryption, no domain.
fn parameters() -> SECPKG_PARAMETERS {
    let empty = crate::ffi::schannel::UNICODE_STRING {
        Length: 0,
        MaximumLength: 0,
        Buffer: core::ptr::null_mut(),
    };
    SECPKG_PARAMETERS {
        Version: 0,
        MachineState: SECPKG_STATE_STANDALONE
            | SECPKG_STATE_ENCRYPTION_PERMITTED
            | SECPKG_STATE_STRONG_ENCRYPTION_PERMITTED,
        SetupMode: 0,
        DomainSid: core::ptr::null_mut(),
        DomainName: empty,
        DnsDomainName: empty,
        // SAFETY: all-zero is a valid GUID.
        DomainGuid: unsafe { core::mem::zeroed() },
    }
}

/// A dlopen'ed library (never closed).
#[cfg_attr(not(unix), allow(dead_code))]
struct Library(*mut core::ffi::c_void);

#[cfg(unix)]
fn open(path: &str) -> SecResult<Library> {
    let Ok(c) = std::ffi::CString::new(path) else {
        return Err(fail(
            path,
            Error::SecpkgNotFound,
            format_args!("path holds a NUL"),
        ));
    };
    // SAFETY: a NUL-terminated path; dlopen runs the library's constructors.
    let h = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if h.is_null() {
        // SAFETY: dlerror returns NULL or a NUL-terminated message owned by libc.
        let msg = unsafe {
            let m = libc::dlerror();
            if m.is_null() {
                String::new()
            } else {
                std::ffi::CStr::from_ptr(m).to_string_lossy().into_owned()
            }
        };
        return Err(fail(
            path,
            Error::SecpkgNotFound,
            format_args!("dlopen failed ({msg})"),
        ));
    }
    Ok(Library(h))
}

#[cfg(not(unix))]
fn open(path: &str) -> SecResult<Library> {
    Err(fail(
        path,
        Error::SecpkgNotFound,
        format_args!("plug-ins load on Unix only"),
    ))
}

impl Library {
    /// The exported function `name`, as an `Option<fn>` type `F`.
    #[cfg(unix)]
    fn symbol<F: Copy>(&self, name: &core::ffi::CStr) -> F {
        const { assert!(core::mem::size_of::<F>() == core::mem::size_of::<usize>()) };
        // SAFETY: a live handle and a NUL-terminated name.
        let p = unsafe { libc::dlsym(self.0, name.as_ptr()) };
        // SAFETY: F is an Option<extern fn> (pointer-sized, NULL = None) of the entry point's
        // ntsecpkg.h signature.
        unsafe { core::mem::transmute_copy::<*mut core::ffi::c_void, F>(&p) }
    }

    #[cfg(not(unix))]
    fn symbol<F: Copy>(&self, _name: &core::ffi::CStr) -> F {
        unreachable!("no library is opened off Unix")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_versions() {
        assert_eq!(lsa_entries(0), None);
        assert_eq!(lsa_entries(0xFFFF), None);
        assert_eq!(lsa_entries(SECPKG_INTERFACE_VERSION), Some(27));
        assert_eq!(lsa_entries(SECPKG_INTERFACE_VERSION_2), Some(28));
        assert_eq!(lsa_entries(SECPKG_INTERFACE_VERSION_3), Some(29));
        assert_eq!(lsa_entries(SECPKG_INTERFACE_VERSION_11), Some(29));
        assert_eq!(core::mem::size_of::<SECPKG_FUNCTION_TABLE>(), 29 * 8);
        assert_eq!(core::mem::size_of::<SECPKG_USER_FUNCTION_TABLE>(), 14 * 8);
        assert_eq!(core::mem::size_of::<LSA_SECPKG_FUNCTION_TABLE>(), 416);
        assert_eq!(core::mem::size_of::<SECPKG_PARAMETERS>(), 72);
    }

    struct Named(&'static PackageInfo);
    impl package::SecurityPackage for Named {
        fn info(&self) -> &'static PackageInfo {
            self.0
        }
        fn acquire_credentials(
            &self,
            _: package::CredentialRequest,
        ) -> SecResult<std::sync::Arc<dyn package::Credentials>> {
            Err(Error::UnsupportedFunction)
        }
    }

    fn info(name: &'static str) -> &'static PackageInfo {
        Box::leak(Box::new(PackageInfo {
            name,
            aliases: &[],
            comment: "",
            capabilities: 0,
            version: 1,
            rpc_id: 0xFFFF,
            max_token: 1,
        }))
    }

    #[test]
    fn registry_refuses_taken_names_and_finds_added_ones() {
        let ntlm: &'static Named = Box::leak(Box::new(Named(info("ntlm"))));
        assert_eq!(package::register(ntlm), Err(Error::InvalidParameter));
        let own: &'static Named = Box::leak(Box::new(Named(info("SspapUnitTestPkg"))));
        assert_eq!(package::register(own), Ok(()));
        let again: &'static Named = Box::leak(Box::new(Named(info("SSPAPUNITTESTPKG"))));
        assert_eq!(package::register(again), Err(Error::InvalidParameter));
        let found = package::find("sspapunittestpkg").expect("added package found");
        assert!(core::ptr::eq(found.info(), own.0));
        assert!(package::all()
            .iter()
            .any(|p| core::ptr::eq(p.info(), own.0)));
        // Built-in names still resolve to the built-in packages.
        assert_eq!(package::find("NTLM").map(|p| p.info().name), Some("NTLM"));
    }

    #[test]
    fn missing_file_is_not_found() {
        assert_eq!(
            add_package("/nonexistent/libnothing.so"),
            Err(Error::SecpkgNotFound)
        );
    }
}
