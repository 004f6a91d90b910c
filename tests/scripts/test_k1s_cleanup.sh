#!/bin/bash
# Test of scripts/k1s-cleanup.sh against a real crash: a containerd laid out
# as k1s lays it out (DATA_DIR/containerd/...) runs a pod sandbox on a CNI
# bridge with a host port, a container in it, and a plain `ctr run` task;
# then containerd is SIGKILLed, leaving shims, containers, mounts, the pod
# netns, veth and bridge, CNI cache, IPAM lease and iptables rules behind.
# The cleanup must remove all of it, and a second run must find nothing.
# A network name, bridge and subnet of its own keep it clear of a real k1s.
# Uses the stand-in nginx image (scripts/build-nginx-image.sh) for the
# container and, repacked with `sleep infinity`, as the sandbox image.
# Exit 0 pass, 1 fail, 77 skip (not root, or containerd/runc/CNI missing).
set -uo pipefail

src=${K1S_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
skip() { echo "SKIP: *** $* ***" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "test_k1s_cleanup needs root"
for b in containerd ctr runc iptables-save curl ip; do
    command -v "$b" >/dev/null || skip "$b not installed"
done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/portmap ] || skip "CNI plugins not in /usr/lib/cni"
python=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)

tmp=$(mktemp -d /tmp/k1s-cleanup-test.XXXXXX)
data=$tmp/data
d=$data/containerd
n=$(($$ % 200 + 20))
net=k1sct$n bridge=k1sct$n-br subnet=10.251.$n.0/24 hostport=$((21000 + $$ % 9000))
image=k8s.gcr.io/nginx-slim:0.8
ctr_pid=
finish() {
    [ -n "$ctr_pid" ] && kill -9 "$ctr_pid" 2>/dev/null
    "$src/scripts/k1s-cleanup.sh" "$data" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap finish EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

"$src/scripts/build-nginx-image.sh" "$tmp/nginx.tar" >/dev/null || { echo "FAIL build image"; exit 1; }
# The sandbox image: the same files with `sleep infinity` as the command
# (containerd runs sandboxes on a read-only rootfs, where nginx cannot start).
"$python" - "$tmp/nginx.tar" "$tmp/pause-rootfs" <<'EOF'
import io, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    blob = lambda d: t.extractfile("blobs/sha256/" + d.split(":")[1]).read()
    idx = json.loads(t.extractfile("index.json").read())
    layer = json.loads(blob(idx["manifests"][0]["digest"]))["layers"][0]["digest"]
    with tarfile.open(fileobj=io.BytesIO(blob(layer)), mode="r:gz") as l:
        l.extractall(sys.argv[2])
EOF
"$python" "$src/scripts/oci_layout.py" --rootfs "$tmp/pause-rootfs" --name k1s.test/pause:1 \
    --out "$tmp/pause.tar" --cmd=sleep --cmd=infinity --env=PATH=/usr/bin >/dev/null || { echo "FAIL pause image"; exit 1; }
mkdir -p "$d"/{root,state,cni,cni-ipam,runc} "$data/pods"
cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
oom_score = 0
[grpc]
address = "$d/containerd.sock"
[ttrpc]
address = "$d/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
sandbox_image = "k1s.test/pause:1"
restrict_oom_score_adj = true
disable_apparmor = true
enable_selinux = false
stream_server_address = "127.0.0.1"
stream_server_port = "0"
netns_mounts_under_state_dir = true
[plugins."io.containerd.grpc.v1.cri".containerd]
snapshotter = "overlayfs"
default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
BinaryName = "$(command -v runc)"
SystemdCgroup = false
Root = "$d/runc"
[plugins."io.containerd.grpc.v1.cri".cni]
bin_dir = "/usr/lib/cni"
conf_dir = "$d/cni"
max_conf_num = 1
EOF
cat >"$d/cni/10-k1s.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "$net", "plugins": [
 {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
  "ipam": {"type": "host-local", "ranges": [[{"subnet": "$subnet"}]],
           "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$d/cni-ipam"}},
 {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF

containerd --config "$d/config.toml" >"$data/containerd.log" 2>&1 &
ctr_pid=$!
ctr_() { ctr -a "$d/containerd.sock" -n k8s.io "$@"; }
for _ in $(seq 50); do ctr_ version >/dev/null 2>&1 && break; sleep 0.1; done
for t in nginx pause; do
    ctr_ images import "$tmp/$t.tar" >/dev/null || { echo "FAIL import"; tail "$data/containerd.log"; exit 1; }
done

export CRI_SOCK=$d/containerd.sock
cri() { "$python" "$src/tests/scripts/cri_tool.py" "$@"; }
pod=$(cri runp cleanup-test-0 "$data/pods/p0" "$hostport") || { echo "FAIL RunPodSandbox"; exit 1; }
cid=$(cri create "$pod" cleanup-test-0 "$data/pods/p0" "$hostport" nginx "$image") &&
    cri start "$cid" || { echo "FAIL create/start container"; exit 1; }
ip=$(cri podip "$pod")
ctr_ run -d --null-io --fifo-dir "$tmp/fifo" "$image" plain-task sleep 1000 >/dev/null || { echo "FAIL ctr run"; exit 1; }
sleep 0.3
check "nginx serves on the pod IP $ip" curl -sf -o /dev/null -m 3 "http://$ip/"
check "host port $hostport reaches nginx" curl -sf -o /dev/null -m 3 "http://127.0.0.1:$hostport/"
check "exec in the container works" test "$(cri exec "$cid" bash -c 'echo im 0')" = "im 0"

# What the crash will leave, recorded to check against afterwards
netns=$(ls "$d/state/io.containerd.grpc.v1.cri/netns/")
shims=$(pgrep -f -- "-address $d/containerd.sock" | tr '\n' ' ')
tasks=$(ctr_ task ls | awk 'NR > 1 {print $2}' | tr '\n' ' ')
check "before: shims running ($shims)" test -n "$shims"
check "before: 3 tasks running ($tasks)" test "$(wc -w <<<"$tasks")" = 3
check "before: mounts under the data dir" grep -q " $data/" /proc/self/mountinfo
check "before: pod netns exists" test -n "$netns"
check "before: bridge $bridge exists" test -d "/sys/class/net/$bridge"
check "before: iptables rules for $net" bash -c "iptables-save | grep -q 'name: \\\\\"$net\\\\\"'"
check "before: CNI cache for the sandbox" bash -c "ls /var/lib/cni/results | grep -q -- '-$pod-'"

kill -9 "$ctr_pid"; wait "$ctr_pid" 2>/dev/null; ctr_pid=
start=$(date +%s%N)
"$src/scripts/k1s-cleanup.sh" "$data" >"$tmp/cleanup.log" 2>&1
rc=$?
echo "     cleanup took $((($(date +%s%N) - start) / 1000000)) ms"
sed 's/^/     | /' "$tmp/cleanup.log"
check "cleanup exits 0" test "$rc" = 0
alive() { # any of the PIDs running (zombies do not count)
    local p st
    for p; do
        read -r st 2>/dev/null <"/proc/$p/stat" || continue
        st=${st##*) }
        [[ ${st:0:1} == [ZX] ]] || return 0
    done
    return 1
}
no_shims() { ! pgrep -f -- "-address $d/containerd.sock" >/dev/null; }
check "after: no shim of this containerd left" no_shims
check "after: sandbox, nginx and ctr task processes gone" eval '! alive $shims $tasks'

check "after: nothing mounted under the data dir" bash -c "! grep -q ' $data/' /proc/self/mountinfo"
check "after: pod netns removed" test -z "$(ls "$d/state/io.containerd.grpc.v1.cri/netns/" 2>/dev/null)"
check "after: runc state removed" \
    test -z "$(ls -A "$d/runc/k8s.io" 2>/dev/null)" -a ! -e /run/containerd/runc/k8s.io/plain-task
check "after: bridge $bridge deleted" test ! -e "/sys/class/net/$bridge"
check "after: no iptables rule for $net" bash -c "! iptables-save | grep -q 'name: \\\\\"$net\\\\\"'"
check "after: no CNI-* chain of the sandbox left" \
    bash -c "! iptables-save -t nat | grep -q -- '-j DNAT --to-destination ${ip}:80'"
check "after: CNI cache entries removed" bash -c "! ls /var/lib/cni/results 2>/dev/null | grep -q -- '-$pod-'"
check "after: IPAM lease released" test ! -e "$d/cni-ipam/$net/$ip"
check "after: no cgroup of the containers left" \
    bash -c "! find /sys/fs/cgroup -maxdepth 4 \\( -name '$cid' -o -name '$pod' \\) | grep -q ."
"$src/scripts/k1s-cleanup.sh" "$data" >"$tmp/again.log" 2>&1
check "second run exits 0 and finds nothing" grep -q "nothing of $data to clean" "$tmp/again.log"

[ "$fail" = 0 ] && echo "PASS test_k1s_cleanup" || echo "FAIL test_k1s_cleanup"
exit "$fail"
