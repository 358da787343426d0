// The baseline for bench/proxy.bench.ts: a Worker that forwards every request
// to BACKEND_ORIGIN unchanged and streams the answer back. It does what any
// proxy on this runtime must do and nothing the gateway adds (auth, policy,
// parsing, rewriting, audit), so the gap to it is the gateway's own cost.
interface PassthroughEnv {
  BACKEND_ORIGIN: string;
}

export default {
  async fetch(request: Request, env: PassthroughEnv): Promise<Response> {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.BACKEND_ORIGIN);
    const upstream = await fetch(target, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
    });
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
  },
};
