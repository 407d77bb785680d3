#!/usr/bin/env python3
"""The latchset `kdcproxy` WSGI app (MS-KKDCP) served over TLS on 127.0.0.1, for the KDC-proxy
tests of c-tests/kerberos-test.sh.

Usage: kdcproxy-server.py CERT.pem KEY.pem ACCESS_LOG PORT_FILE
kdcproxy reads KDCPROXY_CONFIG (a kdcproxy.conf naming the realm's KDC). The server binds a
random port, writes it to PORT_FILE, and appends one line per request to ACCESS_LOG
("METHOD PATH STATUS").
"""
import ssl
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import kdcproxy

cert, key, access_log, port_file = sys.argv[1:5]


class Handler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        with open(access_log, "a") as f:
            f.write(f"{self.command} {self.path} {code}\n")

    def log_message(self, *args):
        pass


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


app = kdcproxy.Application()
httpd = make_server("127.0.0.1", 0, app, server_class=Server, handler_class=Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(httpd.server_address[1]))
import os

os.rename(port_file + ".tmp", port_file)
httpd.serve_forever()
