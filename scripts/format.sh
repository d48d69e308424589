#!/usr/bin/env bash
# Formats the C++ sources git knows about with clang-format 14 and the repo's .clang-format.
#   scripts/format.sh            rewrite files in place
#   scripts/format.sh --check    change nothing; list files that differ and exit 1 if any do
# Reformat in a commit of its own, never together with a behaviour change.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.h' '*.cpp')
((${#files[@]})) || exit 0
if [[ ${1:-} == --check ]]; then
    clang-format-14 --dry-run --Werror "${files[@]}"
else
    clang-format-14 -i "${files[@]}"
fi
