'use strict';

const jwt = require('jsonwebtoken');

const SECRET = 'registration-service-secret-for-tests';
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

function deviceToken(claims = {}, options = {}) {
  return jwt.sign({ sub: 'nw-000123', ...claims }, SECRET, { audience: 'device-gateway', expiresIn: '10m', ...options });
}

/** What Acme firmware 2.x sends: an unsigned JWT. */
function acmeToken(claims = {}) {
  const payload = { iss: 'acme-devices', sub: 'ACM-7F3A-0042', fleet: 'eu-west-2', iat: Math.floor(Date.now() / 1000), ...claims };
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

async function start(createApp) {
  const sink = [];
  const server = createApp({ secret: SECRET, sink });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const post = (path, token, body = { readings: [{ metric: 'temp_c', value: 21.5 }] }) => fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { server, sink, post };
}

module.exports = { SECRET, acmeToken, deviceToken, start };
