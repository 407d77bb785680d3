#!/usr/bin/env python3
"""MIT krb5's RFC 3961 crypto (libkrb5 krb5_c_*) as a line-oriented oracle for the Rust tests.

Reads one request per line on stdin, writes one hex answer per line on stdout:
  enc  <enctype> <key hex> <usage> <plaintext hex>   -> ciphertext (random confounder)
  dec  <enctype> <key hex> <usage> <ciphertext hex>  -> plaintext, or "ERR <code>"
  cksum <cksumtype> <enctype> <key hex> <usage> <data hex> -> checksum
  verify <cksumtype> <enctype> <key hex> <usage> <data hex> <cksum hex> -> "1" or "0"
  s2k  <enctype> <password hex> <salt hex> <s2kparams hex or ->  -> key
Empty byte strings are written ".". Exit status 77 when libkrb5 is not installed (the caller reports a loud skip).
"""
import ctypes
import ctypes.util
import sys

path = ctypes.util.find_library("krb5")
if not path:
    print("libkrb5 not found", file=sys.stderr)
    sys.exit(77)
k5 = ctypes.CDLL(path)


class Data(ctypes.Structure):
    _fields_ = [("magic", ctypes.c_int32), ("length", ctypes.c_uint), ("data", ctypes.c_void_p)]


class Keyblock(ctypes.Structure):
    _fields_ = [("magic", ctypes.c_int32), ("enctype", ctypes.c_int32),
                ("length", ctypes.c_uint), ("contents", ctypes.c_void_p)]


class EncData(ctypes.Structure):
    _fields_ = [("magic", ctypes.c_int32), ("enctype", ctypes.c_int32),
                ("kvno", ctypes.c_uint), ("ciphertext", Data)]


class Checksum(ctypes.Structure):
    _fields_ = [("magic", ctypes.c_int32), ("checksum_type", ctypes.c_int32),
                ("length", ctypes.c_uint), ("contents", ctypes.c_void_p)]


ctx = ctypes.c_void_p()
if k5.krb5_init_context(ctypes.byref(ctx)) != 0:
    print("krb5_init_context failed", file=sys.stderr)
    sys.exit(1)

keep = []


def buf(b):
    m = ctypes.create_string_buffer(bytes(b), max(len(b), 1))
    keep.append(m)
    return ctypes.cast(m, ctypes.c_void_p), len(b)


def data(b):
    p, n = buf(b)
    return Data(0, n, p)


def keyblock(enctype, key):
    p, n = buf(key)
    return Keyblock(0, enctype, n, p)


def read(ptr, n):
    return ctypes.string_at(ptr, n).hex() if n else "."


def unhex(w):
    return b"" if w == "." else bytes.fromhex(w)


def handle(words):
    op = words[0]
    if op == "enc":
        et, key, usage, plain = int(words[1]), unhex(words[2]), int(words[3]), unhex(words[4])
        kb = keyblock(et, key)
        outlen = ctypes.c_size_t()
        rc = k5.krb5_c_encrypt_length(ctx, et, ctypes.c_size_t(len(plain)), ctypes.byref(outlen))
        if rc:
            return "ERR %d" % rc
        out = EncData(0, et, 0, data(b"\0" * outlen.value))
        inp = data(plain)
        rc = k5.krb5_c_encrypt(ctx, ctypes.byref(kb), usage, None, ctypes.byref(inp), ctypes.byref(out))
        return "ERR %d" % rc if rc else read(out.ciphertext.data, out.ciphertext.length)
    if op == "dec":
        et, key, usage, ct = int(words[1]), unhex(words[2]), int(words[3]), unhex(words[4])
        kb = keyblock(et, key)
        inp = EncData(0, et, 0, data(ct))
        out = data(b"\0" * len(ct))
        rc = k5.krb5_c_decrypt(ctx, ctypes.byref(kb), usage, None, ctypes.byref(inp), ctypes.byref(out))
        return "ERR %d" % rc if rc else read(out.data, out.length)
    if op == "cksum":
        ct, et, key, usage, msg = int(words[1]), int(words[2]), unhex(words[3]), int(words[4]), unhex(words[5])
        kb = keyblock(et, key)
        inp = data(msg)
        ck = Checksum()
        rc = k5.krb5_c_make_checksum(ctx, ct, ctypes.byref(kb), usage, ctypes.byref(inp), ctypes.byref(ck))
        if rc:
            return "ERR %d" % rc
        r = read(ck.contents, ck.length)
        k5.krb5_free_checksum_contents(ctx, ctypes.byref(ck))
        return r
    if op == "verify":
        ct, et, key, usage, msg, c = (int(words[1]), int(words[2]), unhex(words[3]), int(words[4]),
                                      unhex(words[5]), unhex(words[6]))
        kb = keyblock(et, key)
        inp = data(msg)
        p, n = buf(c)
        ck = Checksum(0, ct, n, p)
        valid = ctypes.c_uint()
        rc = k5.krb5_c_verify_checksum(ctx, ctypes.byref(kb), usage, ctypes.byref(inp), ctypes.byref(ck),
                                       ctypes.byref(valid))
        return "ERR %d" % rc if rc else str(valid.value)
    if op == "s2k":
        et, pw, salt = int(words[1]), unhex(words[2]), unhex(words[3])
        params = None if words[4] == "-" else data(unhex(words[4]))
        kb = Keyblock()
        pwd, sd = data(pw), data(salt)
        rc = k5.krb5_c_string_to_key_with_params(ctx, et, ctypes.byref(pwd), ctypes.byref(sd),
                                                 ctypes.byref(params) if params else None, ctypes.byref(kb))
        if rc:
            return "ERR %d" % rc
        r = read(kb.contents, kb.length)
        k5.krb5_free_keyblock_contents(ctx, ctypes.byref(kb))
        return r
    return "ERR unknown-op"


for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    print(handle(words), flush=True)
    keep.clear()
