#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` (a real OpenAI-compatible server for the remote provider's
# tests) and `llama-bench` (the reference speed for bench/models.bench.ts) from the exact llama.cpp
# source node-llama-cpp was built from: the git bundle it ships. No network is needed.
#
# Usage: scripts/build-llama.sh            prints the bin directory (the only line on stdout)
#        scripts/build-llama.sh --check    prints it and exits 0 if cached, exits 1 otherwise
#
# The build is cached outside the repository in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/strongroom-llama/<sha256 of the bundle>/bin/
# so a re-run is instant and a new node-llama-cpp version gets its own build. Concurrent runs
# wait on a lock instead of building twice. Progress goes to stderr; stdout is just the path.
# STRONGROOM_LLAMA_JOBS overrides the parallelism (default 2); the build runs under `nice`
# because the machines have 2 shared cores. CPU only, Release, -DLLAMA_CURL=OFF, native ISA
# (the cache is per machine, like the addon's own CPU-variant choice).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="${STRONGROOM_LLAMA_BUNDLE:-$root/node_modules/node-llama-cpp/llama/gitRelease.bundle}"
patches_dir="$(dirname "$bundle")/patches"
jobs="${STRONGROOM_LLAMA_JOBS:-2}"

if [[ ! -f "$bundle" ]]; then
  echo "build-llama: $bundle not found; run npm install first" >&2
  exit 2
fi

hash="$(sha256sum "$bundle" | cut -d' ' -f1)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/strongroom-llama"
dir="$cache_root/$hash"
bin="$dir/bin"

is_complete() { [[ -f "$dir/complete" && -x "$bin/llama-server" && -x "$bin/llama-bench" ]]; }

if is_complete; then
  echo "$bin"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "build-llama: no cached build in $dir" >&2
  exit 1
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/$hash.lock"
flock 9
# Another run may have finished the build while this one waited for the lock.
if is_complete; then
  echo "$bin"
  exit 0
fi

work="$dir/work"
rm -rf "$dir"
mkdir -p "$work"
echo "build-llama: building llama-server and llama-bench from $(basename "$bundle") ($hash) in $dir" >&2

git clone --quiet "$bundle" "$work/src" >&2
# node-llama-cpp applies its shipped patches before building the addon; do the same so both
# binaries come from the same source. A patch that no longer applies is skipped, as it does.
if [[ -d "$patches_dir" ]]; then
  for patch in "$patches_dir"/*.diff; do
    [[ -e "$patch" ]] || continue
    if git -C "$work/src" apply --check "$patch" 2>/dev/null; then
      git -C "$work/src" apply "$patch"
      echo "build-llama: applied $(basename "$patch")" >&2
    else
      echo "build-llama: skipped $(basename "$patch") (already applied or not applicable)" >&2
    fi
  done
fi

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

nice -n 10 cmake -S "$work/src" -B "$work/build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DLLAMA_CURL=OFF \
  -DBUILD_SHARED_LIBS=OFF \
  -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON \
  >&2
nice -n 10 cmake --build "$work/build" --config Release -j "$jobs" --target llama-server llama-bench >&2

mkdir -p "$bin"
cp "$work/build/bin/llama-server" "$work/build/bin/llama-bench" "$bin/"
git -C "$work/src" rev-parse HEAD >"$dir/commit"
rm -rf "$work"
touch "$dir/complete"
echo "$bin"
