// The agent's code (and common, which it loads) never calls into Intl: the first Intl.NumberFormat, collator or
// toLocaleString pages in megabytes of ICU data that the agent would then carry for its whole life
// (common/src/text.ts has the figures and the locale-independent replacements, fmtInt and naturalCompare).
import assert from "node:assert/strict";
import { fmtInt, naturalCompare } from "@eastwest/common";
import fc from "fast-check";
import { readSource, sourceFiles } from "../../helpers/imports.ts";

const INTL = /\bIntl\.|\.toLocale\w*\(|\.localeCompare\(/;

describe("no Intl in the agent", () => {
  it("agent/src and common/src have no Intl, toLocale* or localeCompare call (comments aside)", () => {
    const files = [...sourceFiles("agent/src"), ...sourceFiles("common/src")];
    assert.ok(files.length > 100, `${files.length} files read`);
    const bad = files.flatMap((f) =>
      readSource(f)
        .split("\n")
        .map((line, i) => ({ line: line.replace(/\/\/.*$/, ""), at: `${f}:${i + 1}` }))
        .filter((l) => !/^\s*\*/.test(l.line) && INTL.test(l.line))
        .map((l) => l.at),
    );
    assert.deepEqual(bad, []);
  });

  it("fmtInt groups digits as en-US does, for any safe integer", () => {
    const en = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
    fc.assert(fc.property(fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }), (n) => fmtInt(n) === en.format(n)));
    assert.equal(fmtInt(128205.13), "128,205");
  });

  it("naturalCompare orders digit runs by value and is a total order (antisymmetric, consistent with sort)", () => {
    const names = ["CPU 10/KVM", "CPU 2/KVM", "CPU 0/KVM", "IO mon_iothread", "CPU 1/KVM", "iothread1", "iothread10", "iothread2"];
    assert.deepEqual([...names].sort(naturalCompare), ["CPU 0/KVM", "CPU 1/KVM", "CPU 2/KVM", "CPU 10/KVM", "IO mon_iothread", "iothread1", "iothread2", "iothread10"]);
    const name = fc.stringMatching(/^[a-zA-Z /_]{0,4}[0-9]{0,25}[a-z]{0,2}[0-9]{0,3}$/);
    fc.assert(
      fc.property(name, name, name, (a, b, c) => {
        assert.equal(Math.sign(naturalCompare(a, b)), -Math.sign(naturalCompare(b, a)));
        assert.equal(naturalCompare(a, b) === 0, a === b);
        if (naturalCompare(a, b) < 0 && naturalCompare(b, c) < 0) assert.ok(naturalCompare(a, c) < 0, `${a} < ${b} < ${c}`);
      }),
      { numRuns: 2000 },
    );
  });
});
