// /{path}/mcp keeps one route per caller and server in the isolate
// (proxy/proxy-route.ts). Writes made through the gateway reach it at once:
// a disabled server is gone on the next request, a replaced scopes document
// refuses the next call (and that call never reaches the upstream); and a
// cached route never stands in for authentication: a revoked token is
// refused although its caller's route is cached.
import { describe, expect, it } from "vitest";
import { api, BASE } from "../support/api.ts";
import { newReplica, registerOn, stats } from "../support/fleet.ts";
import { messagesOf, openSession, postMcp, type RpcReply, rpc } from "../support/mcp-http.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";
import { serverForCallers } from "../support/route-fixtures.ts";

usePrincipalSeam();

async function call(
  url: string,
  token: string,
  session: string,
): Promise<{ status: number; reply: RpcReply }> {
  const response = await postMcp(url, rpc("tools/call", { name: "whoami", arguments: {} }, 9), {
    token,
    session,
  });
  const status = response.status;
  const [reply] = await messagesOf(response);
  return { status, reply: reply as RpcReply };
}

describe("the cached route of /{path}/mcp", () => {
  it("loses a server disabled through the API on the next request", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    const admin = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
    const token = tokenFor(admin);
    const url = `${BASE}/${server.path}/mcp`;
    const session = await openSession(url, token);
    expect((await call(url, token, session)).reply.result).toBeDefined();

    expect((await api(`/api/v1/servers/${server.id}/disable`, { method: "POST" })).status).toBe(200);
    const before = (await stats(replica)).requests;
    const refused = await call(url, token, session);
    expect(refused.status).toBe(404);
    expect((await stats(replica)).requests).toBe(before);
  });

  it("applies a replaced scopes document to the next call, which never reaches the upstream", async () => {
    const { server, replica, caller, grant } = await serverForCallers("route");
    expect((await grant(["whoami"])).status).toBe(200);

    const token = tokenFor(caller);
    const url = `${BASE}/${server.path}/mcp`;
    const session = await openSession(url, token);
    expect((await call(url, token, session)).reply.result).toBeDefined();

    expect((await grant(["other"])).status).toBe(200);
    const before = (await stats(replica)).requests;
    const refused = await call(url, token, session);
    expect(refused.reply.error?.message).toContain("Access denied");
    expect((await stats(replica)).requests).toBe(before);
  });

  it("still refuses a revoked token although the caller's route is cached", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    const minted = await api("/api/v1/tokens", {
      method: "POST",
      json: { name: "route-cache", scopes: ["mcp-servers-unrestricted/execute"] },
    });
    expect(minted.status, await minted.clone().text()).toBe(201);
    const { token, id } = (await minted.json()) as { token: string; id: string };
    const url = `${BASE}/${server.path}/mcp`;
    const session = await openSession(url, token);
    expect((await call(url, token, session)).reply.result).toBeDefined();

    expect((await api(`/api/v1/tokens/${id}`, { method: "DELETE" })).status).toBe(204);
    const response = await postMcp(url, rpc("tools/call", { name: "whoami", arguments: {} }, 10), {
      token,
      session,
    });
    expect(response.status).toBe(401);
    await response.body?.cancel();
  });
});
