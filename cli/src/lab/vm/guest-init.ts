// The guest's /init (busybox sh): mounts, loads the lab's modules, reads its per-run settings from QEMU's fw_cfg
// (opt/eastwest/env: shell assignments the lab wrote; opt/eastwest/{ca,cert,key}: the agent's TLS files), brings
// up eth0 and runs the agent. Console lines start with "eastwest-guest:" so the lab can follow the boot.

/** Where the lab's files live in the guest. */
export const GUEST_AGENT = "/opt/eastwest/eastwest-agent";
export const GUEST_MODULES_DIR = "/lib/modules/eastwest";

export const GUEST_INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /usr/bin /usr/sbin /sbin /var/lib
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
say() { echo "eastwest-guest: $*" > /dev/console; }
say "init at $(cut -d' ' -f1 /proc/uptime) s"
for m in $(cat ${GUEST_MODULES_DIR}/order); do insmod ${GUEST_MODULES_DIR}/$m || say "insmod $m failed"; done
cfg=/sys/firmware/qemu_fw_cfg/by_name/opt/eastwest
if [ ! -r $cfg/env/raw ]; then say "no settings in fw_cfg (opt/eastwest/env)"; poweroff -f; fi
. $cfg/env/raw
mkdir -p /etc/eastwest && for f in ca cert key; do cat $cfg/$f/raw > /etc/eastwest/$f.pem; done
chmod 600 /etc/eastwest/key.pem
hostname "$EW_HOSTNAME"
ip link set lo up
ip addr add "$EW_IP/24" dev eth0 && ip link set eth0 up || say "eth0 not configured"
say "network $EW_IP up at $(cut -d' ' -f1 /proc/uptime) s; clock $(date -u +%Y-%m-%dT%H:%M:%SZ)"
${GUEST_AGENT} --id "$EW_ID" --collector "$EW_COLLECTOR" --actions "$EW_ACTIONS" \\
  --tls-ca /etc/eastwest/ca.pem --tls-cert /etc/eastwest/cert.pem --tls-key /etc/eastwest/key.pem \\
  --spool-dir /var/lib/eastwest-spool --scheduling normal --log-level warn > /dev/console 2>&1
say "agent exited $?"
poweroff -f
`;

/** Modules the guest loads, in order (each after what it depends on is the image builder's duty). */
export const GUEST_MODULES = ["virtio_pci", "virtio_net", "qemu_fw_cfg", "inet_diag", "tcp_diag", "sch_tbf", "sch_htb"] as const;

/** Host programs copied into the guest with their shared libraries (the agent's actions and samplers run them). */
export const GUEST_TOOLS = ["iperf3", "ethtool", "ip", "ss", "tc", "perf"] as const;

/** Single-quoted for sh (the lab's own values; quoted anyway). */
export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** opt/eastwest/env: what /init sources. */
export function guestEnv(v: { id: string; hostname: string; ip: string; collector: string; actions: unknown }): string {
  return [`EW_ID=${shQuote(v.id)}`, `EW_HOSTNAME=${shQuote(v.hostname)}`, `EW_IP=${shQuote(v.ip)}`, `EW_COLLECTOR=${shQuote(v.collector)}`, `EW_ACTIONS=${shQuote(JSON.stringify(v.actions))}`, ""].join("\n");
}
