'use strict';

const path = require('path');

const ROOT = path.join(__dirname, '..');

/**
 * Reads authd's settings from the environment.
 *
 * In production the signing key pair is mounted from the secret store
 * (JWT_SIGNING_KEY_FILE / JWT_VERIFY_KEY_FILE / JWT_KEY_ID, RSA-3072, rotated
 * by the platform team). Without those variables authd generates a throwaway
 * pair at start-up (see src/keys.js), which is also what the tests use.
 */
function loadConfig(env = process.env) {
  return {
    port: Number(env.PORT || 8080),
    issuer: env.AUTH_ISSUER || 'https://auth.northwind.internal',
    audience: env.AUTH_AUDIENCE || 'northwind-apis',
    accessTokenTtl: env.ACCESS_TOKEN_TTL || '15m',
    keyId: env.JWT_KEY_ID,
    signingKeyFile: env.JWT_SIGNING_KEY_FILE,
    verifyKeyFile: env.JWT_VERIFY_KEY_FILE,
    clientsFile: env.CLIENTS_FILE || path.join(ROOT, 'config', 'clients.json'),
    // Shared HS256 secret that internal services (the API gateway) use to call
    // /oauth/introspect. Unset on developer machines.
    serviceTokenSecret: env.SERVICE_TOKEN_SECRET,
    serviceTokenIssuer: env.SERVICE_TOKEN_ISSUER || 'northwind-internal',
  };
}

module.exports = { loadConfig };
