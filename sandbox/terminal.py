"""The wizard in a real terminal: a pty whose slave is the process's controlling terminal, as an
SSH session's is. Closing the master is what a dropped connection does: the kernel sends SIGHUP
to the session.

    with Terminal([sys.executable, "-m", "wbinstall"], env=...) as term:
        term.wait_for("Welcome")
        term.send("\x0e")            # Ctrl+N
        term.hang_up()               # the SSH connection drops
        code = term.wait(10)
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

_ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\x1b\][^\x07]*\x07")


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: str | None = None, size: tuple[int, int] = (24, 80)):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))

        def controlling_terminal() -> None:  # after setsid (start_new_session): make the pty ours
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.size = size
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"},
                                     cwd=cwd, start_new_session=True, preexec_fn=controlling_terminal)
        os.close(slave)
        self.seen = b""

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def text(self) -> str:
        """What the terminal was sent so far, without escape sequences (words stay whole)."""
        return _ANSI.sub(b"", self.seen).decode("utf-8", "replace")

    def screen(self):
        """The screen as a terminal of this size shows what was sent so far (pyte, a VT emulator):
        rows in `.display`, the cursor in `.cursor`."""
        import pyte

        shown = pyte.Screen(self.size[1], self.size[0])
        pyte.ByteStream(shown).feed(self.seen)
        return shown

    def _read(self, seconds: float) -> None:
        if self.master < 0:
            return
        ready, _, _ = select.select([self.master], [], [], seconds)
        if ready:
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:  # EIO: the other side is gone
                time.sleep(seconds)

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{text!r} never appeared; the terminal shows:\n{self.text()[-3000:]}")
            self._read(0.1)

    def wait_screen(self, predicate, what: str, timeout: float = 60.0):
        """The screen (see screen()) once predicate(its rows) holds; fails naming `what` and
        showing the screen when it does not within `timeout` or the program ends."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if predicate(shown.display):
                return shown
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{what}: never shown; the screen:\n" + "\n".join(shown.display))
            self._read(0.2)

    def pump(self, seconds: float) -> None:
        """Keep reading (a terminal that is not read blocks the program writing to it)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(0.05)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())
        self.pump(0.3)

    def hang_up(self) -> None:
        """The connection drops: the master side closes; the kernel hangs up the session."""
        os.close(self.master)
        self.master = -1

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        if self.master >= 0:
            os.close(self.master)
            self.master = -1
