"""Google Cloud Storage on 127.0.0.1: gcp-storage-emulator (PyPI), plus a stand-in OAuth token endpoint.

    with SandboxGCS(tmp_dir) as gcs:
        gcs.create_bucket("wandb-ok", cors=wandb_cors())
        gcs.endpoint                               # http://127.0.0.1:P (JSON API, uploads, path-style XML GET/PUT)
        gcs.service_account_key()                  # a key file (JSON text) the token endpoint accepts
        gcs.rogue_service_account_key()            # a well-formed key the token endpoint refuses
        gcs.authorized_user_file(path)             # token-only credentials (as `gcloud auth application-default login`)

The emulator stores a bucket's `cors` and returns it (JSON API), serves objects path-style
(`/<bucket>/<object>`, which is where V4 signed URLs point) but checks no signature, answers
no preflight (no OPTIONS handler) and enforces no IAM. Google's OAuth cannot run here, so a
stand-in token endpoint (named as such) takes the JWT-bearer grant a service-account key makes:
it verifies the JWT's RS256 signature against the keys it issued, and answers `invalid_grant`
("Invalid JWT Signature.") for any other, as oauth2.googleapis.com does. Key files name it as
their `token_uri`, so nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from sandbox.procs import LOOPBACK, ManagedProcess, ServedInThread, free_port, tcp_ready

# google-auth probes the GCE metadata server (169.254.169.254) when it looks for ADC: never here.
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("GCE_METADATA_HOST", f"{LOOPBACK}:9")
os.environ.setdefault("GCE_METADATA_IP", f"{LOOPBACK}:9")

PROJECT = "wbinstall-sandbox"
WANDB_ORIGIN = "https://wandb.sandbox.test"


def wandb_cors(origin: str = "*", response_header: tuple[str, ...] = ("*",), methods=("GET", "HEAD", "PUT")) -> list:
    """The bucket CORS terraform-google-wandb sets (responseHeader *, GET/HEAD/PUT, max age 3000)."""
    return [{"origin": [origin], "method": list(methods), "responseHeader": list(response_header),
             "maxAgeSeconds": 3000}]


def wandb_docs_cors() -> list:
    """The GCS rule W&B's docs give: responseHeader Content-Type plus an `exposeHeaders` key, which is
    not a GCS field (the bucket resource has origin, method, responseHeader, maxAgeSeconds only)."""
    return [{"origin": ["*"], "responseHeader": ["Content-Type"], "exposeHeaders": ["ETag"],
             "method": ["GET", "HEAD", "PUT"], "maxAgeSeconds": 3000}]


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _TokenServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _TokenHandler)
        self.public_keys: dict[str, object] = {}  # private_key_id -> RSA public key
        self.refresh_tokens: set[str] = set()
        self.issued = 0


class _TokenHandler(BaseHTTPRequestHandler):
    server: _TokenServer

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer" and self._valid_jwt(form.get("assertion", "")):
            return self._token()
        if grant == "refresh_token" and form.get("refresh_token") in self.server.refresh_tokens:
            return self._token()
        why = "Invalid JWT Signature." if grant.endswith("jwt-bearer") else "Bad Request"
        self._send(400, {"error": "invalid_grant", "error_description": why})

    def _valid_jwt(self, assertion: str) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header = json.loads(_unb64url(header_b64))
            key = self.server.public_keys.get(header.get("kid", ""))
            if key is None or header.get("alg") != "RS256":
                return False
            key.verify(_unb64url(signature_b64), f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(),
                       hashes.SHA256())
            return True
        except (ValueError, InvalidSignature):
            return False

    def _token(self) -> None:
        self.server.issued += 1
        self._send(200, {"access_token": f"ya29.sandbox-{secrets.token_urlsafe(24)}", "expires_in": 3600,
                         "token_type": "Bearer"})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet test output
        pass


class TokenEndpoint(ServedInThread):
    """Stand-in for oauth2.googleapis.com/token (see the module docstring)."""

    _thread_name = "sandbox-gcs-token"

    def __init__(self) -> None:
        self._server = _TokenServer()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}/token"


class SandboxGCS:
    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.port = 0
        self._proc: ManagedProcess | None = None
        self.tokens = TokenEndpoint()

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> SandboxGCS:
        self.port = free_port()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._proc = ManagedProcess(
            "gcp-storage-emulator",
            [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", LOOPBACK, "--port", self.port,
             "--in-memory", "--project-number", "424242"],
            log_path=self.directory / "gcp-storage-emulator.log", cwd=self.directory,
        ).start(ready=tcp_ready(LOOPBACK, self.port), timeout=60)
        self.tokens.start()
        return self

    def stop(self) -> None:
        self.tokens.stop()
        if self._proc is not None:
            self._proc.stop()
            self._proc = None

    def __enter__(self) -> SandboxGCS:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- buckets ---------------------------------------------------------------------------------

    def _json(self, method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(f"{self.endpoint}/storage/v1{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            data = resp.read()
        return json.loads(data) if data else {}

    def create_bucket(self, name: str, cors: list | None = None) -> str:
        self._json("POST", f"/b?project={PROJECT}", {"name": name})
        if cors:  # the emulator's insert keeps only the name; patch stores the rest
            self.set_cors(name, cors)
        return name

    def set_cors(self, name: str, cors: list) -> None:
        self._json("PATCH", f"/b/{name}", {"cors": cors})

    def bucket(self, name: str) -> dict:
        return self._json("GET", f"/b/{name}")

    def objects(self, bucket: str) -> list[str]:
        return [o["name"] for o in self._json("GET", f"/b/{bucket}/o").get("items", [])]

    # -- credentials -----------------------------------------------------------------------------

    def service_account_key(self, name: str = "wandb-sandbox") -> str:
        """A service-account key file, as `gcloud iam service-accounts keys create` writes it, whose
        token_uri is the stand-in token endpoint (which accepts it)."""
        key_json, key_id, public = _new_key(name, self.tokens.url)
        self.tokens._server.public_keys[key_id] = public
        return key_json

    def rogue_service_account_key(self, name: str = "wandb-sandbox") -> str:
        """A well-formed key that Google does not know (deleted, or from another project)."""
        return _new_key(name, self.tokens.url)[0]

    def authorized_user_file(self, path: str | os.PathLike) -> Path:
        """User credentials (`gcloud auth application-default login`): tokens only, no private key."""
        refresh = f"1//sandbox-{secrets.token_urlsafe(16)}"
        self.tokens._server.refresh_tokens.add(refresh)
        path = Path(path)
        path.write_text(json.dumps({"type": "authorized_user", "client_id": "sandbox.apps.googleusercontent.com",
                                    "client_secret": "sandbox-client-secret", "refresh_token": refresh,
                                    "token_uri": self.tokens.url, "quota_project_id": PROJECT}))
        return path


def _new_key(name: str, token_uri: str) -> tuple[str, str, object]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    key_id = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    email = f"{name}@{PROJECT}.iam.gserviceaccount.com"
    doc = {"type": "service_account", "project_id": PROJECT, "private_key_id": key_id, "private_key": pem,
           "client_email": email, "client_id": str(uuid.uuid4().int)[:21], "auth_uri": "http://127.0.0.1:9/auth",
           "token_uri": token_uri, "universe_domain": "googleapis.com"}
    return json.dumps(doc, indent=2), key_id, private.public_key()


def create_standard_buckets(gcs: SandboxGCS) -> dict[str, str]:
    """The CORS cases: case -> bucket."""
    suffix = uuid.uuid4().hex[:6]
    cases = {
        "cors_ok": wandb_cors(),
        "cors_ok_origin": wandb_cors(WANDB_ORIGIN, ("Content-Type", "ETag")),
        "wandb_docs": wandb_docs_cors(),
        "other_origin": wandb_cors("https://other.example.test"),
        "missing_put": wandb_cors(methods=("GET", "HEAD")),
        "no_cors": None,
    }
    return {case: gcs.create_bucket(f"wbi-{case.replace('_', '-')}-{suffix}", cors) for case, cors in cases.items()}
