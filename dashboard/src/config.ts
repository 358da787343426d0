// Build-time settings. VITE_API_BASE_URL names the gateway's origin when the
// dashboard is served from elsewhere (Cloudflare Pages); empty means the page's
// own origin (the gateway serves the dashboard itself).
export const API_BASE_URL: string = (import.meta.env.VITE_API_BASE_URL ?? "").replace(/\/+$/, "");
