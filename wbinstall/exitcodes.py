"""Exit codes: the contract with scripts and CI pipelines (also in --help and the README)."""

OK = 0
CHECK_FAILED = 1
INVALID_INPUT = 2
APPLY_FAILED = 3
INTERNAL_ERROR = 4
VERIFY_FAILED = 5
INTERRUPTED = 130

DESCRIPTIONS = {
    OK: "success",
    CHECK_FAILED: "a check failed (nothing was applied)",
    INVALID_INPUT: "invalid input or usage (the message names the field and line)",
    APPLY_FAILED: "apply or rollout failed or timed out",
    INTERNAL_ERROR: "internal error in wbinstall (details in the log file it names)",
    VERIFY_FAILED: "installed and ready, but a verify.* check failed: W&B is not reachable as its users would "
                   "reach it (the report says why)",
    INTERRUPTED: "interrupted (Ctrl-C, a hang-up or SIGTERM); the cluster is left consistent, the install lock "
                 "released, a rerun continues",
}


def help_text() -> str:
    return "exit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in DESCRIPTIONS.items())
