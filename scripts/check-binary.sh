#!/usr/bin/env bash
# Builds the single binary, runs it from an empty directory with no environment but PORT, and checks
# that it serves /health and the offline API docs, then stops cleanly on SIGTERM.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

command -v curl >/dev/null || { echo "check-binary: curl is required" >&2; exit 1; }

bun run build
binary="$root/dist/healthvision"
[[ -x "$binary" ]] || { echo "check-binary: $binary was not built" >&2; exit 1; }

workdir="$(mktemp -d)"
log="$workdir.log"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$workdir" "$workdir.body" "$log"
}
trap cleanup EXIT

fail() {
  echo "check-binary: $*" >&2
  echo "--- binary log ---" >&2
  cat "$log" >&2 || true
  exit 1
}

port="$(bun -e 'const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() }); console.log(s.port); s.stop(true);')"
base="http://127.0.0.1:$port"

(cd "$workdir" && exec env -i "PORT=$port" "$binary") >"$log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || fail "the binary exited before serving /health"
  curl -fs -o /dev/null "$base/health" && break
  sleep 0.2
done

# Sets status and type for a GET of $1; the body lands in $workdir.body.
get() {
  local answer
  answer="$(curl -s -o "$workdir.body" -w '%{http_code} %{content_type}' "$base$1")"
  status="${answer%% *}"
  type="${answer#* }"
}

get /health
[[ "$status" == 200 ]] || fail "/health answered $status"
grep -q '"status":"ok"' "$workdir.body" || fail "/health body: $(cat "$workdir.body")"

get /api-docs
[[ "$status" == 200 ]] || fail "/api-docs answered $status"
[[ "$type" == text/html* ]] || fail "/api-docs content type is $type"
grep -q '/api-docs/assets/scalar.js' "$workdir.body" || fail "/api-docs does not reference the local Scalar bundle"
grep -qE 'https?://cdn\.' "$workdir.body" && fail "/api-docs references a CDN"

get /api-docs/
[[ "$status" == 200 ]] || fail "/api-docs/ answered $status"
grep -q '"url":"/api-docs/json"' "$workdir.body" || fail "/api-docs/ does not load the document by its absolute path"

get /api-docs/assets/scalar.js
[[ "$status" == 200 ]] || fail "/api-docs/assets/scalar.js answered $status"
[[ "$(wc -c <"$workdir.body")" -gt 100000 ]] || fail "the Scalar bundle served by the binary is truncated"

get /api-docs/json
[[ "$status" == 200 ]] || fail "/api-docs/json answered $status"
[[ "$type" == application/json* ]] || fail "/api-docs/json content type is $type"
grep -q '"openapi":"3.1' "$workdir.body" || fail "/api-docs/json is not an OpenAPI 3.1 document"
grep -q '"/health"' "$workdir.body" || fail "/api-docs/json does not list /health"

[[ -f "$workdir/data/healthvision.sqlite" ]] || fail "the embedded SQLite store was not created under ./data"

kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
[[ "$code" == 0 ]] || fail "the binary exited with $code after SIGTERM"
grep -q '"msg":"stopped"' "$log" || fail "no 'stopped' log line after SIGTERM"

echo "check-binary: ok ($(du -h "$binary" | cut -f1) binary; /health, /api-docs, /api-docs/, /api-docs/json served; clean exit on SIGTERM)"
