#!/usr/bin/env python3
"""gen_schema.py - compiles the type descriptions in schema/defs/*.def into C.

The build runs it as
    python3 schema/gen_schema.py -o build/schema_data.c schema/defs/*.def
and links the output into k1s_schema. The output holds immutable tables
(types sorted by name, a by-name field index per type, a kind index sorted by
group/version/kind) so that the engine answers lookups by binary search and
never parses anything at start-up. The layout is declared in
schema/k1s_schema_internal.h; keep the two in step.

The description language is documented in docs/internals/schema.md. Errors
(syntax, undefined or duplicate types, bad attribute values) are printed as
FILE:LINE: error: ... and make the script exit 1 without writing output; an
unknown attribute only warns. With no input files the tables are empty.

Every field of every type reachable from a kind (a type with gvk=) must say
how it travels in Kubernetes' protobuf encoding: pb=N (its field number),
pb=M.N (number N inside the message M that Go embeds inline, e.g. a Volume's
VolumeSource) or pb=- (not carried, e.g. apiVersion/kind of a kind, which
the runtime.Unknown envelope carries). A missing pb= there is an error, so a
new field cannot silently become undecodable.

The parser is also imported by tests/unit/schema/check_fields_against_python.py
(load_defs), so it must stay importable and free of side effects.
"""

import argparse
import json
import os
import re
import sys

SCALARS = {
    "string": "K1S_T_STRING",
    "int32": "K1S_T_INT32",
    "int64": "K1S_T_INT64",
    "number": "K1S_T_NUMBER",
    "bool": "K1S_T_BOOL",
    "intorstring": "K1S_T_INT_OR_STRING",
    "quantity": "K1S_T_QUANTITY",
    "time": "K1S_T_TIME",
    "bytes": "K1S_T_BYTES",
    "any": "K1S_T_ANY",
}
CONTAINER_KIND = {"array": "K1S_T_ARRAY", "map": "K1S_T_MAP"}

STRATEGIES = ("merge", "replace", "retainKeys", "merge,retainKeys")
LIST_TYPES = ("atomic", "set", "map")
MAP_TYPES = ("atomic", "granular")
# Attributes the language defines but the engine has no use for.
IGNORED_ATTRS = ("union",)

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
FIELD_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.\-]*$")
MAX_NESTING = 2  # [][]T and map[[]T] are the deepest shapes the tables carry
PB_MAX = (1 << 29) - 1  # largest protobuf field number
PB_RE = re.compile(r"^(?:([1-9][0-9]{0,8})\.)?([1-9][0-9]{0,8})$")
# Scalars whose zero value gogo-protobuf writes but Go's JSON omits (omitempty)
# unless the Go field is a pointer or not omitempty: keepzero says which.
KEEPZERO_SCALARS = ("string", "int32", "int64", "number", "bool", "bytes")
# Bits of k1s__field_ext.pb_flags (K1S_PB_* in k1s_schema_ext.h).
PB_FLAG_KEEPZERO = 1
PB_FLAG_MICROTIME = 2


def innermost(texpr):
    while texpr[0] in ("array", "map"):
        texpr = texpr[1]
    return texpr


class DefError(Exception):
    def __init__(self, where, msg):
        super().__init__(f"{where}: error: {msg}")


def full_type_name(short):
    """Maps a short type name (core.v1.Pod, meta.v1.ObjectMeta) to its
    OpenAPI definition name; names starting with io. are already full."""
    if short.startswith("io."):
        return short
    parts = short.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    group, version, kind = parts
    if group == "meta":
        return f"io.k8s.apimachinery.pkg.apis.meta.{version}.{kind}"
    return f"io.k8s.api.{group}.{version}.{kind}"


def tokenize(text, where):
    """Splits a line on blanks; a double-quoted run (with backslash escapes)
    may contain blanks and may start anywhere in a token."""
    tokens, cur, i, n = [], "", 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            if cur:
                tokens.append(cur)
                cur = ""
            i += 1
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise DefError(where, "unterminated string")
            cur += text[i:j + 1]
            i = j + 1
            continue
        cur += c
        i += 1
    if cur:
        tokens.append(cur)
    return tokens


def unquote(tok, where):
    """Decodes a "..." description token. \\" \\\\ \\n \\t are escapes; any
    other backslash is kept as written (descriptions quote regexes)."""
    if len(tok) < 2 or tok[0] != '"' or tok[-1] != '"':
        raise DefError(where, f"expected a quoted string, got {tok}")
    body, out, i = tok[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({'"': '"', "\\": "\\", "n": "\n", "t": "\t"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_type_expr(expr, where, depth=0):
    """Returns ('array', inner) / ('map', inner) / ('scalar', word) /
    ('ref', full_name)."""
    if depth > MAX_NESTING:
        raise DefError(where, f"type nests containers deeper than {MAX_NESTING}: {expr}")
    if expr.startswith("[]"):
        return ("array", parse_type_expr(expr[2:], where, depth + 1))
    if expr.startswith("map["):
        if not expr.endswith("]"):
            raise DefError(where, f"malformed map type {expr}")
        inner = expr[4:-1]
        if not inner:
            raise DefError(where, f"malformed map type {expr}")
        return ("map", parse_type_expr(inner, where, depth + 1))
    if expr in SCALARS:
        return ("scalar", expr)
    if not NAME_RE.match(expr):
        raise DefError(where, f"malformed type {expr}")
    full = full_type_name(expr)
    if full is None:
        raise DefError(where, f"cannot resolve type name {expr} "
                              "(want group.version.Kind or a full io.* name)")
    return ("ref", full)


def json_kind_ok(texpr, value):
    kind = texpr[0]
    if kind == "array":
        return isinstance(value, list)
    if kind in ("map", "ref"):
        return isinstance(value, dict)
    word = texpr[1]
    if word in ("string", "time", "bytes"):
        return isinstance(value, str)
    if word in ("int32", "int64"):
        return isinstance(value, int) and not isinstance(value, bool)
    if word == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if word == "bool":
        return isinstance(value, bool)
    if word == "intorstring":
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    if word == "quantity":
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)
    return True  # any


class Field:
    def __init__(self, name, texpr, where):
        self.name, self.texpr, self.where = name, texpr, where
        self.required = False
        self.merge = self.strategy = self.list_type = self.map_type = None
        self.keys = None
        self.default = None  # compact JSON text
        self.description = None
        # protobuf: None when pb= is absent, () for pb=-, else (outer, num)
        # with outer 0 unless the field sits in an inline message
        self.pb = None
        self.keepzero = False
        self.microtime = False
        self.nodefaults = False


class Type:
    def __init__(self, name, where):
        self.name, self.where = name, where
        self.gvk = None  # (group, version, kind)
        self.description = None
        self.fields = []


def parse_field(tokens, where, warn):
    name = tokens[0]
    if not FIELD_RE.match(name):
        raise DefError(where, f"malformed field name {name}")
    if len(tokens) < 2:
        raise DefError(where, f"field {name} has no type")
    f = Field(name, parse_type_expr(tokens[1], where), where)
    rest = tokens[2:]
    if rest and rest[-1].startswith('"'):
        f.description = unquote(rest[-1], where)
        rest = rest[:-1]
    for tok in rest:
        if tok.startswith('"'):
            raise DefError(where, "the description must be the last item of a field line")
        key, eq, val = tok.partition("=")
        if key == "required" and not eq:
            f.required = True
        elif key == "merge" and val:
            f.merge = val
        elif key == "strategy":
            if val not in STRATEGIES:
                raise DefError(where, f"strategy must be one of {', '.join(STRATEGIES)}, got {val!r}")
            f.strategy = val
        elif key == "list":
            if val not in LIST_TYPES:
                raise DefError(where, f"list must be one of {', '.join(LIST_TYPES)}, got {val!r}")
            f.list_type = val
        elif key == "map":
            if val not in MAP_TYPES:
                raise DefError(where, f"map must be one of {', '.join(MAP_TYPES)}, got {val!r}")
            f.map_type = val
        elif key == "keys" and val:
            f.keys = val.split(",")
            if not all(f.keys):
                raise DefError(where, f"malformed keys={val}")
        elif key == "default" and eq:
            try:
                value = json.loads(val)
            except ValueError as e:
                raise DefError(where, f"default of {name} is not JSON ({e}): {val}")
            if not json_kind_ok(f.texpr, value):
                raise DefError(where, f"default {val} does not fit the type of {name}")
            f.default = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        elif key == "pb" and eq:
            if f.pb is not None:
                raise DefError(where, f"pb= given twice for {name}")
            if val == "-":
                f.pb = ()
            else:
                m = PB_RE.match(val)
                nums = [int(x) for x in m.groups() if x] if m else []
                if not nums or any(x > PB_MAX for x in nums):
                    raise DefError(where, f"pb must be -, N or M.N with field numbers "
                                          f"1..{PB_MAX}, got {val!r}")
                f.pb = (nums[0], nums[1]) if len(nums) == 2 else (0, nums[0])
        elif key == "keepzero" and not eq:
            if f.texpr[0] != "scalar" or f.texpr[1] not in KEEPZERO_SCALARS:
                raise DefError(where, f"keepzero on {name}, which is not a "
                                      f"{'/'.join(KEEPZERO_SCALARS)} field")
            f.keepzero = True
        elif key == "microtime" and not eq:
            if innermost(f.texpr) != ("scalar", "time"):
                raise DefError(where, f"microtime on {name}, which is not a time field")
            f.microtime = True
        elif key == "nodefaults" and not eq:
            if innermost(f.texpr)[0] != "ref":
                raise DefError(where, f"nodefaults on {name}, which holds no objects")
            f.nodefaults = True
        elif key in IGNORED_ATTRS:
            pass
        else:
            warn(where, f"unknown attribute {tok!r} ignored")
    return f


def parse_file(path, types, warn):
    """Parses one .def file, appending Type objects to types."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    cur = None
    for lineno, raw in enumerate(lines, 1):
        where = f"{path}:{lineno}"
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indented = line[0] in " \t"
        tokens = tokenize(stripped, where)
        if not indented:
            if tokens[0] != "type":
                raise DefError(where, f"expected 'type NAME', got {tokens[0]!r}")
            if len(tokens) < 2:
                raise DefError(where, "type line without a name")
            if not NAME_RE.match(tokens[1]):
                raise DefError(where, f"malformed type name {tokens[1]}")
            full = full_type_name(tokens[1])
            if full is None:
                raise DefError(where, f"cannot resolve type name {tokens[1]}")
            cur = Type(full, where)
            for tok in tokens[2:]:
                key, eq, val = tok.partition("=")
                if key == "gvk" and eq:
                    parts = val.split("/")
                    if len(parts) != 3 or not parts[1] or not parts[2]:
                        raise DefError(where, f"gvk must be GROUP/VERSION/KIND, got {val!r}")
                    cur.gvk = tuple(parts)
                elif tok.startswith('"') and cur.description is None:
                    cur.description = unquote(tok, where)
                else:
                    warn(where, f"unknown type attribute {tok!r} ignored")
            types.append(cur)
            continue
        if cur is None:
            raise DefError(where, "field line outside a type block")
        if len(tokens) == 1 and tokens[0].startswith('"'):
            if cur.description is not None:
                raise DefError(where, f"second description for {cur.name}")
            cur.description = unquote(tokens[0], where)
            continue
        f = parse_field(tokens, where, warn)
        for other in cur.fields:
            if other.name == f.name:
                raise DefError(where, f"field {f.name} defined twice in {cur.name} "
                                      f"(first at {other.where})")
        cur.fields.append(f)


def check_model(types, warn):
    """Cross-type checks: duplicates, references, merge keys, kinds."""
    by_name, by_gvk = {}, {}
    for t in types:
        if t.name in by_name:
            raise DefError(t.where, f"type {t.name} defined twice (first at {by_name[t.name].where})")
        by_name[t.name] = t
        if t.gvk:
            if t.gvk in by_gvk:
                raise DefError(t.where, f"gvk {'/'.join(t.gvk)} given to {t.name} and "
                                        f"{by_gvk[t.gvk].name} ({by_gvk[t.gvk].where})")
            by_gvk[t.gvk] = t
    for t in types:
        for f in t.fields:
            inner = innermost(f.texpr)
            if inner[0] == "ref" and inner[1] not in by_name:
                raise DefError(f.where, f"field {f.name} of {t.name} refers to undefined type {inner[1]}")
            elem_type = None
            if f.texpr[0] == "array" and f.texpr[1][0] == "ref":
                elem_type = by_name[f.texpr[1][1]]
            for key in ([f.merge] if f.merge else []) + (f.keys or []):
                if elem_type and elem_type.fields and not any(x.name == key for x in elem_type.fields):
                    raise DefError(f.where, f"key {key} of {t.name}.{f.name} is not a field of {elem_type.name}")
            if f.merge and f.texpr[0] != "array":
                warn(f.where, f"merge={f.merge} on {f.name}, which is not a list")
            if f.list_type and f.texpr[0] != "array":
                raise DefError(f.where, f"list={f.list_type} on {f.name}, which is not a list")
            if f.keys and f.list_type != "map":
                warn(f.where, f"keys= on {f.name} without list=map")
            if f.map_type and f.texpr[0] == "array":
                raise DefError(f.where, f"map={f.map_type} on {f.name}, which is a list")
        check_pb_numbers(t)
    check_pb_coverage(types, by_name)
    return by_name


def check_pb_numbers(t):
    """Within one message a number names one field, and a number that opens
    an inline message is not also a plain field."""
    seen, outers = {}, set()
    for f in t.fields:
        if not f.pb:
            continue
        if f.pb in seen:
            num = f"{f.pb[0]}.{f.pb[1]}" if f.pb[0] else str(f.pb[1])
            raise DefError(f.where, f"pb={num} of {t.name}.{f.name} is also the number "
                                    f"of {seen[f.pb].name} ({seen[f.pb].where})")
        seen[f.pb] = f
        if f.pb[0]:
            outers.add(f.pb[0])
    for f in t.fields:
        if f.pb and f.pb[0] == 0 and f.pb[1] in outers:
            raise DefError(f.where, f"pb={f.pb[1]} of {t.name}.{f.name} is also used as "
                                    f"an inline message number (pb={f.pb[1]}.N)")


def check_pb_coverage(types, by_name):
    """Every field of every type a kind reaches must carry pb=."""
    reach, todo = {}, [t for t in types if t.gvk]
    for t in todo:
        reach[t.name] = t
    while todo:
        t = todo.pop()
        for f in t.fields:
            inner = innermost(f.texpr)
            if inner[0] == "ref" and inner[1] not in reach:
                reach[inner[1]] = by_name[inner[1]]
                todo.append(by_name[inner[1]])
    for t in types:
        if t.name not in reach:
            continue
        for f in t.fields:
            if f.pb is None:
                raise DefError(f.where, f"field {f.name} of {t.name} has no pb= "
                                        "(its protobuf field number; pb=- if protobuf "
                                        "does not carry it)")


def load_defs(paths, warn=None):
    """Parses and checks the given .def files; returns the types sorted by
    name. Raises DefError on the first error."""
    if warn is None:
        def warn(where, msg):
            print(f"{where}: warning: {msg}", file=sys.stderr)
    types = []
    for p in paths:
        parse_file(p, types, warn)
    check_model(types, warn)
    return sorted(types, key=lambda t: t.name.encode("utf-8"))


# ---- C output --------------------------------------------------------------

def c_str(s):
    if s is None:
        return "NULL"
    out = ['"']
    for b in s.encode("utf-8"):
        ch = chr(b)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= b < 0x7F and ch != "?":  # '?' avoided: trigraphs
            out.append(ch)
        else:
            out.append(f'\\{b:03o}')
    out.append('"')
    return "".join(out)


def tkind(texpr):
    if texpr[0] in CONTAINER_KIND:
        return CONTAINER_KIND[texpr[0]]
    if texpr[0] == "ref":
        return "K1S_T_OBJECT"
    return SCALARS[texpr[1]]


def emit(types, sources):
    index = {t.name: i for i, t in enumerate(types)}
    out = []
    w = out.append
    w("/*")
    w(" * schema_data.c - GENERATED by schema/gen_schema.py from the type")
    w(" * descriptions in schema/defs; do not edit. Immutable tables read by")
    w(" * the schema engine (layout: schema/k1s_schema_internal.h).")
    w(" */")
    w('#include "k1s_schema_internal.h"')
    w("")
    w("/* %d types from %d file(s) */" % (len(types), len(sources)))
    w("")

    fields, ext, by_name, by_pb, keysets = [], [], [], [], []
    type_rows, type_ext_rows = [], []
    for t in types:
        first = len(fields)
        order = sorted(range(len(t.fields)), key=lambda i: t.fields[i].name.encode("utf-8"))
        if len(t.fields) > 65535:
            raise DefError(t.where, "too many fields")
        pb_order = sorted((i for i, f in enumerate(t.fields) if f.pb),
                          key=lambda i: t.fields[i].pb)
        type_ext_rows.append("{%d, %d, %d}" % (len(by_name), len(by_pb), len(pb_order)))
        by_name.extend(order)
        by_pb.extend(pb_order)
        for f in t.fields:
            inner = innermost(f.texpr)
            tref = "&k1s__schema_types[%d]" % index[inner[1]] if inner[0] == "ref" else "NULL"
            elem = "K1S_T_STRING"
            elem2 = "K1S_T_STRING"
            if f.texpr[0] in CONTAINER_KIND:
                elem = tkind(f.texpr[1])
                if f.texpr[1][0] in CONTAINER_KIND:
                    elem2 = tkind(f.texpr[1][1])
            fields.append("    {%s, %s, %s, %s, %s, %s, %s, %s, %s, %s}," % (
                c_str(f.name), tkind(f.texpr), elem, tref, c_str(f.merge),
                c_str(f.strategy), c_str(f.list_type),
                "true" if f.required else "false", c_str(f.default),
                c_str(f.description)))
            keys = "NULL"
            if f.keys:
                keys = "k1s__keys_%d" % len(keysets)
                keysets.append((keys, f.keys))
            outer, num = f.pb if f.pb else (0, 0)
            flags = ((PB_FLAG_KEEPZERO if f.keepzero else 0) |
                     (PB_FLAG_MICROTIME if f.microtime else 0))
            ext.append("    {%s, %s, %s, %d, %d, %d, %s}," % (
                keys, c_str(f.map_type), elem2, num, outer, flags,
                "true" if f.nodefaults else "false"))
        g, v, k = t.gvk if t.gvk else (None, None, None)
        type_rows.append("    {%s, %s, %s, %d, %s, %s, %s}," % (
            c_str(t.name), c_str(t.description),
            "&k1s__schema_fields[%d]" % first if t.fields else "NULL",
            len(t.fields), c_str(g), c_str(v), c_str(k)))

    for name, keys in keysets:
        w("static const char *const %s[] = {%s, NULL};" % (
            name, ", ".join(c_str(k) for k in keys)))
    if keysets:
        w("")

    w("const size_t k1s__schema_nfields = %d;" % len(fields))
    w("const k1s_field k1s__schema_fields[] = {")
    out.extend(fields or ["    {0},"])
    w("};")
    w("const k1s__field_ext k1s__schema_field_ext[] = {")
    out.extend(ext or ["    {0},"])
    w("};")
    w("const unsigned short k1s__schema_by_name[] = {")
    for i in range(0, len(by_name), 16):
        w("    " + ", ".join(str(x) for x in by_name[i:i + 16]) + ",")
    if not by_name:
        w("    0,")
    w("};")
    w("const unsigned short k1s__schema_by_pb[] = {")
    for i in range(0, len(by_pb), 16):
        w("    " + ", ".join(str(x) for x in by_pb[i:i + 16]) + ",")
    if not by_pb:
        w("    0,")
    w("};")
    w("")
    w("const size_t k1s__schema_ntypes = %d;" % len(types))
    w("const k1s_type k1s__schema_types[] = {")
    out.extend(type_rows or ["    {0},"])
    w("};")
    w("const k1s__type_ext k1s__schema_type_ext[] = {")
    w("    " + ", ".join(type_ext_rows or ["{0}"]) + ",")
    w("};")
    w("const k1s_type *const k1s__schema_type_ptrs[] = {")
    for i in range(len(types)):
        w("    &k1s__schema_types[%d]," % i)
    if not types:
        w("    NULL,")
    w("};")
    w("")
    kinds = sorted((i for i, t in enumerate(types) if t.gvk),
                   key=lambda i: tuple(x.encode("utf-8") for x in types[i].gvk))
    w("const size_t k1s__schema_nkinds = %d;" % len(kinds))
    w("const unsigned k1s__schema_kinds[] = {")
    w("    " + ", ".join(str(i) for i in kinds) + ("," if kinds else "0,"))
    w("};")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compile schema/defs/*.def into C tables.")
    ap.add_argument("-o", "--output", required=True, help="C file to write")
    ap.add_argument("defs", nargs="*", help=".def files (none: empty tables)")
    args = ap.parse_args(argv)
    try:
        types = load_defs(sorted(args.defs))
        text = emit(types, args.defs)
    except DefError as e:
        print(e, file=sys.stderr)
        if os.path.exists(args.output):
            os.unlink(args.output)  # never leave stale tables behind a failed run
        return 1
    except OSError as e:
        print(f"gen_schema.py: error: {e}", file=sys.stderr)
        return 1
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
