// Secrets are not declared in wrangler.toml, so `wrangler types` cannot see
// them; they are declared here. Values come from `.dev.vars` locally (written
// by `npm start`) and from `wrangler secret put` in production.
declare namespace Cloudflare {
  interface Env {
    /** Interim admin bearer credential (until identity lands). */
    ADMIN_TOKEN: string;
  }
}
