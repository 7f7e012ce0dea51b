from tests.apply.support import cleanup_cluster_scoped  # noqa: F401 - fixture
