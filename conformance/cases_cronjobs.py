"""Conformance cases for batch/v1 CronJobs on the simulated kubelet: a
CronJob whose last schedule lies in the past starts the missed activation
at once (the case pushes status.lastScheduleTime back with `kubectl patch
--subresource=status` rather than wait for the next minute), the Job runs
to Complete, the CronJob lists it and then records lastSuccessfulTime;
`kubectl create job --from=cronjob/...` works; deleting the CronJob
deletes its Jobs."""
import time

from casekit import eq, contains, table, jget, collector, sim_server, wait_for

TESTS, case = collector()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def owned_jobs(s, cronjob):
    items = jget(s, "get", "jobs")["items"]
    return [j for j in items
            if any(r.get("kind") == "CronJob" and r.get("name") == cronjob
                   for r in j["metadata"].get("ownerReferences", []))]


@case
def test_cronjob_starts_missed_activation(shared):
    s = sim_server(shared)
    try:
        s.kubectl("create", "cronjob", "hello", "--image=busybox", "--schedule=* * * * *",
                  "--", "true")
        now = time.time()
        s.kubectl("patch", "cronjob", "hello", "--subresource=status", "--type=merge", "-p",
                  '{"status":{"lastScheduleTime":"%s"}}' % iso(now - 90))
        jobs = wait_for("the missed activation's job", lambda: owned_jobs(s, "hello"), 20)
        eq(len(jobs), 1, "one job for the most recent missed minute")
        job = jobs[0]
        minute = int(now // 60)
        name = job["metadata"]["name"]
        if name not in ("hello-%d" % minute, "hello-%d" % (minute + 1)):
            raise AssertionError("job name %s, not hello-<minute> near %d" % (name, minute))
        contains(job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"],
                 "T")
        s.kubectl("wait", "--for=condition=complete", "job/" + name, "--timeout=30s")
        cj = wait_for("lastSuccessfulTime",
                      lambda: (lambda c: c if c["status"].get("lastSuccessfulTime") else None)(
                          jget(s, "get", "cronjob", "hello")), 20)
        eq(cj["status"].get("active"), None, "the finished job left status.active")
        rows = table(s.kubectl("get", "cronjob", "hello").stdout)
        eq(rows[1][:5], ["hello", "* * * * *", "<none>", "False", "0"], "cronjob row")
        if rows[1][5] == "<none>":
            raise AssertionError("LAST SCHEDULE empty: %r" % rows)
        events = s.kubectl("get", "events", "--field-selector",
                           "involvedObject.name=hello").stdout
        contains(events, "Created job " + name)
        contains(events, "Saw completed job: " + name)

        # a Job by hand from the CronJob's template
        out = s.kubectl("create", "job", "manual", "--from=cronjob/hello").stdout
        contains(out, "job.batch/manual created")
        s.kubectl("wait", "--for=condition=complete", "job/manual", "--timeout=30s")
        manual = jget(s, "get", "job", "manual")
        eq(manual["metadata"]["annotations"].get("cronjob.kubernetes.io/instantiate"), "manual",
           "instantiate annotation")

        # the garbage collector takes the CronJob's Jobs with it
        s.kubectl("delete", "cronjob", "hello")
        wait_for("the cronjob's jobs to go",
                 lambda: not [j for j in jget(s, "get", "jobs")["items"]
                              if j["metadata"]["name"] == name], 20)
    finally:
        s.stop()
        s.cleanup()
