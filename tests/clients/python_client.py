#!/usr/bin/python3
"""The official Python client (python3-kubernetes) against k1s, as a user's
script drives it: its model objects carry no apiVersion/kind, it patches
with the three patch types, lists with selectors and limits, and watches.
Run with KUBECONFIG pointing at the cluster; exits 1 on the first failure."""
import sys
import threading

import os
import tempfile

from kubernetes import client, config, utils, watch
from kubernetes.client.rest import ApiException

NS = "pyclient"
MULTI_DOC = """apiVersion: v1
kind: ConfigMap
metadata:
  name: yaml-cm
data:
  a: "1"
---
apiVersion: v1
kind: Secret
metadata:
  name: yaml-secret
stringData:
  k: value
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: yaml-dep
spec:
  replicas: 2
  selector:
    matchLabels: {app: yaml}
  template:
    metadata:
      labels: {app: yaml}
    spec:
      containers:
      - name: c
        image: x
---
apiVersion: v1
kind: Service
metadata:
  name: yaml-svc
spec:
  selector: {app: yaml}
  ports:
  - port: 80
    targetPort: 8080
"""


def check(cond, what):
    if not cond:
        print("FAIL", what)
        sys.exit(1)
    print("ok  ", what)


def main():
    config.load_kube_config()
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    meta = client.V1ObjectMeta
    ns = core.create_namespace(client.V1Namespace(metadata=meta(name=NS)))
    check(ns.metadata.name == NS and ns.kind == "Namespace", "create a namespace from a model")
    cm = core.create_namespaced_config_map(NS, client.V1ConfigMap(
        metadata=meta(generate_name="cm-", labels={"app": "py"}), data={"a": "1"}))
    check(cm.metadata.name.startswith("cm-") and cm.api_version == "v1", "generateName create")
    name = cm.metadata.name

    # three patch types: the client picks the content type from the body
    core.patch_namespaced_config_map(name, NS, {"data": {"b": "2"}})
    core.patch_namespaced_config_map(name, NS, [{"op": "add", "path": "/data/c", "value": "3"}])
    got = core.read_namespaced_config_map(name, NS)
    check(got.data == {"a": "1", "b": "2", "c": "3"}, "strategic merge and JSON patches")
    got.data["d"] = "4"
    got = core.replace_namespaced_config_map(name, NS, got)
    check(got.data["d"] == "4", "replace with the model read back")

    for i in range(5):
        core.create_namespaced_config_map(NS, client.V1ConfigMap(
            metadata=meta(name="many-%d" % i, labels={"set": "many"})))
    page = core.list_namespaced_config_map(NS, label_selector="set=many", limit=2)
    check(len(page.items) == 2 and page.metadata._continue, "a first page and a continue token")
    rest = core.list_namespaced_config_map(NS, label_selector="set=many", limit=10,
                                           _continue=page.metadata._continue)
    check(len(rest.items) == 3, "the rest after the continue token")

    # a watch sees what another thread does
    seen, w = [], watch.Watch()
    rv = core.list_namespaced_config_map(NS).metadata.resource_version

    def watcher():
        for ev in w.stream(core.list_namespaced_config_map, NS, resource_version=rv,
                           timeout_seconds=20):
            seen.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=watcher)
    t.start()
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=meta(name="watched")))
    core.delete_namespaced_config_map("watched", NS)
    t.join(30)
    check(("ADDED", "watched") in seen and ("DELETED", "watched") in seen,
          "watch events: %s" % seen)

    dep = apps.create_namespaced_deployment(NS, client.V1Deployment(
        metadata=meta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=meta(labels={"app": "web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")])))))
    check(dep.kind == "Deployment" and dep.api_version == "apps/v1", "create a Deployment")
    scale = apps.patch_namespaced_deployment_scale("web", NS, {"spec": {"replicas": 3}})
    check(scale.spec.replicas == 3, "patch the scale subresource")
    # utils.create_from_yaml, as the client's own e2e suite drives it: one
    # file, several kinds, no namespace in the documents
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(MULTI_DOC)
    try:
        made = utils.create_from_yaml(client.ApiClient(), f.name, namespace=NS)
    finally:
        os.unlink(f.name)
    kinds = sorted(o.kind for group in made for o in group)
    check(kinds == ["ConfigMap", "Deployment", "Secret", "Service"],
          "create_from_yaml of four kinds: %s" % kinds)
    svc = core.read_namespaced_service("yaml-svc", NS)
    check(svc.spec.cluster_ip and svc.spec.ports[0].target_port == 8080,
          "the Service got a ClusterIP")
    sec = core.read_namespaced_secret("yaml-secret", NS)
    check(sec.data == {"k": "dmFsdWU="}, "stringData became data")
    nodes = core.list_node()
    check(nodes.kind == "NodeList" and all(n.status.node_info.kubelet_version
                                           for n in nodes.items), "list nodes with their status")
    status = apps.read_namespaced_deployment_status("yaml-dep", NS)
    check(status.spec.replicas == 2, "read the status subresource")
    apps.delete_namespaced_deployment("yaml-dep", NS, body=client.V1DeleteOptions(
        propagation_policy="Foreground"))
    try:
        gone = apps.read_namespaced_deployment("yaml-dep", NS)
        check(gone.metadata.deletion_timestamp and "foregroundDeletion" in
              gone.metadata.finalizers, "foreground deletion keeps it with its finalizer")
    except ApiException as e:
        check(e.status == 404, "foreground deletion (already done)")
    try:
        core.read_namespaced_config_map("nope", NS)
        check(False, "a missing object raises")
    except ApiException as e:
        check(e.status == 404, "a missing object is a 404")
    core.delete_namespace(NS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
