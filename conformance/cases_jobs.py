"""Conformance cases for batch/v1 Jobs run by the job controller on the
simulated kubelet: `kubectl create job` runs to Complete and `kubectl wait
--for=condition=complete` returns; `kubectl get job` prints kube's columns;
a failing Job stops at its backoffLimit with the Failed condition kubectl
waits for; Indexed Jobs' pods carry their index; `kubectl delete job`
removes the pods; ttlSecondsAfterFinished deletes the finished Job."""
import urllib.request

from casekit import eq, contains, table, jget, collector, sim_server, wait_for
from cases_errors import token_of, tls_context

TESTS, case = collector()

FAILING = """apiVersion: batch/v1
kind: Job
metadata:
  name: flaky
spec:
  backoffLimit: 0
  template:
    metadata:
      annotations:
        sim.k1s.io/exit-code: "2"
        sim.k1s.io/run-ms: "50"
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        command: ["false"]
"""

INDEXED = """apiVersion: batch/v1
kind: Job
metadata:
  name: indexed
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  ttlSecondsAfterFinished: 2
  template:
    metadata:
      annotations:
        sim.k1s.io/run-ms: "50"
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
"""


@case
def test_job_runs_to_completion(shared):
    s = sim_server(shared)
    try:
        s.kubectl("create", "job", "pi", "--image=busybox", "--", "true")
        out = s.kubectl("wait", "--for=condition=complete", "job/pi", "--timeout=30s").stdout
        contains(out, "job.batch/pi condition met")
        rows = table(s.kubectl("get", "job", "pi").stdout)
        eq(rows[0], ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], "job columns")
        eq(rows[1][:3], ["pi", "Complete", "1/1"], "job row")
        job = jget(s, "get", "job", "pi")
        st = job["status"]
        eq((st["succeeded"], st["ready"], st["terminating"], st["uncountedTerminatedPods"]),
           (1, 0, 0, {}), "job status counts")
        eq([(c["type"], c["status"], c.get("reason")) for c in st["conditions"]],
           [("SuccessCriteriaMet", "True", "CompletionsReached"),
            ("Complete", "True", "CompletionsReached")], "job conditions")
        if "completionTime" not in st or "startTime" not in st:
            raise AssertionError("start/completion time missing: %r" % st)
        pods = jget(s, "get", "pods", "-l", "job-name=pi")["items"]
        eq(len(pods), 1, "one pod")
        eq(pods[0]["status"]["phase"], "Succeeded", "pod phase")
        eq(pods[0]["metadata"].get("finalizers"), None, "tracking finalizer removed")
        eq(pods[0]["metadata"]["ownerReferences"][0]["kind"], "Job", "pod owner")
        events = s.kubectl("get", "events", "--field-selector", "involvedObject.name=pi").stdout
        contains(events, "Created pod: pi-")
        contains(events, "Job completed")
        # kubectl delete job removes its pods (propagation Background)
        s.kubectl("delete", "job", "pi")
        wait_for("the job's pods to go",
                 lambda: not jget(s, "get", "pods", "-l", "job-name=pi")["items"], timeout=20)
    finally:
        s.stop()
        s.cleanup()


@case
def test_job_fails_at_backoff_limit(shared):
    s = sim_server(shared)
    try:
        s.kubectl("apply", "-f", "-", input=FAILING)
        out = s.kubectl("wait", "--for=condition=failed", "job/flaky", "--timeout=30s").stdout
        contains(out, "job.batch/flaky condition met")
        rows = table(s.kubectl("get", "job", "flaky").stdout)
        eq(rows[1][:3], ["flaky", "Failed", "0/1"], "failed job row")
        st = jget(s, "get", "job", "flaky")["status"]
        eq(st["failed"], 1, "failed count")
        failed = [c for c in st["conditions"] if c["type"] == "Failed"][0]
        eq((failed["reason"], failed["message"]),
           ("BackoffLimitExceeded", "Job has reached the specified backoff limit"),
           "Failed condition")
        events = s.kubectl("get", "events", "--field-selector",
                           "involvedObject.name=flaky").stdout
        contains(events, "BackoffLimitExceeded")
        # a DELETE naming no propagationPolicy keeps the pods (batch/v1's
        # default, Orphan) and says so in a Warning header
        req = urllib.request.Request(s.url + "/apis/batch/v1/namespaces/default/jobs/flaky",
                                     method="DELETE")
        req.add_header("Authorization", "Bearer " + token_of(s))
        with urllib.request.urlopen(req, timeout=10, context=tls_context(s)) as r:
            contains(r.headers.get("Warning", ""), "child pods are preserved by default when "
                     "jobs are deleted; set propagationPolicy=Background to remove them")
        wait_for("the job to go",
                 lambda: s.kubectl("get", "job", "flaky", check=False).returncode != 0, 20)
        pods = wait_for("the orphaned pod", lambda: [
            p for p in jget(s, "get", "pods", "-l", "job-name=flaky")["items"]
            if not p["metadata"].get("ownerReferences")], 20)
        eq(len(pods), 1, "the failed pod stays, orphaned")
    finally:
        s.stop()
        s.cleanup()


@case
def test_indexed_job_and_ttl(shared):
    s = sim_server(shared)
    try:
        s.kubectl("apply", "-f", "-", input=INDEXED)
        s.kubectl("wait", "--for=condition=complete", "job/indexed", "--timeout=30s")
        job = jget(s, "get", "job", "indexed")
        eq(job["status"]["completedIndexes"], "0-2", "completedIndexes")
        pods = jget(s, "get", "pods", "-l", "job-name=indexed")["items"]
        got = sorted((p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"],
                      p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"],
                      p["spec"]["hostname"], p["metadata"]["name"].rsplit("-", 1)[0])
                     for p in pods)
        eq(got, [(str(i), str(i), "indexed-%d" % i, "indexed-%d" % i) for i in range(3)],
           "index annotation, label, hostname and name")
        env = pods[0]["spec"]["containers"][0]["env"]
        eq(env[-1]["name"], "JOB_COMPLETION_INDEX", "index env")
        # ttlSecondsAfterFinished: 2 deletes the Job, and its pods with it
        wait_for("the finished job to be deleted",
                 lambda: s.kubectl("get", "job", "indexed", check=False).returncode != 0,
                 timeout=20)
        wait_for("its pods to go",
                 lambda: not jget(s, "get", "pods", "-l", "job-name=indexed")["items"],
                 timeout=20)
    finally:
        s.stop()
        s.cleanup()
