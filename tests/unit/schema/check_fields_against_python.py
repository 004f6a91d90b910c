#!/usr/bin/python3
"""check_fields_against_python.py - completeness check of the type
descriptions (schema/defs/*.def) against the official Python client's models
(Debian's python3-kubernetes, kubernetes.client.models).

For every kind we describe, it pairs our type with the client's model class
(V1Pod, AppsV1..., EventsV1Event, ...) and walks both in parallel through
every field whose value is itself a model: each JSON field the client knows
(attribute_map) must exist in our type, with a compatible shape (object,
list, map, scalar). Ours may have more fields: the client is the 1.22-era
API. Missing fields and shape conflicts are errors (exit 1); doubtful scalar
pairings are printed as notes. Exit 77 (ctest: skipped) if the client is not
installed.

Run with Debian's interpreter, which has the client:
    /usr/bin/python3 tests/unit/schema/check_fields_against_python.py [DEF...]
With no arguments it reads schema/defs/*.def of this source tree. The .def
files are read with schema/gen_schema.py's own parser (load_defs).
"""

import glob
import importlib.util
import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

# Our scalar word -> client scalar type names that may stand for it.
SCALAR_OK = {
    "str": {"string", "quantity", "bytes"},
    "int": {"int32", "int64"},
    "float": {"number"},
    "bool": {"bool"},
    "datetime": {"time"},
    "object": {"intorstring", "any", "quantity"},
}
# Fields the client still has but the API no longer serves (so strict
# decoding rightly rejects them): type name, JSON name -> why.
REMOVED = {
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "clusterName"):
        "removed from the API in Kubernetes 1.25",
}
# Pairings that work but deserve a look.
SCALAR_NOTE = {
    "str": {"time", "intorstring", "any"},
    "int": {"number"},
    "datetime": {"string"},
    "object": {"string"},
}


def load_gen():
    spec = importlib.util.spec_from_file_location(
        "gen_schema", os.path.join(ROOT, "schema", "gen_schema.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def client_shape(tstr):
    """'list[V1Container]' -> ('array', ('model', 'V1Container'))."""
    tstr = tstr.strip()
    m = re.fullmatch(r"list\[(.*)\]", tstr)
    if m:
        return ("array", client_shape(m.group(1)))
    m = re.fullmatch(r"dict\(str,\s*(.*)\)", tstr)
    if m:
        return ("map", client_shape(m.group(1)))
    if tstr in SCALAR_OK:
        return ("scalar", tstr)
    return ("model", tstr)


def camel_group(group):
    g = group or "core"
    if g.endswith(".k8s.io"):
        g = g[: -len(".k8s.io")]
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[.-]", g) if p)


def model_for_kind(models, gvk):
    group, version, kind = gvk
    v = version[:1].upper() + version[1:]
    for name in (camel_group(group) + v + kind, v + kind):
        cls = getattr(models, name, None)
        if cls is not None and hasattr(cls, "attribute_map"):
            return cls
    return None


class Checker:
    def __init__(self, models, by_name):
        self.models, self.by_name = models, by_name
        self.errors, self.notes = [], []
        self.seen = set()
        self.compared = 0

    def walk(self, ours, cls, where):
        key = (ours.name, cls.__name__)
        if key in self.seen:
            return
        self.seen.add(key)
        self.compared += 1
        fields = {f.name: f for f in ours.fields}
        for attr, json_name in sorted(cls.attribute_map.items()):
            path = f"{where}.{json_name}"
            f = fields.get(json_name)
            if f is None and (ours.name, json_name) in REMOVED:
                if (ours.name, json_name) not in self.seen:
                    self.seen.add((ours.name, json_name))
                    self.notes.append(f"note: {ours.name}.{json_name} not described: "
                                      f"{REMOVED[(ours.name, json_name)]}")
                continue
            if f is None:
                self.errors.append(f"missing: {ours.name} has no field {json_name!r} "
                                   f"({cls.__name__}.{attr}; at {path})")
                continue
            self.pair(f.texpr, client_shape(cls.openapi_types[attr]), path, ours.name)

    def pair(self, texpr, shape, path, owner):
        kind = texpr[0]
        if shape[0] in ("array", "map"):
            if kind != shape[0]:
                self.errors.append(f"shape: {path} is {shape[0]} in the client, "
                                   f"{describe(texpr)} in ours")
                return
            self.pair(texpr[1], shape[1], path + ("[]" if kind == "array" else "{}"), owner)
            return
        if shape[0] == "model":
            cls = getattr(self.models, shape[1], None)
            if cls is None:
                self.notes.append(f"note: client model {shape[1]} not found ({path})")
                return
            if kind == "ref":
                self.walk(self.by_name[texpr[1]], cls, path)
            elif kind == "scalar" and texpr[1] == "any":
                self.notes.append(f"note: {path} is free-form (any) in ours, "
                                  f"{shape[1]} in the client: its fields go unchecked")
            else:
                self.errors.append(f"shape: {path} is object {shape[1]} in the client, "
                                   f"{describe(texpr)} in ours")
            return
        word = shape[1]
        ours = texpr[1] if kind == "scalar" else None
        if ours in SCALAR_OK[word]:
            return
        if kind == "ref" and word == "object":
            return  # RawExtension-like named object
        if ours in SCALAR_NOTE.get(word, ()):
            self.notes.append(f"note: {path} is {word} in the client, {ours} in ours")
            return
        self.errors.append(f"shape: {path} is {word} in the client, "
                           f"{describe(texpr)} in ours")


def describe(texpr):
    if texpr[0] == "array":
        return "[]" + describe(texpr[1])
    if texpr[0] == "map":
        return "map[" + describe(texpr[1]) + "]"
    return texpr[1]


def main(argv):
    try:
        from kubernetes.client import models
    except ImportError:
        print("SKIP: kubernetes.client is not installed for this interpreter "
              "(use /usr/bin/python3 with python3-kubernetes)")
        return 77
    defs = argv or sorted(glob.glob(os.path.join(ROOT, "schema", "defs", "*.def")))
    if not defs:
        print("error: no .def files to check")
        return 1
    gen = load_gen()
    try:
        types = gen.load_defs(defs, warn=lambda where, msg: None)
    except gen.DefError as e:
        print(e)
        return 1
    by_name = {t.name: t for t in types}
    chk = Checker(models, by_name)
    kinds = [t for t in types if t.gvk]
    unmatched = []
    for t in sorted(kinds, key=lambda t: t.gvk):
        cls = model_for_kind(models, t.gvk)
        if cls is None:
            unmatched.append("/".join(t.gvk))
            continue
        chk.walk(t, cls, t.gvk[2])
    for n in chk.notes:
        print(n)
    for e in chk.errors:
        print(e)
    if unmatched:
        print("note: no client model for kinds: " + ", ".join(unmatched))
    print(f"compared {chk.compared} types reached from {len(kinds) - len(unmatched)} "
          f"kinds: {len(chk.errors)} problem(s)")
    return 1 if chk.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
