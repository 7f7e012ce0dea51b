"""Network: the host name users open, the ingress class, TLS; live dns.* and tls.* checks."""

from __future__ import annotations

from textual.app import ComposeResult

from wbinstall.screens.base import StepScreen
from wbinstall.screens.widgets.fields import field


class NetworkScreen(StepScreen):
    STEP, HEADING = "network", "Network"
    INTRO = "Give a TLS Secret already in the namespace, or a certificate and key file to create it."
    OWNS = (("host",), ("ingress",))
    NEEDS = (("host",),)

    def compose_form(self) -> ComposeResult:
        get = lambda *k: self.state.get(k)  # noqa: E731
        yield field("Host (FQDN)", "host", get("host"), placeholder="wandb.example.com")
        yield field("Ingress class", "ingress.class", get("ingress", "class"), placeholder="(the cluster default)")
        yield field("TLS Secret", "ingress.tlsSecret", get("ingress", "tlsSecret"), placeholder="wandb-tls")
        yield field("Cert file", "ingress.certFile", get("ingress", "certFile"), placeholder="tls.crt (PEM chain)")
        yield field("Key file", "ingress.keyFile", get("ingress", "keyFile"), placeholder="tls.key")

    def start_checks(self) -> None:
        # A half-typed host would only produce DNS noise: wait until it is a valid FQDN.
        if self.state.problems((("host",),)):
            return
        super().start_checks()
