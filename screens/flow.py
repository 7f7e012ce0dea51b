"""The order of the steps. One place, so Next, Back, resume and the title agree."""

from __future__ import annotations

STEPS: tuple[str, ...] = (
    "welcome", "workload", "environment", "cloud", "kubernetes", "database", "storage", "network",
    "sizing", "review", "deploy",
)


def position(step: str) -> tuple[int, int]:
    return STEPS.index(step) + 1, len(STEPS)


def after(step: str) -> str | None:
    i = STEPS.index(step)
    return STEPS[i + 1] if i + 1 < len(STEPS) else None


_CLASSES = {
    "welcome": "welcome.WelcomeScreen", "workload": "choices.WorkloadScreen",
    "environment": "choices.EnvironmentScreen", "cloud": "choices.CloudScreen",
    "kubernetes": "kubernetes.KubernetesScreen", "database": "database.DatabaseScreen",
    "storage": "storage.StorageScreen", "network": "network.NetworkScreen", "sizing": "sizing.SizingScreen",
    "review": "review.ReviewScreen", "deploy": "deploy.DeployScreen",
}


def screen_class(step: str):
    """The step's Screen class, imported on first use (later steps load the core they need)."""
    import importlib

    module, name = _CLASSES[step].split(".")
    return getattr(importlib.import_module(f"wbinstall.screens.{module}"), name)
