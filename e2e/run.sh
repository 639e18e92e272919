#!/usr/bin/env bash
# Runs the browser tests (admin UI, GraphiQL) against a freshly started folio
# server, with graphql.playground on.
#
#   e2e/run.sh                       # uses target/debug/folio (build it first: cargo build)
#   FOLIO_BIN=target/release/folio e2e/run.sh
#
# Builds nothing. Starts the server on a free port with a temporary data dir,
# waits for /health, reads the one-time setup token from the log, runs
# `node --test` on e2e/, stops the server and exits with the tests' status.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

bin="${FOLIO_BIN:-target/debug/folio}"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [[ ! -x "$bin" ]]; then
  echo "e2e: no folio binary at $bin (build it with 'cargo build', or set FOLIO_BIN)" >&2
  exit 2
fi
if [[ ! -x "$chromium" ]]; then
  echo "e2e: no Chromium at $chromium (Debian: apt-get install chromium; or set CHROMIUM_PATH)" >&2
  exit 2
fi
command -v node >/dev/null || { echo "e2e: node (>= 20) is required" >&2; exit 2; }

if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "e2e: installing playwright-core (no browser download)"
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

work="$(mktemp -d -t folio-e2e.XXXXXX)"
log="$work/folio.log"
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ "${FOLIO_E2E_KEEP:-}" == "1" ]]; then
    echo "e2e: kept $work (server log: $log)"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})')"
url="http://127.0.0.1:$port"

echo "e2e: starting $bin on $url (data dir $work/data)"
FOLIO_DATA_DIR="$work/data" \
FOLIO_SERVER__ADDRESS=127.0.0.1 \
FOLIO_SERVER__PORT="$port" \
FOLIO_LOG__FORMAT=json \
FOLIO_GRAPHQL__PLAYGROUND=true \
  "$bin" serve >"$log" 2>&1 &
server_pid=$!

healthy=""
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "e2e: the server exited early; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url/health" 2>/dev/null; then
    healthy=1
    break
  fi
  sleep 0.2
done
if [[ -z "$healthy" ]]; then
  echo "e2e: $url/health did not answer within 60 s; server log:" >&2
  cat "$log" >&2
  exit 1
fi

# The log line carries the link ".../admin/#/setup?token=<token>" (URL-safe base64 or hex,
# possibly percent-encoded); give the server a moment to write it.
token=""
for _ in $(seq 1 50); do
  token="$(grep -o '/admin/#/setup?token=[A-Za-z0-9_%=-]*' "$log" | head -n 1 | sed 's/.*token=//' || true)"
  [[ -n "$token" ]] && break
  sleep 0.2
done
if [[ -z "$token" ]]; then
  echo "e2e: no setup token in the server log (is this a fresh data dir?); log:" >&2
  cat "$log" >&2
  exit 1
fi
# `--`: a URL-safe base64 token may begin with '-', which node would
# take for an option of its own.
token="$(node -e 'console.log(decodeURIComponent(process.argv[1]))' -- "$token")"

status=0
FOLIO_URL="$url" FOLIO_SETUP_TOKEN="$token" CHROMIUM_PATH="$chromium" \
  node --test --test-concurrency=1 "$here/admin.test.mjs" "$here/graphiql.test.mjs" || status=$?

if [[ $status -ne 0 ]]; then
  echo "e2e: tests failed; last lines of the server log:" >&2
  tail -n 40 "$log" >&2
fi
exit $status
