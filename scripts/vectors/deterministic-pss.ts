/**
 * RSASSA-PSS (SHA-256, MGF1-SHA256, salt length 32) with a salt derived from the message, for test
 * vectors only. PSS is randomized by design and node:crypto cannot be given a salt, so vectors
 * signed with it change on every run; node-forge accepts a salt source, which makes
 * `npm run vectors` reproducible byte for byte. Verification is the ordinary PSS check (the salt is
 * recovered from the signature), so the gateway, openssl and mbedTLS verify these unchanged.
 * Never sign real images this way: a predictable salt only suits published test keys.
 */
import forge from 'node-forge';
import { createHash } from 'node:crypto';

export function deterministicPssSign(message: Uint8Array, privateKeyPem: string): Buffer {
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  const salt = createHash('sha256').update('fleetgate test-vector PSS salt\0').update(message).digest();
  const pss = forge.pss.create({
    md: forge.md.sha256.create(),
    mgf: forge.mgf.mgf1.create(forge.md.sha256.create()),
    saltLength: 32,
    prng: { getBytesSync: (n: number) => salt.subarray(0, n).toString('binary') },
  } as unknown as Parameters<typeof forge.pss.create>[0]);
  const md = forge.md.sha256.create();
  md.update(Buffer.from(message).toString('binary'));
  return Buffer.from(key.sign(md, pss), 'binary');
}

/**
 * A published test RSA-2048 key, generated from `seed` instead of being stored: node-forge's
 * key generation reading its randomness from SHA-256(seed ‖ NUL ‖ counter) blocks. The same seed
 * gives the same key on every machine (~0.7 s). Test vectors only — a seed in a repository is
 * a published key.
 */
export function deterministicTestRsaKeyPem(seed: string): string {
  let counter = 0;
  let pool = Buffer.alloc(0);
  const prng = {
    getBytesSync(n: number): string {
      while (pool.length < n) pool = Buffer.concat([pool, createHash('sha256').update(`${seed}\0${counter++}`).digest()]);
      const out = pool.subarray(0, n);
      pool = pool.subarray(n);
      return out.toString('binary');
    },
  };
  const pair = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001, prng } as unknown as Parameters<typeof forge.pki.rsa.generateKeyPair>[0]);
  return forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(pair.privateKey)));
}
