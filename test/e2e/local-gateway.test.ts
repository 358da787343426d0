// scripts/local-gateway.ts starts wrangler dev again when the runtime lost a
// socket of one of its own Workers to another process during start-up (a port
// it picked itself), and never when the caller's own port is taken.
import { describe, expect, it } from "vitest";
import { lostWorkerSocket } from "../../scripts/local-gateway.ts";

describe("lostWorkerSocket", () => {
  it("is the dashboard Worker's socket taken at start-up (as wrangler dev printed it in CI)", () => {
    const output = `env.DASHBOARD (mcp-gateway-dashboard)   Worker   local [not connected]\n\n✘ [ERROR] Address already in use (socket "direct:1:default"). Please check that you are not already running a server on this address or specify a different port with --port.\n`;
    expect(lostWorkerSocket(output)).toBe(true);
  });

  it("is not the caller's own port, nor any other failure", () => {
    expect(lostWorkerSocket('✘ [ERROR] Address already in use (socket "entry"). Please check ...')).toBe(
      false,
    );
    expect(lostWorkerSocket("✘ [ERROR] Build failed with 1 error")).toBe(false);
    expect(lostWorkerSocket("")).toBe(false);
  });
});
