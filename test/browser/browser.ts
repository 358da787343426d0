// Debian's Chromium (/usr/bin/chromium) driven by playwright-core: never a
// downloaded browser. Collects console errors and uncaught page errors, so a
// test can assert there were none (or only the ones it provoked).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(import.meta.dirname, "..", "..", "test-results", "dashboard");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export class ConsoleWatch {
  private readonly errors: string[] = [];

  watch(page: Page): void {
    page.on("console", (message) => {
      if (message.type() === "error") this.errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => this.errors.push(`pageerror: ${error.message}`));
  }

  /** Takes the errors matching `expected` out of the list (ones a test provoked on purpose); returns them. */
  take(expected: RegExp): string[] {
    const taken = this.errors.filter((error) => expected.test(error));
    const rest = this.errors.filter((error) => !expected.test(error));
    this.errors.length = 0;
    this.errors.push(...rest);
    return taken;
  }

  all(): string[] {
    return [...this.errors];
  }
}

export async function newContext(browser: Browser, viewport = LAPTOP): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, reducedMotion: "reduce" });
  // Every step here takes well under a second; fail fast instead of after 30 s.
  context.setDefaultTimeout(15_000);
  return context;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  // From the top: a full-page capture of a scrolled page draws sticky parts where they were stuck.
  await page.evaluate("window.scrollTo(0, 0)");
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
