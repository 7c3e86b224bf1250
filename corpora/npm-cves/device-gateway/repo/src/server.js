'use strict';

const { createApp } = require('./app');

const secret = process.env.GATEWAY_JWT_SECRET;
if (!secret) {
  console.error('GATEWAY_JWT_SECRET is required');
  process.exit(1);
}

const sink = { push: (event) => process.stdout.write(`${JSON.stringify(event)}\n`) };
const port = Number(process.env.PORT || 8443);
createApp({ secret, sink }).listen(port, () => console.error(`device-gateway listening on :${port}`));
