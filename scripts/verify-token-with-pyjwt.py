#!/usr/bin/env python3
"""Checks, with PyJWT and nothing of Roundtable's own code, that an access token the
service signs verifies against its published JWKS, and that a tampered one does not.

Usage: verify-token-with-pyjwt.py BASE_URL CLIENT_ID CLIENT_SECRET [ISSUER]
Needs: pip install pyjwt cryptography
"""
import base64
import json
import sys
import urllib.request

import jwt


def main() -> int:
    base, client_id, secret = sys.argv[1:4]
    issuer = sys.argv[4] if len(sys.argv) > 4 else "http://localhost:8080"
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/oauth/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    token = json.load(urllib.request.urlopen(request))["access_token"]

    signing_key = jwt.PyJWKClient(f"{base}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["EdDSA"],
        audience="roundtable",
        issuer=issuer,
        options={"require": ["exp", "iss", "aud", "sub"]},
    )
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt", "typ header"
    print(f"verified with PyJWT {jwt.__version__}: sub={claims['sub']} org={claims['org']}")

    header, payload, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["scope"] = "everything"
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    try:
        jwt.decode(f"{header}.{forged_payload}.{signature}", signing_key.key, algorithms=["EdDSA"], audience="roundtable")
    except jwt.InvalidSignatureError:
        print("a tampered token is rejected")
        return 0
    print("a tampered token verified", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
