"""Conformance cases for the admission plugins of a default kube-apiserver
that k1s runs: LimitRanger (a namespace's LimitRange fills containers'
missing requests and limits, says so in an annotation, and refuses pods and
claims outside its min/max with kube's 403); RuntimeClass (an unknown
class is refused, a class's overhead and node selector reach the pod);
DefaultIngressClass (an Ingress naming no class gets the default one);
Priority (the system PriorityClasses exist from the start;
a pod gets its class's priority and preemption policy, or the global
default's, or 0; an unknown class or a priority that disagrees is
refused with kube's 403)."""
from casekit import eq, contains, table, jget, collector

TESTS, case = collector()

POD = """apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  %s
  containers:
  - name: c
    image: busybox
"""


@case
def test_priority_admission(s):
    rows = {r[0]: r for r in table(s.kubectl("get", "priorityclass").stdout)[1:]}
    eq(rows["system-node-critical"][1:3], ["2000001000", "false"], "system-node-critical")
    eq(rows["system-cluster-critical"][1:3], ["2000000000", "false"], "system-cluster-critical")
    s.kubectl("create", "namespace", "prio")
    try:
        s.kubectl("apply", "-n", "prio", "-f", "-", input=POD % ("plain", ""))
        spec = jget(s, "get", "pod", "plain", "-n", "prio")["spec"]
        eq((spec["priority"], spec["preemptionPolicy"], spec.get("priorityClassName")),
           (0, "PreemptLowerPriority", None), "no class, no default")
        s.kubectl("apply", "-n", "prio", "-f", "-",
                  input=POD % ("crit", "priorityClassName: system-cluster-critical"))
        eq(jget(s, "get", "pod", "crit", "-n", "prio")["spec"]["priority"], 2000000000,
           "system class value")
        bad = s.kubectl("apply", "-n", "prio", "-f", "-", check=False,
                        input=POD % ("nope", "priorityClassName: no-such-class"))
        contains(bad.stderr, 'pods "nope" is forbidden: no PriorityClass with name no-such-class '
                             'was found')
        s.kubectl("apply", "-f", "-", input="""apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: everyday
value: 1000
globalDefault: true
preemptionPolicy: Never
""")
        s.kubectl("apply", "-n", "prio", "-f", "-", input=POD % ("dflt", ""))
        spec = jget(s, "get", "pod", "dflt", "-n", "prio")["spec"]
        eq((spec["priority"], spec["preemptionPolicy"], spec["priorityClassName"]),
           (1000, "Never", "everyday"), "the global default class")
        bad = s.kubectl("apply", "-n", "prio", "-f", "-", check=False,
                        input=POD % ("liar", "priorityClassName: everyday\n  priority: 5"))
        contains(bad.stderr, "the integer value of priority (5) must not be provided in pod spec; "
                             "priority admission controller computed 1000 from the given "
                             "PriorityClass name")
    finally:
        s.kubectl("delete", "namespace", "prio", "--wait=false")
        s.kubectl("delete", "priorityclass", "everyday", check=False)


LIMITS = """apiVersion: v1
kind: LimitRange
metadata:
  name: limits
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 250m}
    max: {cpu: "1"}
  - type: PersistentVolumeClaim
    max: {storage: 2Gi}
"""

CLAIM = """apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: big
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 5Gi}
"""


@case
def test_limitranger_admission(s):
    s.kubectl("create", "namespace", "lr")
    try:
        s.kubectl("apply", "-n", "lr", "-f", "-", input=LIMITS)
        s.kubectl("apply", "-n", "lr", "-f", "-", input=POD % ("plain", ""))
        pod = jget(s, "get", "pod", "plain", "-n", "lr")
        eq(pod["spec"]["containers"][0]["resources"],
           {"limits": {"cpu": "500m", "memory": "256Mi"},
            "requests": {"cpu": "250m", "memory": "256Mi"}}, "defaults filled in")
        eq(pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
           "LimitRanger plugin set: cpu, memory request for container c; "
           "cpu, memory limit for container c", "annotation")
        eq(pod["status"]["qosClass"], "Burstable", "QoS class after the defaults")
        greedy = POD % ("greedy", "") + "    resources:\n      limits: {cpu: \"2\"}\n"
        bad = s.kubectl("apply", "-n", "lr", "-f", "-", check=False, input=greedy)
        contains(bad.stderr, 'pods "greedy" is forbidden: maximum cpu usage per Container is 1, '
                             'but limit is 2.')
        bad = s.kubectl("apply", "-n", "lr", "-f", "-", check=False, input=CLAIM)
        contains(bad.stderr, 'persistentvolumeclaims "big" is forbidden: maximum storage usage '
                             'per PersistentVolumeClaim is 2Gi, but limit is 5Gi.')
    finally:
        s.kubectl("delete", "namespace", "lr", "--wait=false")


RUNTIME = """apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: sandboxed
handler: runc
overhead:
  podFixed: {cpu: 10m, memory: 16Mi}
scheduling:
  nodeSelector: {sandbox: "yes"}
"""

CLASSES = """apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: plain
spec:
  controller: example.com/ingress
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: chosen
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: example.com/ingress
"""

INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %s
spec:
  %s
  defaultBackend:
    service: {name: web, port: {number: 80}}
"""


@case
def test_runtimeclass_and_default_ingressclass_admission(s):
    s.kubectl("create", "namespace", "classes")
    try:
        bad = s.kubectl("apply", "-n", "classes", "-f", "-", check=False,
                        input=POD % ("nope", "runtimeClassName: missing"))
        contains(bad.stderr, 'pods "nope" is forbidden: pod rejected: RuntimeClass "missing" '
                             'not found')
        s.kubectl("apply", "-f", "-", input=RUNTIME)
        s.kubectl("apply", "-n", "classes", "-f", "-",
                  input=POD % ("boxed", "runtimeClassName: sandboxed"))
        spec = jget(s, "get", "pod", "boxed", "-n", "classes")["spec"]
        eq((spec["overhead"], spec["nodeSelector"]),
           ({"cpu": "10m", "memory": "16Mi"}, {"sandbox": "yes"}), "overhead and node selector")

        s.kubectl("apply", "-f", "-", input=CLASSES)
        s.kubectl("apply", "-n", "classes", "-f", "-", input=INGRESS % ("dflt", ""))
        s.kubectl("apply", "-n", "classes", "-f", "-",
                  input=INGRESS % ("named", "ingressClassName: plain"))
        eq(jget(s, "get", "ingress", "dflt", "-n", "classes")["spec"]["ingressClassName"],
           "chosen", "the default class")
        eq(jget(s, "get", "ingress", "named", "-n", "classes")["spec"]["ingressClassName"],
           "plain", "a named class stays")
    finally:
        s.kubectl("delete", "namespace", "classes", "--wait=false")
        s.kubectl("delete", "runtimeclass", "sandboxed", check=False)
        s.kubectl("delete", "ingressclass", "plain", "chosen", check=False)
