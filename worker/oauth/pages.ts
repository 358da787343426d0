// The authorization server's own pages: consent (naming the client, where the
// tokens go, and the scopes), with the development login's fields when that is
// how people sign in, and a plain error page. Everything that came from a
// client (name, domain, redirect host, scopes) is escaped. No scripts.
import type { ConsentDescription } from "@cloudflare/workers-oauth-provider";

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}fieldset{border:1px solid #ccd;border-radius:6px;margin:1rem 0}label{display:block;margin:.3rem 0}
input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}
.muted{color:#57606a}.warn{background:#fff5d6;padding:.5rem;border-radius:4px}.error{background:#ffe3e3;padding:.5rem;border-radius:4px}
button{padding:.5rem 1rem;margin-right:.5rem}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export interface ConsentView {
  details: ConsentDescription;
  handle: string;
  /** Who is signed in (null: the development login's fields are shown). */
  user: { name: string; groups: string[] } | null;
  /** Requested policy scopes the user holds (offered, ticked) and does not hold (shown, not offered). */
  offered: string[];
  unavailable: string[];
  /** The client asked for no policy scope: the token will act with all of the user's rights. */
  fullAccess: boolean;
  resource: string;
  error?: string;
}

export function consentPage(view: ConsentView): string {
  const { details } = view;
  const name = escapeHtml(details.clientName);
  const origin = details.clientDomain
    ? `Published by <strong>${escapeHtml(details.clientDomain)}</strong>.`
    : `This app registered itself; its name is not verified.`;
  const loopback = details.redirectIsLoopback
    ? `<p class="warn"><strong>This sends access to an app on your computer.</strong> Continue only if you just started signing in from it.</p>`
    : "";
  const who = view.user
    ? `<p>Signed in as <strong>${escapeHtml(view.user.name)}</strong>${
        view.user.groups.length > 0 ? ` (groups: ${view.user.groups.map(escapeHtml).join(", ")})` : ""
      }.</p>`
    : `<fieldset><legend>Development login</legend>
<label>User name <input type="text" name="username" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label></fieldset>`;
  const scopes = view.fullAccess
    ? `<p>It asks for <strong>everything you may do</strong> on this gateway.</p>`
    : `<fieldset><legend>Scopes</legend>${
        view.offered.length === 0
          ? `<p class="muted">None of the requested scopes is yours to grant.</p>`
          : view.offered
              .map(
                (scope) =>
                  `<label><input type="checkbox" name="scope" value="${escapeHtml(scope)}" checked> ${escapeHtml(scope)}</label>`,
              )
              .join("")
      }${
        view.unavailable.length > 0
          ? `<p class="muted">Requested but not yours: ${view.unavailable.map(escapeHtml).join(", ")}</p>`
          : ""
      }</fieldset>`;
  const error = view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>` : "";
  return page(
    `Authorize ${details.clientName}`,
    `<h1>Allow ${name} to use the MCP gateway for you?</h1>
<p>${origin} Access will be sent to <strong>${escapeHtml(details.redirectHost)}</strong>, for <code>${escapeHtml(view.resource)}</code>.</p>
${loopback}${error}
<form method="post" action="/oauth/authorize">
<input type="hidden" name="handle" value="${escapeHtml(view.handle)}">
${who}${scopes}
<p><button type="submit" name="decision" value="approve">Allow</button><button type="submit" name="decision" value="deny" formnovalidate>Deny</button></p>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);
}
