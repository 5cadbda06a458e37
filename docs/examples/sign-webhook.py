# Sends a signed delivery to a Trellis webhook from Python 3 (standard library only).
#   URL=https://trellis.example.com/hooks/wh_… SECRET=whsec_… BODY='{"id":1}' python3 sign-webhook.py
import hashlib
import hmac
import os
import time
import urllib.error
import urllib.request
import uuid

url, secret, body = os.environ["URL"], os.environ["SECRET"], os.environ.get("BODY", "{}").encode()
timestamp = str(int(time.time()))
# Sign the exact bytes that are sent: "<timestamp>.<raw body>", HMAC-SHA256, hex.
signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
request = urllib.request.Request(url, data=body, method="POST", headers={
    "Content-Type": "application/json",
    "X-Trellis-Signature": f"t={timestamp},v1={signature}",
    # Reuse the same id when retrying the same event: Trellis starts one run for it.
    "X-Trellis-Delivery": uuid.uuid4().hex,
})
try:
    with urllib.request.urlopen(request) as response:
        print(response.read().decode())
        print(response.status)
except urllib.error.HTTPError as error:
    print(error.read().decode())
    print(error.code)
