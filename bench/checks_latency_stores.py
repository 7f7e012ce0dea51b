"""Benchmark: bench/checks_latency.py with the sandbox's object store swapped for GCS or Azure Blob.

    .venv/bin/python bench/checks_latency_stores.py --storage gcs|azure|s3 [--rounds 3] [--delay 0.2]

The same measurement as checks_latency.py (every server behind ~200 ms of latency, ratios against
single-probe baselines from the same run); the storage answers point at gcp-storage-emulator
(with its token endpoint, also behind the latency) or at Azurite instead of moto.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.checks_latency import measure, report, with_latency  # noqa: E402
from sandbox.__main__ import HOST, running  # noqa: E402
from sandbox.latency import LatencyProxies  # noqa: E402
from wbinstall import answers as answers_mod  # noqa: E402


def _slow_url(url: str, proxies: LatencyProxies) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxies.tcp(parts.hostname, parts.port)}"))


def use_store(answers_path: Path, kind: str, stack: contextlib.ExitStack, proxies: LatencyProxies) -> Path:
    """The sandbox answers (already behind latency) with their storage on `kind`, also behind latency."""
    data = yaml.safe_load(answers_path.read_text())
    directory = answers_path.parent
    if kind == "azure":
        from sandbox.azurite import SandboxAzurite, wandb_cors_rules

        az = stack.enter_context(SandboxAzurite(directory / "azurite", accounts=("wbbench",)))
        az.set_cors("wbbench", wandb_cors_rules(f"https://{HOST}"))
        az.create_container("wbbench", "wandb")
        (directory / "azure-key.txt").write_text(az.account_key("wbbench"))
        data["storage"] = {"provider": "azure", "bucket": "wandb", "account": "wbbench",
                           "endpoint": _slow_url(az.endpoint("wbbench"), proxies),
                           "accountKey": {"file": str(directory / "azure-key.txt")}}
    elif kind == "gcs":
        import json

        from sandbox.gcs import SandboxGCS, wandb_cors

        gcs = stack.enter_context(SandboxGCS(directory / "gcs"))
        bucket = gcs.create_bucket("wbbench", cors=wandb_cors(f"https://{HOST}"))
        key = json.loads(gcs.service_account_key())
        key["token_uri"] = _slow_url(key["token_uri"], proxies)
        (directory / "gcs-key.json").write_text(json.dumps(key))
        data["storage"] = {"provider": "gcs", "bucket": bucket, "endpoint": _slow_url(gcs.endpoint, proxies),
                           "serviceAccountKey": {"file": str(directory / "gcs-key.json")}}
    out = answers_path.with_name(f"answers-slow-{kind}.yaml")
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--storage", choices=("s3", "gcs", "azure"), default="gcs")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp)) as answers_path, contextlib.ExitStack() as stack:
        proxies = LatencyProxies(args.delay)
        try:
            loaded = answers_mod.load(use_store(with_latency(answers_path, proxies), args.storage, stack, proxies))
            totals, singles = measure(loaded, answers_mod.resolve_secrets(loaded), args.rounds)
        finally:
            proxies.close()
    report(f"storage: {args.storage}; latency per round trip: {args.delay * 1000:.0f} ms; rounds: {args.rounds} "
           "(medians)", totals, singles)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
