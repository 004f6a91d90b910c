#!/usr/bin/env bash
# libk1s.so must export exactly the functions libk1s/k1s.h declares
# K1S_EXPORT: nothing of the components inside may leak into an
# embedder's symbol space. Usage: test_exports.sh LIBK1S_SO K1S_H
set -eu
so=$1 header=$2
want=$(grep -v '^#' "$header" | grep -o 'K1S_EXPORT [^(]*(' | sed 's/($//' | awk '{print $NF}' | tr -d '*' | sort)
have=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}' \
       | grep -v -e '^_init$' -e '^_fini$' -e '^_edata$' -e '^_end$' -e '^__bss_start$' | sort)
if [ "$want" != "$have" ]; then
    echo "libk1s.so exports differ from k1s.h's K1S_EXPORT functions:"
    diff <(echo "$want") <(echo "$have") || true
    exit 1
fi
[ -n "$want" ] || { echo "no K1S_EXPORT functions found in $header"; exit 1; }
echo "libk1s.so exports $(echo "$want" | wc -l) symbols, as k1s.h declares"
