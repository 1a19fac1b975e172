#!/usr/bin/env python3
"""An HTTP proxy in front of the local AWS endpoint that answers a share of
API requests the way AWS answers when it throttles: HTTP 400 with
`{"__type": "ThrottlingException", "message": "Rate exceeded"}`.

Usage: python throttle_proxy.py --port PORT --upstream-port PORT [--share 0.3] [--seed 1]

GET /_proxy/stats returns {"forwarded": n, "throttled": n}. Paths under
/_accessc/ (the test endpoint's controls) are always forwarded.
"""

import argparse
import http.client
import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--upstream-port", type=int, required=True)
parser.add_argument("--share", type=float, default=0.3)
parser.add_argument("--seed", type=int, default=1)
ARGS = parser.parse_args()

LOCK = threading.Lock()
RNG = random.Random(ARGS.seed)
STATS = {"forwarded": 0, "throttled": 0}
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length", "te", "upgrade"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/x-amz-json-1.1", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_proxy/stats"):
            with LOCK:
                text = json.dumps(STATS).encode()
            return self.reply(200, text, "application/json")
        control = self.path.startswith("/_accessc/")
        with LOCK:
            throttle = not control and RNG.random() < ARGS.share
            STATS["throttled" if throttle else "forwarded"] += 1
        if throttle:
            err = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            return self.reply(400, err, extra=[("x-amzn-ErrorType", "ThrottlingException")])
        conn = http.client.HTTPConnection("127.0.0.1", ARGS.upstream_port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
        except OSError as e:
            return self.reply(502, json.dumps({"error": str(e)}).encode(), "application/json")
        finally:
            conn.close()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = handle_any
    do_POST = handle_any
    do_PUT = handle_any
    do_DELETE = handle_any


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    server.serve_forever()
