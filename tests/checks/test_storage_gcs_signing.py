"""The V4 signed URLs the GCS check uses, against Google's documented algorithm with a known key.

No emulator here validates a V4 signature (gcp-storage-emulator and fake-gcs-server accept any),
so the URL wbinstall's GCS client produces is rebuilt from Google's documentation
(cloud.google.com/storage/docs/authentication/canonical-requests and .../signatures: canonical
request -> string to sign -> RSA-SHA256) and its signature compared byte for byte. RSA PKCS#1 v1.5
signatures are deterministic, so the same key must give the same signature.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from wbinstall.checks.storage.providers.gcs_client import CONTENT_TYPE, GCSBucket

EMAIL = "wandb@wbinstall-test.iam.gserviceaccount.com"
NOW = datetime.datetime(2026, 12, 2, 6, 0, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def key():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "wbinstall-test", "private_key_id": "0" * 40,
            "private_key": pem, "client_email": EMAIL, "client_id": "1",
            "token_uri": "http://127.0.0.1:9/token"}  # never used: signing needs no token
    return private, json.dumps(info)


@pytest.fixture
def frozen_clock(monkeypatch):
    import google.cloud.storage._signing as signing

    monkeypatch.setattr(signing, "_NOW", lambda tz=None: NOW)


def documented_signature(private, method: str, host: str, path: str, query: dict[str, str],
                         headers: dict[str, str]) -> str:
    """Google's V4 algorithm, step by step, from its documentation."""
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
    all_headers = {"host": host, **{k.lower(): v for k, v in headers.items()}}
    canonical_headers = "".join(f"{k}:{all_headers[k].strip()}\n" for k in sorted(all_headers))
    signed_headers = ";".join(sorted(all_headers))
    canonical_request = "\n".join([method, path, canonical_query, canonical_headers, signed_headers,
                                   "UNSIGNED-PAYLOAD"])
    stamp, date = NOW.strftime("%Y%m%dT%H%M%SZ"), NOW.strftime("%Y%m%d")
    string_to_sign = "\n".join(["GOOG4-RSA-SHA256", stamp, f"{date}/auto/storage/goog4_request",
                                hashlib.sha256(canonical_request.encode()).hexdigest()])
    return private.sign(string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()).hex()


@pytest.mark.parametrize(("method", "expires", "headers"), [
    ("PUT", 24 * 3600, {"Content-Type": CONTENT_TYPE}),  # W&B's upload URL: 24 h, content type signed
    ("GET", 3600, {}),  # W&B's download URL: 1 h
])
def test_signed_url_matches_googles_v4_algorithm(key, frozen_clock, method, expires, headers):
    private, key_file = key
    client = GCSBucket(bucket="wandb-bucket", endpoint=None, key_file=key_file, timeout=5)
    try:
        url = client.presign(method, "team/wandb/wbinstall-probe 0123", expires)
    finally:
        client.close()
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    signature = query.pop("X-Goog-Signature")

    assert (parts.scheme, parts.netloc) == ("https", "storage.googleapis.com")
    assert parts.path == "/wandb-bucket/team/wandb/wbinstall-probe%200123"
    assert query == {
        "X-Goog-Algorithm": "GOOG4-RSA-SHA256",
        "X-Goog-Credential": f"{EMAIL}/20261202/auto/storage/goog4_request",
        "X-Goog-Date": "20261202T060000Z",
        "X-Goog-Expires": str(expires),
        "X-Goog-SignedHeaders": ";".join(sorted({"host", *(h.lower() for h in headers)})),
    }
    assert signature == documented_signature(private, method, "storage.googleapis.com", parts.path, query, headers)


def test_a_signature_from_another_key_differs(key, frozen_clock):
    """The comparison above can fail: the same request signed with another key does not match."""
    _, key_file = key
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client = GCSBucket(bucket="wandb-bucket", endpoint=None, key_file=key_file, timeout=5)
    try:
        url = client.presign("GET", "k", 3600)
    finally:
        client.close()
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    signature = query.pop("X-Goog-Signature")
    assert signature != documented_signature(other, "GET", "storage.googleapis.com", parts.path, query, {})
