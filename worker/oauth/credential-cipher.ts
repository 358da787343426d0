// Encryption of per-user upstream credentials at rest (AES-256-GCM via
// WebCrypto). One master secret (CREDENTIAL_ENCRYPTION_KEY) never encrypts
// anything itself: HKDF-SHA-256 derives a key per tenant (and one for the
// connect flow's state), so one tenant's key never opens another's records.
// Every record gets a fresh random 96-bit IV, and its associated data binds
// the ciphertext to its owner and server: a row copied onto another user or
// server fails to decrypt.
import { base64urlDecode, base64urlEncode } from "../platform/encoding.ts";

export interface Sealed {
  ciphertext: string;
  iv: string;
}

/** The secret is missing or too short: nothing can be sealed or opened. */
export class CipherUnavailableError extends Error {
  override readonly name = "CipherUnavailableError";
}

const MIN_SECRET_LENGTH = 32;
const SALT = new TextEncoder().encode("mcp-gateway/user-credentials/v1");

export class CredentialCipher {
  readonly #master: Promise<CryptoKey> | null;
  readonly #keys = new Map<string, Promise<CryptoKey>>();

  constructor(secret: string | undefined) {
    this.#master =
      secret !== undefined && secret.length >= MIN_SECRET_LENGTH
        ? crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"])
        : null;
  }

  get available(): boolean {
    return this.#master !== null;
  }

  /** Encrypts `plaintext` under the key of `scope` (e.g. `tenant:acme`), bound to `associated`. */
  async seal(scope: string, associated: string, plaintext: string): Promise<Sealed> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ciphertext = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(associated) },
      await this.#key(scope),
      new TextEncoder().encode(plaintext),
    );
    return { ciphertext: base64urlEncode(new Uint8Array(ciphertext)), iv: base64urlEncode(iv) };
  }

  /** The plaintext, or null when the record was tampered with, moved, or sealed under another key. */
  async open(scope: string, associated: string, sealed: Sealed): Promise<string | null> {
    const iv = base64urlDecode(sealed.iv, 16);
    const ciphertext = base64urlDecode(sealed.ciphertext, 64 * 1024);
    if (iv === null || ciphertext === null) return null;
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(associated) },
        await this.#key(scope),
        ciphertext,
      );
      return new TextDecoder().decode(plaintext);
    } catch {
      return null;
    }
  }

  #key(scope: string): Promise<CryptoKey> {
    if (this.#master === null) {
      throw new CipherUnavailableError(
        `CREDENTIAL_ENCRYPTION_KEY is not set (at least ${MIN_SECRET_LENGTH} characters)`,
      );
    }
    let key = this.#keys.get(scope);
    if (key === undefined) {
      const master = this.#master;
      key = master.then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: SALT, info: new TextEncoder().encode(scope) },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
      this.#keys.set(scope, key);
    }
    return key;
  }
}
