// `eastwest vms`: the VMs host agents report, with exit rates and linked guest agents.
import { toJson } from "@eastwest/common";
import { formatVms, type VmSummary } from "@eastwest/collector/format";
import type { CliCommand } from "../types.ts";
import { parseFlags, withConfigErrors } from "../flags.ts";
import { API_OPTIONS, API_USAGE, apiTarget, callApi } from "../api.ts";

const USAGE = `usage: eastwest vms [--api URL] [--token-file FILE] [--json]

Lists the QEMU VMs that host agents discovered, with KVM exits/s (all, io,
mmio, halt) from their latest sample, and the guest agents linked to each VM
by machine UUID.

${API_USAGE}  --json                  print JSON
`;

export const vmsCommand: CliCommand = {
  name: "vms",
  summary: "list VMs with KVM exits/s and their guest agents",
  usage: USAGE,
  run: (argv, io) =>
    withConfigErrors(io, async () => {
      const { values } = parseFlags(argv, { ...API_OPTIONS, json: { type: "boolean" } }, {});
      if (values["help"]) return io.stdout(USAGE), 0;
      const body = (await callApi(apiTarget(values), "/api/v1/vms")) as { vms?: VmSummary[] };
      io.stdout(values["json"] ? toJson(body.vms, 2) + "\n" : formatVms(body.vms ?? []));
      return 0;
    }),
};
