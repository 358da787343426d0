// Names shared by the loopback IdPs (test/support/idp.ts, Node) and the tests
// that use them inside workerd. No imports: this module loads in both.

/** Controlled issuers; each scenario has its own so their caches never meet. */
export const CONTROLLED_ISSUERS = ["rotating", "flaky", "dead", "cognito", "keycloak"] as const;
export type ControlledIssuer = (typeof CONTROLLED_ISSUERS)[number];

export interface TestIdp {
  /** The oauth2-mock-server issuer, exactly as it writes `iss`. */
  main: string;
  /** Base URL of the controlled host; issuer `name` is `${control}/i/${name}`. */
  control: string;
}

/** Keys of the oauth2-mock-server IdP: kid -> algorithm. */
export const MAIN_KEYS = { rs256: "RS256", es256: "ES256", rs512: "RS512" } as const;

/** The gateway's resource URL in the workers tests (PUBLIC_URL), hence the default audience. */
export const TEST_PUBLIC_URL = "http://gateway.test";

export function controlledIssuer(idp: TestIdp, name: ControlledIssuer): string {
  return `${idp.control}/i/${name}`;
}

/**
 * AUTH_ISSUERS for the workers project: the mock IdP with every check at its
 * default (skew 60 s), and the controlled issuers with short cache times so
 * the tests can watch refetches happen.
 */
export function testIssuers(idp: TestIdp): unknown[] {
  const at = (name: ControlledIssuer) => controlledIssuer(idp, name);
  return [
    { issuer: idp.main, displayName: "Test IdP", clockSkewSeconds: 60 },
    { issuer: at("rotating"), jwksCooldownSeconds: 1 },
    { issuer: at("flaky"), jwksUri: `${at("flaky")}/jwks`, jwksMaxAgeSeconds: 1, jwksCooldownSeconds: 1 },
    { issuer: at("dead"), jwksUri: `${at("dead")}/jwks`, jwksCooldownSeconds: 1 },
    { issuer: at("cognito"), preset: "cognito", audiences: ["test-app-client"] },
    { issuer: at("keycloak"), preset: "keycloak", groupsClaim: "realm_access.roles", tenantClaim: "org" },
  ];
}
