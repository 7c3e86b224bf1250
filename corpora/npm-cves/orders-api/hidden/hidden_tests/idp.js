'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const AUDIENCE = 'https://orders.api.example';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A tenant identity provider: a key pair (hidden_tests/fixtures/idp-<name>.key.pem,
 * test-only keys) plus the trusted-keys entry for it.
 */
function identityProvider(kid, tenant, issuer, name = tenant) {
  const privateKey = crypto.createPrivateKey(fs.readFileSync(path.join(__dirname, 'fixtures', `idp-${name}.key.pem`)));
  const publicKey = crypto.createPublicKey(privateKey);
  return {
    kid,
    tenant,
    issuer,
    privateKey,
    entry: { kid, tenant, issuer, publicKey: publicKey.export({ type: 'spki', format: 'pem' }) },
  };
}

/** An RS256 token as the IdP issues it (claims override the defaults). */
function issue(idp, claims = {}, header = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: idp.issuer,
    sub: `user-${idp.tenant}`,
    aud: AUDIENCE,
    tenant: idp.tenant,
    scope: 'orders:read orders:write',
    iat: now,
    exp: now + 300,
    ...claims,
  };
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: idp.kid, ...header })}.${b64(payload)}`;
  const signature = crypto.sign('sha256', Buffer.from(input), idp.privateKey).toString('base64url');
  return `${input}.${signature}`;
}

async function listen(app) {
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

module.exports = { AUDIENCE, identityProvider, issue, listen };
