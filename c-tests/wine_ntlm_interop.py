"""NTLM interop across the Windows/Linux boundary: c-tests/wine_peer.exe (our secur32.dll,
run under Wine) against pyspnego's NTLM (Linux), both directions, over the peer's stdin/stdout.

Usage: python wine_ntlm_interop.py WINE_COMMAND... PEER_EXE
Prints "wine-ntlm-interop: N passed, M failed"; exits non-zero on a failure.
"""

import os
import subprocess
import sys
import tempfile

import spnego
from spnego import NegotiateOptions

DOMAIN, USER, PASSWORD = "DOMAIN", "user", "Password01"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL wine-ntlm-interop: %s" % what, file=sys.stderr)


class Peer:
    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def send(self, tag, data):
        self.p.stdin.write("%s %s\n" % (tag, data.hex()))
        self.p.stdin.flush()

    def recv(self, tag):
        line = self.p.stdout.readline().strip()
        if not line.startswith(tag + " "):
            raise RuntimeError("wanted %s, peer said %r" % (tag, line))
        return line[len(tag) + 1:]

    def close(self):
        self.p.stdin.close()
        return self.p.wait(timeout=60)


def windows_client(cmd):
    """Our secur32.dll's ISC under Wine ↔ pyspnego acceptor."""
    server = spnego.server(protocol="ntlm", options=NegotiateOptions.use_ntlm)
    peer = Peer(cmd + ["client", DOMAIN, USER, PASSWORD])
    try:
        neg = bytes.fromhex(peer.recv("TOKEN"))
        check(neg[:8] == b"NTLMSSP\0" and neg[8] == 1, "NEGOTIATE from Windows")
        peer.send("TOKEN", server.step(neg))
        auth = bytes.fromhex(peer.recv("TOKEN"))
        check(auth[8] == 3, "AUTHENTICATE from Windows")
        server.step(auth)
        check(server.complete, "pyspnego accepted the Windows client")
        check(server.client_principal == "%s\\%s" % (DOMAIN, USER),
              "client principal %r" % server.client_principal)
        data = b"from linux " + bytes(range(256))
        peer.send("WRAP", server.wrap(data, encrypt=True).data)
        check(bytes.fromhex(peer.recv("PLAIN")) == data, "Windows unsealed pyspnego's message")
        back = server.unwrap(bytes.fromhex(peer.recv("WRAP")))
        check(back.encrypted and back.data == data[::-1], "pyspnego unsealed Windows' message")
    except Exception as e:  # noqa: BLE001 - report and count
        check(False, "windows client: %s" % e)
    check(peer.close() == 0, "wine_peer client exit status")


def windows_server(cmd):
    """pyspnego initiator ↔ our secur32.dll's ASC under Wine."""
    client = spnego.client("%s\\%s" % (DOMAIN, USER), PASSWORD, hostname="localhost",
                           service="host", protocol="ntlm", options=NegotiateOptions.use_ntlm)
    peer = Peer(cmd + ["server", DOMAIN, USER, PASSWORD])
    try:
        peer.send("TOKEN", client.step())
        chal = bytes.fromhex(peer.recv("TOKEN"))
        check(chal[8] == 2, "CHALLENGE from Windows")
        peer.send("TOKEN", client.step(chal))
        check(client.complete, "pyspnego client complete")
        user = peer.p.stdout.readline().strip()
        check(user == "USER %s\\%s" % (DOMAIN, USER), "Windows server authenticated %r" % user)
        msg = client.unwrap(bytes.fromhex(peer.recv("WRAP")))
        check(msg.encrypted and msg.data == b"from windows", "pyspnego unsealed Windows' message")
        data = b"sealed by pyspnego"
        peer.send("WRAP", client.wrap(data, encrypt=True).data)
        check(bytes.fromhex(peer.recv("PLAIN")) == data, "Windows unsealed pyspnego's message")
    except Exception as e:  # noqa: BLE001 - report and count
        check(False, "windows server: %s" % e)
    check(peer.close() == 0, "wine_peer server exit status")


def main():
    cmd = sys.argv[1:]
    # pyspnego's acceptor reads its accounts from NTLM_USER_FILE.
    users = tempfile.NamedTemporaryFile("w", suffix=".users", delete=False)
    users.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
    users.close()
    os.environ["NTLM_USER_FILE"] = users.name
    windows_client(cmd)
    windows_server(cmd)
    os.unlink(users.name)
    print("wine-ntlm-interop: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
