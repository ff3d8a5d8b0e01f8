#!/bin/sh
# Builds build/{{name}}.wasm with componentize-py (requirements.txt).
set -eu
cd "$(dirname "$0")"
mkdir -p build
componentize-py -d wit -w rule componentize -p src app -o build/{{name}}.wasm
