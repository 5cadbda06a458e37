#!/usr/bin/env bash
# Sends a signed delivery to a Trellis webhook with curl and openssl.
#   URL=https://trellis.example.com/hooks/wh_… SECRET=whsec_… BODY='{"id":1}' bash sign-webhook.sh
set -euo pipefail
TS=$(date +%s)
# Sign the exact bytes that are sent: "<timestamp>.<raw body>", HMAC-SHA256, hex.
SIG=$(printf '%s' "$TS.$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')
curl -sS -X POST "$URL" \
  -H 'Content-Type: application/json' \
  -H "X-Trellis-Signature: t=$TS,v1=$SIG" \
  -H "X-Trellis-Delivery: $(openssl rand -hex 16)" \
  --data-binary "$BODY" \
  -w '\n%{http_code}\n'
