import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ParseError } from "@eastwest/common";
import { parseMemcpy, parseMemcpyRates, parseSyscallBasic } from "../../../agent/src/calibrate/perf-bench.parse.ts";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/perf/${name}`, import.meta.url), "utf8");
const GiB = 1024 ** 3;

describe("perf bench mem memcpy parser", () => {
  it("reads GB/sec as GiB/s (captured, perf 6.1)", () => {
    assert.equal(parseMemcpy(fixture("memcpy-64KB.perf-6.1.txt")), 28.910925 * GiB);
    assert.equal(parseMemcpy(fixture("memcpy-64MB.perf-6.1.txt")), 4.043083 * GiB);
  });

  it("names every function of -f all and picks the one asked for", () => {
    const text = fixture("memcpy-64KB-all.perf-6.1.txt");
    assert.deepEqual(
      parseMemcpyRates(text).map((r) => [r.function, r.bytes_per_s / GiB, r.prefault]),
      [
        ["default", 29.520295, false],
        ["x86-64-unrolled", 12.389885, false],
        ["x86-64-movsq", 28.130187, false],
        ["x86-64-movsb", 29.649835, false],
      ],
    );
    assert.equal(parseMemcpy(text), 29.520295 * GiB);
    assert.equal(parseMemcpy(text, "x86-64-movsq"), 28.130187 * GiB);
    assert.throws(() => parseMemcpy(text, "nosuch"), ParseError);
  });

  it("prefers the prefaulted line of perf before Linux 4.1 (hand-written)", () => {
    const text = fixture("memcpy-1MB.perf-3.x.handwritten.txt");
    assert.deepEqual(parseMemcpyRates(text), [
      { function: null, bytes_per_s: 3.255208 * GiB, prefault: false },
      { function: null, bytes_per_s: 9.765625 * GiB, prefault: true },
    ]);
    assert.equal(parseMemcpy(text), 9.765625 * GiB);
  });

  it("reads the smaller units, including perf's stray 'd' after KB", () => {
    assert.equal(parseMemcpy("      512.000000d KB/sec\n"), 512 * 1024);
    assert.equal(parseMemcpy("      700.500000 MB/sec\n"), 700.5 * 1024 ** 2);
    assert.equal(parseMemcpy("      100.000000 bytes/sec\n"), 100);
  });

  for (const [name, why] of [
    ["memcpy-truncated.txt", /no bandwidth line/],
    ["memcpy-inf.handwritten.txt", /no elapsed time measured/],
    ["memcpy-unknown-function.perf-6.1.txt", /no bandwidth line/],
    ["memcpy-simple-format.perf-6.1.txt", /no bandwidth line/],
    ["garbage.txt", /no bandwidth line/],
  ] as const) {
    it(`raises ParseError for ${name}`, () => {
      assert.throws(() => parseMemcpy(fixture(name)), (err: unknown) => err instanceof ParseError && why.test(err.message));
    });
  }

  it("raises ParseError for empty input, cycles output and a zero rate", () => {
    assert.throws(() => parseMemcpy(""), ParseError);
    assert.throws(() => parseMemcpy("       0.232143 cycles/byte\n"), /cycles-per-byte/);
    assert.throws(() => parseMemcpy("       0.000000 GB/sec\n"), /unusable rate line/);
  });
});

describe("perf bench syscall basic parser", () => {
  it("reads usecs/op (captured, perf 6.1)", () => {
    assert.deepEqual(parseSyscallBasic(fixture("syscall-basic.perf-6.1.txt")), {
      call: "getppid()",
      calls: 1_000_000,
      us_per_op: 0.120011,
      ops_per_s: 8_332_569,
    });
  });

  it("reads digit-grouped counts (hand-written, a grouping locale)", () => {
    assert.deepEqual(parseSyscallBasic(fixture("syscall-basic.grouped.handwritten.txt")), {
      call: "getppid()",
      calls: 10_000_000,
      us_per_op: 0.095527,
      ops_per_s: 10_468_244,
    });
  });

  it("falls back to ops/sec when usecs/op is 0", () => {
    const r = parseSyscallBasic("# Executed 10 getppid() calls\n       0.000000 usecs/op\n        4000000 ops/sec\n");
    assert.equal(r.us_per_op, 0.25);
  });

  for (const [name, why] of [
    ["syscall-truncated.txt", /no "usecs\/op"/],
    ["syscall-simple-format.perf-6.1.txt", /no "usecs\/op"/],
    ["garbage.txt", /no "usecs\/op"/],
  ] as const) {
    it(`raises ParseError for ${name}`, () => {
      assert.throws(() => parseSyscallBasic(fixture(name)), (err: unknown) => err instanceof ParseError && why.test(err.message));
    });
  }

  it("raises ParseError when perf measured no time", () => {
    const zero = "# Executed 1 getppid() calls\n     Total time: 0.000 [sec]\n\n       0.000000 usecs/op\n    -2147483648 ops/sec\n";
    assert.throws(() => parseSyscallBasic(zero), /no elapsed time measured/);
  });
});
