#!/usr/bin/env bash
# Installs the real Schema Registry clients the end-to-end tests drive (idempotent):
#   $HERALD_CLIENTS_DIR/venv  Python venv with confluent-kafka 2.16.0 and what its schema-registry serdes need
#   $HERALD_CLIENTS_DIR/node  npm project with @confluentinc/schemaregistry
# HERALD_CLIENTS_DIR defaults to <repo>/.herald-ci.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${HERALD_CLIENTS_DIR:-$repo/.herald-ci}"
mkdir -p "$dir"

if [ ! -x "$dir/venv/bin/python" ]; then
    python3 -m venv "$dir/venv"
fi
"$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "confluent-kafka==2.16.0" fastavro requests httpx attrs cachetools authlib protobuf googleapis-common-protos
"$dir/venv/bin/python" -c "import confluent_kafka.schema_registry, fastavro, httpx; print('python clients ok', confluent_kafka.version())"

mkdir -p "$dir/node"
if [ ! -f "$dir/node/package.json" ]; then
    (cd "$dir/node" && npm init -y >/dev/null)
fi
if [ ! -d "$dir/node/node_modules/@confluentinc/schemaregistry" ]; then
    (cd "$dir/node" && npm install --no-audit --no-fund --loglevel=error "@confluentinc/schemaregistry@1.10.1")
fi
(cd "$dir/node" && node -e "require('@confluentinc/schemaregistry'); console.log('node client ok')")
