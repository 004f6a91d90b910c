#!/bin/sh
# Installs the Debian packages k1s needs to build and test, only those
# missing, so a second run is quick and offline-safe.
set -e
pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev clang-format python3 libmicrohttpd-dev libsqlite3-dev
libjansson-dev libcurl4-openssl-dev libgnutls28-dev zlib1g-dev libyaml-dev libprotobuf-c-dev
protobuf-c-compiler python3-kubernetes ruby-kubeclient curl patroni postgresql
containerd runc containernetworking-plugins iptables iproute2"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# the client-node test needs node and npm; a machine may have them from
# elsewhere (NodeSource's nodejs ships npm and conflicts with Debian's)
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "k1s: need root to install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
