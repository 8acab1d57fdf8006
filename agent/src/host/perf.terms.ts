// The symbol -> cost-term table of CPU profiles (perf record -e cpu-clock). One sample is charged to one term:
// first by its thread's name (vhost, QEMU, idle), else by the first frame of its call chain, leaf first, that a
// rule names; frames no rule names (and "pass" frames) hand the sample on to their caller. A chain that no rule
// names is "other" (user-space code of any process, kernel work outside these paths). Pure.
//
// why "pass": cpu-clock is an hrtimer; a sample that falls while interrupts are off is taken where they come
// back on (_raw_spin_unlock_irqrestore, local_bh_enable, ...), so the time belongs to the function that
// turned them off, which is the caller. Without call chains (-g) these samples stay in "other".

/** The model's terms, as profiles measure them. */
export const PROFILE_TERMS = ["copies", "checksum", "syscalls", "softirq", "stack", "scheduler", "vhost_qemu", "idle", "other"] as const;
export type ProfileTerm = (typeof PROFILE_TERMS)[number];

/** Terms a run's breakdown counts as explained CPU time (everything but idle and other). */
export const EXPLAINING_TERMS: readonly ProfileTerm[] = ["copies", "checksum", "syscalls", "softirq", "stack", "scheduler", "vhost_qemu"];

type Rule = readonly [pattern: RegExp, term: ProfileTerm | "pass"];

/** Thread names (comm) that decide the term whatever the stack says. Checked in order. */
const COMM_RULES: readonly Rule[] = [
  // vhost-net worker threads of a KVM host (vhost-<owner pid>): the host's copies for a virtio-net guest.
  [/^vhost-\d+$/, "vhost_qemu"],
  // QEMU's main loop and I/O threads (comm is truncated to 15 characters: qemu-system-x86).
  [/^qemu-system/, "vhost_qemu"],
  // QEMU vCPU threads with -name debug-threads=on ("CPU 0/KVM", "CPU 1/TCG").
  [/^CPU \d+\/(KVM|TCG)$/, "vhost_qemu"],
  // QEMU I/O threads with debug-threads=on (e.g. "IO iothread0", "IO mon_iothread").
  [/^IO [\w-]+$/, "vhost_qemu"],
];

/** Symbol rules, checked in order on each frame from the leaf up; the first match decides. */
const SYMBOL_RULES: readonly Rule[] = [
  // Lock release and interrupt/bottom-half re-enable: the skewed landing point of a cpu-clock sample (see top).
  [/^_raw_(spin|read|write)_(unlock|lock)(_irqrestore|_irq|_bh)?$/, "pass"],
  [/^(__local_bh_enable_ip|local_bh_enable|_local_bh_enable|__raw_callee_save___pv_queued_spin_unlock|__pv_queued_spin_lock_slowpath|queued_spin_lock_slowpath|native_queued_spin_lock_slowpath)$/, "pass"],
  // The idle loop (halt, cpuidle governors, the idle task's own functions).
  [/^(do_idle|cpu_idle\w*|cpuidle\w*|default_idle\w*|arch_cpu_idle\w*|\w+_idle_enter|poll_idle|intel_idle\w*|acpi_idle\w*|mwait_idle\w*|pv_native_safe_halt|native_safe_halt|cpu_startup_entry)$/, "idle"],
  // Checksums in software, including copy-and-checksum in one pass (checked before copies).
  [/^(csum_partial|csum_partial_copy\w*|csum_and_copy\w*|__csum\w*|csum_\w+|skb_checksum\w*|__skb_checksum\w*|do_csum|ip_compute_csum|ip_fast_csum)$/, "checksum"],
  // Payload copies between user and kernel memory and inside the kernel (iov iterators, user-copy primitives).
  [/^(_copy_to_iter|_copy_from_iter|_copy_from_iter_nocache|copy_page_to_iter|copy_page_from_iter\w*|copyout|copyin|__copy_\w+|_copy_to_user|_copy_from_user|raw_copy_\w+)$/, "copies"],
  [/^(copy_user_\w+|rep_movs\w*|__memcpy\w*|memcpy\w*|__pi_memcpy|__memmove|memmove\w*|__pi_memmove|copy_mc_\w+)$/, "copies"],
  // The iterator that walks an skb's fragments for each copy, and the hardened-usercopy check every copy makes.
  [/^(__skb_datagram_iter|skb_copy_datagram_iter|skb_copy_bits|skb_copy_datagram_from_iter|__check_object_size|check_heap_object|__virt_addr_valid)$/, "copies"],
  // System call entry and exit, and the generic layers a socket read/write passes (vfs, select/poll).
  [/^(entry_SYSCALL\w*|do_syscall_64|syscall_exit\w*|syscall_return_via_sysret|__x64_sys_\w+|x64_sys_call|exit_to_user_mode\w*|syscall_trace_enter\w*|fpregs_assert_state_consistent|switch_fpu_return)$/, "syscalls"],
  [/^(ksys_read|ksys_write|vfs_read|vfs_write|new_sync_read|new_sync_write|rw_verify_area|fdget\w*|__fdget\w*|__fget_light|do_select|core_sys_select|do_pselect\w*|kern_select|do_sys_poll|do_poll\w*|__se_sys_\w+|security_file_permission|fsnotify\w*|__fsnotify\w*)$/, "syscalls"],
  // NAPI and softirq dispatch of received packets (the device-independent receive entry).
  [/^(net_rx_action|__napi_poll|napi_poll|process_backlog|__netif_receive_skb\w*|netif_receive_skb\w*|handle_softirqs|__do_softirq|do_softirq\w*|irq_exit\w*|run_ksoftirqd|napi_gro_\w+|dev_gro_receive|gro_\w+|inet_gro_\w+|tcp4?_gro_\w+)$/, "softirq"],
  // Scheduling: context switches and wake-ups (a blocking recv and a waking send pay these).
  [/^(__schedule|schedule\w*|finish_task_switch\w*|try_to_wake_up|ttwu_\w+|__wake_up\w*|wake_up_\w+|pick_next_\w+|enqueue_task\w*|dequeue_task\w*|update_curr\w*|psi_\w+|__switch_to\w*|context_switch)$/, "scheduler"],
  // The rest of the TCP/IP path: transport, IP, sockets, skb management, the device layer, veth and bridge.
  [/^(tcp_\w+|__tcp_\w+|tcp\d_\w+|ip_\w+|__ip_\w+|ip6_\w+|ipv6_\w+|inet_\w+|__inet_\w+|udp_\w+|sk_\w+|__sk_\w+|sock_\w+|__sock_\w+|release_sock|lock_sock\w*|skb_\w+|__skb_\w+|kfree_skb\w*|consume_skb|__alloc_skb|alloc_skb\w*|__kfree_skb|napi_\w+|__napi_\w+|dev_\w+|__dev_\w+|netif_\w+|__netif_\w+|veth_\w+|br_\w+|__br_\w+|nf_\w+|__nf_\w+|neigh_\w+|eth_\w+|loopback_xmit|validate_xmit_\w+|sch_direct_xmit|__qdisc_\w+|qdisc_\w+|pfifo_\w+|netdev_\w+|raw_v4_\w+|icmp_\w+|fib_\w+|__fib_\w+|dst_\w+|rt_\w+|__mkroute_\w+|bpf_\w+|virtnet_\w+|virtqueue_\w+|vring_\w+|mlx\w+|ixgbe_\w+|i40e_\w+)$/, "stack"],
];

function firstMatch(rules: readonly Rule[], s: string): ProfileTerm | "pass" | undefined {
  for (const [re, term] of rules) if (re.test(s)) return term;
  return undefined;
}

/** perf prints a symbol with an offset when asked (`tcp_sendmsg+0x2c`) and ".isra.0"-style clone suffixes. */
export function baseSymbol(sym: string): string {
  return sym.replace(/\+0x[0-9a-f]+$/, "").replace(/\.(isra|constprop|part|cold|lto_priv)(\.\d+)*/g, "");
}

/** The idle task of each CPU (swapper/N): idle unless its frames show work (an interrupt's softirq on an idle CPU). */
const IDLE_TASK = /^swapper(\/\d+)?$/;

/** The term of one sample: its thread name, then its frames (leaf first). */
export function classify(comm: string, frames: readonly string[]): ProfileTerm {
  const byComm = firstMatch(COMM_RULES, comm);
  if (byComm !== undefined && byComm !== "pass") return byComm;
  for (const sym of frames) {
    const term = firstMatch(SYMBOL_RULES, baseSymbol(sym));
    if (term !== undefined && term !== "pass") return term;
  }
  return IDLE_TASK.test(comm) ? "idle" : "other";
}
