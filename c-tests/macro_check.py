#!/usr/bin/env python3
"""Every macro mingw-w64's sspi.h, security.h, schannel.h and ntsecpkg.h define is defined by our headers
with the same value; every macro our wincrypt.h shares with mingw-w64's wincrypt.h has its value.

Usage: macro_check.py WORKDIR. Needs x86_64-w64-mingw32-gcc and gcc. Prints one line per
absent or differing macro, then "N M" (macros checked, failures) as its last line.
"""
import os
import re
import subprocess
import sys

MINGW_CC = "x86_64-w64-mingw32-gcc"
MINGW_DEFS = ["-D_WIN32_WINNT=0x0A00", "-DNTDDI_VERSION=0x0A000000", "-DSECURITY_WIN32"]
HEADERS = ["sspi.h", "security.h", "schannel.h", "ntsecpkg.h"]
# Not macros a program uses, or not ours to provide (each with the reason).
SKIP = {
    # include guards and mingw's own plumbing
    "__SSPI_H__": "guard", "__SCHANNEL_H__": "guard", "__SECEXT_H__": "guard",
    "__SECHANDLE_DEFINED__": "guard", "__SECSTATUS_DEFINED__": "guard", "__SEC_FAR": "plumbing",
    "_AUTH_IDENTITY_DEFINED": "guard", "_AUTH_IDENTITY_EX2_DEFINED": "guard",
    "_AUTH_IDENTITY_INFO_DEFINED": "guard", "ISSP_LEVEL": "kernel/user mode selector",
    "ISSP_MODE": "kernel/user mode selector", "KSECDDDECLSPEC": "dllimport decoration",
    "SECURITY_": "stray empty macro in mingw's sspi.h",
    "_NTSECPKG_": "guard", "_SAM_CREDENTIAL_UPDATE_DEFINED": "guard",
    "SECURITY_USER_DATA_DEFINED": "guard", "_ENCRYPTED_CREDENTIAL_DEFINED": "guard",
    "KsecInitializeListEntry": "kernel-mode (ksecdd) list helper",
    # functions another issue owns: #16 (Digest/SASL)
    "SaslEnumerateProfiles": "issue #16", "SaslGetProfilePackage": "issue #16",
    "SaslIdentifyPackage": "issue #16", "SaslInitializeSecurityContext": "issue #16",
    # schannel.dll's own exports, not secur32.dll's
    "SslEmptyCache": "schannel.dll", "SSL_EMPTY_CACHE_FN": "schannel.dll",
}


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout


def defined_names(cc, flags, src):
    out = run([cc, *flags, "-E", "-dM", "-x", "c", "-"], src)
    return {m.group(1) for m in re.finditer(r"^#define (\w+)", out, re.M)}


def expansions(cc, flags, src, names):
    probe = src + '#define SECUR32_S_(x) #x\n' + "".join(
        f"@@ SECUR32_S_({n}) @@ {n} @@\n" for n in names)
    out = run([cc, *flags, "-E", "-P", "-x", "c", "-"], probe).replace("\n", " ")
    return {m.group(1): re.sub(r"\s+", " ", m.group(2)).strip()
            for m in re.finditer(r'@@ "(\w+)" @@(.*?)@@', out)}


CASTS = r"\(\s*(?:DWORD|ULONG|LONG|unsigned __LONG32|int|long|unsigned long|unsigned int|ALG_ID|" \
        r"unsigned short|uint32_t|int32_t|HRESULT|SECURITY_STATUS|unsigned)\s*\)"


def value(e):
    """('num', n), ('str', text) or ('other', e)."""
    s = re.match(r'^\(?\s*(?:L|u|U|u8)?"(.*)"\s*\)?$', e)
    if s:
        return ("str", s.group(1))
    ee = re.sub(CASTS, "", e)
    ee = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", ee)
    if re.fullmatch(r"[\s0-9a-fA-Fx()|&+\-~<>*]+", ee):
        try:
            return ("num", eval(ee) & 0xFFFFFFFFFFFFFFFF)
        except Exception:
            pass
    return ("other", e)


def main():
    work = sys.argv[1]
    inc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "include")
    sysroot = run([MINGW_CC, "-print-sysroot"]).strip() or "/usr"
    mingw_inc = "/usr/x86_64-w64-mingw32/include"
    if not os.path.isdir(mingw_inc):
        mingw_inc = os.path.join(sysroot, "x86_64-w64-mingw32", "include")
    textual = set()
    for h in HEADERS:
        with open(os.path.join(mingw_inc, h), encoding="latin-1") as f:
            for m in re.finditer(r"^\s*#\s*define\s+(\w+)", f.read(), re.M):
                textual.add(m.group(1))
    theirs_src = ("#include <windows.h>\n#include <security.h>\n#include <schannel.h>\n"
                  "#include <ntsecapi.h>\n#include <ntsecpkg.h>\n")
    theirs = defined_names(MINGW_CC, MINGW_DEFS, theirs_src)
    want = sorted((textual & theirs) - set(SKIP))
    ours_src = ('#define SECURITY_WIN32\n#include "security.h"\n#include "schannel.h"\n'
                '#include "wincrypt.h"\n#include "ntsecpkg.h"\n')
    oflags = ["-I", inc]
    ours = defined_names("gcc", oflags, ours_src)
    # wincrypt.h: every macro ours defines that mingw's wincrypt.h also defines.
    wc_text = set()
    with open(os.path.join(inc, "wincrypt.h")) as f:
        for m in re.finditer(r"^\s*#\s*define\s+(\w+)", f.read(), re.M):
            wc_text.add(m.group(1))
    with open(os.path.join(mingw_inc, "wincrypt.h"), encoding="latin-1") as f:
        mingw_wc = {m.group(1) for m in re.finditer(r"^\s*#\s*define\s+(\w+)", f.read(), re.M)}
    wc_want = sorted((wc_text & mingw_wc & theirs) - set(want))
    names = want + wc_want
    t = expansions(MINGW_CC, MINGW_DEFS, theirs_src, names)
    o = expansions("gcc", oflags, ours_src, names)
    bad = 0
    for n in names:
        if n not in ours:
            print(f"absent: {n} (mingw-w64: {t.get(n, '?')})")
            bad += 1
            continue
        tv, ov = value(t.get(n, "")), value(o.get(n, ""))
        if tv[0] in ("num", "str") and tv != ov:
            print(f"differs: {n} = {o.get(n)!r}, mingw-w64 {t.get(n)!r}")
            bad += 1
    with open(os.path.join(work, "macros.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    print(f"{len(names)} {bad}")


main()
