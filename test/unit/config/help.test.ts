// --help cannot drift from the flags: the collector's flags section is generated from its flag map, defaults and
// environment table; every other program's help names exactly the flags it parses.
import assert from "node:assert/strict";
import { main } from "../../../cli/src/main.ts";
import { COLLECTOR_FLAGS } from "../../../cli/src/commands/collector.ts";
import { AGENT_FLAGS } from "../../../cli/src/commands/agent.ts";
import { flagHelp } from "../../../cli/src/help.ts";

async function help(command: string): Promise<string> {
  let out = "";
  const code = await main([command, "--help"], { stdout: (s) => void (out += s), stderr: () => undefined });
  assert.equal(code, 0);
  return out;
}

/** The long flags a help text names in its flag lines (those that start with a flag). */
const named = (text: string) => new Set([...text.matchAll(/^\s+(?:-\w, )?--([a-z][a-z0-9-]*)/gm)].map((m) => m[1] as string));

describe("cli: --help matches the flags", () => {
  it("collector: every flag of the map is in the help with its default and variable, and nothing else is", async () => {
    const text = await help("collector");
    const common = ["config", "print-config", "version"];
    assert.deepEqual([...named(text)].sort(), [...Object.keys(COLLECTOR_FLAGS), ...common].sort());
    assert.match(text, /--grpc-port PORT +gRPC port; 0 picks a free one \(default 7470\)\s+\[env EASTWEST_GRPC_PORT\]/);
    assert.match(text, /--data FILE +embedded store file \(default eastwest-data\/eastwest\.db\)\s+\[env EASTWEST_STORE_PATH\]/);
  });

  it("a flag without a description is refused, not printed bare", () => {
    assert.throws(() => flagHelp({ "new-flag": { path: ["x"], type: "string" } }, {}, {}, []), /--new-flag: no help text/);
  });

  it("agent: the help names exactly the flags it parses", async () => {
    const text = await help("agent");
    const documented = [...named(text)].filter((f) => !["help", "config", "print-config", "version"].includes(f)).sort();
    assert.deepEqual(documented, Object.keys(AGENT_FLAGS).sort());
  });
});
