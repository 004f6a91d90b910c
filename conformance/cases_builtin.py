"""Conformance cases for the built-in kinds beyond the first twenty (issue
12): manifests in the style of the Kubernetes documentation's examples
(conformance/manifests/builtin) apply, re-apply `unchanged` and print
kube's columns; `kubectl api-resources` lists the new groups; the defaults
and main validation rules of Jobs and PodDisruptionBudgets; the default
StorageClass and the DefaultStorageClass admission of claims."""
import os

from k1s_fixture import Server
from casekit import eq, contains, table, jget, collector, wait_for

TESTS, case = collector()
HERE = os.path.dirname(os.path.abspath(__file__))
MANIFESTS = os.path.join(HERE, "manifests", "builtin")


def manifests():
    return sorted(os.path.join(MANIFESTS, f) for f in os.listdir(MANIFESTS)
                  if f.endswith(".yaml"))


@case
def test_builtin_manifests_apply_then_unchanged(s):
    s.kubectl("create", "namespace", "builtin")
    try:
        for path in manifests():
            first = s.kubectl("apply", "-n", "builtin", "-f", path).stdout
            for line in first.strip().splitlines():
                contains(line, " created", os.path.basename(path))
            again = s.kubectl("apply", "-n", "builtin", "-f", path).stdout
            for line in again.strip().splitlines():
                # a PDB's selector has patch strategy replace, so kubectl's
                # patch always carries it and kubectl says configured, as it
                # does against kube-apiserver
                word = " configured" if line.startswith("poddisruptionbudget") else " unchanged"
                contains(line, word, os.path.basename(path))
        names = s.kubectl("get", "jobs,cronjobs,pdb,rc,quota,netpol,ing", "-n", "builtin",
                          "-o", "name").stdout.split()
        for want in ("job.batch/pi", "cronjob.batch/hello",
                     "poddisruptionbudget.policy/zk-pdb", "replicationcontroller/nginx",
                     "resourcequota/compute-resources",
                     "networkpolicy.networking.k8s.io/test-network-policy",
                     "ingress.networking.k8s.io/minimal-ingress"):
            if want not in names:
                raise AssertionError("%s not listed: %r" % (want, names))
        cj = table(s.kubectl("get", "cronjob", "hello", "-n", "builtin").stdout)
        eq(cj[0], ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE",
                   "AGE"], "cronjob columns")
        eq(cj[1][:6], ["hello", "*/5 * * * *", "<none>", "False", "0", "<none>"], "cronjob row")
        pdb = table(s.kubectl("get", "pdb", "-n", "builtin").stdout)
        eq(pdb[0], ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"],
           "pdb columns")
        eq([r[:4] for r in pdb[1:]], [["web-pdb", "N/A", "25%", "0"], ["zk-pdb", "2", "N/A", "0"]],
           "pdb rows")
        # LimitRange container defaults as kube fills them; NetworkPolicy port protocol
        lr = jget(s, "get", "limitrange", "cpu-resource-constraint", "-n", "builtin")
        eq(lr["spec"]["limits"][0]["defaultRequest"], {"cpu": "500m"}, "limitrange defaults")
        np = jget(s, "get", "netpol", "default-deny-ingress", "-n", "builtin")
        eq(np["spec"]["policyTypes"], ["Ingress"], "networkpolicy policyTypes default")
        rc = jget(s, "get", "rc", "nginx", "-n", "builtin")
        eq(rc["metadata"]["labels"], {"app": "nginx"}, "rc labels from the template")
        out = s.kubectl("scale", "rc", "nginx", "-n", "builtin", "--replicas=1").stdout
        contains(out, "scaled", "kubectl scale rc")
        eq(jget(s, "get", "rc", "nginx", "-n", "builtin")["spec"]["replicas"], 1, "rc scaled")
    finally:
        s.kubectl("delete", "namespace", "builtin", "--wait=false", check=False)


@case
def test_api_resources_lists_the_new_groups(s):
    rows = table(s.kubectl("api-resources", "--no-headers=false").stdout)
    got = {(r[0], r[-3] if len(r) >= 4 else "") for r in rows[1:]}
    for plural, gv in (("jobs", "batch/v1"), ("cronjobs", "batch/v1"),
                       ("poddisruptionbudgets", "policy/v1"),
                       ("ingresses", "networking.k8s.io/v1"),
                       ("ingressclasses", "networking.k8s.io/v1"),
                       ("networkpolicies", "networking.k8s.io/v1"),
                       ("priorityclasses", "scheduling.k8s.io/v1"),
                       ("runtimeclasses", "node.k8s.io/v1"),
                       ("replicationcontrollers", "v1"), ("resourcequotas", "v1"),
                       ("limitranges", "v1"), ("podtemplates", "v1"),
                       ("csidrivers", "storage.k8s.io/v1"),
                       ("volumeattachments", "storage.k8s.io/v1")):
        if (plural, gv) not in got:
            raise AssertionError("api-resources lacks %s %s" % (plural, gv))
    versions = s.kubectl("api-versions").stdout.split()
    for gv in ("batch/v1", "policy/v1", "networking.k8s.io/v1", "scheduling.k8s.io/v1",
               "node.k8s.io/v1"):
        if gv not in versions:
            raise AssertionError("api-versions lacks " + gv)
    out = s.kubectl("explain", "cronjob.spec.jobTemplate.spec.template.spec.restartPolicy").stdout
    contains(out, "restartPolicy", "explain through a CronJob")


@case
def test_job_defaults_selector_and_restart_policy(s):
    s.kubectl("create", "job", "defaults", "--image=busybox", "--", "true")
    try:
        job = jget(s, "get", "job", "defaults")
        spec, uid = job["spec"], job["metadata"]["uid"]
        for k, v in (("backoffLimit", 6), ("completions", 1), ("parallelism", 1),
                     ("completionMode", "NonIndexed"), ("suspend", False),
                     ("manualSelector", False), ("podReplacementPolicy", "TerminatingOrFailed")):
            eq(spec.get(k), v, "job default " + k)
        eq(spec["selector"], {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
           "generated selector")
        labels = spec["template"]["metadata"]["labels"]
        for k, v in (("job-name", "defaults"), ("batch.kubernetes.io/job-name", "defaults"),
                     ("controller-uid", uid), ("batch.kubernetes.io/controller-uid", uid)):
            eq(labels.get(k), v, "template label " + k)
    finally:
        s.kubectl("delete", "job", "defaults", check=False)
    bad = s.kubectl("create", "-f", "-", check=False, input="""
apiVersion: batch/v1
kind: Job
metadata: {name: always}
spec:
  template:
    spec:
      restartPolicy: Always
      containers: [{name: c, image: busybox}]
""")
    if bad.returncode == 0:
        raise AssertionError("a Job with restartPolicy Always was accepted")
    contains(bad.stderr, 'spec.template.spec.restartPolicy: Unsupported value: "Always": '
             'supported values: "OnFailure", "Never"', "restartPolicy message")


@case
def test_pdb_budget_rules(s):
    bad = s.kubectl("create", "-f", "-", check=False, input="""
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: both}
spec:
  minAvailable: 1
  maxUnavailable: 1
  selector: {matchLabels: {app: x}}
""")
    if bad.returncode == 0:
        raise AssertionError("a PDB with both budgets was accepted")
    contains(bad.stderr, "minAvailable and maxUnavailable cannot be both set", "pdb message")
    bad = s.kubectl("create", "pdb", "pct", "--selector=app=x", "--max-unavailable=120%",
                    check=False)
    contains(bad.stderr, "must not be greater than 100%", "pdb percent message")


@case
def test_default_storage_class_and_claims(s):
    sc = jget(s, "get", "storageclass", "hostpath")
    eq(sc["provisioner"], "docker.io/hostpath", "default class provisioner")
    eq(sc["metadata"]["annotations"].get("storageclass.kubernetes.io/is-default-class"), "true",
       "default class annotation")
    contains(s.kubectl("get", "sc").stdout, "hostpath (default)", "get sc marks the default")
    s.kubectl("apply", "-f", "-", input="""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: defaulted}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Mi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: classless}
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Mi}}
""")
    try:
        eq(jget(s, "get", "pvc", "defaulted")["spec"].get("storageClassName"), "hostpath",
           "a claim without a class gets the default")
        eq(jget(s, "get", "pvc", "classless")["spec"].get("storageClassName"), "",
           "an explicit empty class stays")
        wait_for("the defaulted claim to bind",
                 lambda: jget(s, "get", "pvc", "defaulted").get("status", {}).get("phase")
                 == "Bound")
    finally:
        s.kubectl("delete", "pvc", "defaulted", "classless", check=False)
    bare = Server(s.binary, extra=["--no-default-storage-class"]).start()
    try:
        eq(jget(bare, "get", "storageclass")["items"], [], "no class with the flag")
    finally:
        bare.stop()
        bare.cleanup()
