"""Conformance cases for storage: on a server of its own, the scenario's
StorageClass and a claim of it are provisioned by the hostpath provisioner
and bound by the persistentvolume-controller, and kubectl shows them as on
a real cluster (`kubectl get pv,pvc`, `describe`, the volume's directory,
release with reclaim policy Retain)."""
import json
import os

from k1s_fixture import Server
from casekit import eq, contains, check_layout, SC, collector, wait_for

TESTS, case = collector()


CLAIM_NAME = "html-volume-nginx-statefulset-0"
CLAIM = """apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: %s
spec:
  accessModes: [ "ReadWriteOnce" ]
  storageClassName: test-storage-class
  resources:
    requests:
      storage: 1Gi
""" % CLAIM_NAME

PV_HEADER = ("NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS "
             "VOLUMEATTRIBUTESCLASS REASON AGE")
PVC_HEADER = "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE"


def phase(s, kind, name):
    p = s.kubectl("get", kind, name, "-o", "jsonpath={.status.phase}", check=False)
    return p.stdout.strip() if p.returncode == 0 else ""


@case
def test_scenario_claim_is_provisioned_and_bound(shared):
    s = Server(shared.binary).start()
    try:
        s.kubectl("apply", "-f", SC)
        s.kubectl("apply", "-f", "-", input=CLAIM)
        wait_for("the claim to be Bound", lambda: phase(s, "pvc", CLAIM_NAME) == "Bound", timeout=15)
        claim = json.loads(s.kubectl("get", "pvc", CLAIM_NAME, "-o", "json").stdout)
        pv = "pvc-" + claim["metadata"]["uid"]
        eq(claim["spec"]["volumeName"], pv, "volumeName")
        wait_for("the volume to be Bound", lambda: phase(s, "pv", pv) == "Bound", timeout=15)

        out = s.kubectl("get", "pv,pvc").stdout
        parts = [p for p in out.split("\n\n") if p.strip()]
        eq(len(parts), 2, "two tables in\n" + out)
        check_layout(parts[0], PV_HEADER,
                     [["persistentvolume/" + pv, "1Gi", "RWO", "Retain", "Bound",
                       "default/" + CLAIM_NAME, "test-storage-class", "<unset>", ""]])
        check_layout(parts[1], PVC_HEADER,
                     [["persistentvolumeclaim/" + CLAIM_NAME, "Bound", pv, "1Gi", "RWO",
                       "test-storage-class", "<unset>"]])

        desc = s.kubectl("describe", "pvc", CLAIM_NAME).stdout
        for part in ("pv.kubernetes.io/bind-completed: yes",
                     "pv.kubernetes.io/bound-by-controller: yes",
                     "volume.kubernetes.io/storage-provisioner: docker.io/hostpath",
                     "ExternalProvisioning", "persistentvolume-controller",
                     "Waiting for a volume to be created either by the external provisioner "
                     "'docker.io/hostpath' or manually by the system administrator.",
                     'External provisioner is provisioning volume for claim "default/%s"'
                     % CLAIM_NAME,
                     "Successfully provisioned volume " + pv):
            contains(desc, part, "describe pvc")

        vol = json.loads(s.kubectl("get", "pv", pv, "-o", "json").stdout)
        eq(vol["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"],
           "docker.io/hostpath", "provisioned-by")
        eq(vol["spec"]["hostPath"]["type"], "DirectoryOrCreate", "hostPath type")
        eq(vol["spec"]["claimRef"]["uid"], claim["metadata"]["uid"], "claimRef uid")
        path = vol["spec"]["hostPath"]["path"]
        want = os.path.join(os.path.realpath(s.data_dir), "storage",
                            "default_%s_%s" % (CLAIM_NAME, pv))
        eq(path, want, "volume directory")
        if not os.path.isdir(path):
            raise AssertionError("no directory %s" % path)

        # Retain: the claim goes, the volume stays Released with its data
        with open(os.path.join(path, "whoami.html"), "w") as f:
            f.write("im 0\n")
        s.kubectl("delete", "pvc", CLAIM_NAME)
        wait_for("the volume to be Released", lambda: phase(s, "pv", pv) == "Released", timeout=15)
        check_layout(s.kubectl("get", "pv").stdout, PV_HEADER,
                     [[pv, "1Gi", "RWO", "Retain", "Released", "default/" + CLAIM_NAME,
                       "test-storage-class", "<unset>", ""]])
        if not os.path.exists(os.path.join(path, "whoami.html")):
            raise AssertionError("the retained volume lost its data")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")
