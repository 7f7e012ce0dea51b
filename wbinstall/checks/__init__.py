"""Live checks: probes gather facts, judges turn facts into results."""
