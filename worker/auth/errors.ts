// Why a credential was refused. The reason is short, fixed text that is safe
// to send back (it names the check that failed, never key material); the
// internal part only goes to logs.

export type AuthErrorCode = "invalid_token" | "invalid_request";

export class AuthError extends Error {
  override readonly name = "AuthError";
  readonly code: AuthErrorCode;
  readonly reason: string;
  readonly internal: string | undefined;

  constructor(reason: string, options: { code?: AuthErrorCode; internal?: string } = {}) {
    super(reason);
    this.reason = reason;
    this.code = options.code ?? "invalid_token";
    this.internal = options.internal;
  }
}
