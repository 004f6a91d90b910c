#!/bin/bash
# Builds a stand-in for the image k8s.gcr.io/nginx-slim:0.8 without any
# container registry: a one-layer OCI image-layout tar whose root filesystem
# is copied from this host's Debian nginx package, bash, dash and a few
# coreutils, with the shared libraries `ldd` names for them.
#
#   scripts/build-nginx-image.sh OUT.tar [IMAGE_NAME]
#
# The container behaves as the scenario needs: `nginx -g 'daemon off;'` serves
# /usr/share/nginx/html on port 80 as www-data, the access log goes to stdout
# (so `kubectl logs` shows it), and `kubectl exec -it POD -- bash` gives a
# `root@POD:/#` prompt where echo, cat, ls, mkdir, rm and tar (for kubectl cp)
# work. Import it with `ctr -n k8s.io images import OUT.tar` or drop it in
# k1s's image directory. See docs/internals/images.md.
set -euo pipefail

usage() { echo "usage: $0 OUT.tar [IMAGE_NAME]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
out=$1
name=${2:-k8s.gcr.io/nginx-slim:0.8}
here=$(cd "$(dirname "$0")" && pwd)
# The system python: a pyenv shim in front of it costs a second per start.
python=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}
start_ns=$(date +%s%N)
umask 022

die() { echo "build-nginx-image: $*" >&2; exit 1; }

# nginx from Debian: install it only when missing (needs root and a reachable
# Debian mirror; nginx-light is the smaller build, nginx the bookworm default).
nginx_bin=/usr/sbin/nginx
if [ ! -x "$nginx_bin" ]; then
    [ "$(id -u)" = 0 ] || die "nginx is not installed and installing it needs root"
    echo "build-nginx-image: installing Debian's nginx" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends nginx-light >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx-light; } ||
        apt-get install -y -qq --no-install-recommends nginx ||
        die "cannot install nginx"
fi
[ -f /etc/nginx/mime.types ] || die "/etc/nginx/mime.types missing (package nginx-common)"
command -v ldd >/dev/null || die "ldd not found"
command -v "$python" >/dev/null || die "$python not found"

rootfs=$(mktemp -d /tmp/k1s-image-build.XXXXXX)
trap 'rm -rf "$rootfs" "$rootfs.libs"' EXIT

# Host files are gathered in one list and copied by a single tar pipe:
# forks are slow here, so no per-file cp/mkdir is spawned.
declare -A seen=()
files=()
# add_file HOST_PATH: queue a file (its content: symlinks are followed)
add_file() {
    [ -n "${seen[$1]:-}" ] && return 0
    seen[$1]=1
    files+=("${1#/}")
}

# find_prog NAME: sets $prog to the program's path (not a shell builtin)
find_prog() {
    local d
    prog=
    for d in /usr/sbin /usr/bin /sbin /bin; do
        [ -x "$d/$1" ] && { prog=$d/$1; return 0; }
    done
    return 1
}

# Programs: required ones fail the build when absent, optional ones are
# skipped. tar is what `kubectl cp` runs inside the container.
required="bash dash cat echo ls mkdir rm sleep"
optional="tar cp mv ln touch chmod chown rmdir pwd env id whoami head tail wc
uname date true false test grep sed hostname sort uniq stat readlink dirname basename"
programs=("$nginx_bin")
for p in $required $optional; do
    if find_prog "$p"; then
        programs+=("$prog")
    else
        case " $required " in *" $p "*) die "$p not found on this host" ;; esac
    fi
done
for p in "${programs[@]}"; do add_file "$p"; done
# Shared libraries, as `ldd` lists them: "libc.so.6 => /lib/.../libc.so.6 (0x..)"
# or "/lib64/ld-linux-x86-64.so.2 (0x..)" for the loader. ldd is a script
# costing ~100 ms a program here, so it runs once to name the loader, which
# then traces the other programs itself (what ldd does underneath).
libs_of() {
    sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'
}
ldd "$nginx_bin" | libs_of >"$rootfs.libs"
loader=$(grep -m1 '/ld-' "$rootfs.libs" || true)
[ -x "$loader" ] || die "cannot find the dynamic loader in: ldd $nginx_bin"
for p in "${programs[@]:1}"; do
    LD_TRACE_LOADED_OBJECTS=1 "$loader" "$p" 2>/dev/null || true
done | libs_of >>"$rootfs.libs"
while read -r lib; do
    add_file "$lib"
done <"$rootfs.libs"
# glibc 2.34+ has the files NSS backend built in; older ones load this.
for f in /lib/*-linux-gnu/libnss_files.so.2; do [ -e "$f" ] && add_file "$f"; done
# Terminal descriptions bash/readline look up for an `exec -it` TTY
# (containerd sets TERM=xterm for TTY execs).
for t in x/xterm x/xterm-256color x/xterm-color v/vt100 l/linux d/dumb s/screen; do
    for d in /lib/terminfo /usr/share/terminfo; do
        [ -f "$d/$t" ] && { add_file "$d/$t"; break; }
    done
done
add_file /etc/nginx/mime.types

# Debian merges /usr: /bin, /sbin, /lib and /lib64 are symlinks into /usr.
# Every host path is stored under its /usr name (the transform) and the image
# gets the same four symlinks, so both spellings and ELF interpreter paths
# resolve. -h copies what symlinks point to.
tar -C / -chf - --transform 's,^\(bin\|sbin\|lib\|lib64\)/,usr/\1/,' "${files[@]}" |
    tar -C "$rootfs" -xpf -
ln -s dash "$rootfs/usr/bin/sh"

ln -s usr/bin "$rootfs/bin"
ln -s usr/sbin "$rootfs/sbin"
ln -s usr/lib "$rootfs/lib"
[ -d "$rootfs/usr/lib64" ] && ln -s usr/lib64 "$rootfs/lib64"
mkdir -p "$rootfs"/{dev,proc,sys,root,run,tmp,var/tmp,var/lib/nginx,var/log/nginx,var/cache/nginx}
mkdir -p "$rootfs"/{etc/nginx/conf.d,usr/share/nginx/html,usr/local/bin}
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 700 "$rootfs/root"
# Like the upstream nginx images: anything configured to log to the usual
# files still ends up in the container log.
ln -s /dev/stdout "$rootfs/var/log/nginx/access.log"
ln -s /dev/stderr "$rootfs/var/log/nginx/error.log"

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
www-data:x:33:
nogroup:x:65534:
EOF
cat >"$rootfs/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
shadow: files
hosts: files dns
EOF
# Debian's bash reads /etc/bash.bashrc in interactive shells: this gives the
# scenario's `root@nginx-statefulset-0:/#` prompt.
cat >"$rootfs/etc/bash.bashrc" <<'EOF'
[ -z "$PS1" ] && return
PS1='\u@\h:\w\$ '
EOF
echo "k1s-nginx" >"$rootfs/etc/hostname"
: >"$rootfs/etc/hosts"
: >"$rootfs/etc/resolv.conf"

# No `daemon` directive here: the image's command passes `-g 'daemon off;'`
# as the upstream image does, and nginx rejects it when given twice.
cat >"$rootfs/etc/nginx/nginx.conf" <<'EOF'
user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /dev/stderr notice;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
EOF
cat >"$rootfs/etc/nginx/conf.d/default.conf" <<'EOF'
server {
    listen 80 default_server;
    server_name _;
    root /usr/share/nginx/html;
    index index.html;
    location / {
        try_files $uri $uri/ =404;
    }
}
EOF
cat >"$rootfs/usr/share/nginx/html/index.html" <<'EOF'
<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>k1s stand-in for k8s.gcr.io/nginx-slim, built from Debian's nginx package.</p>
</body>
</html>
EOF

# Whichever Debian package ships the binary (bookworm: nginx; older: nginx-core
# or -light); `dpkg -S` would find it but scans every file list (~0.5 s).
nginx_version=$(dpkg-query -W -f='${Status} ${Version}\n' nginx-light nginx-core \
    nginx-full nginx-extras nginx 2>/dev/null | sed -n 's/^install ok installed //p' | head -n1 || true)
nginx_version=${nginx_version:-unknown}
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
mkdir -p "$(dirname "$out")"
"$python" "$here/oci_layout.py" --rootfs "$rootfs" --name "$name" --out "$out" \
    --arch "$arch" \
    --cmd=nginx --cmd=-g '--cmd=daemon off;' \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --port 80/tcp \
    --label "io.k1s.stand-in=true" \
    --label "io.k1s.debian-nginx-version=$nginx_version" \
    --created-by "scripts/build-nginx-image.sh: Debian nginx $nginx_version"

elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "wrote $out: $(stat -c %s "$out") bytes in ${elapsed_ms} ms"
