# Shared by scripts/preview and scripts/up (sourced, not run). Never turn on `set -x` here or there: the
# engine's environment holds PULUMI_CONFIG_PASSPHRASE or PULUMI_ACCESS_TOKEN.

# The policy pack every preview and up enforces, locally and in CI alike.
# Absolute, so that it holds when engine flags such as --cwd move the engine elsewhere.
POLICY_PACK="$PWD/policy/analyzer"
# Which stacks are not production (every other stack gets the production rules): docs/policy-pack.md.
POLICY_PACK_CONFIG="$PWD/policy/config.json"

usage_stack() {
  echo "usage: $1" >&2
  exit 2
}

# Compiles when dist/ is missing or older than any TypeScript source, so a fresh clone and an edited checkout
# both run what they contain, and an unchanged one skips the compiler.
build_if_needed() {
  local marker=dist/summary/summary.js
  if [[ ! -f $marker ]] || [[ -n $(find . \( -path ./node_modules -o -path ./dist -o -path ./.git \) -prune \
      -o \( -name '*.ts' -o -name tsconfig.json -o -name package-lock.json \) -newer "$marker" -print -quit) ]]; then
    echo "building (npm run build)" >&2
    npm run build --silent >&2
  fi
}

# A stock Pulumi CLI runs the TypeScript program through its Node.js language host. Without that host (a CLI
# built from the Go module proxy, as on the project's own machines) engine/pulumi.ts hosts the program and
# drives the same CLI with the same flags. Sets ENGINE (the command) and STOCK_CLI (1 or 0).
choose_engine() {
  if command -v pulumi >/dev/null 2>&1 && command -v pulumi-language-nodejs >/dev/null 2>&1; then
    ENGINE=(pulumi)
    STOCK_CLI=1
  else
    ENGINE=(node dist/engine/pulumi.js)
    STOCK_CLI=0
  fi
  echo "engine: ${ENGINE[*]}" >&2
}
