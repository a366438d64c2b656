#!/usr/bin/env bash
# Builds the npm package @herald/client in wasm-bindings/react (idempotent):
#   1. herald-wasm for wasm32 (release, size-optimised) and `wasm-bindgen --target web`
#      into wasm-bindings/react/wasm/ (what `wasm-pack build --target web` produces; the
#      wasm-bindgen CLI must equal the Cargo.lock version, see docs/react.md);
#   2. `npm ci` and `tsc` of the React hooks and the testing module into wasm-bindings/react/dist/
#      (JavaScript without comments, declarations with them);
#   3. with --pack, `npm pack` into target/npm/ (prints the tarball path).
#
#   ./scripts/npm-package.sh [--pack]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pkg=wasm-bindings/react
target=${CARGO_TARGET_DIR:-$root/target}

want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
[ "$have" = "$want" ] || { echo "wasm-bindgen CLI $have != Cargo.lock $want: cargo install -f wasm-bindgen-cli --version $want" >&2; exit 1; }

echo "--> herald-wasm (wasm32, release)"
CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=true \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=abort \
  cargo build --locked --target wasm32-unknown-unknown --release -p herald-wasm
rm -rf "$pkg/wasm"
wasm-bindgen --target web --out-dir "$pkg/wasm" "$target/wasm32-unknown-unknown/release/herald_wasm.wasm"

echo "--> React hooks (tsc)"
cd "$pkg"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# Size: npm binaryen's wasm-opt (never Debian's binaryen, which breaks externref tables:
# docs/toolchain.md, "wasm-opt") saves about a fifth of the gzipped wasm.
echo "--> wasm-opt -Oz (npm binaryen)"
./node_modules/.bin/wasm-opt -Oz --enable-reference-types --enable-bulk-memory \
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue \
  wasm/herald_wasm_bg.wasm -o wasm/herald_wasm_bg.wasm
rm -rf dist
# JavaScript without comments (smaller tarball), declarations with their docs (for editors).
npx tsc -p tsconfig.build.json --removeComments --declaration false
npx tsc -p tsconfig.build.json --emitDeclarationOnly

# The size budget (docs/react.md): what a browser app downloads, the wasm and the runtime JS
# (glue + hooks; not the `./testing` entry), gzipped, at most 150 KB.
wasm_gz=$(gzip -9c wasm/herald_wasm_bg.wasm | wc -c)
js_gz=$(find wasm/herald_wasm.js dist -name '*.js' ! -path 'dist/testing*' -print0 | sort -z | xargs -0 cat | gzip -9 | wc -c)
echo "--> size: wasm ${wasm_gz} B + JS ${js_gz} B gzipped = $(( (wasm_gz + js_gz) / 1024 )) KB (budget 150 KB)"
if [ $((wasm_gz + js_gz)) -gt $((150 * 1024)) ]; then
  echo "the package is over its 150 KB gzipped budget (docs/react.md)" >&2
  exit 1
fi

if [ "${1:-}" = "--pack" ]; then
  mkdir -p "$target/npm"
  tarball=$(npm pack --silent --pack-destination "$target/npm")
  echo "$target/npm/$tarball"
fi
