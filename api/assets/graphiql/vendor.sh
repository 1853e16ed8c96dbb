#!/usr/bin/env bash
# Copies the pinned production builds GraphiQL needs from node_modules into dist/ (committed:
# the server embeds them, so GraphiQL works with no network). With --check, copies nothing and
# fails if dist/ differs from what package-lock.json's versions hold. Run `npm ci` here first.
set -euo pipefail
cd "$(dirname "$0")"
files=(
  "graphiql/graphiql.min.js graphiql.min.js"
  "graphiql/graphiql.min.css graphiql.min.css"
  "graphiql/LICENSE LICENSE.graphiql"
  "react/umd/react.production.min.js react.production.min.js"
  "react/LICENSE LICENSE.react"
  "react-dom/umd/react-dom.production.min.js react-dom.production.min.js"
  "graphql-ws/umd/graphql-ws.min.js graphql-ws.min.js"
  "graphql-ws/LICENSE.md LICENSE.graphql-ws"
)
status=0
mkdir -p dist
for pair in "${files[@]}"; do
  read -r from to <<<"$pair"
  if [[ "${1:-}" == "--check" ]]; then
    if ! cmp -s "node_modules/$from" "dist/$to"; then
      echo "dist/$to differs from node_modules/$from: run api/assets/graphiql/vendor.sh" >&2
      status=1
    fi
  else
    cp "node_modules/$from" "dist/$to"
  fi
done
exit $status
