// The aggregated endpoint keeps one call route per caller and server path in
// the isolate (aggregated/call-route.ts). Writes made through the gateway
// reach it at once: a disabled server's tools are unknown on the next call,
// a replaced scopes document refuses the next call; neither call reaches the
// upstream. A cached route never stands in for authentication: a revoked
// token is refused although its caller's route is cached.
import { describe, expect, it } from "vitest";
import { api, BASE } from "../support/api.ts";
import { newReplica, registerOn, stats } from "../support/fleet.ts";
import { gatewayFetch, modernClient } from "../support/gateway-clients.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";
import { serverForCallers } from "../support/route-fixtures.ts";

usePrincipalSeam();

function whoami(path: string) {
  return { name: `${path}__whoami`, arguments: {} };
}

describe("the cached call route of /mcp (stateless 2026-07-28 client)", () => {
  it("loses a server disabled through the API on the next call", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    const token = tokenFor(principal({ tenant: "default", groups: ["mcp-registry-admin"] }));
    const client = await modernClient("/mcp", token);
    const answered = await client.callTool(whoami(server.path));
    expect(answered.isError).not.toBe(true);

    expect((await api(`/api/v1/servers/${server.id}/disable`, { method: "POST" })).status).toBe(200);
    const before = (await stats(replica)).requests;
    await expect(client.callTool(whoami(server.path))).rejects.toThrow(/Unknown tool/);
    expect((await stats(replica)).requests).toBe(before);
    await client.close();
  });

  it("applies a replaced scopes document to the next call, which never reaches the upstream", async () => {
    const { server, replica, caller, grant } = await serverForCallers("callroute");
    expect((await grant(["whoami"])).status).toBe(200);

    const client = await modernClient("/mcp", tokenFor(caller));
    expect((await client.callTool(whoami(server.path))).isError).not.toBe(true);

    expect((await grant(["other"])).status).toBe(200);
    const before = (await stats(replica)).requests;
    await expect(client.callTool(whoami(server.path))).rejects.toThrow(/does not include this tool/);
    expect((await stats(replica)).requests).toBe(before);

    // And back: the grant restored reaches the next call too.
    expect((await grant(["whoami"])).status).toBe(200);
    expect((await client.callTool(whoami(server.path))).isError).not.toBe(true);
    await client.close();
  });

  it("still refuses a revoked token although the caller's route is cached", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    const minted = await api("/api/v1/tokens", {
      method: "POST",
      json: { name: "call-route-cache", scopes: ["mcp-servers-unrestricted/execute"] },
    });
    expect(minted.status, await minted.clone().text()).toBe(201);
    const { token, id } = (await minted.json()) as { token: string; id: string };
    const client = await modernClient("/mcp", token);
    expect((await client.callTool(whoami(server.path))).isError).not.toBe(true);

    expect((await api(`/api/v1/tokens/${id}`, { method: "DELETE" })).status).toBe(204);
    const response = await gatewayFetch(`${BASE}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: whoami(server.path) }),
    });
    expect(response.status).toBe(401);
    await response.body?.cancel();
    await client.close();
  });
});
