#!/usr/bin/env bash
# Builds node-llama-cpp's own addon for this machine's CPU, from the llama.cpp source it ships (the
# same git bundle scripts/build-llama.sh builds llama-bench and llama-server from). No network.
#
# Usage: scripts/build-llama-addon.sh            builds unless a local build is already in use
#        scripts/build-llama-addon.sh --check    prints which binding loads; exit 0 if it is a
#                                                local build, 1 if it is the portable prebuilt one
#        scripts/build-llama-addon.sh --force    builds again (e.g. after moving to another CPU)
#
# Why: the prebuilt binaries npm installs (@node-llama-cpp/<platform>) are portable builds — every
# CPU variant, no OpenMP — so one installer runs everywhere. On the benchmark's model that costs
# prompt processing about 40% against llama-bench built natively from the same source, and with
# 2 threads generation runs at half of it (a new thread team per decode). node-llama-cpp prefers a
# local build whenever one exists (`getLlama({ build: 'never' })` included, which is how
# core/models loads it), so after this script `strongroom serve`, the CLI, the tests and the
# benchmark all use it. Numbers: bench/CONTEXT.md.
#
# The build lands in node_modules/node-llama-cpp/llama/localBuilds (and the cloned source in
# node_modules/node-llama-cpp/llama/llama.cpp); `npm ci` removes both. It is native code for this
# CPU: electron-builder.yml keeps it out of installers, which must run on any CPU. Takes ~5 min on
# 2 cores, under `nice`. GIT_ALLOW_PROTOCOL=file lets git clone the bundle and nothing else, so
# node-llama-cpp's fallback to cloning from GitHub cannot reach the network.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ ! -f node_modules/node-llama-cpp/llama/gitRelease.bundle ]]; then
  echo "build-llama-addon: node_modules/node-llama-cpp/llama/gitRelease.bundle not found; run npm install first" >&2
  exit 2
fi

# Which binding getLlama picks, asked for exactly as core/models/local/LocalModelPool.ts does.
binding() { node scripts/llama-binding.mjs; }

mode="${1:-}"
case "$mode" in
  ""|--check|--force) ;;
  *) echo "build-llama-addon: unknown option $mode (use --check or --force)" >&2; exit 2 ;;
esac

current="$(binding)"
if [[ "$mode" == "--check" ]]; then
  echo "$current"
  [[ "$current" == "localBuild" ]] && exit 0 || exit 1
fi
if [[ "$current" == "localBuild" && "$mode" != "--force" ]]; then
  echo "build-llama-addon: a local build is already in use (--force builds it again)" >&2
  echo "$current"
  exit 0
fi

echo "build-llama-addon: building node-llama-cpp's addon for this CPU from the shipped llama.cpp bundle (~5 min)" >&2
GIT_ALLOW_PROTOCOL=file nice -n 10 npx --no node-llama-cpp source download --gpu false --noUsageExample >&2

after="$(binding)"
if [[ "$after" != "localBuild" ]]; then
  echo "build-llama-addon: the build finished but getLlama still loads the $after binding" >&2
  exit 1
fi
echo "$after"
