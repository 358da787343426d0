// List changes from upstreams are coalesced (aggregated/session-relay.ts,
// used by the session stream and `subscriptions/listen`): within
// COALESCE_MS the client hears each kind once, however many upstreams (or
// upstream sessions) announced it; a later change is heard again; a stream
// that ended hears nothing pending.
import { describe, expect, it } from "vitest";
import { COALESCE_MS, ListChangeCoalescer } from "../../worker/aggregated/session-relay.ts";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TOOLS = "notifications/tools/list_changed";
const PROMPTS = "notifications/prompts/list_changed";

describe("ListChangeCoalescer", () => {
  it("hands on each kind once per window, and again for a change after it", async () => {
    const emitted: string[] = [];
    const coalescer = new ListChangeCoalescer((method) => emitted.push(method));
    for (let upstream = 0; upstream < 5; upstream++) coalescer.add(TOOLS);
    coalescer.add(PROMPTS);
    coalescer.add(TOOLS);
    expect(emitted).toEqual([]);
    await wait(COALESCE_MS + 50);
    expect(emitted).toEqual([TOOLS, PROMPTS]);
    coalescer.add(TOOLS);
    await wait(COALESCE_MS + 50);
    expect(emitted).toEqual([TOOLS, PROMPTS, TOOLS]);
  });

  it("drops what is pending when its stream ends", async () => {
    const emitted: string[] = [];
    const coalescer = new ListChangeCoalescer((method) => emitted.push(method));
    coalescer.add(TOOLS);
    coalescer.stop();
    await wait(COALESCE_MS + 50);
    expect(emitted).toEqual([]);
  });
});
