"""Real local servers (TLS, DNS, S3, MySQL look-alikes, MariaDB, Kubernetes) for wbinstall tests."""
