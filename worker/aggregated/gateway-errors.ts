// Refusals and input checks shared by the aggregated endpoint's and the
// virtual servers' MCP handlers: one wording for every "unknown", "refused"
// and "invalid arguments" answer.
import { ProtocolError } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { describeRefusal } from "../registry/access-service.ts";

/** Every list fits in one page, so no cursor is ever handed out. */
export function rejectCursor(cursor: string | undefined): void {
  if (cursor !== undefined) throw new ProtocolError(ErrorCode.InvalidParams, "Invalid cursor");
}

export function parseInput<T extends z.ZodType>(
  schema: T,
  args: Record<string, unknown>,
  tool: string,
): z.infer<T> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(
    (issue) => `${issue.path.join(".") || "(arguments)"}: ${issue.message}`,
  );
  throw new ProtocolError(ErrorCode.InvalidParams, `Invalid arguments for ${tool}: ${issues.join("; ")}`);
}

export function refused(reason: Parameters<typeof describeRefusal>[0]): ProtocolError {
  return new ProtocolError(ErrorCode.Forbidden, describeRefusal(reason), { reason });
}

export function unknownTool(name: string): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
}

export function unknownPrompt(name: string): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
}
