#!/usr/bin/env python3
"""TLS client that sends its first application record in the same TCP write as its Finished
(and, for TLS 1.2, its ChangeCipherSpec), so a Schannel server's last AcceptSecurityContext
call gets the application data as SECBUFFER_EXTRA. Prints the server's reply (one record).

Usage: tls_finished_plus_data.py HOST PORT CA.pem TLS1.2|TLS1.3 MESSAGE
Exit status 0 when a reply was read, 1 otherwise."""
import socket
import ssl
import sys

host, port, ca, version, message = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.minimum_version = ctx.maximum_version = getattr(ssl.TLSVersion, {"TLS1.2": "TLSv1_2", "TLS1.3": "TLSv1_3"}[version])
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname=host)
sock = socket.create_connection((host, int(port)), timeout=10)
while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        if out.pending:
            sock.sendall(out.read())
        data = sock.recv(65536)
        if not data:
            sys.exit("server closed during the handshake")
        inc.write(data)
# The Finished is still in the outgoing BIO: the application record goes out with it.
tls.write(message.encode())
sock.sendall(out.read())
reply = b""
while not reply:
    try:
        reply = tls.read(65536)
    except ssl.SSLWantReadError:
        data = sock.recv(65536)
        if not data:
            break
        inc.write(data)
    except ssl.SSLError:
        break
print(reply.decode(errors="replace"))
sys.exit(0 if reply else 1)
