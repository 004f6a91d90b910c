#!/usr/bin/env python3
"""The kubectl conformance suite: starts `k1s server --port 0` on a temporary
data directory and drives it with real kubectl, checking what kubectl prints
against what kube-apiserver makes it print.

    K1S_BIN=build/k1s python3 conformance/run.py [--all-kubectl] [-k NAME]
"""
import argparse
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k1s_fixture import Server, kubectl_versions, default_kubectl, SCENARIO  # noqa: E402
import cases_api  # noqa: E402
import cases_errors  # noqa: E402
import cases_versions  # noqa: E402
import cases_watch  # noqa: E402
import cases_lifecycle  # noqa: E402
import cases_gc  # noqa: E402
import cases_kubelet_sim  # noqa: E402
import cases_storage  # noqa: E402
import cases_scenario  # noqa: E402
import cases_statefulset  # noqa: E402
import cases_workloads  # noqa: E402
import cases_containerd  # noqa: E402
import cases_clients  # noqa: E402
import cases_patroni  # noqa: E402
import cases_durability  # noqa: E402
import cases_jobs  # noqa: E402
import cases_flowcontrol  # noqa: E402
import cases_cronjobs  # noqa: E402
import cases_disruption  # noqa: E402
import cases_admission  # noqa: E402
import cases_builtin  # noqa: E402
import cases_hpa  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--all-kubectl", action="store_true",
                    help="also run the apply/get/scale/delete part with every kubectl 1.27..1.33")
    ap.add_argument("-k", default="", help="only tests whose name contains this")
    args = ap.parse_args()
    binary = os.environ.get("K1S_BIN", "build/k1s")
    if not os.path.exists(os.path.join(SCENARIO, "test-storage-class.yaml")):
        print("conformance: scenario manifests not found at %s" % SCENARIO)
        return 1

    tests = [(n, f, None) for n, f in cases_api.TESTS + cases_errors.TESTS + cases_watch.TESTS
             + cases_lifecycle.TESTS + cases_scenario.TESTS + cases_storage.TESTS
             + cases_kubelet_sim.TESTS + cases_gc.TESTS + cases_statefulset.TESTS
             + cases_workloads.TESTS + cases_clients.TESTS + cases_containerd.TESTS
             + cases_patroni.TESTS + cases_durability.TESTS + cases_jobs.TESTS + cases_flowcontrol.TESTS
             + cases_cronjobs.TESTS + cases_disruption.TESTS + cases_admission.TESTS + cases_builtin.TESTS
             + cases_hpa.TESTS]
    if args.all_kubectl:
        for kc in kubectl_versions():
            for n, f in cases_versions.TESTS:
                tests.append(("%s[%s]" % (n, os.path.basename(kc)), f, kc))
    tests = [t for t in tests if args.k in t[0]]

    passed = failed = 0
    server = Server(binary).start()
    try:
        for name, fn, kc in tests:
            try:
                if kc:
                    fn(server, kc)
                else:
                    fn(server)
                passed += 1
                print("ok   %s" % name, flush=True)
            except Exception:  # a failing case must not stop the others
                failed += 1
                print("FAIL %s" % name, flush=True)
                traceback.print_exc(file=sys.stdout)
    finally:
        rc = server.stop()
        if rc not in (0, None):
            failed += 1
            print("FAIL server exited with %s\n%s" % (rc, server.log()))
        server.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
