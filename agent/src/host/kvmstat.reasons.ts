// VM-exit reason codes and their names.
// VMX: basic exit reasons, Intel SDM Vol. 3 Appendix C (Table C-1); names as Linux's uapi asm/vmx.h (and so
//      `perf kvm stat` on Intel) prints them, SDM-derived for codes Linux does not name.
// SVM: exit codes, AMD APM Vol. 2 Appendix C; names are Linux's SVM_EXIT_* suffixes, plus the lower-case label
//      Linux's uapi asm/svm.h SVM_EXIT_REASONS (and so `perf kvm stat` on AMD) prints for the code.

export type ExitVendor = "vmx" | "svm";

const VMX: ReadonlyArray<readonly [number, string]> = [
  [0, "EXCEPTION_NMI"], [1, "EXTERNAL_INTERRUPT"], [2, "TRIPLE_FAULT"], [3, "INIT_SIGNAL"], [4, "SIPI_SIGNAL"],
  [5, "IO_SMI"], [6, "OTHER_SMI"], [7, "INTERRUPT_WINDOW"], [8, "NMI_WINDOW"], [9, "TASK_SWITCH"], [10, "CPUID"],
  [11, "GETSEC"], [12, "HLT"], [13, "INVD"], [14, "INVLPG"], [15, "RDPMC"], [16, "RDTSC"], [17, "RSM"], [18, "VMCALL"],
  [19, "VMCLEAR"], [20, "VMLAUNCH"], [21, "VMPTRLD"], [22, "VMPTRST"], [23, "VMREAD"], [24, "VMRESUME"], [25, "VMWRITE"],
  [26, "VMOFF"], [27, "VMON"], [28, "CR_ACCESS"], [29, "DR_ACCESS"], [30, "IO_INSTRUCTION"], [31, "MSR_READ"],
  [32, "MSR_WRITE"], [33, "INVALID_STATE"], [34, "MSR_LOAD_FAIL"], [36, "MWAIT_INSTRUCTION"], [37, "MONITOR_TRAP_FLAG"],
  [39, "MONITOR_INSTRUCTION"], [40, "PAUSE_INSTRUCTION"], [41, "MCE_DURING_VMENTRY"], [43, "TPR_BELOW_THRESHOLD"],
  [44, "APIC_ACCESS"], [45, "EOI_INDUCED"], [46, "GDTR_IDTR"], [47, "LDTR_TR"], [48, "EPT_VIOLATION"], [49, "EPT_MISCONFIG"],
  [50, "INVEPT"], [51, "RDTSCP"], [52, "PREEMPTION_TIMER"], [53, "INVVPID"], [54, "WBINVD"], [55, "XSETBV"],
  [56, "APIC_WRITE"], [57, "RDRAND"], [58, "INVPCID"], [59, "VMFUNC"], [60, "ENCLS"], [61, "RDSEED"], [62, "PML_FULL"],
  [63, "XSAVES"], [64, "XRSTORS"], [65, "PCONFIG"], [66, "SPP_EVENT"], [67, "UMWAIT"], [68, "TPAUSE"], [69, "LOADIWKEY"],
  [70, "ENCLV"], [72, "ENQCMD_PASID_FAIL"], [73, "ENQCMDS_PASID_FAIL"], [74, "BUS_LOCK"], [75, "NOTIFY"], [76, "SEAMCALL"],
  [77, "TDCALL"],
];

/** Names older kernels (and so older perf) print for a VMX code. */
const VMX_ALIASES: Readonly<Record<string, number>> = { PENDING_INTERRUPT: 7 };

/** [code, SVM_EXIT_* name, label Linux prints] for the codes without a generated range. */
const SVM: ReadonlyArray<readonly [number, string, string]> = [
  [0x60, "INTR", "interrupt"], [0x61, "NMI", "nmi"], [0x62, "SMI", "smi"], [0x63, "INIT", "init"], [0x64, "VINTR", "vintr"],
  [0x65, "CR0_SEL_WRITE", "cr0_sel_write"], [0x66, "IDTR_READ", "read_idtr"], [0x67, "GDTR_READ", "read_gdtr"],
  [0x68, "LDTR_READ", "read_ldtr"], [0x69, "TR_READ", "read_rt"], [0x6a, "IDTR_WRITE", "write_idtr"],
  [0x6b, "GDTR_WRITE", "write_gdtr"], [0x6c, "LDTR_WRITE", "write_ldtr"], [0x6d, "TR_WRITE", "write_rt"],
  [0x6e, "RDTSC", "rdtsc"], [0x6f, "RDPMC", "rdpmc"], [0x70, "PUSHF", "pushf"], [0x71, "POPF", "popf"],
  [0x72, "CPUID", "cpuid"], [0x73, "RSM", "rsm"], [0x74, "IRET", "iret"], [0x75, "SWINT", "swint"], [0x76, "INVD", "invd"],
  [0x77, "PAUSE", "pause"], [0x78, "HLT", "hlt"], [0x79, "INVLPG", "invlpg"], [0x7a, "INVLPGA", "invlpga"],
  [0x7b, "IOIO", "io"], [0x7c, "MSR", "msr"], [0x7d, "TASK_SWITCH", "task_switch"], [0x7e, "FERR_FREEZE", "ferr_freeze"],
  [0x7f, "SHUTDOWN", "shutdown"], [0x80, "VMRUN", "vmrun"], [0x81, "VMMCALL", "hypercall"], [0x82, "VMLOAD", "vmload"],
  [0x83, "VMSAVE", "vmsave"], [0x84, "STGI", "stgi"], [0x85, "CLGI", "clgi"], [0x86, "SKINIT", "skinit"],
  [0x87, "RDTSCP", "rdtscp"], [0x88, "ICEBP", "icebp"], [0x89, "WBINVD", "wbinvd"], [0x8a, "MONITOR", "monitor"],
  [0x8b, "MWAIT", "mwait"], [0x8c, "MWAIT_COND", "mwait_cond"], [0x8d, "XSETBV", "xsetbv"], [0x8e, "RDPRU", "rdpru"],
  [0x8f, "EFER_WRITE_TRAP", "write_efer_trap"], [0xa2, "INVPCID", "invpcid"], [0x400, "NPF", "npf"],
  [0x401, "AVIC_INCOMPLETE_IPI", "avic_incomplete_ipi"], [0x402, "AVIC_UNACCELERATED_ACCESS", "avic_unaccelerated_access"],
  [0x403, "VMGEXIT", "vmgexit"], [-1, "ERR", "invalid_guest_state"],
];

/** Exception vectors Linux labels in SVM exit reasons ("PF excp"); XM is labelled "XF". */
const VECTORS: Readonly<Record<number, string>> = {
  0: "DE", 1: "DB", 3: "BP", 4: "OF", 5: "BR", 6: "UD", 7: "NM", 8: "DF", 10: "TS", 11: "NP", 12: "SS", 13: "GP", 14: "PF",
  16: "MF", 17: "AC", 18: "MC", 19: "XF",
};

function svmRanges(): Array<readonly [number, string, string]> {
  const out: Array<readonly [number, string, string]> = [];
  for (let n = 0; n < 16; n++) {
    out.push([0x00 + n, `READ_CR${n}`, `read_cr${n}`], [0x10 + n, `WRITE_CR${n}`, `write_cr${n}`]);
    out.push([0x20 + n, `READ_DR${n}`, `read_dr${n}`], [0x30 + n, `WRITE_DR${n}`, `write_dr${n}`]);
    out.push([0x90 + n, `CR${n}_WRITE_TRAP`, `write_cr${n}_trap`]);
  }
  for (let v = 0; v < 32; v++) {
    const mnemonic = VECTORS[v];
    out.push([0x40 + v, `EXCP_${mnemonic ?? v}`, `${mnemonic ?? `vector${v}`} excp`]);
  }
  return out;
}

const VMX_BY_CODE = new Map(VMX);
const SVM_ALL = [...svmRanges(), ...SVM];
const SVM_BY_CODE = new Map(SVM_ALL.map(([code, name]) => [code, name]));
const CODE_BY_LABEL = new Map<string, { vendor: ExitVendor; code: number }>([
  ...VMX.map(([code, name]) => [name, { vendor: "vmx", code }] as const),
  ...Object.entries(VMX_ALIASES).map(([name, code]) => [name, { vendor: "vmx", code }] as const),
  ...SVM_ALL.map(([code, , label]) => [label, { vendor: "svm", code }] as const),
]);

/**
 * Name of an exit code, or undefined when the table does not know it. VMX: the basic reason (bits 15:0 of
 * the exit-reason field; bit 31 "VM-entry failure" and bit 27 "from enclave" are ignored). SVM: EXITCODE, -1 for
 * VMEXIT_INVALID.
 */
export function exitReasonName(vendor: ExitVendor, code: number): string | undefined {
  if (vendor === "vmx") return VMX_BY_CODE.get(code & 0xffff);
  return SVM_BY_CODE.get(code === 0xffffffff ? -1 : code);
}

/**
 * The code behind a label as `perf kvm stat report` prints it: upper-case VMX names (Intel hosts), lower-case
 * SVM labels (AMD hosts), e.g. "EPT_VIOLATION" -> vmx 48, "npf" -> svm 0x400. undefined when unknown.
 */
export function exitReasonCode(label: string): { vendor: ExitVendor; code: number } | undefined {
  return CODE_BY_LABEL.get(label.trim());
}
