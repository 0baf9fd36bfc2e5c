# sourced by the examples
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8000}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AUTH=(-H "Authorization: Bearer ${TOKEN:-}")

# call CURL-ARGS… URL: curl that prints the response body on success; on an HTTP error it prints the
# status, the method and URL (never the headers: they carry the token) and the problem+json body on
# stderr, and fails (exit 22, like curl --fail-with-body), so `set -e` stops the script there.
call() {
  local body status
  body=$(mktemp)
  if ! status=$(curl --silent --show-error -o "$body" -w '%{http_code}' "$@"); then
    cat "$body" >&2; rm -f "$body"; return 1
  fi
  if [ "$status" -ge 400 ]; then
    printf 'HTTP %s from %s\n' "$status" "${*: -1}" >&2
    cat "$body" >&2; printf '\n' >&2; rm -f "$body"; return 22
  fi
  cat "$body"; rm -f "$body"
}
