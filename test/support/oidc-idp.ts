// A real OpenID provider on loopback (`oidc-provider`) with users and groups,
// for the gateway's sign-in (its authorization server and the dashboard's
// single sign-on). Node only. Its own login and consent pages are the
// library's development interactions: the user name picks the account (the
// password is not checked), then "Continue" consents. Users' groups are in
// the `groups` claim (profile scope), released through userinfo.
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export const IDP_USERS: Record<string, { groups: string[]; email: string }> = {
  alice: { groups: ["mcp-registry-admin"], email: "alice@example.test" },
  bob: { groups: ["staff"], email: "bob@example.test" },
};

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

export async function startOidcProvider(options: {
  port: number;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
}): Promise<TestOidcProvider> {
  const issuer = `http://127.0.0.1:${options.port}`;
  const clientId = "mcp-gateway";
  const clientSecret = `secret-${crypto.randomUUID()}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris ?? [],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    async findAccount(_ctx, id) {
      const user = IDP_USERS[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, preferred_username: id, name: id, email: user.email, groups: user.groups };
        },
      };
    },
    claims: { openid: ["sub"], profile: ["preferred_username", "name", "groups"], email: ["email"] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  // The development interactions warn on every start; the tests know.
  provider.on("server_error", (_ctx, error) => console.error("oidc-provider:", error));
  const server = provider.listen(options.port, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const address = server.address() as AddressInfo;
  if (address.port !== options.port) throw new Error("oidc-provider listens on an unexpected port");
  return {
    issuer,
    clientId,
    clientSecret,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
