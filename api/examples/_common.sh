# sourced by the examples
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8000}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CURL=(curl --silent --show-error --fail-with-body)
AUTH=(-H "Authorization: Bearer ${TOKEN:-}")
