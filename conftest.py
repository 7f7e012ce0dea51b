# Sandbox fixtures (real local servers on 127.0.0.1) as pytest plugins.
pytest_plugins = [
    "sandbox.fixtures_net",
    "sandbox.fixtures_kube",
]

# Hypothesis: no per-example deadline. Speed is measured by bench/, never asserted in tests (a
# loaded 2-core CI machine would fail a 200 ms deadline that proves nothing about correctness).
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("wbinstall", deadline=None)
_hypothesis_settings.load_profile("wbinstall")
