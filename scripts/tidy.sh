#!/usr/bin/env bash
# Runs clang-tidy 14 with the repo's .clang-tidy over every source in the build's
# compile_commands.json (written by cmake; scripts/setup makes <repo>/build).
#   scripts/tidy.sh [regex]      only files whose path matches regex, e.g. engine/runtime
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${GLASSBOX_BUILD_DIR:-$repo/build}
if [[ ! -f $build/compile_commands.json ]]; then
    echo "tidy: $build/compile_commands.json is missing; run scripts/setup first" >&2
    exit 1
fi
exec nice run-clang-tidy-14 -quiet -j2 -p "$build" "${1:-$repo/(engine|visualizer|python|tests)/}"
