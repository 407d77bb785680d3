#!/usr/bin/env python3
"""Records real Kerberos messages exchanged between MIT's kinit/kvno and MIT's KDC.

    eval "$(tests/kerberos/mit-kdc.sh start DIR)"
    python3 tests/kerberos/capture-fixtures.py OUTDIR

A UDP and TCP relay on 127.0.0.1 (random port) sits between the clients and the KDC of $KRB5_CONFIG
(KDC_PORT); a copy of krb5.conf pointing at the relay is used for kinit/kvno. Every datagram is
written to OUTDIR as NN-<direction>-<message>.der (message named from its application tag).
"""
import os, socket, subprocess, sys, threading, tempfile

NAMES = {10: "as-req", 11: "as-rep", 12: "tgs-req", 13: "tgs-rep", 30: "krb-error"}

def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    kdc = ("127.0.0.1", int(os.environ["KDC_PORT"]))
    realm = os.environ["REALM"]
    relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay.bind(("127.0.0.1", 0))
    port = relay.getsockname()[1]
    count = [0]

    def save(direction, data):
        tag = data[0] & 0x1F if data and data[0] & 0xE0 == 0x60 else -1
        count[0] += 1
        name = "%02d-%s-%s.der" % (count[0], direction, NAMES.get(tag, "tag%d" % tag))
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    stop = threading.Event()

    def run():
        relay.settimeout(0.2)
        while not stop.is_set():
            try:
                data, client = relay.recvfrom(65535)
            except socket.timeout:
                continue
            save("c2s", data)
            up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            up.settimeout(3)
            up.sendto(data, kdc)
            reply, _ = up.recvfrom(65535)
            up.close()
            save("s2c", reply)
            relay.sendto(reply, client)

    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(4)
    tcp.settimeout(0.2)

    def recv_exact(c, n):
        b = b""
        while len(b) < n:
            chunk = c.recv(n - len(b))
            if not chunk:
                raise EOFError
            b += chunk
        return b

    def run_tcp():
        while not stop.is_set():
            try:
                c, _ = tcp.accept()
            except socket.timeout:
                continue
            c.settimeout(5)
            try:
                data = recv_exact(c, int.from_bytes(recv_exact(c, 4), "big"))
                save("c2s-tcp", data)
                up = socket.create_connection(kdc, timeout=5)
                up.sendall(len(data).to_bytes(4, "big") + data)
                reply = recv_exact(up, int.from_bytes(recv_exact(up, 4), "big"))
                up.close()
                save("s2c-tcp", reply)
                c.sendall(len(reply).to_bytes(4, "big") + reply)
            except (EOFError, OSError):
                pass
            c.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t2 = threading.Thread(target=run_tcp, daemon=True)
    t2.start()
    conf = open(os.environ["KRB5_CONFIG"]).read().replace(
        "127.0.0.1:%d" % kdc[1], "127.0.0.1:%d" % port)
    # UDP first (udp_preference_limit stays at its default); TCP when the KDC says
    # KRB_ERR_RESPONSE_TOO_BIG, on the same port.
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "krb5.conf")
        with open(path, "w") as f:
            f.write(conf)
        env = dict(os.environ, KRB5_CONFIG=path, KRB5CCNAME="FILE:" + os.path.join(d, "cc"))
        subprocess.run(["kinit", "user1@" + realm], input=os.environ.get("USER1_PASSWORD", "Password01") + "\n",
                       text=True, env=env, check=True, capture_output=True)
        subprocess.run(["kvno", "HTTP/localhost"], env=env, check=True, capture_output=True)
        r = subprocess.run(["kvno", "nosuch/localhost"], env=env, capture_output=True)
        assert r.returncode != 0
    stop.set()
    t.join()
    t2.join()

if __name__ == "__main__":
    main()
