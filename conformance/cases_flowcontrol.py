"""Conformance cases for flowcontrol.apiserver.k8s.io/v1 with real kubectl:
the bootstrap FlowSchemas and PriorityLevelConfigurations of kube 1.33 are
listed with kube's columns and in matching order; kube's defaults and
validation messages; the status subresource; `kubectl api-resources` and
`kubectl explain` know the group."""
from casekit import eq, contains, table, jget, collector

TESTS, case = collector()

FS_ORDER = ["exempt", "probes", "system-leader-election", "endpoint-controller",
            "workload-leader-election", "system-node-high", "system-nodes",
            "kube-controller-manager", "kube-scheduler", "kube-system-service-accounts",
            "service-accounts", "global-default", "catch-all"]

USER_PLC = """apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata:
  name: fc-test
spec:
  type: Limited
  limited:
    limitResponse:
      type: Queue
      queuing: {}
"""

USER_FS = """apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata:
  name: fc-test
spec:
  priorityLevelConfiguration:
    name: fc-test
  rules:
  - subjects:
    - kind: Group
      group:
        name: fc-testers
    nonResourceRules:
    - verbs: ["get"]
      nonResourceURLs: ["/fc"]
"""


@case
def test_flowschema_bootstrap_table(s):
    rows = table(s.kubectl("get", "flowschemas").stdout)
    eq(rows[0], ["NAME", "PRIORITYLEVEL", "MATCHINGPRECEDENCE", "DISTINGUISHERMETHOD", "AGE",
                 "MISSINGPL"], "flowschema columns")
    # kube's printer sorts by precedence; k1s's list tables stream rows in
    # name order (docs/internals/flowcontrol.md), so only the set is compared
    eq(sorted(r[0] for r in rows[1:]), sorted(FS_ORDER), "bootstrap flowschemas")
    byname = {r[0]: r for r in rows[1:]}
    eq(byname["exempt"][1:4], ["exempt", "1", "<none>"], "exempt row")
    eq(byname["catch-all"][1:4], ["catch-all", "10000", "ByUser"], "catch-all row")
    eq(byname["kube-scheduler"][1:4], ["workload-high", "800", "ByNamespace"], "scheduler row")
    for r in rows[1:]:
        eq(r[5], "False", "MISSINGPL of " + r[0])
    fs = jget(s, "get", "flowschema", "probes")
    eq(fs["metadata"]["annotations"], {"apf.kubernetes.io/autoupdate-spec": "true"}, "annotation")
    eq(fs["spec"]["rules"][0]["nonResourceRules"],
       [{"nonResourceURLs": ["/healthz", "/readyz", "/livez"], "verbs": ["get"]}], "probes rule")
    cond = fs["status"]["conditions"][0]
    eq((cond["type"], cond["status"], cond["reason"]), ("Dangling", "False", "Found"), "condition")
    eq(cond["message"], 'This FlowSchema references the PriorityLevelConfiguration object named '
       '"exempt" and it exists', "condition message")


@case
def test_prioritylevelconfiguration_bootstrap_table(s):
    rows = table(s.kubectl("get", "prioritylevelconfigurations").stdout)
    eq(rows[0], ["NAME", "TYPE", "NOMINALCONCURRENCYSHARES", "QUEUES", "HANDSIZE",
                 "QUEUELENGTHLIMIT", "AGE"], "priority level columns")
    got = {r[0]: r[1:6] for r in rows[1:]}
    eq(got, {
        "catch-all": ["Limited", "5", "<none>", "<none>", "<none>"],
        "exempt": ["Exempt", "<none>", "<none>", "<none>", "<none>"],
        "global-default": ["Limited", "20", "128", "6", "50"],
        "leader-election": ["Limited", "10", "16", "4", "50"],
        "node-high": ["Limited", "40", "64", "6", "50"],
        "system": ["Limited", "30", "64", "6", "50"],
        "workload-high": ["Limited", "40", "128", "6", "50"],
        "workload-low": ["Limited", "100", "128", "6", "50"],
    }, "bootstrap priority levels")
    ex = jget(s, "get", "prioritylevelconfiguration", "exempt")
    eq(ex["spec"], {"type": "Exempt", "exempt": {"nominalConcurrencyShares": 0,
                                                "lendablePercent": 0}}, "exempt spec")
    eq(jget(s, "get", "prioritylevelconfiguration", "workload-low")["spec"]["limited"]
       ["lendablePercent"], 90, "workload-low lendablePercent")


@case
def test_flowschema_user_objects_defaults_status_and_errors(s):
    s.kubectl("apply", "-f", "-", input=USER_PLC)
    s.kubectl("apply", "-f", "-", input=USER_FS)
    try:
        plc = jget(s, "get", "prioritylevelconfiguration", "fc-test")
        eq(plc["spec"]["limited"], {"nominalConcurrencyShares": 30, "lendablePercent": 0,
                                    "limitResponse": {"type": "Queue", "queuing": {
                                        "queues": 64, "handSize": 8, "queueLengthLimit": 50}}},
           "limited defaults")
        fs = jget(s, "get", "flowschema", "fc-test")
        eq(fs["spec"]["matchingPrecedence"], 1000, "precedence default")
        eq(fs["metadata"]["generation"], 1, "generation")
        row = table(s.kubectl("get", "flowschema", "fc-test").stdout)[1]
        eq(row[5], "?", "no Dangling condition yet")
        s.kubectl("patch", "flowschema", "fc-test", "--subresource=status", "--type=merge", "-p",
                  '{"status":{"conditions":[{"type":"Dangling","status":"True"}]}}')
        row = table(s.kubectl("get", "flowschema", "fc-test").stdout)[1]
        eq(row[5], "True", "status subresource write")
        r = s.kubectl("patch", "flowschema", "fc-test", "--type=merge", "-p",
                      '{"spec":{"matchingPrecedence":20000}}', check=False)
        contains(r.stderr, 'The FlowSchema "fc-test" is invalid: '
                 'spec.matchingPrecedence: Invalid value: 20000: must be between 1 and 10000 '
                 'inclusively', "precedence range")
        r = s.kubectl("patch", "prioritylevelconfiguration", "fc-test", "--type=merge", "-p",
                      '{"spec":{"limited":null}}', check=False)
        contains(r.stderr, "spec.limited: Required value: must not be empty when type is Limited",
                 "limited required")
    finally:
        s.kubectl("delete", "flowschema", "fc-test", check=False)
        s.kubectl("delete", "prioritylevelconfiguration", "fc-test", check=False)


@case
def test_flowschema_api_resources_and_explain(s):
    rows = table(s.kubectl("api-resources", "--api-group=flowcontrol.apiserver.k8s.io").stdout)
    # NAME SHORTNAMES (none in 1.33) APIVERSION NAMESPACED KIND
    eq([tuple(r) for r in rows[1:]],
       [("flowschemas", "", "flowcontrol.apiserver.k8s.io/v1", "false", "FlowSchema"),
        ("prioritylevelconfigurations", "", "flowcontrol.apiserver.k8s.io/v1", "false",
         "PriorityLevelConfiguration")], "api-resources")
    out = s.kubectl("explain", "flowschemas.spec.matchingPrecedence").stdout
    contains(out, "matchingPrecedence", "explain")
    out = s.kubectl("explain", "prioritylevelconfiguration.spec.limited.limitResponse.queuing")\
        .stdout
    contains(out, "handSize", "explain")
