// HMAC-SHA-256 keys imported once per secret and isolate: signing session
// tokens and input states happens on every request, and importKey is not free.

const keys = new Map<string, Promise<CryptoKey>>();

/** The HMAC-SHA-256 key (sign and verify) for `secret`, imported at most once per isolate. */
export function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
  }
  return key;
}
