// Headless Debian Chromium for page tests, driven by playwright-core. Never downloads a browser: the binary must be
// Debian's chromium (apt-get install -y chromium). Each launch gets a fresh profile directory, removed on close.
import { chromium, type BrowserContext } from "playwright-core";
import { requireBinary, tempDir } from "../../helpers/procs.ts";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** The chromium binary; throws when it is missing (the caller decides: fail under CI, skip elsewhere). */
export function chromiumPath(): string {
  return requireBinary("chromium");
}

/** Launches chromium with a fresh profile; close() is safe twice. */
export async function launch(executablePath: string): Promise<Browser> {
  const profile = tempDir("chromium-profile");
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile.path, { executablePath, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
  } catch (err) {
    profile.remove();
    throw new Error(`chromium at ${executablePath} did not start`, { cause: err });
  }
  let closed = false;
  return {
    context,
    async close() {
      if (closed) return;
      closed = true;
      await context.close();
      profile.remove();
    },
  };
}
