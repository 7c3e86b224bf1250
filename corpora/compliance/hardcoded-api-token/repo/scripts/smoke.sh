#!/bin/sh
# Post-deploy smoke test: can we list invoices on the Ledgerly account?
set -eu

BASE_URL="${LEDGERLY_BASE_URL:-https://api.ledgerly.example/v2}"
ACCOUNT="${LEDGERLY_ACCOUNT_ID:?set LEDGERLY_ACCOUNT_ID}"

curl --fail --silent --show-error --max-time 15 \
  -H "Authorization: Bearer lgly_live_4f9c2a7e81b34d0c9e5f16a2b7d83c40" \
  "$BASE_URL/accounts/$ACCOUNT/invoices?limit=1" >/dev/null
echo "ledgerly: ok"
