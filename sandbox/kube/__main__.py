"""Run the Kubernetes sandbox in the foreground until Ctrl-C / SIGTERM:

    python -m sandbox.kube [--no-operator] [--apply-crd] [--old] [--workdir DIR]

Prints the kubeconfig paths; the ingress/storage stand-ins and (unless --no-operator) the
W&B operator stand-in run inside this process.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from .cluster import KubeCluster


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-operator", action="store_true",
                        help="do not run the W&B operator stand-in")
    parser.add_argument("--apply-crd", action="store_true",
                        help="create the minimal WeightsAndBiases CRD (else the installer does)")
    parser.add_argument("--old", action="store_true", help="also start the v1.28 apiserver")
    parser.add_argument("--workdir", default=None, help="keep state and logs here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    cluster = KubeCluster(workdir=args.workdir)
    try:
        cluster.start()
        if not args.no_operator:
            cluster.start_operator_standin(apply_crd=args.apply_crd)
        print(f"sandbox cluster up in {cluster.startup_seconds:.1f} s at {cluster.server}")
        print(f"  admin kubeconfig:      {cluster.admin_kubeconfig}")
        print(f"  restricted kubeconfig: {cluster.restricted_kubeconfig}")
        print(f"  all contexts:          {cluster.kubeconfig}")
        print(f"  logs:                  {cluster.workdir / 'logs'}")
        if args.old:
            old = cluster.start_old_apiserver()
            print(f"  v1.28 apiserver:       {old.admin_kubeconfig}")
        print("Ctrl-C to stop", flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
