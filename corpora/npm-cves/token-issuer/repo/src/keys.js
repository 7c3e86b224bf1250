'use strict';

const crypto = require('crypto');
const fs = require('fs');

const DEV_KEY_ID = 'dev-ephemeral';

/**
 * The signing key pair: the one mounted from the secret store when
 * JWT_SIGNING_KEY_FILE is set, otherwise a throwaway pair generated in memory
 * once per process for development and the tests. The throwaway pair never
 * leaves the process, so its tokens stop verifying when authd restarts.
 */
function loadSigningKeys(config) {
  if (config.signingKeyFile) {
    if (!config.verifyKeyFile || !config.keyId) {
      throw new Error('JWT_SIGNING_KEY_FILE needs JWT_VERIFY_KEY_FILE and JWT_KEY_ID');
    }
    return {
      keyId: config.keyId,
      privateKey: fs.readFileSync(config.signingKeyFile, 'utf8'),
      publicKey: fs.readFileSync(config.verifyKeyFile, 'utf8'),
    };
  }
  return { keyId: config.keyId || DEV_KEY_ID, ...developmentPair() };
}

let devPair;

// One throwaway pair per process. Small keys keep start-up and the test suite
// fast; nothing outside this process ever trusts them.
function developmentPair() {
  if (!devPair) {
    devPair = crypto.generateKeyPairSync('rsa', {
      modulusLength: 1024,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  }
  return devPair;
}

module.exports = { DEV_KEY_ID, loadSigningKeys };
