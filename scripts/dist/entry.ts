// The packaged CLI's entry (scripts/build-dist.ts bundles it as lib/eastwest.mjs): checks the Node it runs on
// against package.json's engines first (a Node given through EASTWEST_NODE may be older than the shipped one, and
// the CLI's own code may not even load there), then loads the CLI, which is a separate chunk.
declare const EASTWEST_NODE_MIN: string;

/** Whether version "a.b.c" is older than "x.y". */
function older(version: string, min: string): boolean {
  const v = version.split(".").map(Number);
  const m = min.split(".").map(Number);
  for (let i = 0; i < m.length; i++) {
    const d = (v[i] ?? 0) - (m[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

if (older(process.versions.node, EASTWEST_NODE_MIN)) {
  process.stderr.write(`eastwest: Node ${process.versions.node} at ${process.execPath} is too old: eastwest needs Node >= ${EASTWEST_NODE_MIN} (unset EASTWEST_NODE to use the Node shipped with eastwest)\n`);
  process.exit(78);
}

const { runProcess } = await import("../../cli/src/main.ts");
void runProcess();
