//! Generates include/sspi.h and include/security.h from src/ffi/ with cbindgen.

use std::collections::BTreeSet;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    // 32-bit Windows: the stdcall (SEC_ENTRY) exports keep Windows' undecorated names
    // (EncryptMessage, not EncryptMessage@16), as secur32.dll exports them; callers built with
    // the SDK headers import the decorated names through the import library
    // (scripts/build-windows.sh maps them with dlltool --kill-at).
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "windows"
        && var("CARGO_CFG_TARGET_ARCH") == "x86"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--kill-at");
    }
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let root = Path::new(&root);
    let mut config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    // Every C type in src/ffi goes into the header, referenced by a function or not.
    config
        .export
        .include
        .extend(ffi_type_names(&root.join("src/ffi")));
    let ffi_copy = system_abi_as_c(&root.join("src/ffi"));
    own_header_modules(&ffi_copy);
    let bindings = match cbindgen::Builder::new()
        .with_config(config)
        .with_src(ffi_copy.join("mod.rs"))
        .generate()
    {
        Ok(b) => b,
        Err(e) => {
            println!("cargo:warning=cbindgen failed: {e}");
            return;
        }
    };
    let mut raw = Vec::new();
    bindings.write(&mut raw);
    let text = String::from_utf8(raw).expect("utf-8 header");
    let text = windows_struct_tags(&text);
    let text = windows_enum_tags(&text);
    let text = add_calling_convention(&text);
    let text = parenthesize_casts(&text);
    let text = add_name_macros(&text);
    write_if_changed(&root.join("include/sspi.h"), &text);
    write_if_changed(&root.join("include/security.h"), SECURITY_H);
    for h in OWN_HEADERS {
        own_header(root, &ffi_copy, h);
    }
    crypt32_links();
}

/// `-lcrypt32` works right after `cargo build`: libcrypt32.so / libcrypt32.a next to the
/// libraries in the profile directory (OUT_DIR is <profile>/build/<pkg>-<hash>/out), as links
/// to libsecur32, which exports the crypt32 subset (scripts/install.sh does the same).
fn crypt32_links() {
    #[cfg(unix)]
    {
        let Some(out) = std::env::var_os("OUT_DIR") else {
            return;
        };
        let Some(profile) = Path::new(&out).ancestors().nth(3) else {
            return;
        };
        for (link, target) in [
            ("libcrypt32.so", "libsecur32.so"),
            ("libcrypt32.a", "libsecur32.a"),
        ] {
            let l = profile.join(link);
            if std::fs::read_link(&l).is_ok_and(|t| t == Path::new(target)) {
                continue;
            }
            let _ = std::fs::remove_file(&l);
            if let Err(e) = std::os::unix::fs::symlink(target, &l) {
                println!("cargo:warning=cannot link {}: {e}", l.display());
            }
        }
    }
}

/// src/ffi files that get a header of their own instead of going into sspi.h:
struct OwnHeader {
    files: &'static [&'static str],
    header: &'static str,
    guard: &'static str,
    includes: &'static [&'static str],
    /// Text before the include guard's end.
    trailer: &'static str,
    /// A preprocessor condition under which the header's body is left out: the platform's own
    /// header (mingw-w64's or Wine's, e.g. through windows.h) already declared it all.
    defer_if: &'static str,
}

const OWN_HEADERS: &[OwnHeader] = &[
    OwnHeader {
        files: &["names.rs"],
        header: "secext.h",
        guard: "SECUR32_SECEXT_H",
        includes: &["sspi.h"],
        trailer: SECEXT_TRAILER,
        defer_if: "",
    },
    OwnHeader {
        files: &["lsa.rs"],
        header: "ntsecapi.h",
        guard: "SECUR32_NTSECAPI_H",
        includes: &["sspi.h"],
        trailer: "",
        defer_if: "",
    },
    OwnHeader {
        files: &[
            "crypt32.rs",
            "crypt32_store.rs",
            "crypt32_chain.rs",
            "crypt32_keyprov.rs",
        ],
        header: "wincrypt.h",
        guard: "SECUR32_WINCRYPT_H",
        includes: &["sspi.h"],
        trailer: WINCRYPT_TRAILER,
        defer_if: "defined(__WINCRYPT_H__) || defined(__WINE_WINCRYPT_H)",
    },
    OwnHeader {
        files: &["ntsecpkg.rs"],
        header: "ntsecpkg.h",
        guard: "SECUR32_NTSECPKG_H",
        includes: &["sspi.h", "ntsecapi.h", "schannel.h"],
        trailer: NTSECPKG_TRAILER,
        defer_if: "",
    },
    OwnHeader {
        files: &["schannel.rs"],
        header: "schannel.h",
        guard: "SECUR32_SCHANNEL_H",
        includes: &["sspi.h", "wincrypt.h"],
        trailer: SCHANNEL_TRAILER,
        defer_if: "",
    },
];

const SECEXT_TRAILER: &str = "
#ifdef UNICODE
#define GetUserNameEx GetUserNameExW
#define GetComputerObjectName GetComputerObjectNameW
#define TranslateName TranslateNameW
#else
#define GetUserNameEx GetUserNameExA
#define GetComputerObjectName GetComputerObjectNameA
#define TranslateName TranslateNameA
#endif
";

const WINCRYPT_TRAILER: &str = "
/* Store providers are small integers passed as LPCSTR. */
#define CERT_STORE_PROV_MEMORY ((LPCSTR)2)
#define CERT_STORE_PROV_SYSTEM_A ((LPCSTR)9)
#define CERT_STORE_PROV_SYSTEM_W ((LPCSTR)10)
#define CERT_STORE_PROV_SYSTEM CERT_STORE_PROV_SYSTEM_W
#ifdef UNICODE
#define CertGetNameString CertGetNameStringW
#define CertOpenSystemStore CertOpenSystemStoreW
#else
#define CertGetNameString CertGetNameStringA
#define CertOpenSystemStore CertOpenSystemStoreA
#endif
/* The wide forms whatever UNICODE says, as wincrypt.h defines them. */
#define CERT_FIND_SUBJECT_STR CERT_FIND_SUBJECT_STR_W
#define CERT_FIND_ISSUER_STR CERT_FIND_ISSUER_STR_W
/* User-defined certificate properties start here (schannel.h's CERT_SCHANNEL_*_PROP_ID). */
#define CERT_FIRST_USER_PROP_ID 0x8000
#ifndef WINAPI
#define WINAPI SEC_ENTRY
#endif
/* Chain policies: small integers passed as LPCSTR. */
#define CERT_CHAIN_POLICY_BASE ((LPCSTR)1)
#define CERT_CHAIN_POLICY_AUTHENTICODE ((LPCSTR)2)
#define CERT_CHAIN_POLICY_AUTHENTICODE_TS ((LPCSTR)3)
#define CERT_CHAIN_POLICY_SSL ((LPCSTR)4)
#define CERT_CHAIN_POLICY_BASIC_CONSTRAINTS ((LPCSTR)5)
#define CERT_CHAIN_POLICY_NT_AUTH ((LPCSTR)6)
typedef SSL_EXTRA_CERT_CHAIN_POLICY_PARA HTTPSPolicyCallbackData, *PHTTPSPolicyCallbackData;
/* Attribute OIDs (CERT_NAME_ATTR_TYPE). */
#define szOID_COMMON_NAME \"2.5.4.3\"
#define szOID_COUNTRY_NAME \"2.5.4.6\"
#define szOID_LOCALITY_NAME \"2.5.4.7\"
#define szOID_STATE_OR_PROVINCE_NAME \"2.5.4.8\"
#define szOID_ORGANIZATION_NAME \"2.5.4.10\"
#define szOID_ORGANIZATIONAL_UNIT_NAME \"2.5.4.11\"
#define szOID_RSA_emailAddr \"1.2.840.113549.1.9.1\"
";

const NTSECPKG_TRAILER: &str = "
#define LSA_AP_NAME_INITIALIZE_PACKAGE \"LsaApInitializePackage\\0\"
#define LSA_AP_NAME_LOGON_USER \"LsaApLogonUser\\0\"
#define LSA_AP_NAME_LOGON_USER_EX \"LsaApLogonUserEx\\0\"
#define LSA_AP_NAME_LOGON_USER_EX2 \"LsaApLogonUserEx2\\0\"
#define LSA_AP_NAME_CALL_PACKAGE \"LsaApCallPackage\\0\"
#define LSA_AP_NAME_LOGON_TERMINATED \"LsaApLogonTerminated\\0\"
#define LSA_AP_NAME_CALL_PACKAGE_UNTRUSTED \"LsaApCallPackageUntrusted\\0\"
#define LSA_AP_NAME_CALL_PACKAGE_PASSTHROUGH \"LsaApCallPackagePassthrough\\0\"
#define SP_ACCEPT_CREDENTIALS_NAME \"SpAcceptCredentials\\0\"
#define SAM_CREDENTIAL_UPDATE_NOTIFY_ROUTINE \"CredentialUpdateNotify\"
#define SAM_CREDENTIAL_UPDATE_REGISTER_ROUTINE \"CredentialUpdateRegister\"
#define SAM_CREDENTIAL_UPDATE_FREE_ROUTINE \"CredentialUpdateFree\"
#define SECPKG_LSAMODEINIT_NAME \"SpLsaModeInitialize\"
#define SECPKG_USERMODEINIT_NAME \"SpUserModeInitialize\"
#define SecEqualLuid(L1, L2) ((((PLUID)L1)->LowPart == ((PLUID)L2)->LowPart) && (((PLUID)L1)->HighPart == ((PLUID)L2)->HighPart))
#define SecIsZeroLuid(L1) ((L1->LowPart | L1->HighPart) == 0)
#define SecpkgGssInfo 1
#define SecpkgContextThunks 2
#define SecpkgMutualAuthLevel 3
#define SecpkgWowClientDll 4
#define SecpkgExtraOids 5
#define SecpkgMaxInfo 6
";

/// ntsecpkg.h: `SpXxxFn` are function types as in Windows' header (`SpSealMessageFn
/// *SealMessage` in the tables), except the two exported initializers, which are pointers;
/// every other callback typedef is a SEC_ENTRY function pointer.
fn ntsecpkg_fn_types(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4096);
    let is_fn_type = |name: &str| {
        name.starts_with("Sp")
            && name.ends_with("Fn")
            && name != "SpLsaModeInitializeFn"
            && name != "SpUserModeInitializeFn"
    };
    for line in text.lines() {
        let mut l = line.to_string();
        if line.starts_with("typedef ") {
            if let Some(p) = line.find("(*") {
                let name: String = line[p + 2..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                l = if is_fn_type(&name) {
                    line.replacen("(*", "(SEC_ENTRY ", 1)
                } else {
                    line.replacen("(*", "(SEC_ENTRY *", 1)
                };
            }
        } else if let Some(rest) = line.strip_prefix("  Option<") {
            // cbindgen keeps `Option<alias>` of a function-type alias as is.
            if let Some((ty, name)) = rest.split_once("> ") {
                l = format!("  {ty} *{name}");
            }
        } else if let Some(rest) = line.strip_prefix("  ") {
            let ty: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if is_fn_type(&ty) && rest[ty.len()..].starts_with(' ') {
                l = format!("  {ty} *{}", &rest[ty.len() + 1..]);
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

const SCHANNEL_TRAILER: &str = "
#define CERT_SCHANNEL_IIS_PRIVATE_KEY_PROP_ID (CERT_FIRST_USER_PROP_ID + 0)
#define CERT_SCHANNEL_IIS_PASSWORD_PROP_ID (CERT_FIRST_USER_PROP_ID + 1)
#define CERT_SCHANNEL_SGC_CERTIFICATE_PROP_ID (CERT_FIRST_USER_PROP_ID + 2)
#define PCT1SP_NAME_A \"Microsoft PCT 1.0\"
#define PCT1SP_NAME_W SEC_WTEXT(\"Microsoft PCT 1.0\")
#define SSL2SP_NAME_A \"Microsoft SSL 2.0\"
#define SSL2SP_NAME_W SEC_WTEXT(\"Microsoft SSL 2.0\")
#define SSL3SP_NAME_A \"Microsoft SSL 3.0\"
#define SSL3SP_NAME_W SEC_WTEXT(\"Microsoft SSL 3.0\")
#define TLS1SP_NAME_A \"Microsoft TLS 1.0\"
#define TLS1SP_NAME_W SEC_WTEXT(\"Microsoft TLS 1.0\")
#define SSL_CRACK_CERTIFICATE_NAME SEC_TEXT(\"SslCrackCertificate\")
#define SSL_FREE_CERTIFICATE_NAME SEC_TEXT(\"SslFreeCertificate\")
#ifdef UNICODE
#define PCT1SP_NAME PCT1SP_NAME_W
#define SSL2SP_NAME SSL2SP_NAME_W
#define SSL3SP_NAME SSL3SP_NAME_W
#define TLS1SP_NAME TLS1SP_NAME_W
#else
#define PCT1SP_NAME PCT1SP_NAME_A
#define SSL2SP_NAME SSL2SP_NAME_A
#define SSL3SP_NAME SSL3SP_NAME_A
#define TLS1SP_NAME TLS1SP_NAME_A
#endif
#define UNISP_NAME_A \"Microsoft Unified Security Protocol Provider\"
#define UNISP_NAME_W SEC_WTEXT(\"Microsoft Unified Security Protocol Provider\")
#define SCHANNEL_NAME_A \"Schannel\"
#define SCHANNEL_NAME_W SEC_WTEXT(\"Schannel\")
#define DEFAULT_TLS_SSP_NAME_A \"Default TLS SSP\"
#define DEFAULT_TLS_SSP_NAME_W SEC_WTEXT(\"Default TLS SSP\")
#ifdef UNICODE
#define UNISP_NAME UNISP_NAME_W
#define SCHANNEL_NAME SCHANNEL_NAME_W
#define DEFAULT_TLS_SSP_NAME DEFAULT_TLS_SSP_NAME_W
#else
#define UNISP_NAME UNISP_NAME_A
#define SCHANNEL_NAME SCHANNEL_NAME_A
#define DEFAULT_TLS_SSP_NAME DEFAULT_TLS_SSP_NAME_A
#endif
";

/// Drops the OWN_HEADERS modules from the OUT_DIR copy of mod.rs, so sspi.h leaves them out.
fn own_header_modules(copy: &Path) {
    let p = copy.join("mod.rs");
    let src = std::fs::read_to_string(&p).expect("read ffi copy");
    let kept: Vec<&str> = src
        .lines()
        .filter(|l| {
            !OWN_HEADERS.iter().any(|h| {
                h.files
                    .iter()
                    .any(|f| l.trim() == format!("pub mod {};", f.trim_end_matches(".rs")))
            })
        })
        .collect();
    std::fs::write(&p, kept.join("\n")).expect("write ffi copy");
}

/// `SEC_ENTRY` (WINAPI: `__stdcall` on 32-bit Windows) before each prototype's name.
fn entry_convention(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1024);
    for line in text.lines() {
        let proto = !line.starts_with(['#', ' ', '/', '}'])
            && !line.starts_with("typedef")
            && !line.starts_with("extern")
            && line.contains('(');
        match line.find('(').filter(|_| proto) {
            Some(p) => match line[..p].rfind([' ', '*']) {
                Some(s) => out.push_str(&format!(
                    "{} SEC_ENTRY {}",
                    line[..=s].trim_end(),
                    &line[s + 1..]
                )),
                None => out.push_str(line),
            },
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `_NAME` tags for packed structs too (windows_struct_tags sees only `typedef struct X {`).
fn packed_struct_tags(text: &str) -> String {
    const P: &str = "typedef struct __attribute__((packed)) ";
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix(P)?.strip_suffix(" {").map(str::to_string))
        .collect();
    let mut text = text.to_string();
    for n in names {
        text = text.replace(&format!("struct {n} "), &format!("struct _{n} "));
        text = text.replace(&format!("{P}{n} {{"), &format!("{P}_{n} {{"));
    }
    text
}

/// Generates one header from src/ffi files.
fn own_header(root: &Path, copy: &Path, h: &OwnHeader) {
    let OwnHeader {
        files,
        header,
        guard,
        includes,
        trailer,
        defer_if,
    } = h;
    let mut config = cbindgen::Config {
        language: cbindgen::Language::C,
        include_guard: Some(guard.to_string()),
        autogen_warning: Some(format!(
            "/* Generated by cbindgen from src/ffi/{} (build.rs). Do not edit. */",
            files.join(", src/ffi/")
        )),
        cpp_compat: true,
        documentation: true,
        documentation_style: cbindgen::DocumentationStyle::C,
        no_includes: true,
        includes: includes.iter().map(|s| s.to_string()).collect(),
        style: cbindgen::Style::Both,
        usize_is_size_t: false,
        ..Default::default()
    };
    config.layout.packed = Some("__attribute__((packed))".to_string());
    config.enumeration.prefix_with_name = false;
    config.export.item_types = vec![
        cbindgen::ItemType::Constants,
        cbindgen::ItemType::Structs,
        cbindgen::ItemType::Typedefs,
        cbindgen::ItemType::Functions,
    ];
    let src: String = files
        .iter()
        .map(|f| std::fs::read_to_string(root.join("src/ffi").join(f)).unwrap_or_default())
        .collect();
    let mut names = Vec::new();
    for line in src.lines() {
        for kw in ["pub struct ", "pub type "] {
            if let Some(rest) = line.trim_start().strip_prefix(kw) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
        }
    }
    config.export.include = names;
    // Windows' base types live in sspi.h's guarded block (cbindgen.toml after_includes).
    config.export.exclude = BASE_TYPES.iter().map(|s| s.to_string()).collect();
    let mut builder = cbindgen::Builder::new().with_config(config);
    for f in files.iter() {
        builder = builder.with_src(copy.join(f));
    }
    match builder.generate() {
        Ok(b) => {
            let mut raw = Vec::new();
            b.write(&mut raw);
            let text = String::from_utf8(raw).expect("utf-8 header");
            let text = windows_struct_tags(&text);
            let text = packed_struct_tags(&text);
            let text = entry_convention(&text);
            let text = if *header == "ntsecpkg.h" {
                ntsecpkg_fn_types(&text)
            } else {
                text
            };
            let end = text.rfind("#endif").unwrap_or(text.len());
            let mut text = format!("{}{}\n{}", &text[..end], trailer, &text[end..]);
            if !defer_if.is_empty() {
                let end = text.rfind("#endif").unwrap_or(text.len());
                text.insert_str(end, &format!("#endif /* !({defer_if}) */\n"));
                let body = text
                    .match_indices("#include ")
                    .last()
                    .and_then(|(i, _)| text[i..].find('\n').map(|n| i + n + 1))
                    .unwrap_or(0);
                text.insert_str(body, &format!("#if !({defer_if})\n"));
            }
            write_if_changed(&root.join("include").join(header), &text);
        }
        Err(e) => println!("cargo:warning=cbindgen ({}) failed: {e}", files.join(", ")),
    }
}

/// Types sspi.h defines in its guarded base-type block (cbindgen.toml's after_includes lists
/// the same in [export] exclude); the other headers use them as they are.
const BASE_TYPES: &[&str] = &[
    "SEC_WCHAR",
    "SEC_CHAR",
    "CHAR",
    "WCHAR",
    "UCHAR",
    "BYTE",
    "BOOLEAN",
    "USHORT",
    "LONG",
    "ULONG",
    "DWORD",
    "BOOL",
    "ULONG_PTR",
    "PVOID",
    "HANDLE",
    "PHANDLE",
    "LUID",
    "PLUID",
    "LPSTR",
    "LPCSTR",
    "LPWSTR",
    "LPCWSTR",
    "FILETIME",
    "GUID",
];

const SECURITY_H: &str = "/* Generated by build.rs. Do not edit. */
/* What Windows code includes after #define SECURITY_WIN32. */
#ifndef SECUR32_SECURITY_H
#define SECUR32_SECURITY_H
#ifndef SECURITY_WIN32
#define SECURITY_WIN32
#endif
#include \"sspi.h\"
#include \"secext.h\"
#endif
";

/// cbindgen only exports `extern "C"` functions; the exports are `extern "system"` (SEC_ENTRY,
/// stdcall on 32-bit Windows). Parse a copy of src/ffi in OUT_DIR where the ABI reads "C";
/// build.rs puts SEC_ENTRY back into the header.
fn system_abi_as_c(dir: &Path) -> std::path::PathBuf {
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("ffi_src");
    let _ = std::fs::remove_dir_all(&out);
    for p in rust_files(dir) {
        let rel = p.strip_prefix(dir).expect("under src/ffi");
        let dest = out.join(rel);
        let _ = std::fs::create_dir_all(dest.parent().expect("parent"));
        let src = std::fs::read_to_string(&p).expect("read src/ffi");
        let src = src.replace("extern \"system\" fn", "extern \"C\" fn");
        // crypt32's functions are exported everywhere but Windows (where crypt32.dll's are):
        // they belong in wincrypt.h.
        let src = src.replace("#[cfg_attr(not(windows), no_mangle)]", "#[no_mangle]");
        std::fs::write(dest, src).expect("write ffi copy");
    }
    out
}

/// The .rs files under `dir` (src/ffi and its module folders such as exports/), sorted.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).expect("src/ffi").flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
    files.sort();
    files
}

fn ffi_type_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for f in rust_files(dir) {
        let Ok(src) = std::fs::read_to_string(&f) else {
            continue;
        };
        // A `pub enum` is a C type only under `#[repr(C)]` (Rust-only enums stay out).
        let mut repr_c = false;
        for line in src.lines() {
            let t = line.trim_start();
            let c_enum = repr_c;
            if t == "#[repr(C)]" {
                repr_c = true;
            } else if !t.starts_with("#[") && !t.starts_with("///") {
                repr_c = false;
            }
            for kw in ["pub struct ", "pub union ", "pub type ", "pub enum "] {
                if kw == "pub enum " && !c_enum {
                    continue;
                }
                if let Some(rest) = t.strip_prefix(kw) {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        names.push(name);
                    }
                }
            }
        }
    }
    names
}

/// Puts SEC_ENTRY between the return type and the name of every prototype and function
/// pointer typedef (`__stdcall` on 32-bit Windows, nothing elsewhere).
fn add_calling_convention(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4096);
    for line in text.lines() {
        let l = if line.starts_with("typedef ") && line.contains("(*") {
            line.replacen("(*", "(SEC_ENTRY *", 1)
        } else if line.starts_with("SECURITY_STATUS ")
            || line.starts_with("PSecurityFunctionTable")
            || line.starts_with("void ")
            || line.starts_with("BOOLEAN ")
            || line.starts_with("PVOID ")
        {
            match line.find('(') {
                Some(p) => {
                    let head = &line[..p];
                    match head.rfind([' ', '*']) {
                        Some(s) => {
                            format!("{} SEC_ENTRY {}", &line[..=s].trim_end(), &line[s + 1..])
                        }
                        None => line.to_string(),
                    }
                }
                None => line.to_string(),
            }
        } else if line.contains("    SECURITY_STATUS (*") || line.contains("  (*") {
            line.replacen("(*", "(SEC_ENTRY *", 1)
        } else {
            line.to_string()
        };
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// Gives every struct sspi.h's tag (`struct _SecHandle`, `struct _SECURITY_FUNCTION_TABLE_W`)
/// so C code naming the tag compiles; cbindgen names the tag after the typedef.
fn windows_struct_tags(text: &str) -> String {
    let mut names = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("typedef struct ") {
            if let Some(name) = rest.strip_suffix(" {") {
                names.push(name.to_string());
            }
        }
    }
    let tag = |name: &str| match name {
        "SecurityFunctionTableW" => "_SECURITY_FUNCTION_TABLE_W".to_string(),
        "SecurityFunctionTableA" => "_SECURITY_FUNCTION_TABLE_A".to_string(),
        _ => format!("_{name}"),
    };
    let mut out = String::with_capacity(text.len() + 4096);
    let mut rest = text;
    while let Some(p) = rest.find("struct ") {
        let (head, tail) = rest.split_at(p + "struct ".len());
        out.push_str(head);
        let ident_start = head.len() == "struct ".len()
            || !head[..p]
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let word = &tail[..end];
        if ident_start && names.iter().any(|n| n == word) {
            out.push_str(&tag(word));
        } else {
            out.push_str(word);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `typedef enum X {` → `typedef enum _X {`: sspi.h's tag (`enum _SASL_AUTHZID_STATE`), so C code
/// naming the tag compiles; cbindgen names the tag after the typedef.
fn windows_enum_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        match line
            .strip_prefix("typedef enum ")
            .and_then(|r| r.strip_suffix(" {"))
        {
            Some(name) if !name.starts_with('_') => {
                out.push_str(&format!("typedef enum _{name} {{"));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `#define X (T)v` → `#define X ((T)v)`, as winerror.h writes its codes.
fn parenthesize_casts(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4096);
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("#define"), Some(name), Some(value))
                if value.starts_with('(') && !value.ends_with(')') =>
            {
                out.push_str(&format!("#define {name} ({value})"));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `#ifdef UNICODE` macros mapping each generic name to its A or W form, for every
/// identifier the header defines in both forms.
fn add_name_macros(text: &str) -> String {
    // Identifiers of the code only: doc comments mention generic names ("SecPkgInfo arrays").
    let mut code = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find("/*") {
        code.push_str(&rest[..p]);
        rest = rest[p..].find("*/").map_or("", |e| &rest[p + e + 2..]);
    }
    code.push_str(rest);
    let mut idents = BTreeSet::new();
    for tok in code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if !tok.is_empty() {
            idents.insert(tok.to_string());
        }
    }
    let mut pairs = Vec::new();
    for id in &idents {
        if let Some(base) = id.strip_suffix('W') {
            // FOO_W / FOO_A → FOO, as sspi.h's __MINGW_NAME_UAW does; FooW / FooA → Foo.
            let generic = base.strip_suffix('_').unwrap_or(base);
            if generic.len() > 2
                && idents.contains(&format!("{base}A"))
                && !idents.contains(generic)
            {
                pairs.push((generic.to_string(), base.to_string()));
            }
        }
    }
    let mut macros = String::from(
        "\n/* Generic names: the W form with UNICODE, else the A form. */\n#ifdef UNICODE\n",
    );
    for (g, b) in &pairs {
        macros.push_str(&format!("#define {g} {b}W\n"));
    }
    macros.push_str("#else\n");
    for (g, b) in &pairs {
        macros.push_str(&format!("#define {g} {b}A\n"));
    }
    macros.push_str("#endif\n");
    let guard_end = text.rfind("#endif").unwrap_or(text.len());
    format!(
        "{}{}{}{}",
        &text[..guard_end],
        macros,
        TRAILER,
        &text[guard_end..]
    )
}

const TRAILER: &str = "
#define SEC_SUCCESS(Status) ((Status) >= 0)
#define SecInvalidateHandle(x) ((PSecHandle)(x))->dwLower = ((PSecHandle)(x))->dwUpper = ((ULONG_PTR)((intptr_t)-1))
#define SecIsValidHandle(x) ((((PSecHandle)(x))->dwLower != ((ULONG_PTR)((intptr_t)-1))) && (((PSecHandle)(x))->dwUpper != ((ULONG_PTR)((intptr_t)-1))))
#define SEC_DELETED_HANDLE ((ULONG_PTR)(-2))
#define SECURITY_ENTRYPOINT_ANSIA \"InitSecurityInterfaceA\"
#define SECURITY_ENTRYPOINT_ANSIW \"InitSecurityInterfaceW\"
#define SECURITY_ENTRYPOINTA SEC_TEXT(\"InitSecurityInterfaceA\")
#define SECURITY_ENTRYPOINTW SEC_TEXT(\"InitSecurityInterfaceW\")
#define SECURITY_ENTRYPOINT16 \"INITSECURITYINTERFACEA\"
#ifdef UNICODE
#define SECURITY_ENTRYPOINT SECURITY_ENTRYPOINTW
#define SECURITY_ENTRYPOINT_ANSI SECURITY_ENTRYPOINT_ANSIW
#else
#define SECURITY_ENTRYPOINT SECURITY_ENTRYPOINTA
#define SECURITY_ENTRYPOINT_ANSI SECURITY_ENTRYPOINT_ANSIA
#endif
#define NTLMSP_NAME_A \"NTLM\"
#define NEGOSSP_NAME_A \"Negotiate\"
#define MICROSOFT_KERBEROS_NAME_A \"Kerberos\"
#if defined(_WIN32) || (defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2)
#define SEC_WTEXT(s) L##s
#else
#define SEC_WTEXT(s) u##s
#endif
/* SEC_TEXT is TEXT: wide with UNICODE. */
#ifdef UNICODE
#define SEC_TEXT(s) SEC_WTEXT(s)
#else
#define SEC_TEXT(s) s
#endif
#define NTLMSP_NAME SEC_WTEXT(\"NTLM\")
#define NEGOSSP_NAME_W SEC_WTEXT(\"Negotiate\")
#define MICROSOFT_KERBEROS_NAME_W SEC_WTEXT(\"Kerberos\")
#ifdef UNICODE
#define NEGOSSP_NAME NEGOSSP_NAME_W
#define MICROSOFT_KERBEROS_NAME MICROSOFT_KERBEROS_NAME_W
#else
#define NEGOSSP_NAME NEGOSSP_NAME_A
#define MICROSOFT_KERBEROS_NAME MICROSOFT_KERBEROS_NAME_A
#endif
/* security.h's CloudAP name; ClOUDAP_NAME_A is the spelling mingw-w64 and the SDK use. */
#define CLOUDAP_NAME_A \"CloudAP\"
#define ClOUDAP_NAME_A CLOUDAP_NAME_A
#define CLOUDAP_NAME_W SEC_WTEXT(\"CloudAP\")
#ifdef UNICODE
#define CLOUDAP_NAME CLOUDAP_NAME_W
#else
#define CLOUDAP_NAME CLOUDAP_NAME_A
#endif
";

/// Lets a header coexist with the platform's (mingw-w64's or Wine's windows.h, rpcdce.h,
/// winerror.h included first): every macro is defined only if it is not yet (the platform's
/// value is Windows' value), and the SEC_WINNT_AUTH_IDENTITY_A/W types that rpcdce.h also
/// defines are left out when it did (SECUR32_AUTH_IDENTITY_ELSEWHERE, set in sspi.h).
fn coexist(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut lines = text.lines().peekable();
    let mut guard_seen = false;
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // The include guard (first #define) and the header's own markers stay as they are.
            if guard_seen && !name.starts_with("SECUR32_") && name != "_AUTH_IDENTITY_DEFINED" {
                out.push_str(&format!("#ifndef {name}\n{line}\n#endif\n"));
                continue;
            }
            guard_seen = true;
        }
        let identity = [
            "typedef struct _SEC_WINNT_AUTH_IDENTITY_A ",
            "typedef struct _SEC_WINNT_AUTH_IDENTITY_W ",
        ]
        .iter()
        .any(|p| line.starts_with(p));
        if identity && line.ends_with('{') {
            out.push_str("#ifndef SECUR32_AUTH_IDENTITY_ELSEWHERE\n");
            out.push_str(line);
            out.push('\n');
            for l in lines.by_ref() {
                out.push_str(l);
                out.push('\n');
                if l.starts_with('}') {
                    break;
                }
            }
            out.push_str("#endif\n");
            continue;
        }
        if identity {
            out.push_str(&format!(
                "#ifndef SECUR32_AUTH_IDENTITY_ELSEWHERE\n{line}\n#endif\n"
            ));
            continue;
        }
        // kernel32's GetLastError: winbase.h's declaration when the platform's came first.
        if line.contains(" GetLastError(void);") {
            out.push_str(&format!(
                "#if !defined(_WINBASE_) && !defined(__WINE_WINBASE_H)\n{line}\n#endif\n"
            ));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn write_if_changed(path: &Path, text: &str) {
    let text = &coexist(text);
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return;
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(path, text).expect("write header");
}
