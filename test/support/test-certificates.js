'use strict';
// A throw-away certificate authority for TLS tests, made with the openssl command line:
// a CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA,
// plus a second, unrelated CA to prove that an untrusted server is refused.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/**
 * node-opcua-pki sets OPENSSL_CONF (and RANDFILE) in this process when it makes certificates, to the text
 * "undefined" when it has no config; the openssl command line then refuses to start. Such leftovers are
 * dropped here.
 */
function opensslEnv() {
  const env = { ...process.env };
  for (const name of ['OPENSSL_CONF', 'RANDFILE']) {
    if (env[name] !== undefined && !fs.existsSync(env[name])) delete env[name];
  }
  return env;
}

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: opensslEnv() });
}

function makeCa(dir, name) {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`]);
}

function makeSigned(dir, ca, name, extensions) {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

const KEY_PASSPHRASE = 'tl-key-passphrase-5c1e';

/** Creates (once per directory) and returns the file paths and PEM texts. */
function testCertificates(dir) {
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, 'client.pem'))) {
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    makeSigned(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    makeSigned(dir, 'ca', 'client', 'extendedKeyUsage=clientAuth\n');
  }
  if (!fs.existsSync(path.join(dir, 'client-encrypted.key'))) {
    openssl(dir, ['pkey', '-in', 'client.key', '-aes256', '-passout', `pass:${KEY_PASSPHRASE}`, '-out', 'client-encrypted.key']);
  }
  const file = (name) => path.join(dir, name);
  const read = (name) => fs.readFileSync(file(name), 'utf8');
  return {
    files: { ca: file('ca.pem'), serverCert: file('server.pem'), serverKey: file('server.key') },
    ca: read('ca.pem'),
    otherCa: read('other-ca.pem'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    encryptedClientKey: read('client-encrypted.key'),
    keyPassphrase: KEY_PASSPHRASE,
  };
}

module.exports = { testCertificates };
