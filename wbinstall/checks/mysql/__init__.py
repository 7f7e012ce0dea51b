"""MySQL checks: one probe (one connection) feeds every mysql.* judge."""

from wbinstall.checks.mysql import judge
from wbinstall.checks.mysql.probe import gather
from wbinstall.checks.registry import Check, Probe, check, probe

probe(Probe("mysql", gather, timeout=10.0))

_AFTER = ("mysql.connect",)
check(Check("mysql.connect", "MySQL: connect", ("mysql",), judge.connect))
check(Check("mysql.version", "MySQL: version", ("mysql",), judge.version, after=_AFTER))
check(Check("mysql.settings", "MySQL: W&B's server settings", ("mysql",), judge.settings, after=_AFTER))
check(Check("mysql.charset", "MySQL: database character set", ("mysql",), judge.charset, after=_AFTER))
check(Check("mysql.grants", "MySQL: privileges of the W&B user", ("mysql",), judge.grants, after=_AFTER))
check(Check("mysql.operations", "MySQL: operations advice", ("mysql",), judge.operations, after=_AFTER))
