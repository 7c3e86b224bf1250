'use strict';

const crypto = require('crypto');
const jwt = require('jsonwebtoken');

const { loadSigningKeys } = require('./keys');

/**
 * Access tokens are RS256 JWTs signed with the active key pair; resource
 * servers verify them against /.well-known/jwks.json.
 */
function createTokenService(config) {
  const { keyId, privateKey, publicKey } = loadSigningKeys(config);

  function issueAccessToken(clientId, scopes) {
    return jwt.sign({ scope: scopes.join(' ') }, privateKey, {
      algorithm: 'RS256',
      keyid: keyId,
      subject: clientId,
      issuer: config.issuer,
      audience: config.audience,
      expiresIn: config.accessTokenTtl,
    });
  }

  function verifyAccessToken(token) {
    return jwt.verify(token, publicKey, {
      issuer: config.issuer,
      audience: config.audience,
    });
  }

  // Tokens the API gateway presents to call /oauth/introspect.
  function verifyServiceToken(token) {
    return jwt.verify(token, config.serviceTokenSecret, {
      issuer: config.serviceTokenIssuer,
    });
  }

  function jwks() {
    const jwk = crypto.createPublicKey(publicKey).export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: keyId, use: 'sig', alg: 'RS256' }] };
  }

  return { issueAccessToken, verifyAccessToken, verifyServiceToken, jwks };
}

module.exports = { createTokenService };
