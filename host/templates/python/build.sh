#!/bin/sh
# Builds {{wasm}} from src/app.py with componentize-py, against the WIT the glue-rules-sdk
# package ships (requirements.txt installs both). Uses $PYTHON, else the `python` on PATH: the
# virtual environment the requirements are installed in, activated or not.
set -eu
cd "$(dirname "$0")"
"${PYTHON:-python}" -m glue_rules_sdk componentize app -p src -o {{wasm}}
