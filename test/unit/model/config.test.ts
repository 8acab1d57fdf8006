import assert from "node:assert/strict";
import { layerFromDocument, layerFromFlags, parseNumber } from "../../../collector/src/model/config.ts";
import { parseFlags } from "../../../collector/src/model/flags.ts";

describe("model config", () => {
  it("parses decimal numbers only", () => {
    assert.deepEqual(parseNumber("--x", "52e9"), { value: 52e9 });
    assert.deepEqual(parseNumber("--x", " 1.2 "), { value: 1.2 });
    assert.deepEqual(parseNumber("--x", "-1"), { value: -1 });
    for (const bad of ["", "abc", "0x10", "1,5", "Infinity", "NaN", "1e"]) assert.ok("problem" in parseNumber("--x", bad), bad);
  });

  it("turns constant flags into a layer", () => {
    const r = layerFromFlags({ exits: "2", "exit-us": "0.25", "copy-bytes-per-s": "20e9", json: true });
    assert.deepEqual(r, { layer: { exits: 2, exit_us: 0.25, copy_bytes_per_s: 20e9 }, problems: [] });
  });

  it("reports every bad flag value at once", () => {
    const r = layerFromFlags({ copies: "-1", "copy-us": "x", "copy-bytes-per-s": "0", "packet-bytes": "1.5", exits: "1e7" });
    assert.deepEqual(r.layer, {});
    assert.deepEqual(r.problems, [
      '--copy-us: not a number (got "x")',
      "--copy-us and --copy-bytes-per-s: give the per-copy cost or the copy bandwidth, not both",
      "--packet-bytes: must be a whole number of bytes (got 1.5)",
      "--copies: must be >= 0 (got -1)",
      "--copy-bytes-per-s: must be > 0 (got 0)",
      "--exits: must be <= 1e6 (got 10000000)",
    ]);
  });

  it("reads the model: section of a document and ignores other sections", () => {
    assert.deepEqual(layerFromDocument({ collector: { a: 1 }, model: { exits: 2, copy_us: 1 } }, "f.yaml"), {
      layer: { exits: 2, copy_us: 1 },
      problems: [],
    });
    assert.deepEqual(layerFromDocument({ collector: {} }, "f.yaml"), { layer: {}, problems: [] });
    assert.deepEqual(layerFromDocument(null, "f.yaml"), { layer: {}, problems: [] });
  });

  it("reports unknown keys, wrong types and a doubled copy basis in the file", () => {
    const r = layerFromDocument({ model: { bogus: 1, exits: "4", copy_us: 1, copy_bytes_per_s: 1e9 } }, "f.yaml");
    assert.deepEqual(r.problems, [
      'f.yaml: model.exits: Invalid input: expected number, received string (got "4")',
      "f.yaml: model: unknown key(s) bogus",
      "f.yaml: model.copy_us and model.copy_bytes_per_s: give the per-copy cost or the copy bandwidth, not both",
    ]);
    assert.deepEqual(layerFromDocument([1], "f.yaml").problems, ["f.yaml: top level must be a mapping"]);
    assert.deepEqual(layerFromDocument({ model: 3 }, "f.yaml").problems, ["f.yaml: model: must be a mapping"]);
  });
});

describe("parseFlags", () => {
  const spec = { copies: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;

  it("returns the values given", () => {
    assert.deepEqual(parseFlags(["--copies", "3", "--json"], spec), { values: { copies: "3", json: true }, problems: [] });
    assert.deepEqual(parseFlags(["--copies=-1", "-h"], spec), { values: { copies: "-1", help: true }, problems: [] });
  });

  it("collects every problem instead of stopping at the first", () => {
    const r = parseFlags(["--nope", "stray", "--json=1", "--copies", "1", "--copies=2", "--copies"], spec);
    assert.deepEqual(r.problems, [
      "unknown flag --nope",
      'unexpected argument "stray"',
      "--json takes no value",
      "--copies given more than once",
      "--copies needs a value",
    ]);
    assert.deepEqual(parseFlags(["--copies", "--json"], spec).problems, ["--copies needs a value (got --json)"]);
  });
});
