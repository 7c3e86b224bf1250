'use strict';

const fs = require('fs');
const path = require('path');

const DEFAULT_FILE = path.join(__dirname, '..', 'config', 'trusted-keys.json');

/**
 * The identity providers we trust: one entry per signing key, with the tenant
 * it may sign for and that tenant's issuer. Onboarding a tenant adds its IdP's
 * public key here (see README).
 */
function loadTrustedKeys(file = process.env.TRUSTED_KEYS_FILE || DEFAULT_FILE) {
  const { keys } = JSON.parse(fs.readFileSync(file, 'utf8'));
  return keys;
}

/**
 * express-jwt `secret` callback: picks the verification key by the token's
 * `kid`, like jwks-rsa does, and only for the tenant and issuer that key
 * belongs to. For anything else it hands back no key, and verification fails.
 */
function createKeyResolver(keys) {
  const byKid = new Map(keys.map((k) => [k.kid, k]));
  return function resolveKey(req, header, payload, done) {
    const key = header && byKid.get(header.kid);
    if (!key || !payload || payload.tenant !== key.tenant || payload.iss !== key.issuer) {
      return done(null, null);
    }
    return done(null, key.publicKey);
  };
}

module.exports = { createKeyResolver, loadTrustedKeys };
