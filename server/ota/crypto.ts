/**
 * The OTA format's cryptographic primitives in one place: SHA-256, key ids, RSASSA-PSS with the
 * fixed parameters (SHA-256, MGF1-SHA256, salt length 32) and AES-256-CBC. Hashing, RSA and
 * decryption use `node:crypto`: it is the platform's OpenSSL (native SHA-256, RSA in microseconds
 * where node-forge's pure JS takes far longer, and the same code the `openssl` CLI runs, which is
 * what SPEC.md's interoperability promise is about). Bulk *encryption* in the packager uses
 * @noble/ciphers instead, because it encrypts into a caller-owned buffer: node's Cipher.update
 * allocates a fresh off-heap Buffer per call, which V8 reclaims only after tens of MiB of external
 * growth, so packaging RSS grew with the image size (+18 MiB for 16 MiB measured); with noble it
 * stays flat, at ~50 MB/s, well inside the packaging time budget. The two implementations also
 * cross-check each other in every round-trip test.
 */
import { cbc } from '@noble/ciphers/aes.js';
import {
  constants,
  createDecipheriv,
  createHash,
  createSign,
  createVerify,
  type Hash,
  type KeyObject,
  type Sign,
  type Verify,
} from 'node:crypto';

/** PSS salt length in bytes; equal to the SHA-256 output length. Fixed by the format. */
export const PSS_SALT_LENGTH = 32;
export const AES_KEY_LENGTH = 32;
export const AES_BLOCK = 16;
/** Key ids are the first 8 bytes of a SHA-256, written as 16 lowercase hex characters. */
export const KEY_ID_LENGTH = 8;

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha256Stream(): Hash {
  return createHash('sha256');
}

/** Key id: hex of the first 8 bytes of SHA-256 over `bytes` (SPKI DER for RSA, raw bytes for AES). */
export function keyIdOf(bytes: Uint8Array): string {
  return sha256(bytes).subarray(0, KEY_ID_LENGTH).toString('hex');
}

/** MGF1 is not named: OpenSSL uses the signature digest (SHA-256) for MGF1 unless told otherwise. */
const pssSignOptions = (key: KeyObject) => ({
  key,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength: PSS_SALT_LENGTH,
});

/** A streaming PSS signer: feed the message with `.update()`, then `pssSignFinal`. */
export function pssSigner(): Sign {
  return createSign('sha256');
}

export function pssSignFinal(signer: Sign, privateKey: KeyObject): Buffer {
  return signer.sign(pssSignOptions(privateKey));
}

export function pssSign(message: Uint8Array, privateKey: KeyObject): Buffer {
  return pssSignFinal(pssSigner().update(message), privateKey);
}

export function pssVerifier(): Verify {
  return createVerify('sha256');
}

/** OpenSSL checks the recovered salt length equals 32 exactly, as the format requires. */
export function pssVerifyFinal(verifier: Verify, publicKey: KeyObject, signature: Uint8Array): boolean {
  try {
    return verifier.verify(pssSignOptions(publicKey), signature);
  } catch {
    // A signature of the wrong length or a key of the wrong type throws; either way it is not valid.
    return false;
  }
}

export function pssVerify(message: Uint8Array, publicKey: KeyObject, signature: Uint8Array): boolean {
  return pssVerifyFinal(pssVerifier().update(message), publicKey, signature);
}

/** Plaintext bytes encrypted per noble call; a multiple of 16. */
const ENCRYPT_SLICE = 64 * 1024;

/**
 * Streaming AES-256-CBC encryption with PKCS#7 padding (byte-identical to `openssl enc
 * -aes-256-cbc`), allocation-free per call: input is staged in one aligned buffer, encrypted a
 * slice at a time into one output buffer, and the CBC chain (last ciphertext block) carried over.
 * `emit` receives views of the internal output buffer: consume or copy them before returning.
 */
export class CbcEncryptStream {
  private readonly key: Uint8Array;
  private readonly chain = new Uint8Array(AES_BLOCK);
  private readonly input = new Uint8Array(ENCRYPT_SLICE);
  private readonly output = new Uint8Array(ENCRYPT_SLICE);
  private filled = 0;
  private finished = false;

  constructor(key: Uint8Array, iv: Uint8Array) {
    if (key.length !== AES_KEY_LENGTH || iv.length !== AES_BLOCK) throw new RangeError('AES-256-CBC needs a 32-byte key and a 16-byte IV');
    this.key = Uint8Array.from(key);
    this.chain.set(iv);
  }

  update(plain: Uint8Array, emit: (ciphertext: Uint8Array) => void): void {
    if (this.finished) throw new Error('CbcEncryptStream.update after final');
    let pos = 0;
    while (pos < plain.length) {
      const take = Math.min(ENCRYPT_SLICE - this.filled, plain.length - pos);
      this.input.set(plain.subarray(pos, pos + take), this.filled);
      this.filled += take;
      pos += take;
      if (this.filled === ENCRYPT_SLICE) this.encryptStaged(ENCRYPT_SLICE, emit);
    }
  }

  /** Encrypt what is left plus the PKCS#7 padding (1..16 bytes, always present). */
  final(emit: (ciphertext: Uint8Array) => void): void {
    if (this.finished) throw new Error('CbcEncryptStream.final called twice');
    this.finished = true;
    const whole = this.filled - (this.filled % AES_BLOCK);
    if (whole > 0) this.encryptStaged(whole, emit);
    const pad = AES_BLOCK - this.filled; // filled < 16 here
    this.input.fill(pad, this.filled, AES_BLOCK);
    this.filled = AES_BLOCK;
    this.encryptStaged(AES_BLOCK, emit);
    this.input.fill(0);
  }

  private encryptStaged(n: number, emit: (ciphertext: Uint8Array) => void): void {
    const out = this.output.subarray(0, n);
    cbc(this.key, this.chain, { disablePadding: true }).encrypt(this.input.subarray(0, n), out);
    this.chain.set(out.subarray(n - AES_BLOCK));
    this.input.copyWithin(0, n, this.filled);
    this.filled -= n;
    emit(out);
  }
}

/**
 * Raw AES-256-CBC decryption of whole blocks without touching padding: the verifier strips and
 * checks PKCS#7 itself so a bad pad is reported as the named `padding` check, not an OpenSSL error.
 */
export function aesCbcDecryptBlocks(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  const decipher = createDecipheriv('aes-256-cbc', key, iv);
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
