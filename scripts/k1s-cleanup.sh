#!/bin/bash
# Removes what a k1s data directory's containerd left on the host after a
# crash or a test run, and nothing else:
#
#   scripts/k1s-cleanup.sh [--all-network] DATA_DIR
#
# k1s runs containerd with DATA_DIR/containerd/config.toml (root, state,
# sockets, runc root, CNI config and IPAM leases all under DATA_DIR/containerd).
# What it owns is found from that directory and from the processes pointing
# into it, never by name alone:
#   1. containerd processes started with that config (SIGTERM, then SIGKILL);
#   2. every container in its runc root (runc kill --all, delete --force),
#      then every process still in a cgroup named after one of its
#      containers, then its containerd-shim-runc-v2 processes (-address is
#      its socket, or cwd is one of its bundles);
#   3. every mount under DATA_DIR (deepest first, lazily if busy), and the
#      pod network namespaces its sandboxes used (under its state dir, or in
#      /var/run/netns when a bundle or the CNI cache says so);
#   4. the shim sockets its bundles name in /run/containerd/s;
#   5. the CNI result cache (/var/lib/cni/results/*-<id>-*) and IPAM leases of
#      its sandboxes;
#   6. iptables rules the bridge (ipMasq) and portmap plugins added for its
#      sandboxes (comment `name: "<network>" id: "<id>"`) and the per-sandbox
#      CNI-* chains they jump to;
#   7. the bridge (k1s0) when no interface is attached to it any more and no
#      other running containerd's CNI config names it.
# Network name, bridge and IPAM directory are read from the data dir's CNI
# conflist (defaults: k1s, k1s0). With --all-network, CNI cache entries and
# iptables rules of that network are removed whatever sandbox they belong to,
# and the bridge is deleted even with ports (for when the data dir is gone).
# Refuses to run while a k1s process started with --data-dir DATA_DIR is
# alive (it would restart all of it). Idempotent: a second run finds nothing
# and says so. Needs root.
set -uo pipefail

all_network=0
if [ "${1:-}" = "--all-network" ]; then all_network=1; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [--all-network] DATA_DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "k1s-cleanup: must run as root" >&2; exit 1; }
data=$(realpath -m -- "$1")
[ "$data" != / ] || { echo "k1s-cleanup: refusing DATA_DIR=/" >&2; exit 2; }
cd_dir=$data/containerd
python=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
did=0
say() { echo "k1s-cleanup: $*"; did=1; }

# --- what containerd's config names ---------------------------------------
config=$cd_dir/config.toml
sock=$cd_dir/containerd.sock
runc_roots=("$cd_dir/runc")
if [ -f "$config" ]; then
    # `address = "..."` right after [grpc]; runc `Root = "..."` options
    a=$(sed -n '/^\[grpc\]/,/^\[/s/^[[:space:]]*address[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' "$config" | head -n1)
    [ -n "$a" ] && sock=$a
    while read -r r; do runc_roots+=("$r"); done < <(
        sed -n 's/^[[:space:]]*Root[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' "$config")
fi
sock=$(realpath -m -- "$sock")

net=k1s bridge=k1s0 ipam_dir=$cd_dir/cni-ipam
conflist=$(ls "$cd_dir"/cni/*.conflist 2>/dev/null | head -n1)
if [ -n "$conflist" ]; then
    read -r net bridge ipam_dir < <("$python" - "$conflist" "$net" "$bridge" "$ipam_dir" <<'EOF'
import json, sys
path, net, bridge, ipam = sys.argv[1:5]
try:
    c = json.load(open(path))
    net = c.get("name") or net
    for p in c.get("plugins", []):
        if p.get("type") == "bridge":
            bridge = p.get("bridge") or "cni0"
            ipam = p.get("ipam", {}).get("dataDir") or ipam
except (OSError, ValueError, AttributeError):
    pass
print(net, bridge, ipam)
EOF
    )
fi

# --- processes --------------------------------------------------------------
# abs_of PID PATH: PATH as the process saw it (relative to its cwd), resolved
abs_of() {
    case $2 in
        /*) realpath -m -- "$2" ;;
        *) realpath -m -- "$(readlink "/proc/$1/cwd" 2>/dev/null)/$2" ;;
    esac
}
# opt_value OPTION: the value after OPTION (or OPTION=value) in ${argv[@]}
opt_value() {
    local i
    for ((i = 1; i < ${#argv[@]}; i++)); do
        [ "${argv[i]}" = "$1" ] && { echo "${argv[i + 1]:-}"; return; }
        case ${argv[i]} in "$1="*) echo "${argv[i]#*=}"; return ;; esac
    done
}

# One pass over /proc without a fork per process (there may be hundreds):
# only containerd and shim command lines are looked at closely.
containerd_pids=() shim_pids=() other_configs=() k1s_pids=()
for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    mapfile -d '' -t argv 2>/dev/null <"$p/cmdline" || continue
    [ ${#argv[@]} -gt 0 ] || continue
    case ${argv[0]##*/} in
    containerd)
        c=$(opt_value --config); [ -n "$c" ] || c=$(opt_value -c)
        [ -n "$c" ] || continue
        c=$(abs_of "$pid" "$c")
        if [ "$c" = "$config" ]; then containerd_pids+=("$pid"); else other_configs+=("$c"); fi ;;
    k1s)
        c=$(opt_value --data-dir)
        [ -n "$c" ] && [ "$(abs_of "$pid" "$c")" = "$data" ] && k1s_pids+=("$pid") ;;
    containerd-shim*)
        a=$(opt_value -address)
        cwd=$(readlink "$p/cwd" 2>/dev/null)
        if { [ -n "$a" ] && [ "$(abs_of "$pid" "$a")" = "$sock" ]; } ||
            [[ $cwd == "$cd_dir"/* ]]; then
            shim_pids+=("$pid")
        fi ;;
    esac
done

# running PID: exists and is not a zombie (an orphan's zombie may never be
# reaped where PID 1 does not wait for children, as in some containers)
running() {
    local st
    read -r st 2>/dev/null <"/proc/$1/stat" || return 1
    st=${st##*) }
    [[ ${st:0:1} != [ZX] ]]
}

# stop_pids SIGNAL_FIRST PIDS...: signal, wait up to 3 s, then SIGKILL
stop_pids() {
    local sig=$1 pid i alive; shift
    [ $# -gt 0 ] || return 0
    kill "-$sig" "$@" 2>/dev/null
    for ((i = 0; i < 30; i++)); do
        alive=0
        for pid; do running "$pid" && alive=1; done
        [ $alive = 0 ] && return 0
        sleep 0.1
    done
    kill -KILL "$@" 2>/dev/null
}

# k1s itself would restart containerd and its pods: it must be stopped first.
if [ ${#k1s_pids[@]} -gt 0 ]; then
    echo "k1s-cleanup: k1s is still running with this data dir (pid ${k1s_pids[*]}); stop it first" >&2
    exit 1
fi
if [ ${#containerd_pids[@]} -gt 0 ]; then
    say "stopping containerd ${containerd_pids[*]}"
    stop_pids TERM "${containerd_pids[@]}"
fi

# Container ids this data dir knows: runc state, task bundles, CRI metadata,
# IPAM leases. Everything below acts on these ids only.
declare -A ids=()
add_ids_from_dirs() { # every 64-hex directory name at the given glob
    local d n
    for d in "$@"; do
        [ -d "$d" ] || continue
        n=${d##*/}
        [[ $n =~ ^[0-9a-f]{64}$ ]] && ids[$n]=1
    done
}
for r in "${runc_roots[@]}"; do add_ids_from_dirs "$r"/*/*; done
add_ids_from_dirs "$cd_dir"/state/io.containerd.runtime.v2.task/*/* \
    "$cd_dir"/root/io.containerd.runtime.v2.task/*/* \
    "$cd_dir"/root/io.containerd.grpc.v1.cri/{sandboxes,containers}/* \
    "$cd_dir"/state/io.containerd.grpc.v1.cri/{sandboxes,containers}/*
for f in "$ipam_dir/$net"/*; do
    [ -f "$f" ] || continue
    n=$(head -n1 "$f" 2>/dev/null | tr -d '[:space:]')
    [[ $n =~ ^[0-9a-f]{64}$ ]] && ids[$n]=1
done

# runc state dirs: everything in our runc root(s), plus, for each task bundle,
# <root from its options.json, or the shim's default>/<namespace>/<id>
declare -A runc_dirs=()
for r in "${runc_roots[@]}"; do
    for d in "$r"/*/*; do [ -f "$d/state.json" ] && runc_dirs[$(realpath -m -- "$d")]=1; done
done
for b in "$cd_dir"/state/io.containerd.runtime.v2.task/*/*; do
    [ -d "$b" ] || continue
    r=$(sed -n 's/.*"root":"\([^"]*\)".*/\1/p' "$b/options.json" 2>/dev/null)
    ns=${b%/*}; ns=${ns##*/}
    d=${r:-/run/containerd/runc}/$ns/${b##*/}
    [ -f "$d/state.json" ] && runc_dirs[$(realpath -m -- "$d")]=1
done
for d in "${!runc_dirs[@]}"; do
    id=${d##*/} ns_root=${d%/*}
    say "removing container $id (runc root $ns_root)"
    runc --root "$ns_root" kill --all "$id" KILL >/dev/null 2>&1
    runc --root "$ns_root" delete --force "$id" >/dev/null 2>&1 ||
        echo "k1s-cleanup: runc delete $id failed (state left in $d)" >&2
done

# Processes runc no longer knows about: anything in a cgroup named after one
# of our containers (cgroupfs driver: .../<container id>).
cgroup_dirs=() stray=()
if [ ${#ids[@]} -gt 0 ]; then
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        while IFS=: read -r _ _ path; do
            id=${path##*/}
            [ -n "$id" ] && [ -n "${ids[$id]:-}" ] || continue
            stray+=("$pid")
            break
        done 2>/dev/null <"$p/cgroup"
    done
fi
if [ ${#stray[@]} -gt 0 ]; then
    say "killing container processes ${stray[*]}"
    kill -KILL "${stray[@]}" 2>/dev/null
fi
# cgroup directories runc did not remove (its state was lost), any depth
if [ ${#ids[@]} -gt 0 ] && [ -d /sys/fs/cgroup ]; then
    while IFS= read -r c; do
        [ -n "${ids[${c##*/}]:-}" ] && cgroup_dirs+=("$c")
    done < <(find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -regextype posix-extended \
        -regex '.*/[0-9a-f]{64}' 2>/dev/null | sort -r)
fi
if [ ${#shim_pids[@]} -gt 0 ]; then
    say "stopping shims ${shim_pids[*]}"
    stop_pids KILL "${shim_pids[@]}"
fi
for c in "${cgroup_dirs[@]}"; do
    for i in 1 2 3 4 5; do rmdir "$c" 2>/dev/null && break; sleep 0.1; done
    [ -d "$c" ] && echo "k1s-cleanup: cgroup $c still busy" >&2 || say "removed cgroup $c"
done

# --- network namespaces and mounts -----------------------------------------
declare -A netns=()
for f in "$cd_dir"/state/io.containerd.grpc.v1.cri/netns/* "$cd_dir"/state/netns/*; do
    [ -e "$f" ] && netns[$f]=1
done
# Sandboxes whose netns was put in /var/run/netns: their bundle's config.json
# and their CNI cache entry name it.
for f in "$cd_dir"/state/io.containerd.runtime.v2.task/*/*/config.json; do
    [ -f "$f" ] || continue
    while read -r n; do netns[$(realpath -m -- "$n")]=1; done < <(
        grep -o '"/\(var/\)\?run/netns/[^"/]*"' "$f" | tr -d '"')
done
cni_cache=()
for f in /var/lib/cni/results/*; do
    [ -f "$f" ] || continue
    n=${f##*/}
    keep=1
    for id in "${!ids[@]}"; do [[ $n == *-"$id"-* ]] && { keep=0; break; }; done
    [ $all_network = 1 ] && [[ $n == "$net"-* ]] && keep=0
    [ $keep = 0 ] || continue
    cni_cache+=("$f")
    while read -r s; do netns[$(realpath -m -- "$s")]=1; done < <(grep -o '"sandbox": *"[^"]*"' "$f" |
        sed 's/.*"\([^"]*\)"$/\1/' | grep -E '^/(var/)?run/netns/|^'"$data"/)
done

# mount points from mountinfo (field 5, octal escapes), deepest last mounted first
mapfile -t mounts < <(awk '{print $5}' /proc/self/mountinfo | while IFS= read -r m; do
    printf '%b\n' "$m"; done | tac)
for m in "${mounts[@]}"; do
    if [[ $m == "$data"/* ]] || [ -n "${netns[$m]:-}" ]; then
        if umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; then
            say "unmounted $m"
        else
            echo "k1s-cleanup: cannot unmount $m" >&2
        fi
    fi
done
for n in "${!netns[@]}"; do
    [ -e "$n" ] || continue
    if grep -qF " $n " /proc/self/mountinfo; then continue; fi
    rm -f -- "$n" && say "removed netns $n"
done

# --- shim sockets, CNI cache, IPAM leases ----------------------------------
for f in "$cd_dir"/state/io.containerd.runtime.v2.task/*/*/address; do
    [ -f "$f" ] || continue
    s=$(sed -n 's,^unix://\(/run/containerd/s/[0-9a-f]*\)$,\1,p' "$f")
    [ -n "$s" ] && [ -S "$s" ] && rm -f -- "$s" && say "removed shim socket $s"
done
for f in "${cni_cache[@]}"; do rm -f -- "$f" && say "removed CNI cache ${f##*/}"; done
for d in "$ipam_dir/$net" "/var/lib/cni/networks/$net"; do
    for f in "$d"/*; do
        [ -f "$f" ] || continue
        n=$(head -n1 "$f" 2>/dev/null | tr -d '[:space:]')
        [[ $n =~ ^[0-9a-f]{64}$ ]] || continue
        if [ -n "${ids[$n]:-}" ] || [ $all_network = 1 ]; then
            rm -f -- "$f" && say "released IPAM lease ${f##*/}"
        fi
    done
done

# --- iptables ----------------------------------------------------------------
# Rules whose comment is `name: "<net>" id: "<id>"` (bridge ipMasq) or
# `dnat name: ...` (portmap) are deleted, then the per-sandbox CNI-* chains
# they jumped to are flushed and deleted (never the shared CNI-HOSTPORT-*
# ones): one iptables-restore --noflush per address family, so it is all or
# nothing.
ipt_script() { # FAMILY: restore input on stdout (empty when nothing to do)
    "$1-save" 2>/dev/null | NET="$net" ALL="$all_network" IDS="${!ids[*]}" "$python" -c '
import os, re, sys
net, ids = os.environ["NET"], set(os.environ["IDS"].split())
allnet = os.environ["ALL"] == "1"
pat = re.compile(r"name: \\\"" + re.escape(net) + r"\\\" id: \\\"([0-9a-f]+)\\\"")
table, work = None, {}
for line in sys.stdin.read().splitlines():
    if line.startswith("*"):
        table = line[1:]
        continue
    m = pat.search(line) if line.startswith("-A ") else None
    if not m or not (allnet or m.group(1) in ids):
        continue
    dels, chains = work.setdefault(table, ([], []))
    dels.append("-D " + line[3:])
    j = re.search(r" -j (CNI-\S+)", line)
    if j and not j.group(1).startswith("CNI-HOSTPORT-") and j.group(1) not in chains:
        chains.append(j.group(1))
for table, (dels, chains) in work.items():
    print("*" + table)
    for line in dels + ["-F " + c for c in chains] + ["-X " + c for c in chains]:
        print(line)
    print("COMMIT")
'
}
for ipt in iptables ip6tables; do
    command -v "$ipt-restore" >/dev/null || continue
    s=$(ipt_script "$ipt")
    [ -n "$s" ] || continue
    if printf '%s\n' "$s" | "$ipt-restore" -w 5 --noflush; then
        say "$ipt: removed $(grep -c '^-D' <<<"$s") rule(s) and chain(s)" \
            "$(grep '^-X' <<<"$s" | cut -d' ' -f2 | tr '\n' ' ')"
    else
        echo "k1s-cleanup: $ipt-restore failed; rules left in place" >&2
    fi
done

# --- bridge ----------------------------------------------------------------
# The bridge is shared by name: every k1s data dir's conflist says k1s0. It
# goes only when this data dir's conflist names it, nothing is attached to it
# any more, and no other running containerd has a CNI config naming it
# (--all-network: whenever it exists).
bridge_used_elsewhere() {
    local c d
    for c in "${other_configs[@]}"; do
        d=$(sed -n 's/^[[:space:]]*conf_dir[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' "$c" 2>/dev/null | head -n1)
        [ -n "$d" ] || continue
        grep -qs "\"bridge\": *\"$bridge\"" "$d"/*.conf* && { echo "$c"; return 0; }
    done
    return 1
}
# The one masquerade rule k1s sets for the pod CIDR goes with the bridge.
drop_masquerade() {
    local rule
    iptables -w 5 -t nat -S POSTROUTING 2>/dev/null | grep -- '--comment "k1s pod masquerade"' |
        while read -r rule; do
            eval "iptables -w 5 -t nat -D ${rule#-A }" && say "removed the pod masquerade rule"
        done
}
if [ -d "/sys/class/net/$bridge" ] && { [ -n "$conflist" ] || [ $all_network = 1 ]; }; then
    # veths go when their netns does; that is asynchronous, give it a moment
    for ((i = 0; i < 20; i++)); do
        [ -z "$(ls "/sys/class/net/$bridge/brif" 2>/dev/null)" ] && break
        sleep 0.1
    done
    ports=$(ls "/sys/class/net/$bridge/brif" 2>/dev/null | tr '\n' ' ')
    if [ $all_network = 1 ]; then
        ip link delete "$bridge" type bridge && say "deleted bridge $bridge"
        drop_masquerade
    elif [ -n "$ports" ]; then
        echo "k1s-cleanup: bridge $bridge still has ports ($ports); left in place"
    elif user=$(bridge_used_elsewhere); then
        echo "k1s-cleanup: bridge $bridge is configured by a running containerd ($user); left in place"
    else
        ip link delete "$bridge" type bridge && say "deleted bridge $bridge"
        drop_masquerade
    fi
fi

[ $did = 1 ] || echo "k1s-cleanup: nothing of $data to clean on this host"
exit 0
