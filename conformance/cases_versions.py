"""The apply/get/scale/delete part, run with each installed kubectl."""
import os

from casekit import SC, STS, eq, contains, check_layout, jget

TESTS = []


def case(fn):
    TESTS.append((fn.__name__, fn))
    return fn


@case
def test_apply_get_scale_delete(s, kc):
    ns = "v" + os.path.basename(kc).replace("kubectl.1.", "")
    s.kubectl("create", "namespace", ns, kubectl=kc)
    out = s.kubectl("apply", "-n", ns, "-f", STS, kubectl=kc).stdout
    eq(out.strip().splitlines(), ["service/nginx-service created",
                                  "statefulset.apps/nginx-statefulset created"])
    out = s.kubectl("apply", "-n", ns, "-f", STS, kubectl=kc).stdout
    eq(out.strip().splitlines(), ["service/nginx-service unchanged",
                                  "statefulset.apps/nginx-statefulset unchanged"])
    out = s.kubectl("get", "-n", ns, "statefulset", kubectl=kc).stdout
    check_layout(out, "NAME READY AGE", [["nginx-statefulset", "0/3"]])
    out = s.kubectl("scale", "-n", ns, "statefulset", "nginx-statefulset", "--replicas=1",
                    kubectl=kc).stdout
    eq(out.strip(), "statefulset.apps/nginx-statefulset scaled")
    eq(jget(s, "get", "-n", ns, "sts", "nginx-statefulset", kubectl=kc)["spec"]["replicas"], 1)
    out = s.kubectl("delete", "-n", ns, "-f", STS, kubectl=kc).stdout
    contains(out, 'service "nginx-service" deleted', "delete")
    contains(out, 'statefulset.apps "nginx-statefulset" deleted', "delete")
    p = s.kubectl("get", "-n", ns, "sts", "nginx-statefulset", kubectl=kc, check=False)
    eq(p.returncode, 1)
