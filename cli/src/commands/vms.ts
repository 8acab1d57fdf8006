// `eastwest vms`: the VMs host agents report, with exit rates and linked guest agents.
import { toJson } from "@eastwest/common";
import { formatVms, parseExact, type VmSummary } from "@eastwest/collector/format";
import type { CliCommand } from "../types.ts";
import { parseFlags, withConfigErrors } from "../flags.ts";

const USAGE = `usage: eastwest vms [--api URL] [--json]

Lists the QEMU VMs that host agents discovered, with KVM exits/s (all, io,
mmio, halt) from their latest sample, and the guest agents linked to each VM
by machine UUID.

  --api URL   collector HTTP API (http://127.0.0.1:7471)   env EASTWEST_API
  --json      print JSON
`;

export const vmsCommand: CliCommand = {
  name: "vms",
  summary: "list VMs with KVM exits/s and their guest agents",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const { values } = parseFlags(argv, { api: { type: "string" }, json: { type: "boolean" } }, {});
      if (values["help"]) return io.stdout(USAGE), 0;
      const api = ((values["api"] as string | undefined) ?? process.env["EASTWEST_API"] ?? "http://127.0.0.1:7471").replace(/\/$/, "");
      let res: Response;
      try {
        res = await fetch(`${api}/api/v1/vms`);
      } catch (err) {
        throw new Error(`cannot reach the collector at ${api}: ${(err as Error).message}`);
      }
      const body = parseExact(await res.text()) as { vms?: VmSummary[]; error?: string };
      if (!res.ok) throw new Error(`collector answered ${res.status}: ${body.error ?? ""}`);
      io.stdout(values["json"] ? toJson(body.vms, 2) + "\n" : formatVms(body.vms ?? []));
      return 0;
    }),
};
