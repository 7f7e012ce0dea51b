"""The answers' closed choices. Free of pydantic so that the command line parser, which needs
them at start-up, stays fast to import."""

from typing import Literal

Workload = Literal["models", "weave", "models-and-weave"]
Environment = Literal["test", "production"]
Cloud = Literal["aws", "gcp", "azure", "other"]

WORKLOADS: tuple[Workload, ...] = ("models", "weave", "models-and-weave")
ENVIRONMENTS: tuple[Environment, ...] = ("test", "production")
CLOUDS: tuple[Cloud, ...] = ("aws", "gcp", "azure", "other")
