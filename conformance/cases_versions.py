"""The apply/get/scale/delete part, run with each installed kubectl."""
import os

from casekit import SC, STS, eq, contains, check_layout, jget, collector

TESTS, case = collector()


def manifest_for(minor):
    """The scenario's service and statefulset with a node port of this
    version's own, since node ports are unique across namespaces."""
    with open(STS) as f:
        text = f.read()
    return text.replace("nodePort: 30080", "nodePort: %d" % (30100 + minor))


@case
def test_apply_get_scale_delete(s, kc):
    minor = int(os.path.basename(kc).replace("kubectl.1.", ""))
    ns = "v%d" % minor
    s.kubectl("create", "namespace", ns, kubectl=kc)
    try:
        apply_get_scale_delete(s, kc, ns, manifest_for(minor))
    finally:
        s.kubectl("delete", "-n", ns, "svc,sts", "--all", kubectl=kc, check=False)


def apply_get_scale_delete(s, kc, ns, manifest):
    out = s.kubectl("apply", "-n", ns, "-f", "-", input=manifest, kubectl=kc).stdout
    eq(out.strip().splitlines(), ["service/nginx-service created",
                                  "statefulset.apps/nginx-statefulset created"])
    out = s.kubectl("apply", "-n", ns, "-f", "-", input=manifest, kubectl=kc).stdout
    eq(out.strip().splitlines(), ["service/nginx-service unchanged",
                                  "statefulset.apps/nginx-statefulset unchanged"])
    out = s.kubectl("get", "-n", ns, "statefulset", kubectl=kc).stdout
    check_layout(out, "NAME READY AGE", [["nginx-statefulset", "0/3"]])
    out = s.kubectl("scale", "-n", ns, "statefulset", "nginx-statefulset", "--replicas=1",
                    kubectl=kc).stdout
    eq(out.strip(), "statefulset.apps/nginx-statefulset scaled")
    eq(jget(s, "get", "-n", ns, "sts", "nginx-statefulset", kubectl=kc)["spec"]["replicas"], 1)
    out = s.kubectl("delete", "-n", ns, "-f", "-", input=manifest, kubectl=kc).stdout
    contains(out, 'service "nginx-service" deleted', "delete")
    contains(out, 'statefulset.apps "nginx-statefulset" deleted', "delete")
    p = s.kubectl("get", "-n", ns, "sts", "nginx-statefulset", kubectl=kc, check=False)
    eq(p.returncode, 1)


@case
def test_explain_and_strict_validation(s, kc):
    out = s.kubectl("explain", "statefulset.spec.volumeClaimTemplates", kubectl=kc).stdout
    contains(out, "volumeClaimTemplates", "explain")
    contains(out, "PersistentVolumeClaim", "explain")
    bad = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict-%s\ndatta:\n  a: b\n"
           % os.path.basename(kc).replace(".", "-"))
    p = s.kubectl("apply", "--validate=strict", "-f", "-", input=bad, kubectl=kc, check=False)
    eq(p.returncode, 1, "strict apply of a misspelt field")
    contains(p.stderr, 'unknown field "datta"', "strict apply")
