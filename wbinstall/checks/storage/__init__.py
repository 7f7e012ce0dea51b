"""Object storage checks: the bucket answers a round trip, presigned URLs work over HTTP, CORS
lets W&B's web UI upload. One probe (`storage`) gathers everything; three pure judges read it."""

from wbinstall.checks import registry
from wbinstall.checks.registry import Check, Probe
from wbinstall.checks.storage.judge import access, presign
from wbinstall.checks.storage.judge_cors import cors_check
from wbinstall.checks.storage.probe import gather

registry.probe(Probe("storage", gather))
registry.check(Check("storage.access", "Bucket reachable: put, get and delete work", ("storage",), access))
registry.check(Check("storage.presign", "Presigned PUT and GET work over HTTP", ("storage",), presign,
                     after=("storage.access",)))
registry.check(Check("storage.cors", "Bucket CORS allows W&B's web UI", ("storage",), cors_check,
                     after=("storage.access",)))
