import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("answers liveness", async () => {
  const response = await exports.default.fetch("http://gw.test/health");
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: "ok" });
});
