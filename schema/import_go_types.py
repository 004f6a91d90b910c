#!/usr/bin/env python3
"""import_go_types.py - writes .def type descriptions for new kinds from the
Go API types of Kubernetes (k8s.io/api), a developer's tool, not part of the
build.

The facts the .def language needs are all in the Go sources: JSON names
(`json:` tags), types, protobuf numbers (`protobuf:` tags), pointer-ness and
`omitempty` (keepzero), and the list/merge markers (`+listType`,
`+listMapKey`, `patchStrategy`, `patchMergeKey`). The Go comments are not
used: descriptions are ours (type-level ones for kinds below; fields have
none). Types the existing .def files already describe are referred to, not
written again. Unconditional defaults (kube's defaults.go files live in
kubernetes/kubernetes, too big to fetch here) are listed in DEFAULTS by hand.

Usage (kubernetes/api fetched as a bare repository; `fetch` gives one):
    schema/import_go_types.py --repo /work/.mirror/kubernetes+api/repo \
        --tag v0.33.0 --out schema/defs/batch.def batch/v1/Job batch/v1/CronJob
The output says which tag it came from; re-run it to pick up a new release.
"""

import argparse
import glob
import importlib.util
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))

# Go types with a fixed .def form wherever they appear.
WELL_KNOWN = {
    "k8s.io/apimachinery/pkg/apis/meta/v1.Time": ("time", []),
    "k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime": ("time", ["microtime"]),
    "k8s.io/apimachinery/pkg/apis/meta/v1.Duration": ("string", []),
    "k8s.io/apimachinery/pkg/api/resource.Quantity": ("quantity", []),
    "k8s.io/apimachinery/pkg/util/intstr.IntOrString": ("intorstring", []),
    "k8s.io/apimachinery/pkg/runtime.RawExtension": ("any", []),
    "k8s.io/apimachinery/pkg/types.UID": ("string", []),
    "k8s.io/apimachinery/pkg/types.NodeName": ("string", []),
}
SCALARS = {"string": "string", "int32": "int32", "int64": "int64", "bool": "bool",
           "float64": "number", "int": "int64", "uint32": "int64", "uint64": "int64",
           "float32": "number", "int16": "int32", "byte": "int32"}

# Our words for the kinds (the only descriptions written here).
KIND_DOC = {
    "batch/v1/Job": "Runs pods to completion: a number of successful completions, retried up to a backoff limit.",
    "batch/v1/CronJob": "Creates Jobs on a cron schedule.",
    "policy/v1/PodDisruptionBudget": "Limits how many pods of a set voluntary disruptions (evictions) may take down at once.",
    "scheduling.k8s.io/v1/PriorityClass": "Maps a priority class name to the integer priority of pods that name it.",
    "node.k8s.io/v1/RuntimeClass": "Names a container runtime configuration (a CRI handler) pods can select, with its overhead and scheduling constraints.",
    "storage.k8s.io/v1/CSIStorageCapacity": "Storage capacity a CSI driver reports for one storage class in one topology segment.",
    "/v1/ReplicationController": "Keeps a number of pod replicas running; the older form of a ReplicaSet, selecting by equality of labels.",
    "/v1/PodTemplate": "A stored pod template, for controllers and tools that create pods from it.",
    "/v1/ResourceQuota": "Caps the total resources and object counts of one namespace.",
    "/v1/LimitRange": "Per-namespace minimum, maximum and default resources for containers, pods and claims.",
    "/v1/ComponentStatus": "Health of a control-plane component (deprecated API).",
    "networking.k8s.io/v1/Ingress": "HTTP(S) routing of host names and paths to Services, served by an ingress controller.",
    "networking.k8s.io/v1/IngressClass": "Names the controller that implements a class of Ingresses, and its parameters.",
    "networking.k8s.io/v1/NetworkPolicy": "Which traffic a set of pods may receive and send.",
    "networking.k8s.io/v1/ServiceCIDR": "An IP range Service ClusterIPs are allocated from.",
    "networking.k8s.io/v1/IPAddress": "One allocated IP address and the object (a Service) it belongs to; named by the address.",
    "autoscaling/v2/HorizontalPodAutoscaler": "Scales a workload's replicas (through its scale subresource) between a minimum and a maximum to keep metrics near their targets.",
    "flowcontrol.apiserver.k8s.io/v1/FlowSchema": "Classifies API requests by who sends them and what they touch, sending each to a priority level (API Priority and Fairness).",
    "flowcontrol.apiserver.k8s.io/v1/PriorityLevelConfiguration": "A priority level of API Priority and Fairness: its share of the server's concurrency and how excess requests queue or are rejected.",
}

# Unconditional defaults of kube 1.33 (pkg/apis/<group>/v1/defaults.go and
# the +default markers); conditional ones are in the strategies.
DEFAULTS = {
    ("batch.v1.CronJobSpec", "concurrencyPolicy"): '"Allow"',
    ("batch.v1.CronJobSpec", "suspend"): "false",
    ("batch.v1.CronJobSpec", "successfulJobsHistoryLimit"): "3",
    ("batch.v1.CronJobSpec", "failedJobsHistoryLimit"): "1",
    ("networking.v1.NetworkPolicyPort", "protocol"): '"TCP"',
    ("scheduling.v1.PriorityClass", "preemptionPolicy"): '"PreemptLowerPriority"',
}


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo] + list(args), check=True,
                          capture_output=True, text=True).stdout


def load_gen():
    spec = importlib.util.spec_from_file_location("gen_schema",
                                                  os.path.join(HERE, "gen_schema.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class GoField:
    def __init__(self, name, gotype, tags, markers):
        self.name, self.gotype, self.tags, self.markers = name, gotype, tags, markers


class GoPackage:
    """The struct and named types of one Go package (k8s.io/api/<g>/<v>)."""

    TYPE_RE = re.compile(r"^type (\w+) (.+)$")
    FIELD_RE = re.compile(r"^(\w+)\s+(\S+)\s+`(.*)`")
    EMBED_RE = re.compile(r"^(\S+)\s+`(.*)`")
    TAG_RE = re.compile(r'(\w+):"([^"]*)"')

    def __init__(self, repo, tag, path):
        self.path = path
        self.structs, self.named, self.imports = {}, {}, {}
        names = git(repo, "ls-tree", "--name-only", tag, path + "/").split()
        for f in names:
            base = os.path.basename(f)
            if not base.endswith(".go") or base.startswith("zz_") or "generated" in base \
                    or base.endswith("_test.go"):
                continue
            self._parse(git(repo, "show", "%s:%s" % (tag, f)))

    def _parse(self, text):
        lines = text.split("\n")
        i = 0
        for m in re.finditer(r'^\s*(\w+)?\s*"([^"]+)"\s*$', self._import_block(text), re.M):
            path = m.group(2)
            self.imports[m.group(1) or path.rsplit("/", 1)[-1]] = path
        while i < len(lines):
            m = self.TYPE_RE.match(lines[i])
            i += 1
            if not m:
                continue
            name, rest = m.group(1), m.group(2).strip()
            if rest == "struct {":
                fields, markers = [], []
                while i < len(lines) and lines[i] != "}":
                    line = lines[i].strip()
                    i += 1
                    if line.startswith("/*"):
                        while "*/" not in line and i < len(lines):
                            line = lines[i]
                            i += 1
                        continue
                    if line.startswith("//"):
                        mk = re.match(r"//\s*\+([\w.:-]+)(?:=(.*))?$", line)
                        if mk:
                            markers.append((mk.group(1), mk.group(2)))
                        continue
                    if not line:
                        continue
                    fm = self.FIELD_RE.match(line)
                    if fm:
                        fields.append(GoField(fm.group(1), fm.group(2),
                                              dict(self.TAG_RE.findall(fm.group(3))), markers))
                    else:
                        em = self.EMBED_RE.match(line)
                        if not em:
                            raise SystemExit("%s.%s: cannot read %r" % (self.path, name, line))
                        fields.append(GoField(None, em.group(1),
                                              dict(self.TAG_RE.findall(em.group(2))), markers))
                    markers = []
                self.structs[name] = fields
            elif not rest.startswith(("interface", "func", "=")) and "(" not in rest:
                self.named[name] = rest

    @staticmethod
    def _import_block(text):
        m = re.search(r"^import \((.*?)^\)", text, re.M | re.S)
        if m:
            return m.group(1)
        return "\n".join(re.findall(r'^import (\w* ?"[^"]+")', text, re.M))


def def_prefix(pkgpath):
    """k8s.io/api/batch/v1 -> batch.v1; meta/v1 -> meta.v1."""
    if pkgpath.startswith("k8s.io/api/"):
        return pkgpath[len("k8s.io/api/"):].replace("/", ".")
    if pkgpath == "k8s.io/apimachinery/pkg/apis/meta/v1":
        return "meta.v1"
    return None


class Importer:
    def __init__(self, repo, tag, known):
        self.repo, self.tag, self.known = repo, tag, known
        self.pkgs = {}
        self.out = {}     # def name -> list of lines
        self.order = []
        self.pending = []
        self.kind_of = {}  # def name -> GROUP/VERSION/KIND

    def pkg(self, pkgpath):
        if pkgpath not in self.pkgs:
            self.pkgs[pkgpath] = GoPackage(self.repo, self.tag, pkgpath[len("k8s.io/api/"):])
        return self.pkgs[pkgpath]

    def resolve(self, pkg, goname):
        """(package path, bare name) of a Go type name as written in pkg."""
        if "." in goname:
            alias, name = goname.split(".", 1)
            return pkg.imports[alias], name
        return "k8s.io/api/" + pkg.path, goname

    def texpr(self, pkg, gotype, attrs):
        """The .def type expression of a Go type; may append attributes."""
        pointer = gotype.startswith("*")
        gotype = gotype.lstrip("*")
        if gotype == "[]byte":
            return "bytes", pointer
        if gotype.startswith("[]"):
            inner, _ = self.texpr(pkg, gotype[2:], [])
            return "[]" + inner, False
        if gotype.startswith("map["):
            val = gotype[gotype.index("]") + 1:]
            inner, _ = self.texpr(pkg, val, [])
            return "map[%s]" % inner, False
        if gotype in SCALARS:
            return SCALARS[gotype], pointer
        pkgpath, name = self.resolve(pkg, gotype)
        full = pkgpath + "." + name
        if full in WELL_KNOWN:
            word, extra = WELL_KNOWN[full]
            attrs.extend(extra)
            return word, pointer
        prefix = def_prefix(pkgpath)
        if prefix is None:
            raise SystemExit("no .def form for Go type %s" % full)
        if prefix != "meta.v1":
            p = self.pkg(pkgpath)
            if name in p.named:
                word, inner_pointer = self.texpr(p, p.named[name], attrs)
                return word, pointer or inner_pointer
        defname = prefix + "." + name
        self.need(defname)
        return defname, False

    def need(self, defname):
        if defname in self.known or defname in self.out or defname in self.pending:
            return
        if defname.startswith("meta.v1."):
            raise SystemExit("%s is not in the .def files: describe it by hand" % defname)
        self.pending.append(defname)

    def emit_fields(self, pkg, tname, fields, lines, outer=None):
        for f in fields:
            js = f.tags.get("json", "")
            jname, _, opts = js.partition(",")
            pb = f.tags.get("protobuf", "")
            if jname == "-":
                continue
            if f.name is None and "inline" in opts:
                if f.gotype.endswith("TypeMeta"):
                    lines.append("  apiVersion  string  pb=-")
                    lines.append("  kind  string  pb=-")
                    continue
                ipath, iname = self.resolve(pkg, f.gotype.lstrip("*"))
                ipkg = self.pkg(ipath)
                self.emit_fields(ipkg, tname, ipkg.structs[iname], lines,
                                 outer=pb.split(",")[1])
                continue
            attrs = []
            word, pointer = self.texpr(pkg, f.gotype, attrs)
            num = pb.split(",")[1] if pb else "-"
            attrs.insert(0, "pb=%s.%s" % (outer, num) if outer and num != "-" else "pb=" + num)
            scalar = word in ("string", "int32", "int64", "number", "bool", "bytes")
            if scalar and (pointer or "omitempty" not in opts):
                attrs.append("keepzero")
            mk = dict(f.markers)
            strategy = f.tags.get("patchStrategy") or mk.get("patchStrategy")
            merge = f.tags.get("patchMergeKey") or mk.get("patchMergeKey")
            if merge:
                attrs.append("merge=" + merge)
            if strategy:
                attrs.append("strategy=" + strategy)
            if "listType" in mk:
                attrs.append("list=" + mk["listType"])
            keys = [v for k, v in f.markers if k == "listMapKey"]
            if keys:
                attrs.append("keys=" + ",".join(keys))
            if "mapType" in mk:
                attrs.append("map=" + mk["mapType"])
            if "omitempty" not in opts and "optional" not in mk and not pointer:
                attrs.append("required")
            # A Go zero value on an omitempty non-pointer field never shows.
            if "default" in mk and not (mk["default"] in ("0", "false", '""')
                                        and "omitempty" in opts and not pointer):
                attrs.append("default=" + mk["default"])
            dflt = DEFAULTS.get((tname, jname))
            if dflt:
                attrs.append("default=" + dflt)
            lines.append("  %s  %s  %s" % (jname, word, " ".join(attrs)))

    def run(self, kinds):
        for gvk in kinds:
            group_version, kind = gvk.rsplit("/", 1)
            self.need(self.kind_def(group_version, kind))
        while self.pending:
            defname = self.pending.pop(0)
            prefix, name = defname.rsplit(".", 1)
            pkgpath = "k8s.io/api/" + prefix.replace(".", "/")
            pkg = self.pkg(pkgpath)
            if name not in pkg.structs:
                raise SystemExit("no struct %s in %s" % (name, pkgpath))
            head = "type " + defname
            gvk = self.kind_of.get(defname)
            lines = []
            if gvk:
                head += " gvk=" + gvk
                if gvk in KIND_DOC:
                    lines.append('  "%s"' % KIND_DOC[gvk])
            self.emit_fields(pkg, defname, pkg.structs[name], lines)
            self.out[defname] = [head] + lines
            self.order.append(defname)

    def kind_def(self, group_version, kind):
        group, version = group_version.rsplit("/", 1) if "/" in group_version \
            else ("", group_version)
        pkgdir = (group.split(".")[0] if group else "core") + "." + version
        defname = pkgdir + "." + kind
        self.kind_of[defname] = "%s/%s/%s" % (group, version, kind)
        return defname


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", required=True, help="kubernetes/api git directory")
    ap.add_argument("--tag", default="v0.33.0")
    ap.add_argument("--out", required=True)
    ap.add_argument("kinds", nargs="+", help="GROUP/VERSION/KIND, e.g. batch/v1/Job")
    a = ap.parse_args()
    gen = load_gen()
    out_abs = os.path.abspath(a.out)
    paths = [p for p in sorted(glob.glob(os.path.join(HERE, "defs", "*.def")))
             if os.path.abspath(p) != out_abs]
    known = {}
    for t in gen.load_defs(paths):
        short = t.name.replace("io.k8s.apimachinery.pkg.apis.", "").replace("io.k8s.api.", "")
        known[short] = t
    imp = Importer(a.repo, a.tag, known)
    imp.run(a.kinds)
    with open(a.out, "w", encoding="utf-8") as fh:
        fh.write("# %s - written by schema/import_go_types.py from the Go types of\n"
                 "# k8s.io/api %s (names, types, protobuf numbers, list and merge\n"
                 "# markers); defaults from its DEFAULTS table. Kinds: %s.\n"
                 "# Edit the tool, not this file, then re-run it (see its usage).\n"
                 % (os.path.basename(a.out), a.tag, ", ".join(a.kinds)))
        for name in imp.order:
            fh.write("\n" + "\n".join(imp.out[name]) + "\n")
    print("%s: %d types" % (a.out, len(imp.order)))


if __name__ == "__main__":
    main()
