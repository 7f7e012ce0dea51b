"""An install session, Textual-free: the sequence both faces share (checks -> render -> lock ->
apply -> rollout; `install`), following an install already in the cluster (`attach`), and the
background runs a face supersedes and cancels (`runs`). It emits plain events; the CLI prints
them, the wizard turns them into Messages in one bridge (screens/bridge.py)."""
