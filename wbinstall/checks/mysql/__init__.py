"""MySQL checks: one probe (one connection) feeds every mysql.* judge (declared in
assets/checks.yaml)."""
