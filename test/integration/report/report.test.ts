// Renders the campaign report in headless Debian Chromium from a file:// URL and checks what was drawn. Under CI=true
// a missing chromium fails the suite (install: apt-get install -y chromium); elsewhere the suite is skipped.
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { renderReport } from "../../../collector/src/campaign/report.ts";
import type { ReportInput } from "../../../collector/src/campaign/report-types.ts";
import { tempDir } from "../../helpers/procs.ts";
import { CEILING_GBIT_S, edgeInput, table1Input } from "../../fixtures/campaign-report/table1.ts";
import { chromiumPath, launch, type Browser } from "./browser.ts";
import { marks, outside, tableRows, type Mark } from "./page.ts";

const PLOTS = ["plot-throughput", "plot-breakdown", "plot-perpacket"];

describe("campaign report in headless Chromium", function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;

  before(async function () {
    let exe: string;
    try {
      exe = chromiumPath();
    } catch (err) {
      if (process.env["CI"] === "true") throw err;
      this.skip();
    }
    dir = tempDir("report");
    browser = await launch(exe);
  });

  after(async () => {
    await browser?.close();
    dir?.remove();
  });

  /** Writes the report to the temp dir, opens it, and records every request and console error. */
  async function open(input: ReportInput, name: string): Promise<{ page: Page; requests: string[]; errors: string[]; url: string }> {
    assert.ok(browser && dir);
    const file = join(dir.path, `${name}.html`);
    writeFileSync(file, renderReport(input));
    const url = pathToFileURL(file).href;
    const page = await browser.context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: "load" });
    return { page, requests, errors, url };
  }

  const byCell = (ms: Mark[]) => new Map(ms.map((m) => [m.cell ?? "", m]));

  it("draws Table 1: three plots, one bar per cell at the means, the table with the numbers", async () => {
    const input = table1Input();
    const { page, requests, errors, url } = await open(input, "table1");
    assert.deepEqual(requests, [url], "the page loads nothing but itself");
    assert.deepEqual(errors, []);

    const plots = await marks(page, "svg.plot");
    assert.deepEqual(plots.map((p) => p.box.width > 300 && p.box.height > 200), [true, true, true]);
    for (const id of PLOTS) assert.deepEqual(await outside(page, id, "text, rect, circle"), [], `${id}: marks inside the plot`);

    const bars = await marks(page, "#plot-throughput rect.bar");
    assert.equal(bars.length, input.cells.length);
    assert.deepEqual(bars.map((b) => [b.cell, b.value]), input.cells.map((c) => [c.id, c.throughput.meanGbitS]));
    const h = byCell(bars);
    const height = (id: string) => h.get(id)?.box.height ?? NaN;
    assert.deepEqual([...bars].sort((a, b) => a.box.height - b.box.height).map((b) => b.cell), ["csum-off", "nocache", "default", "gro-off"]);
    assert.ok(Math.abs(height("csum-off") / height("default") - 7 / 41) < 0.01, "heights proportional to the means");

    const [ceiling] = await marks(page, "#plot-throughput line.ceiling");
    assert.ok(ceiling && ceiling.value !== null && Math.abs(ceiling.value - CEILING_GBIT_S) < 1e-9);
    assert.ok(ceiling.box.y < Math.min(...bars.map((b) => b.box.y)), "the ceiling is above every bar");
    assert.equal((await marks(page, "#plot-throughput circle.sample")).length, 20);

    const segs = await marks(page, "#plot-breakdown rect.segment");
    assert.equal(segs.length, 4 * input.cells.length);
    const perPacket = await marks(page, "#plot-perpacket rect.pp-bar");
    assert.deepEqual(perPacket.map((m) => m.value), input.cells.flatMap((c) => [c.perPacket.exits, c.perPacket.cpuUs]));

    const rows = await tableRows(page);
    assert.equal(rows.length, 4);
    assert.deepEqual(rows.map((r) => [r[1], r[2], r[4], r[6]]), [
      ["41.0 ± 0.3", "baseline", "5", "61 %"],
      ["7.00 ± 0.20", "-83 %", "5", "10 %"],
      ["41.1 ± 0.3", "+0 %", "5", "61 %"],
      ["34.0 ± 0.2", "-17 %", "5", "51 %"],
    ]);

    assert.ok(dir);
    const png = join(dir.path, "table1.png");
    await page.screenshot({ path: png, fullPage: true });
    assert.ok(statSync(png).size > 10_000, `screenshot ${statSync(png).size} B`);
    await page.close();
  });

  it("draws the edge cases: no interval, n/a, negative unexplained below zero, a reverse bar", async () => {
    const { page, errors } = await open(edgeInput(), "edge");
    assert.deepEqual(errors, []);
    for (const id of PLOTS) assert.deepEqual(await outside(page, id, "text, rect, circle"), [], `${id}: marks inside the plot`);

    assert.deepEqual((await marks(page, "#plot-throughput path.ci")).map((m) => m.cell), ["default", "unmeasured", "fast", "fast"]);
    const notes = await marks(page, "svg text.na");
    assert.deepEqual(notes.map((n) => [n.cell, n.text]), [["single", "n=1, no CI"], ["unmeasured", "measured n/a"], ["unmeasured", "n/a"], ["unmeasured", "n/a"]]);
    assert.ok(notes.every((n) => n.box.width > 0 && n.box.height > 0));

    const [zero] = await marks(page, "#plot-breakdown line.zero");
    const [neg] = await marks(page, '#plot-breakdown rect.seg-unexplained[data-cell="fast"]');
    assert.ok(zero && neg && neg.value !== null && neg.value < 0);
    assert.ok(Math.abs(neg.box.y - zero.box.y) < 1.5 && neg.box.height > 5, "negative unexplained hangs below zero");
    const [label] = await marks(page, '#plot-breakdown text.seg-label-unexplained[data-cell="fast"]');
    assert.equal(label?.text, "unexplained -1.97");

    const rev = await marks(page, "#plot-throughput rect.bar-reverse");
    assert.deepEqual(rev.map((m) => [m.cell, m.value]), [["fast", 63]]);
    const rows = await tableRows(page);
    assert.deepEqual(rows.map((r) => r[1]), ["41.0 ± 0.3", "38.5 (no CI)", "40.2 ± 0.5", "90.0 ± 1.2 reverse 63.0 ± 1.5"]);
    assert.ok(dir);
    await page.screenshot({ path: join(dir.path, "edge.png"), fullPage: true });
    await page.close();
  });
});
