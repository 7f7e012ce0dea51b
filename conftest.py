# Sandbox fixtures (real local servers on 127.0.0.1) as pytest plugins.
pytest_plugins = [
    "sandbox.fixtures_net",
    "sandbox.fixtures_kube",
]
