"""wbinstall: from an empty Kubernetes cluster to a running self-managed W&B deployment.

The core (everything in this package except ``wbinstall.tui`` and ``wbinstall.screens``)
never imports Textual: facts are gathered by probes, judged by pure functions and shown by
one of two faces, the wizard or the command line.
"""

__version__ = "0.1.0"
