"""The answers' closed choices. Free of pydantic so that the command line parser, which needs
them at start-up, stays fast to import."""

from typing import Literal

Workload = Literal["models", "weave", "models-and-weave"]
Environment = Literal["test", "production"]
Cloud = Literal["aws", "gcp", "azure", "other"]

WORKLOADS: tuple[Workload, ...] = ("models", "weave", "models-and-weave")
ENVIRONMENTS: tuple[Environment, ...] = ("test", "production")
CLOUDS: tuple[Cloud, ...] = ("aws", "gcp", "azure", "other")
Provider = Literal["s3", "s3-compatible", "gcs", "azure"]

PROVIDERS: tuple[Provider, ...] = ("s3", "s3-compatible", "gcs", "azure")
PROVIDER_NAMES: dict[Provider, str] = {"s3": "Amazon S3", "s3-compatible": "S3-compatible",
                                       "gcs": "Google Cloud Storage", "azure": "Azure Blob Storage"}
# The store the reference architecture recommends on each cloud.
CLOUD_PROVIDER: dict[Cloud, Provider] = {"aws": "s3", "gcp": "gcs", "azure": "azure", "other": "s3-compatible"}
