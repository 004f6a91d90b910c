"""Conformance cases for autoscaling/v2 HorizontalPodAutoscalers (no
controller yet: status stays as created): `kubectl autoscale` creates one,
`kubectl get hpa` prints kube's columns and row, `-o yaml` shows kube's v2
defaults and create-time status, a behavior is filled from the defaults,
`kubectl explain hpa.spec` reads the v2 schema, and max < min is refused
with kube's message."""
from casekit import eq, contains, table, jget, collector

TESTS, case = collector()

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox
"""

BAD = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: bad
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 2
"""

BEHAVIOR = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: beh
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 3
  behavior:
    scaleDown: {selectPolicy: Min}
"""


@case
def test_hpa_autoscale_get_describe(s):
    s.kubectl("create", "namespace", "hpa")
    try:
        s.kubectl("apply", "-n", "hpa", "-f", "-", input=DEPLOY)
        out = s.kubectl("autoscale", "-n", "hpa", "deployment", "web", "--min=1", "--max=5",
                        "--cpu-percent=50").stdout
        contains(out, "horizontalpodautoscaler.autoscaling/web autoscaled")
        rows = table(s.kubectl("get", "hpa", "-n", "hpa").stdout)
        eq(rows[0], ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
           "hpa columns")
        eq(rows[1][:6], ["web", "Deployment/web", "cpu: <unknown>/50%", "1", "5", "0"], "hpa row")
        hpa = jget(s, "get", "hpa", "web", "-n", "hpa")
        eq(hpa["apiVersion"], "autoscaling/v2", "served version")
        eq(hpa["spec"], {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "name": "web"},
                         "minReplicas": 1, "maxReplicas": 5,
                         "metrics": [{"type": "Resource", "resource": {
                             "name": "cpu", "target": {"type": "Utilization",
                                                       "averageUtilization": 50}}}]},
           "spec as kubectl autoscale writes it")
        eq(hpa["status"], {"currentMetrics": None, "desiredReplicas": 0}, "create-time status")
        eq("generation" in hpa["metadata"], False, "no generation tracking")
        yaml = s.kubectl("get", "hpa", "web", "-n", "hpa", "-o", "yaml").stdout
        contains(yaml, "status:\n  currentMetrics: null\n  desiredReplicas: 0\n")
        desc = s.kubectl("describe", "hpa", "web", "-n", "hpa").stdout
        contains(desc, "Reference:")
        contains(desc, "Deployment/web")
        contains(desc, "<unknown> / 50%")
        contains(desc, "Deployment pods:")
        expl = s.kubectl("explain", "hpa.spec").stdout
        contains(expl, "VERSION:    v2")
        contains(expl, "maxReplicas\t<integer> -required-")
        contains(expl, "scaleTargetRef\t<CrossVersionObjectReference> -required-")
        short = table(s.kubectl("get", "all", "-n", "hpa").stdout.split("\n\n")[-1])
        eq(short[1][0], "horizontalpodautoscaler.autoscaling/web", "hpa in category all")
    finally:
        s.kubectl("delete", "namespace", "hpa", "--wait=false")


@case
def test_hpa_defaults_and_validation(s):
    s.kubectl("create", "namespace", "hpa2")
    try:
        bad = s.kubectl("apply", "-n", "hpa2", "-f", "-", input=BAD, check=False)
        eq(bad.returncode != 0, True, "max < min refused")
        contains(bad.stderr, 'HorizontalPodAutoscaler "bad" is invalid: spec.maxReplicas: '
                             'Invalid value: 2: must be greater than or equal to `minReplicas`')
        s.kubectl("apply", "-n", "hpa2", "-f", "-", input=BEHAVIOR)
        spec = jget(s, "get", "hpa", "beh", "-n", "hpa2")["spec"]
        eq(spec["minReplicas"], 1, "minReplicas default")
        eq(spec["metrics"], [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
           "default metric")
        eq(spec["behavior"], {
            "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15}]},
            "scaleDown": {"selectPolicy": "Min", "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": 15}]}}, "behavior defaults")
    finally:
        s.kubectl("delete", "namespace", "hpa2", "--wait=false")
