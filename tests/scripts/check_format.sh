#!/usr/bin/env bash
# Every C file is as clang-format (Debian 12's, v14) writes it with the
# project's .clang-format; data laid out by hand sits between
# "clang-format off/on" comments. Usage: check_format.sh SOURCE_DIR
set -u
cd "$1" || exit 2
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    files=$(git ls-files '*.c' '*.h')
else
    files=$(find . -path ./build\* -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $files 2>/tmp/k1s-format.$$; then
    grep -o '^[^:]*:[0-9]*' /tmp/k1s-format.$$ | sort -u | head -40
    echo "not formatted: run clang-format -i on the files above"
    rm -f /tmp/k1s-format.$$
    exit 1
fi
rm -f /tmp/k1s-format.$$
echo "format: $(echo "$files" | wc -w) files as clang-format writes them"
