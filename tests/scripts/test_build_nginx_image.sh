#!/bin/bash
# Test of scripts/build-nginx-image.sh: builds the stand-in nginx image twice
# in a temp dir and checks what containerd's import and a pod rely on:
#   - the OCI layout: oci-layout, index.json with both name annotations,
#     every blob's digest and size, the config's diff_id, one gzip layer;
#   - the image config: Cmd nginx -g 'daemon off;', port 80/tcp, PATH;
#   - the layer: nginx, bash, sh, coreutils, tar, libraries, merged-/usr
#     symlinks, users, nginx.conf logging to stdout/stderr, owners and mtimes;
#   - reproducibility: two builds give the same bytes;
#   - as root: the unpacked rootfs really runs (`nginx -t`, bash echo/cat,
#     tar) in a chroot inside a throw-away mount namespace.
# Exit 0 pass, 1 fail, 77 skip (nginx missing and not root to install it).
set -uo pipefail

src=${K1S_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
script=$src/scripts/build-nginx-image.sh
python=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)

if [ ! -x /usr/sbin/nginx ] && [ "$(id -u)" != 0 ]; then
    echo "SKIP: *** nginx is not installed and only root can install it ***" >&2
    exit 77
fi

tmp=$(mktemp -d /tmp/k1s-image-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

name=k8s.gcr.io/nginx-slim:0.8
start=$(date +%s%N)
if ! "$script" "$tmp/a/nginx.tar" >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"
    echo "FAIL build"
    exit 1
fi
ms=$((($(date +%s%N) - start) / 1000000))
echo "ok   build in ${ms} ms: $(tail -n1 "$tmp/build.log")"
check "build under 10 s" test "$ms" -lt 10000
check "output printed its size" grep -q "bytes" "$tmp/build.log"

"$script" "$tmp/b/nginx.tar" >/dev/null 2>&1
check "two builds are byte-identical" cmp -s "$tmp/a/nginx.tar" "$tmp/b/nginx.tar"

"$script" "$tmp/c/other.tar" registry.example:5000/team/web:1.2 >/dev/null 2>&1
check "second argument names the image" \
    "$python" - "$tmp/c/other.tar" registry.example:5000/team/web:1.2 <<'EOF'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    idx = json.load(t.extractfile("index.json"))
ann = idx["manifests"][0]["annotations"]
sys.exit(0 if ann["io.containerd.image.name"] == sys.argv[2]
         and ann["org.opencontainers.image.ref.name"] == sys.argv[2] else 1)
EOF

mkdir -p "$tmp/rootfs"
"$python" - "$tmp/a/nginx.tar" "$name" "$tmp/rootfs" <<'EOF' || fail=1
import gzip, hashlib, io, json, stat, sys, tarfile

path, name, rootfs = sys.argv[1:4]
bad = 0
def check(what, cond):
    global bad
    print(("ok   " if cond else "FAIL ") + what)
    bad |= not cond

outer = tarfile.open(path)
names = outer.getnames()
check("layout has oci-layout and index.json", "oci-layout" in names and "index.json" in names)
def blob(digest):
    algo, hexd = digest.split(":")
    data = outer.extractfile(f"blobs/{algo}/{hexd}").read()
    return data, hashlib.sha256(data).hexdigest() == hexd
check("oci-layout version 1.0.0",
      json.load(outer.extractfile("oci-layout")) == {"imageLayoutVersion": "1.0.0"})

index = json.load(outer.extractfile("index.json"))
check("index has one manifest", len(index["manifests"]) == 1)
desc = index["manifests"][0]
ann = desc.get("annotations", {})
check("io.containerd.image.name annotation", ann.get("io.containerd.image.name") == name)
check("org.opencontainers.image.ref.name annotation",
      ann.get("org.opencontainers.image.ref.name") == name)
check("manifest descriptor has a linux platform", desc.get("platform", {}).get("os") == "linux")

mdata, ok = blob(desc["digest"])
check("manifest digest matches its blob", ok and len(mdata) == desc["size"])
manifest = json.loads(mdata)
check("manifest media type", manifest["mediaType"] == desc["mediaType"]
      == "application/vnd.oci.image.manifest.v1+json")
cdata, ok = blob(manifest["config"]["digest"])
check("config digest and size match", ok and len(cdata) == manifest["config"]["size"])
check("exactly one layer", len(manifest["layers"]) == 1)
ldesc = manifest["layers"][0]
check("layer is a gzip tar", ldesc["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip")
ldata, ok = blob(ldesc["digest"])
check("layer digest and size match", ok and len(ldata) == ldesc["size"])
check("no stray blobs", sorted(n for n in names if n.startswith("blobs/sha256/")) ==
      sorted("blobs/sha256/" + d.split(":")[1] for d in
             (desc["digest"], manifest["config"]["digest"], ldesc["digest"])))

config = json.loads(cdata)
raw = gzip.decompress(ldata)
check("config diff_id is the uncompressed layer's digest",
      config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(raw).hexdigest()])
cc = config["config"]
check("Cmd is nginx -g 'daemon off;'",
      cc.get("Cmd") == ["nginx", "-g", "daemon off;"] and not cc.get("Entrypoint"))
check("exposes 80/tcp", "80/tcp" in cc.get("ExposedPorts", {}))
check("Env sets PATH with /usr/sbin",
      any(e.startswith("PATH=") and "/usr/sbin" in e for e in cc.get("Env", [])))
check("config os/architecture", config["os"] == "linux" and config["architecture"])

layer = tarfile.open(fileobj=io.BytesIO(raw))
members = {m.name: m for m in layer.getmembers()}
def is_file(p):
    m = members.get(p)
    return m is not None and m.isfile() and m.size > 0
for p in ["usr/sbin/nginx", "usr/bin/bash", "usr/bin/dash", "usr/bin/cat", "usr/bin/echo",
          "usr/bin/ls", "usr/bin/mkdir", "usr/bin/rm", "usr/bin/sleep", "usr/bin/tar",
          "etc/nginx/mime.types", "etc/nginx/nginx.conf", "usr/share/nginx/html/index.html",
          "etc/passwd", "etc/group", "etc/nsswitch.conf", "etc/bash.bashrc"]:
    check(f"layer has {p}", is_file(p))
check("executables are executable",
      all(members[p].mode & 0o111 for p in ["usr/sbin/nginx", "usr/bin/bash", "usr/bin/cat"]))
check("libc is in the layer", any(n.endswith("/libc.so.6") and members[n].isfile()
                                   for n in members))
check("dynamic loader is in the layer", any("/ld-linux" in n for n in members))
for link, target in [("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"),
                     ("usr/bin/sh", "dash")]:
    m = members.get(link)
    check(f"{link} -> {target}", m is not None and m.issym() and m.linkname == target)
for d in ["var/lib/nginx", "var/log/nginx", "run", "tmp", "usr/share/nginx/html", "root"]:
    check(f"layer has directory {d}", d in members and members[d].isdir())
check("/tmp is 1777", stat.S_IMODE(members["tmp"].mode) == 0o1777)
check("everything owned by root", all(m.uid == 0 and m.gid == 0 for m in members.values()))
check("every mtime fixed", len({m.mtime for m in members.values()}) == 1)

def text(p):
    return layer.extractfile(members[p]).read().decode()
passwd = text("etc/passwd")
for user in ("root:x:0:0:", "www-data:x:33:33:", "nobody:x:65534:"):
    check(f"passwd has {user.split(':')[0]}", any(l.startswith(user) for l in passwd.splitlines()))
conf = text("etc/nginx/nginx.conf")
check("nginx.conf: user www-data", "user www-data;" in conf)
check("nginx.conf: worker_processes 1", "worker_processes 1;" in conf)
check("nginx.conf: access_log to stdout", "access_log /dev/stdout" in conf)
check("nginx.conf: error_log to stderr", "error_log /dev/stderr" in conf)
check("nginx.conf: no daemon directive (the Cmd passes it)", "daemon" not in conf)
site = text("etc/nginx/conf.d/default.conf")
check("server listens on 80 with the html root",
      "listen 80" in site and "root /usr/share/nginx/html;" in site)
check("bash prompt is user@host:dir", r"\u@\h:\w" in text("etc/bash.bashrc"))

layer.extractall(rootfs, filter="tar") if hasattr(tarfile, "data_filter") else layer.extractall(rootfs)
sys.exit(1 if bad else 0)
EOF

# Run the unpacked rootfs as a container would (root only): a private mount
# namespace gets /dev and /proc, both gone when the namespace's last process
# exits, so nothing is left mounted.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    run_in_rootfs() {
        unshare --mount --propagation private sh -c '
            r=$1; shift
            mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" &&
            exec chroot "$r" "$@"' sh "$tmp/rootfs" "$@"
    }
    check "chroot: nginx -t accepts the config" run_in_rootfs /usr/sbin/nginx -t -q -g 'daemon off;'
    out=$(run_in_rootfs /bin/bash -c 'echo "im 0" > /usr/share/nginx/html/whoami.html &&
        cat /usr/share/nginx/html/whoami.html && echo $(ls /usr/share/nginx/html) &&
        mkdir -p /tmp/x && rm -r /tmp/x && sleep 0 && /bin/sh -c "echo sh-ok"')
    check "chroot: bash echo/cat/ls/mkdir/rm/sleep/sh work" \
        test "$out" = "im 0
index.html whoami.html
sh-ok"
    out=$(run_in_rootfs /bin/tar -cf - -C /usr/share/nginx/html whoami.html | tar -xOf -)
    check "chroot: tar (kubectl cp) works" test "$out" = "im 0"
    out=$(run_in_rootfs /usr/bin/id www-data)
    check "chroot: www-data resolves via /etc/passwd" test "$out" = "uid=33(www-data) gid=33(www-data) groups=33(www-data)"
else
    echo "SKIP chroot run checks: *** need root and unshare ***"
fi

[ "$fail" = 0 ] && echo "PASS test_build_nginx_image" || echo "FAIL test_build_nginx_image"
exit "$fail"
