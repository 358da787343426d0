// A bare TCP connect to a replica's host and port, closed at once. Why: the
// Workers fetch reports a refused connection and a connection reset after the
// request was sent with the same "Network connection lost", so a failed fetch
// never proves that the upstream did not receive the request. A refused
// connect *before* sending does: then a tools/call may go to another replica.
//
// Only "refused" is evidence. Anything else (a timeout, a platform that does
// not allow raw sockets to that host) is "unknown", and the ServerState object
// learns per replica whether the check tells the truth (it must say "open"
// while the replica answers MCP) before isolates rely on it.
import { connect } from "cloudflare:sockets";

export type ConnectCheck = "open" | "refused" | "unknown";

// What workerd says when nothing listens (or the name does not resolve).
const REFUSED = /cannot connect to the specified address|connection refused|ECONNREFUSED/i;

export async function checkConnect(url: string, timeoutMs: number): Promise<ConnectCheck> {
  const target = URL.parse(url);
  if (target === null) return "unknown";
  const port = target.port !== "" ? Number(target.port) : target.protocol === "https:" ? 443 : 80;
  let socket: ReturnType<typeof connect> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    socket = connect({ hostname: target.hostname.replace(/^\[|\]$/g, ""), port });
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const opened = await Promise.race([socket.opened.then(() => "open" as const), timeout]);
    return opened === "open" ? "open" : "unknown";
  } catch (error) {
    return error instanceof Error && REFUSED.test(error.message) ? "refused" : "unknown";
  } finally {
    clearTimeout(timer);
    socket?.close().catch(() => {});
  }
}
