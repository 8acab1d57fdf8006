// Reads what Chromium drew: elements of the rendered report with their data attributes, text and layout boxes.
import type { Page } from "playwright-core";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Mark {
  cls: string;
  cell: string | null;
  value: number | null;
  text: string;
  box: Box;
}

/** The subset of the DOM the probes use (the test program is compiled without the DOM library). */
interface DomElement {
  getAttribute(name: string): string | null;
  getBoundingClientRect(): Box;
  textContent: string | null;
}

/** Every element matching `selector`, in document order. data-value is parsed as a number (null when absent). */
export function marks(page: Page, selector: string): Promise<Mark[]> {
  return page.$$eval(selector, (els) =>
    (els as unknown as DomElement[]).map((e) => {
      const r = e.getBoundingClientRect();
      const v = e.getAttribute("data-value");
      return {
        cls: e.getAttribute("class") ?? "",
        cell: e.getAttribute("data-cell"),
        value: v === null || v === "" ? null : Number(v),
        text: (e.textContent ?? "").replace(/\s+/g, " ").trim(),
        box: { x: r.x, y: r.y, width: r.width, height: r.height },
      };
    }),
  );
}

/** The rows of the results table as arrays of cell texts (title tooltips excluded). */
export function tableRows(page: Page): Promise<string[][]> {
  return page.$$eval("#results tbody tr", (rows) =>
    (rows as unknown as Array<{ querySelectorAll(s: string): ArrayLike<{ innerText: string }> }>).map((r) =>
      Array.from(r.querySelectorAll("th, td")).map((c) => c.innerText.replace(/\s+/g, " ").trim()),
    ),
  );
}

/** Marks of `selector` (a comma list, each part scoped to the plot) whose boxes stick out of their plot's box by more than 1 px (clipped labels). */
export async function outside(page: Page, plotId: string, selector: string): Promise<string[]> {
  const [plot] = await marks(page, `#${plotId}`);
  if (!plot) return [`#${plotId} missing`];
  const p = plot.box;
  const scoped = selector.split(",").map((s) => `#${plotId} ${s.trim()}`).join(", ");
  const all = await marks(page, scoped);
  return all
    .filter((m) => m.box.width > 0 && (m.box.x < p.x - 1 || m.box.y < p.y - 1 || m.box.x + m.box.width > p.x + p.width + 1 || m.box.y + m.box.height > p.y + p.height + 1))
    .map((m) => `${m.cls} "${m.text}"`);
}
