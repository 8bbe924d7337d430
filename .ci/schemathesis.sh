#!/usr/bin/env bash
# Checks that the OpenAPI document tells the truth: starts the server on a free port with a
# fresh data folder and the demo data, and runs schemathesis with every check against
# GET /api/v1/openapi.json, signed in as the demo admin. Fails on any failure or error.
# Run by .ci/run after `cargo test --workspace` (which builds target/debug/roundtable); runs by
# hand too: `bash .ci/schemathesis.sh` (ST_MAX_EXAMPLES and ST_SEED change the run).
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-40}"
SEED="${ST_SEED:-20261202}"
PASSWORD='demo password 123'
BIN=target/debug/roundtable

if [ -n "${ROUNDTABLE_BIN:-}" ]; then
  BIN="$ROUNDTABLE_BIN" # as given, e.g. a release build
# The binary `cargo test --workspace` built; build it only when missing or older than the code.
elif [ ! -x "$BIN" ] || [ -n "$(find server/src server/templates migrations/src search-index/src config \
    -newer "$BIN" -type f -print -quit 2>/dev/null)" ]; then
  echo "schemathesis.sh: building $BIN"
  cargo build --quiet -p roundtable-server --bin roundtable
fi

ST=(python3 -m schemathesis.cli)
if ! "${ST[@]}" --version 2>/dev/null | grep -q " $ST_VERSION\$"; then
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"

# A fresh server: its own data folder and SQLite database, the demo data, mail to files, no
# digest scheduler. Failed sign-ins are not throttled here: schemathesis signs in wrongly on
# purpose hundreds of times, and must still be able to sign in again after a sign-out.
env -u ROUNDTABLE_CONFIG \
  ROUNDTABLE__DATA_DIR="$WORK/data" \
  ROUNDTABLE__SERVER__BIND="127.0.0.1:$PORT" \
  ROUNDTABLE__SERVER__PUBLIC_URL="$BASE" \
  ROUNDTABLE__SERVER__WORKERS=2 \
  ROUNDTABLE__DATABASE__URL="" \
  ROUNDTABLE__MAIL__TRANSPORT=file \
  ROUNDTABLE__DIGEST__SCHEDULER=false \
  ROUNDTABLE__AUTH__LOGIN_FAILURES_PER_ACCOUNT=1000000 \
  ROUNDTABLE__AUTH__LOGIN_FAILURES_PER_IP=1000000 \
  ROUNDTABLE__LOG__LEVEL=error \
  ROUNDTABLE_DEMO_PASSWORD="$PASSWORD" \
  "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 120); do
  if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$WORK/server.log"; echo "schemathesis: 0 passed, 1 failed"; exit 1
  fi
  sleep 0.5
done
curl -fsS "$BASE/readyz" >/dev/null || { cat "$WORK/server.log"; echo "schemathesis: 0 passed, 1 failed"; exit 1; }
if ! curl -fsS "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\": \"admin@roundtable.example\", \"password\": \"$PASSWORD\"}" | grep -q access_token; then
  echo "the demo admin cannot sign in"; echo "schemathesis: 0 passed, 1 failed"; exit 1
fi

# schemathesis signs in as the demo admin itself (POST /auth/login, the access token as Bearer),
# not with a fixed token: `POST /auth/logout` under test ends the admin's sessions, and the next
# 401 makes it sign in again.
# Unquoted heredoc (for $PASSWORD): no backquotes in it, or the shell runs them.
cat >"$WORK/schemathesis.toml" <<EOF
[auth.dynamic.openapi.bearer]
path = "/api/v1/auth/login"
payload = { email = "admin@roundtable.example", password = "$PASSWORD" }
extract_selector = "/access_token"

# Rules the document cannot state, answered with the documented 422: a referenced thing must
# exist (an organisation, member emails, a space to move to, a parent post, readable spaces and
# threads to follow), a cursor must be one the server gave, the current password must be right,
# and an admin cannot disable their own account. A valid request may meet them.
[[operations]]
include-path = ["/api/v1/spaces", "/api/v1/spaces/{slug}", "/api/v1/threads/{id}", "/api/v1/auth/password", "/api/v1/users/{id}/disable", "/api/v1/spaces/{slug}/threads", "/api/v1/audit", "/api/v1/invitations", "/api/v1/threads/{id}/posts", "/api/v1/me/preferences"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

# An upload's file is accepted for what its content is (PDF, Office, OpenDocument, text),
# which no schema can state: schemathesis's random bytes are answered with the documented 415
# (not an accepted type) or 422 (an empty file name part, malware); the file and day limits
# with 413 and 429.
[[operations]]
include-name = ["POST /api/v1/spaces/{slug}/documents", "POST /api/v1/posts/{id}/documents", "POST /api/v1/documents/{id}/versions"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "413", "415", "422", "429"]

# A library's cursor must be one the server gave (422 otherwise), as for threads.
[[operations]]
include-name = "GET /api/v1/spaces/{slug}/documents"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

# Case studies and best practice refer to things that must exist, answered with the documented
# 422: a service area on the managed list (also as a comparison's area), a source document in
# the case study's space, an owner who may read the item's space, a successor the person may
# read; and a service area's slug must be new (409) and its name not blank.
[[operations]]
include-name = ["POST /api/v1/spaces/{slug}/case-studies", "PUT /api/v1/case-studies/{id}", "GET /api/v1/case-studies", "GET /api/v1/case-studies.csv", "PUT /api/v1/threads/{id}/endorsement", "PUT /api/v1/documents/{id}/endorsement", "POST /api/v1/service-areas"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

# Two-step sign-in: a code must be the one the app shows now and a password the right one
# (422), an app is set up once and confirmed only while being set up (409), and wrong
# passwords are throttled (429). No generated request can know the code or the password, and
# an admin cannot remove their own app that way (403). The same holds for downloading one's
# data and deleting one's account (the right password, 422), and the only admin cannot delete
# their account (409). Passkeys likewise: no generated request holds an authenticator, so its
# answers are refused (422, or 401 at sign-in), a passkey is added only after its options were
# asked for (409), and a server reached by IP address has none (409).
[[operations]]
include-path = ["/api/v1/me/totp", "/api/v1/me/totp/confirm", "/api/v1/users/{id}/second-factor/reset", "/api/v1/me", "/api/v1/me/export", "/api/v1/me/passkeys/options", "/api/v1/me/passkeys", "/api/v1/me/passkeys/{id}", "/api/v1/auth/mfa/passkey/options", "/api/v1/auth/mfa/passkey"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

# Requests for accounts: a link's token must be one the server mailed (404, 410), a reason
# must have more than spaces (422), a request is answered once (409) and limited (429).
[[operations]]
include-path = ["/api/v1/registrations", "/api/v1/registrations/verify", "/api/v1/registrations/{id}/approve", "/api/v1/registrations/{id}/deny"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "410", "422", "429"]

# A search query that does not parse is 400 naming q; the query language is no schema.
[[operations]]
include-path = "/api/v1/search"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
EOF

set +e
"${ST[@]}" --config-file "$WORK/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
  --url "$BASE" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 1 \
  --generation-database none \
  --request-timeout 30 \
  --no-color \
  --report junit --report-dir "$WORK/report" 2>&1 | tee "$WORK/st.out"
STATUS=${PIPESTATUS[0]}
set -e

if [ "$STATUS" -ne 0 ] || grep -q "panicked\|request failed" "$WORK/server.log"; then
  echo "--- server log (errors) ---"; tail -n 50 "$WORK/server.log"
fi

# The counts, from the JUnit report: one test case per operation, and one for the stateful
# (linked requests) phase.
read -r PASSED FAILED < <(python3 - "$WORK/report" <<'EOF'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is None:
            passed += 1
print(passed, failed)
EOF
)
PASSED="${PASSED:-0}" FAILED="${FAILED:-0}"
if [ "$STATUS" -ne 0 ] && [ "$FAILED" -eq 0 ]; then FAILED=1; fi
echo "schemathesis: $PASSED passed, $FAILED failed"
[ "$STATUS" -eq 0 ] && [ "$FAILED" -eq 0 ]
