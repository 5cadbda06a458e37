// Sends a signed delivery to a Trellis webhook from Node.js (18 or later, no dependencies).
//   URL=https://trellis.example.com/hooks/wh_… SECRET=whsec_… BODY='{"id":1}' node sign-webhook.mjs
import { createHmac, randomUUID } from 'node:crypto';

const { URL: url, SECRET: secret, BODY: body = '{}' } = process.env;
const timestamp = Math.floor(Date.now() / 1000);
// Sign the exact bytes that are sent: "<timestamp>.<raw body>", HMAC-SHA256, hex.
const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
const response = await fetch(url, {
  method: 'POST',
  headers: {
    'Content-Type': 'application/json',
    'X-Trellis-Signature': `t=${timestamp},v1=${signature}`,
    // Reuse the same id when retrying the same event: Trellis starts one run for it.
    'X-Trellis-Delivery': randomUUID(),
  },
  body,
});
console.log(await response.text());
console.log(response.status);
