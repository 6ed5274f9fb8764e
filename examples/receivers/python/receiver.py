# A webhook receiver that checks Tocsin's signature before trusting a request.
# Python 3.9+, standard library only: TOCSIN_SECRET=whsec_... PORT=8080 python3 receiver.py
# ed25519 also needs the cryptography package (Debian: apt install python3-cryptography):
#   SIGNING_SCHEME=ed25519 TOCSIN_PUBLIC_KEY=whpk_... PORT=8080 python3 receiver.py
# Settings and schemes: docs/signing.md.
import base64
import hashlib
import hmac
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ.get("TOCSIN_SECRET", "")
PUBLIC_KEY = os.environ.get("TOCSIN_PUBLIC_KEY", "")  # ed25519 only: whpk_...
SCHEME = os.environ.get("SIGNING_SCHEME", "standard")  # standard | hmac-sha256 | ed25519
HEADER = os.environ.get("SIGNATURE_HEADER", "")  # hmac-sha256 only, e.g. x-hub-signature-256
ENCODING = os.environ.get("SIGNATURE_ENCODING", "hex")  # hex | base64
PREFIX = os.environ.get("SIGNATURE_PREFIX", "")  # e.g. sha256= or v1=
TIMESTAMP_HEADER = os.environ.get("TIMESTAMP_HEADER", "")  # optional
TOLERANCE_SEC = 300

KEYED = re.fullmatch(r"whpk_[A-Za-z0-9+/]{43}=", PUBLIC_KEY) if SCHEME == "ed25519" else SECRET
if not KEYED or SCHEME not in ("standard", "hmac-sha256", "ed25519") or (SCHEME == "hmac-sha256" and not HEADER):
    sys.exit(
        "Set SIGNING_SCHEME (standard, hmac-sha256 or ed25519), TOCSIN_SECRET (TOCSIN_PUBLIC_KEY=whpk_... for ed25519)"
        " and, for hmac-sha256, SIGNATURE_HEADER."
    )
# standard keys the HMAC with the bytes the whsec_ secret encodes; hmac-sha256 with the text itself.
KEY = base64.b64decode(SECRET.removeprefix("whsec_")) if SCHEME == "standard" else SECRET.encode()
ED25519_KEY = None
if SCHEME == "ed25519":
    # The 32 raw bytes the whpk_ public key encodes: it can check signatures, not make them.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    ED25519_KEY = Ed25519PublicKey.from_public_bytes(base64.b64decode(PUBLIC_KEY.removeprefix("whpk_")))


def ed25519_verifies(signature, signed):
    try:
        ED25519_KEY.verify(base64.b64decode(signature), signed)
        return True
    except (InvalidSignature, ValueError):
        return False


def timestamp_problem(ts):
    if not re.fullmatch(r"[0-9]{1,12}", ts):
        return "bad timestamp"
    return "timestamp outside tolerance" if abs(time.time() - int(ts)) > TOLERANCE_SEC else None


def check(headers, body):
    """Why the request did not come from Tocsin, or None when it did."""
    if SCHEME in ("standard", "ed25519"):
        msg_id, ts, signatures = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
        if not (msg_id and ts and signatures):
            return "missing webhook-id, webhook-timestamp or webhook-signature"
        problem = timestamp_problem(ts)
        if problem:
            return problem
        if ED25519_KEY:
            # v1a entries, one per key while a rotation overlaps; any may verify.
            signed = f"{msg_id}.{ts}.".encode() + body
            v1a = [s[4:] for s in signatures.split(" ") if s.startswith("v1a,")]
            return None if any(ed25519_verifies(s, signed) for s in v1a) else "bad signature"
        digest = hmac.new(KEY, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        received = signatures.split(" ")  # one per secret while a rotation overlaps
    else:
        signatures = headers.get(HEADER)
        if not signatures:
            return f"missing {HEADER}"
        signed = body
        if TIMESTAMP_HEADER:
            ts = headers.get(TIMESTAMP_HEADER)
            problem = timestamp_problem(ts) if ts else f"missing {TIMESTAMP_HEADER}"
            if problem:
                return problem
            signed = f"{ts}:".encode() + body
        digest = hmac.new(KEY, signed, hashlib.sha256).digest()
        expected = PREFIX + (base64.b64encode(digest).decode() if ENCODING == "base64" else digest.hex())
        received = signatures.split(",") if PREFIX == "v1=" else [signatures]  # v1= lists one per secret
    # compare_digest takes constant time, so response timing reveals nothing about the signature.
    if any(hmac.compare_digest(s.strip().encode(), expected.encode()) for s in received):
        return None
    return "bad signature"


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        # The exact bytes Tocsin signed: verify them before parsing.
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        problem = check(self.headers, body)
        if problem:
            print(f"rejected: {problem}", flush=True)
            self.send_response(401)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(problem)))
            self.end_headers()
            self.wfile.write(problem.encode())
            return
        print(f"verified {self.headers.get('webhook-id')} ({len(body)} bytes)", flush=True)
        # Handle the event here: json.loads(body), deduplicated on webhook-id.
        self.send_response(204)
        self.end_headers()

    do_PUT = do_POST

    def log_message(self, *args):
        pass  # one line per request is printed above


if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Receiver)
    print(f"listening on http://{host}:{port}", flush=True)
    server.serve_forever()
