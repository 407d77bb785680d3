#!/usr/bin/env bash
# Checks the generated C headers (include/sspi.h, include/security.h, include/ntsecpkg.h…):
#   1. they compile warning-free (-Wall -Wextra -Wpedantic -Werror) as C99, C11 and C++17 under gcc and
#      clang, with and without -fshort-wchar, with and without -DUNICODE, and under the
#      mingw-w64 cross compilers (x86_64, i686);
#   2. every struct size, field offset, typedef size and numeric constant equals mingw-w64's
#      own sspi.h/winerror.h (and ntsecpkg.h), for x86_64 and i686 Windows and for native Linux x86_64
#      (gcc and clang; our ULONG is 32-bit, so the LP64 layout must equal Windows x64);
#   3. the committed include/ is what build.rs generates.
# Run from the repository root after `cargo build`. No arguments.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

PASS=0
FAIL=0
pass() { PASS=$((PASS + ${2:-1})); [ -z "${1:-}" ] || echo "ok   $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $1"; }

# --- tools ---------------------------------------------------------------------------------
need=()
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64)
command -v i686-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64)
command -v clang >/dev/null || need+=(clang)
command -v clang++ >/dev/null || need+=(clang)
command -v g++ >/dev/null || need+=(g++)
command -v python3 >/dev/null || need+=(python3)
[ -f /usr/include/wine/wine/windows/windows.h ] || need+=(libwine-dev)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(printf '%s\n' "${need[@]}" | sort -u)
fi

[ -f include/sspi.h ] && [ -f include/security.h ] || {
    echo "include/sspi.h missing: run cargo build first"
    exit 1
}

# --- 1. warning-free compiles -------------------------------------------------------------
cat >"$WORK/use.c" <<'EOF'
#define SECURITY_WIN32
#include "security.h"
#include "schannel.h"
#include "wincrypt.h"
#include "ntsecpkg.h"
#include <stddef.h>

/* ntsecpkg.h: a package's entry point has its function type, and fills its table. */
static NTSTATUS SEC_ENTRY seal_entry(LSA_SEC_HANDLE h, ULONG qop, PSecBufferDesc m, ULONG seq) {
    (void)h;
    (void)qop;
    (void)m;
    (void)seq;
    return 0;
}
SpSealMessageFn seal_entry_decl;
int fill_user_table(SECPKG_USER_FUNCTION_TABLE *t);
int fill_user_table(SECPKG_USER_FUNCTION_TABLE *t) {
    t->SealMessage = seal_entry;
    return (int)sizeof(*t);
}

#if defined(_WIN32) || (defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2)
#define WIDE(s) L##s /* wchar_t is UTF-16 here: L"" is SEC_WCHAR[] */
#elif defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
#define WIDE(s) u##s /* char16_t[] */
#endif

static unsigned long wide_len(const SEC_WCHAR *s) {
    unsigned long n = 0;
    while (s[n]) n++;
    return n;
}

#ifdef AcquireCredentialsHandle
/* Every prototype has its function-table type (and so SEC_ENTRY, __stdcall on i686):
   a mismatch is an incompatible-pointer error under -Werror, or in C++. */
void fill_tables(SecurityFunctionTableW *w, SecurityFunctionTableA *a);
void fill_tables(SecurityFunctionTableW *w, SecurityFunctionTableA *a) {
#define BOTH(m) w->m = m; a->m = m;
#define EACH(m) w->m##W = m##W; a->m##A = m##A;
    w->dwVersion = a->dwVersion = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5;
    EACH(EnumerateSecurityPackages) EACH(QueryCredentialsAttributes)
    EACH(AcquireCredentialsHandle) BOTH(FreeCredentialsHandle)
    EACH(InitializeSecurityContext) BOTH(AcceptSecurityContext) BOTH(CompleteAuthToken)
    BOTH(DeleteSecurityContext) BOTH(ApplyControlToken) EACH(QueryContextAttributes)
    BOTH(ImpersonateSecurityContext) BOTH(RevertSecurityContext) BOTH(MakeSignature)
    BOTH(VerifySignature) BOTH(FreeContextBuffer) EACH(QuerySecurityPackageInfo)
    BOTH(ExportSecurityContext) EACH(ImportSecurityContext) EACH(AddCredentials)
    BOTH(QuerySecurityContextToken) BOTH(EncryptMessage) BOTH(DecryptMessage)
    EACH(SetContextAttributes) EACH(SetCredentialsAttributes) EACH(ChangeAccountPassword)
    EACH(QueryContextAttributesEx) EACH(QueryCredentialsAttributesEx)
    a->FreeCredentialHandle = FreeCredentialsHandle;
    {
        INIT_SECURITY_INTERFACE_W iw = InitSecurityInterfaceW;
        INIT_SECURITY_INTERFACE_A ia = InitSecurityInterfaceA;
        INIT_SECURITY_INTERFACE init = InitSecurityInterface;
        (void)iw;
        (void)ia;
        (void)init;
    }
#undef BOTH
#undef EACH
}
#endif

int check_header(void);
int check_header(void) {
    CredHandle cred;
    CtxtHandle ctx;
    TimeStamp expiry;
    SecBuffer buf;
    SecBufferDesc desc;
    SecPkgInfo *info = NULL;
    PSecurityFunctionTable table = NULL;
    SEC_WINNT_AUTH_IDENTITY id;
    SecPkgContext_Sizes sizes;
    SECURITY_STATUS status = SEC_E_OK;
    ULONG attrs = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_ALLOCATE_MEMORY;
#ifdef WIDE
    SEC_WCHAR wide_pkg[] = WIDE("NTLM");
    const SEC_WCHAR *ntlm = NTLMSP_NAME;
    const SEC_WCHAR *nego = NEGOSSP_NAME_W;
#else /* C99 with a 32-bit wchar_t: no UTF-16 literal */
    SEC_WCHAR wide_pkg[] = {'N', 'T', 'L', 'M', 0};
    const SEC_WCHAR *ntlm = wide_pkg;
    const SEC_WCHAR *nego = wide_pkg;
#endif
    SEC_CHAR narrow_pkg[] = NTLMSP_NAME_A;

    SecInvalidateHandle(&cred);
    SecInvalidateHandle(&ctx);
    if (SecIsValidHandle(&cred) || SecIsValidHandle(&ctx)) return 1;
    expiry.QuadPart = 0;
    expiry.u.LowPart = expiry.LowPart;
    buf.cbBuffer = 0;
    buf.BufferType = SECBUFFER_TOKEN;
    buf.pvBuffer = NULL;
    desc.ulVersion = SECBUFFER_VERSION;
    desc.cBuffers = 1;
    desc.pBuffers = &buf;
    sizes.cbMaxToken = 0;
    id.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    (void)info;
    (void)table;
    (void)id;
    (void)sizes;
    (void)desc;
    (void)narrow_pkg;
    if (wide_len(ntlm) != 4 || wide_len(nego) == 0 || wide_len(wide_pkg) != 4) return 1;
    if (sizeof(SEC_WCHAR) != 2 || sizeof(ULONG) != 4 || sizeof(SecHandle) != 2 * sizeof(void *))
        return 1;
    {
        /* mingw-w64's SASL_AUTHZID_STATE, by typedef and by tag (issue #16). */
        SASL_AUTHZID_STATE authz = Sasl_AuthZIDProcessed;
        enum _SASL_AUTHZID_STATE forbidden = Sasl_AuthZIDForbidden;
        if ((int)authz != 1 || (int)forbidden != 0) return 1;
    }
#ifdef AcquireCredentialsHandle /* the generic names exist once the functions are declared */
    {
#ifdef UNICODE
        SEC_WCHAR *pkg = wide_pkg;
#else
        SEC_CHAR *pkg = narrow_pkg;
#endif
        ULONG got = 0;
        status = AcquireCredentialsHandle(NULL, pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cred, &expiry);
        if (SEC_SUCCESS(status))
            status = InitializeSecurityContext(&cred, NULL, NULL, attrs, 0, SECURITY_NATIVE_DREP,
                                               NULL, 0, &ctx, &desc, &got, &expiry);
        if (SEC_SUCCESS(status))
            status = QueryContextAttributes(&ctx, SECPKG_ATTR_SIZES, &sizes);
        DeleteSecurityContext(&ctx);
        FreeCredentialsHandle(&cred);
        (void)got;
    }
#endif
    (void)attrs;
    return SEC_SUCCESS(status) ? 0 : 1;
}
EOF

compile() { # label, compiler and flags...
    local label=$1
    shift
    if "$@" -I include -Wall -Wextra -Wpedantic -Werror -c "$WORK/use.c" -o "$WORK/use.o" >"$WORK/cc.log" 2>&1; then
        pass "$label"
    else
        fail "$label"
        sed 's/^/    /' "$WORK/cc.log" | head -40
    fi
}

if ! grep -q 'AcquireCredentialsHandleW' include/sspi.h; then
    echo "note: include/sspi.h declares no functions yet; the generic-name calls are not compiled"
fi
for cc in gcc clang; do
    cxx=g++
    [ "$cc" = clang ] && cxx=clang++
    for std in c99 c11 c++17; do
        tool=$cc
        lang=(-x c)
        if [ "$std" = c++17 ]; then
            tool=$cxx
            lang=(-x c++)
        fi
        for wchar in "" -fshort-wchar; do
            for uni in "" -DUNICODE; do
                compile "$tool -std=$std $wchar $uni" $tool -std=$std $wchar $uni "${lang[@]}"
            done
        done
    done
done
for cc in x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc; do
    for std in c99 c11; do
        for uni in "" -DUNICODE; do
            compile "$cc -std=$std $uni" $cc -std=$std $uni -x c
        done
    done
done

# --- 2. layout and values against mingw-w64 ------------------------------------------------
# --- 1b. the platform's windows.h first (mingw-w64, Wine), and Windows' base types ----------
WINE_INC=/usr/include/wine/wine/windows
wf() { # label, compiler and flags...
    local label=$1
    shift
    if "$@" -I include -Wall -Wextra -Werror -c c-tests/windows_first.c -o "$WORK/wf.o" >"$WORK/cc.log" 2>&1; then
        pass "$label"
    else
        fail "$label"
        sed 's/^/    /' "$WORK/cc.log" | head -30
    fi
}
for uni in "" -DUNICODE; do
    wf "base types, no windows.h, gcc c11 $uni" gcc -std=c11 $uni
    wf "base types, no windows.h, g++ c++17 $uni" g++ -std=c++17 -x c++ $uni
    for cc in x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc; do
        wf "mingw-w64 windows.h first, $cc $uni" $cc -std=c11 -DWITH_WINDOWS_H $uni
    done
    wf "Wine windows.h first, gcc gnu11 $uni" gcc -std=gnu11 -I "$WINE_INC" -DWITH_WINDOWS_H $uni
    wf "Wine windows.h first, g++ gnu++17 $uni" g++ -std=gnu++17 -x c++ -I "$WINE_INC" -DWITH_WINDOWS_H $uni
done

# --- 1c. every macro of mingw-w64's sspi.h, security.h, schannel.h (and our wincrypt.h's) ----
if res=$(python3 c-tests/macro_check.py "$WORK"); then
    last=${res##*$'\n'}
    nm_=${last% *}
    bad=${last#* }
    [ "$res" = "$last" ] || echo "${res%$'\n'*}" | sed 's/^/    /'
    if [ "$bad" -eq 0 ]; then
        pass "macros: all $nm_ of mingw-w64's defined with its value" "$nm_"
    else
        PASS=$((PASS + nm_ - bad))
        FAIL=$((FAIL + bad))
        echo "FAIL macros: $bad of $nm_ absent or different"
    fi
else
    fail "macro_check.py"
fi

if ! NITEMS=$(python3 c-tests/layout_gen.py include/sspi.h c-tests/layout-skip.txt "$WORK/layout"); then
    fail "layout_gen.py"
    NITEMS=0
fi
echo "layout: $NITEMS items (struct sizes, field offsets, typedef sizes, constants)"
MINGW_DEFS=(-D_WIN32_WINNT=0x0A00 -DNTDDI_VERSION=0x0A000000 -DISSP_MODE=1)

layout_obj() { # label, out.bin, objcopy, compiler and flags...
    local label=$1 out=$2 objcopy=$3
    shift 3
    if ! "$@" -c "$WORK/layout.c" -o "$WORK/layout.o" >"$WORK/cc.log" 2>&1; then
        fail "layout probe compiles: $label"
        grep -E 'error|note: in expansion' "$WORK/cc.log" | sed 's/^/    /' | head -40
        echo "    (an item mingw-w64 lacks must be renamed to mingw's spelling or listed in c-tests/layout-skip.txt)"
        return 1
    fi
    "$objcopy" -O binary -j .data "$WORK/layout.o" "$out"
}

compare() { # label, ref.bin, test.bin
    local res
    res=$(python3 c-tests/layout_gen.py compare "$WORK/layout.names" "$2" "$3" "$1")
    local last=${res##*$'\n'}
    local n=${last% *} bad=${last#* }
    [ "$res" = "$last" ] || echo "${res%$'\n'*}"
    if [ "$bad" -eq 0 ]; then
        pass "layout $1: $n items equal" "$n"
    else
        PASS=$((PASS + n - bad))
        FAIL=$((FAIL + bad))
        echo "FAIL layout $1: $bad of $n items differ"
    fi
}

if [ "$NITEMS" -gt 0 ]; then
    for t in x86_64 i686; do
        cc=$t-w64-mingw32-gcc
        oc=$t-w64-mingw32-objcopy
        if layout_obj "$t mingw-w64 headers" "$WORK/ref-$t.bin" $oc $cc -DLAYOUT_MINGW "${MINGW_DEFS[@]}" &&
            layout_obj "$t our header" "$WORK/ours-$t.bin" $oc $cc -I include -Wall -Wextra -Werror; then
            compare "$t-w64-mingw32" "$WORK/ref-$t.bin" "$WORK/ours-$t.bin"
        fi
    done
    if [ -f "$WORK/ref-x86_64.bin" ]; then
        for cc in gcc clang; do
            for wchar in "" -fshort-wchar; do
                if layout_obj "native $cc $wchar" "$WORK/native.bin" objcopy $cc $wchar -I include -Wall -Wextra -Werror; then
                    compare "native-linux-x86_64-$cc$wchar" "$WORK/ref-x86_64.bin" "$WORK/native.bin"
                fi
            done
        done
    fi
fi

# --- 2b. ntsecpkg.h (the SSP/AP interface) against mingw-w64's ntsecpkg.h ------------------
if ! NPKG=$(python3 c-tests/layout_gen.py include/ntsecpkg.h c-tests/layout-skip-ntsecpkg.txt "$WORK/layout" ntsecpkg); then
    fail "layout_gen.py (ntsecpkg.h)"
    NPKG=0
fi
echo "layout ntsecpkg.h: $NPKG items"
if [ "$NPKG" -gt 0 ]; then
    for t in x86_64 i686; do
        cc=$t-w64-mingw32-gcc
        oc=$t-w64-mingw32-objcopy
        if layout_obj "$t mingw-w64 ntsecpkg.h" "$WORK/ref-$t.bin" $oc $cc -DLAYOUT_MINGW "${MINGW_DEFS[@]}" &&
            layout_obj "$t our ntsecpkg.h" "$WORK/ours-$t.bin" $oc $cc -I include -Wall -Wextra -Werror; then
            compare "ntsecpkg.h $t-w64-mingw32" "$WORK/ref-$t.bin" "$WORK/ours-$t.bin"
        fi
    done
    for cc in gcc clang; do
        if [ -f "$WORK/ref-x86_64.bin" ] &&
            layout_obj "native $cc ntsecpkg.h" "$WORK/native.bin" objcopy $cc -I include -Wall -Wextra -Werror; then
            compare "ntsecpkg.h native-linux-x86_64-$cc" "$WORK/ref-x86_64.bin" "$WORK/native.bin"
        fi
    done
fi

# --- 3. the committed header is not stale --------------------------------------------------
cp -r include "$WORK/include.before"
touch build.rs
if ! cargo build -q >"$WORK/build.log" 2>&1; then
    fail "cargo build (regenerating include/)"
    sed 's/^/    /' "$WORK/build.log" | tail -20
elif ! diff -ru "$WORK/include.before" include >"$WORK/stale.diff"; then
    fail "include/ is stale: run cargo build and commit include/"
    head -40 "$WORK/stale.diff" | sed 's/^/    /'
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
    ! git diff --exit-code --stat -- include/ >"$WORK/stale.diff" 2>&1; then
    fail "include/ is stale: run cargo build and commit include/ (it differs from the committed one)"
    sed 's/^/    /' "$WORK/stale.diff"
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
    [ -n "$(git ls-files --others --exclude-standard -- include/)" ]; then
    fail "include/ is stale: run cargo build and commit include/ (untracked files)"
else
    pass "include/ is up to date with src/ffi"
fi

echo "header-check: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
