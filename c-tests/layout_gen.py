#!/usr/bin/env python3
"""Generates the layout probe for c-tests/header-check.sh.

Parses our include/sspi.h for every struct/union typedef (and its fields, nested named
members included), every enum typedef (its sizes and enumerators), every other typedef, and
every numeric #define, then writes:

  OUT.c      one `long long layout[]` entry per item: sizeof(struct), offsetof(struct, field),
             sizeof(typedef), or (long long)CONSTANT. Which headers it includes is chosen at
             compile time: -DLAYOUT_MINGW for mingw-w64's own, otherwise our security.h.
  OUT.names  the item names, one a line, in the same order.

Usage: layout_gen.py include/sspi.h c-tests/layout-skip.txt OUT
Items listed in layout-skip.txt (first word of each non-comment line) are left out.

       layout_gen.py compare OUT.names REF.bin TEST.bin LABEL
compares two extracted `layout` arrays (little-endian int64) item by item, prints every
mismatch with its name, and prints "<compared> <mismatched>" last.
"""
import re
import sys

# Macros of the prelude that are not Windows constants.
NOT_CONSTANTS = {"SECUR32_SSPI_H", "SECURITY_WIN32", "SEC_ENTRY", "SEC_Entry", "SEC_FAR"}

NUM = r"-?(?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*"
CAST = r"\((?:SECURITY_STATUS|ULONG|LONG|DWORD|ULONG_PTR|unsigned long long|uint64_t|uint32_t|int32_t)\)"
NUMERIC = re.compile(r"^\(*\s*(?:%s\s*)?\(*\s*%s\s*\)*$" % (CAST, NUM))


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_fields(body):
    """Field paths of a struct/union body: 'a', 'u.LowPart'; anonymous members flatten."""
    fields = []
    i = 0
    n = len(body)
    while i < n:
        # Next declaration: up to ';' at depth 0, or a nested aggregate '{...} name;'.
        j = i
        depth = 0
        while j < n:
            c = body[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == ";" and depth == 0:
                break
            j += 1
        decl = body[i:j].strip()
        i = j + 1
        if not decl:
            continue
        if "{" in decl:
            inner = decl[decl.index("{") + 1 : decl.rindex("}")]
            name = decl[decl.rindex("}") + 1 :].strip()
            sub = parse_fields(inner)
            if name:
                fields.append(name)
                fields.extend(f"{name}.{s}" for s in sub)
            else:
                fields.extend(sub)
            continue
        if "(" in decl:  # function pointer member: T (SEC_ENTRY *name)(args)
            m = re.search(r"\(\s*(?:\w+\s+)?\*\s*(\w+)\s*\)", decl)
            if m:
                fields.append(m.group(1))
            continue
        m = re.search(r"(\w+)\s*(?:\[[^\]]*\])?$", decl)
        if m:
            fields.append(m.group(1))
    return fields


def parse(header):
    text = strip_comments(open(header, encoding="utf-8").read())
    items = []  # (name, C expression)
    seen_types = set()

    # Struct/union typedefs, possibly with extra declarators (`} X, *PX;`).
    agg = re.compile(r"typedef\s+(struct|union)\s+(\w*)\s*\{")
    pos = 0
    spans = []
    while True:
        m = agg.search(text, pos)
        if not m:
            break
        depth = 0
        k = m.end() - 1
        while True:
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        body = text[m.end() : k]
        end = text.index(";", k)
        declarators = [d.strip() for d in text[k + 1 : end].split(",")]
        spans.append((m.start(), end))
        pos = end + 1
        names = [d for d in declarators if re.fullmatch(r"\w+", d)]
        ptrs = [d.lstrip("*").strip() for d in declarators if d.startswith("*")]
        if not names:
            continue
        tname = names[0]
        seen_types.add(tname)
        items.append((f"sizeof({tname})", f"sizeof({tname})"))
        if m.group(2):  # the tag C code may name instead of the typedef
            items.append((f"sizeof({m.group(1)} {m.group(2)})", f"sizeof({m.group(1)} {m.group(2)})"))
        for f in parse_fields(body):
            items.append((f"{tname}.{f}", f"offsetof({tname}, {f})"))
        for other in names[1:]:
            seen_types.add(other)
            items.append((f"sizeof({other})", f"sizeof({other})"))
        for p in ptrs:
            seen_types.add(p)
            items.append((f"sizeof({p})", f"sizeof({p})"))

    # Enum typedefs (`typedef enum _X { A, B = 1 } X;`): the sizes and every enumerator's value.
    for m in re.finditer(r"typedef\s+enum\s+(\w*)\s*\{([^}]*)\}\s*(\w+)\s*;", text):
        tag, body, tname = m.groups()
        seen_types.add(tname)
        items.append((f"sizeof({tname})", f"sizeof({tname})"))
        if tag:
            items.append((f"sizeof(enum {tag})", f"sizeof(enum {tag})"))
        for e in body.split(","):
            e = e.split("=")[0].strip()
            if e:
                items.append((e, f"(long long)({e})"))

    # Other typedefs (scalars, pointers, function pointers, aliases of structs).
    rest = text
    for a, b in reversed(spans):
        rest = rest[:a] + rest[b + 1 :]
    for m in re.finditer(r"typedef\s+([^;{}]*);", rest):
        decl = m.group(1)
        if re.search(r"\(\s*(?:\w+\s+)?\w+\s*\)\s*\(", decl) and not re.search(r"\(\s*(?:\w+\s+)?\*", decl):
            continue  # a function type (ntsecpkg.h's SpXxxFn): it has no size
        fp = re.search(r"\(\s*(?:\w+\s+)?\*\s*(\w+)\s*\)\s*\(", decl)
        name = fp.group(1) if fp else re.search(r"(\w+)\s*$", decl).group(1)
        if name in seen_types:
            continue
        # SEC_WCHAR is wchar_t on Windows, a 16-bit type elsewhere: same size either way.
        seen_types.add(name)
        items.append((f"sizeof({name})", f"sizeof({name})"))

    # Numeric constants (a literal, a cast literal, or another numeric constant's name).
    consts = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+([^\n]*)$", text, re.M):
        name, value = m.group(1), m.group(2).strip()
        if name in NOT_CONSTANTS:
            continue
        consts.setdefault(name, value)
    numeric = {n for n, v in consts.items() if NUMERIC.match(v)}
    changed = True
    while changed:
        changed = False
        for n, v in consts.items():
            if n not in numeric and v in numeric:
                numeric.add(n)
                changed = True
    for n in consts:
        if n in numeric:
            items.append((n, f"(long long)({n})"))
    return items


def compare(names_file, ref_bin, test_bin, label):
    import struct

    names = open(names_file, encoding="utf-8").read().split("\n")[:-1]
    n = len(names)

    def load(path):
        data = open(path, "rb").read()
        if len(data) < 8 * n:
            sys.stderr.write(f"{path}: {len(data)} bytes, expected {8 * n}\n")
            sys.exit(2)
        return struct.unpack("<%dq" % n, data[: 8 * n])

    ref, test = load(ref_bin), load(test_bin)
    bad = 0
    for name, r, t in zip(names, ref, test):
        if r != t:
            bad += 1
            print(f"  MISMATCH [{label}] {name}: mingw-w64 {r} ({r & 0xFFFFFFFFFFFFFFFF:#x}), ours {t} ({t & 0xFFFFFFFFFFFFFFFF:#x})")
    print(f"{n} {bad}")


def main():
    if sys.argv[1] == "compare":
        compare(*sys.argv[2:6])
        return
    header, skipfile, out = sys.argv[1:4]
    # Which header pair the probe includes: sspi.h (default) or ntsecpkg.h.
    probe = sys.argv[4] if len(sys.argv) > 4 else "sspi"
    skip = set()
    with open(skipfile, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                skip.add(line.split()[0])
    items = parse(header)
    names = {n for n, _ in items}
    unused = sorted(s for s in skip if s not in names)
    if unused:
        sys.stderr.write("layout-skip.txt lists items our header no longer has: %s\n" % ", ".join(unused))
        sys.exit(2)
    items = [(n, e) for n, e in items if n not in skip]
    with open(out + ".c", "w", encoding="utf-8") as c:
        if probe == "ntsecpkg":
            mingw = ["windows.h", "security.h", "sspi.h", "ntsecapi.h", "ntsecpkg.h"]
            ours = ["security.h", "ntsecpkg.h"]
        else:
            mingw = ["windows.h", "security.h", "sspi.h"]
            ours = ["security.h"]
        c.write(
            "/* Generated by c-tests/layout_gen.py. */\n"
            "#ifdef LAYOUT_MINGW\n"
            "#define SECURITY_WIN32\n"
            + "".join(f"#include <{h}>\n" for h in mingw)
            + "#else\n"
            "#define SECURITY_WIN32\n"
            + "".join(f'#include "{h}"\n' for h in ours)
            + "#endif\n"
            "#include <stddef.h>\n"
            "long long layout[] = {\n"
        )
        for n, e in items:
            c.write(f"  (long long)({e}), /* {n} */\n")
        c.write("};\n")
    with open(out + ".names", "w", encoding="utf-8") as f:
        for n, _ in items:
            f.write(n + "\n")
    print(len(items))


if __name__ == "__main__":
    main()
