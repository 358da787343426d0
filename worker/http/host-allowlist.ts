// The Host allowlist (ALLOWED_HOSTS) of self-hosted deployments, against DNS
// rebinding: a page on an attacker's name that re-resolves to the gateway's
// address makes the browser send requests with the attacker's Host. Only
// the configured names are answered; unset, every Host is (on Cloudflare the
// platform routes only the Worker's own hostnames to it). The entry
// middleware (telemetry.ts) asks only when ALLOWED_HOSTS is set.

/**
 * Whether `host` (a Host header: name, optional port) is on `allowed`. An
 * entry without a port matches the name on any port; trailing dots and case
 * do not matter.
 */
export function isAllowedHost(host: string, allowed: string[]): boolean {
  const lower = host.toLowerCase();
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(lower);
  if (match === null) return false;
  const name = (match[1] as string).replace(/\.+$/, "");
  const port = match[2];
  return allowed.some((entry) => {
    const wanted = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(entry);
    if (wanted === null) return false;
    const entryName = (wanted[1] as string).replace(/\.+$/, "");
    return entryName === name && (wanted[2] === undefined || wanted[2] === port);
  });
}
