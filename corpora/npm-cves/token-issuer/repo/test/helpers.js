'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { loadConfig } = require('../src/config');

/** The development configuration, with overrides. */
function devConfig(overrides = {}) {
  return { ...loadConfig({}), ...overrides };
}

let mounted;

/** A key pair written to files, as the secret store mounts it (made once per run). */
function mountedKeys() {
  if (!mounted) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authd-test-keys-'));
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    mounted = {
      keyId: 'test-mounted',
      signingKeyFile: path.join(dir, 'signing.pem'),
      verifyKeyFile: path.join(dir, 'signing.pub.pem'),
    };
    fs.writeFileSync(mounted.signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fs.writeFileSync(mounted.verifyKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  return mounted;
}

module.exports = { devConfig, mountedKeys };
