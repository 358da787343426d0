// Tool pinning on the per-server proxy (/{path}/mcp): the guard bound to the
// server, with tools/list cut to approved definitions and tools/call checked
// against them (rules in security/pinning.ts). routes/server-mcp.ts wraps the
// guard with it in one statement.

import { ErrorCode } from "../protocol/jsonrpc.ts";
import { refusalData } from "../security/pinned-edge.ts";
import { checkCall, isHeld, type PinSet, visibleTools } from "../security/pinning.ts";
import type { McpGuard } from "./access.ts";

const FORBIDDEN = ErrorCode.Forbidden;

/** The per-server proxy's guard, with tools/list and tools/call held to the approved catalog. */
export function pinnedGuard(guard: McpGuard, pins: PinSet): McpGuard {
  return {
    ...guard,
    mayCall: (tool) => guard.mayCall(tool) && !isHeld(pins, tool),
    listTools: (tools) => visibleTools(tools, pins),
    checkCall: (tool, args) => {
      const check = checkCall(pins, tool, args);
      if (check.allow) return { arguments: check.arguments };
      const error = { code: FORBIDDEN, message: check.message, data: refusalData(check) };
      return { refusal: { jsonrpc: "2.0", id: 0, error }, reason: check.reason };
    },
  };
}
