#!/usr/bin/env python3
"""Checks, with the `standardwebhooks` library and nothing of Roundtable's own code, that
every webhook the service sends verifies: a receiver here registers itself, events are
caused over the API, and each delivery's signature is checked; after a secret rotation a
message verifies with the new secret and, during the grace period, with the old one; a
tampered body does not verify.

The server must allow private targets (the receiver listens on 127.0.0.1):
ROUNDTABLE_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true.

Usage: verify-webhooks-with-standardwebhooks.py BASE_URL CLIENT_ID CLIENT_SECRET
Needs: pip install standardwebhooks
"""
import base64
import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

received = []
lock = threading.Condition()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            lock.notify_all()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else None


def wait_for(count, seconds=20):
    deadline = time.time() + seconds
    with lock:
        while len(received) < count:
            left = deadline - time.time()
            if left <= 0:
                raise SystemExit(f"FAIL: {len(received)} of {count} deliveries arrived within {seconds} s")
            lock.wait(left)
        return list(received)


def main() -> int:
    base, client_id, secret = sys.argv[1:4]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/oauth/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    token = json.load(urllib.request.urlopen(request))["access_token"]

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"

    endpoint = call(base, token, "POST", "/api/v1/webhooks/endpoints", {"url": url, "description": "standardwebhooks check"})
    first_secret = endpoint["secret"]
    assert first_secret.startswith("whsec_"), first_secret

    person = call(base, token, "POST", "/api/v1/people", {"email": "webhook.check@example.com", "display_name": "Webhook Check"})
    call(base, token, "PATCH", f"/api/v1/people/{person['id']}", {"active": False})
    call(base, token, "POST", f"/api/v1/webhooks/endpoints/{endpoint['id']}/ping")
    deliveries = wait_for(2)

    checked = 0
    for headers, body in deliveries:
        payload = Webhook(first_secret).verify(body, headers)
        assert payload["type"] in ("person.deactivated", "webhook.ping"), payload
        checked += 1
    types = sorted(json.loads(body)["type"] for _, body in deliveries)
    assert types == ["person.deactivated", "webhook.ping"], types

    headers, body = deliveries[0]
    try:
        Webhook(first_secret).verify(body.replace(b"}", b" }", 1), headers)
        raise SystemExit("FAIL: a tampered body verified")
    except WebhookVerificationError:
        pass

    rotated = call(base, token, "POST", f"/api/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", {"grace_seconds": 3600})
    second_secret = rotated["secret"]
    assert second_secret != first_secret
    call(base, token, "POST", f"/api/v1/webhooks/endpoints/{endpoint['id']}/ping")
    headers, body = wait_for(3)[2]
    for key in (second_secret, first_secret):
        Webhook(key).verify(body, headers)
        checked += 1
    assert len(headers["webhook-signature"].split(" ")) == 2, headers["webhook-signature"]

    server.shutdown()
    print(f"OK: {len(received)} deliveries, {checked} signature checks with standardwebhooks (rotation included); a tampered body is refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
