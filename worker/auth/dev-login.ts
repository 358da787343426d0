// Development login: checks a user name and password against the
// DEV_ADMIN_USERNAME / DEV_ADMIN_PASSWORD secrets. Only configured with
// DEV_MODE on, which env.ts refuses in production.

const encoder = new TextEncoder();

/** Compares secrets in constant time (hashing first makes the lengths equal). */
async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** Both comparisons always run, so timing tells nothing about which part was wrong. */
export async function devCredentialsMatch(
  expected: { username: string; password: string },
  username: string,
  password: string,
): Promise<boolean> {
  const [user, pass] = await Promise.all([
    sameSecret(username, expected.username),
    sameSecret(password, expected.password),
  ]);
  return user && pass;
}
