// Structural checks of deploy/k8s: the shape of the fields that matter (zod) and
// the references between objects (mounts -> volumes -> ConfigMaps and keys,
// Service -> pods and ports, --config -> a mounted ConfigMap key).
import { posix } from "node:path";
import { z } from "zod";

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const labels = z.record(z.string(), z.string());

const meta = z.looseObject({ name: z.string().regex(DNS1123, "a DNS-1123 name"), namespace: z.string().optional(), labels: labels.optional() });
export const k8sObject = z.looseObject({ apiVersion: z.string().min(1), kind: z.string().min(1), metadata: meta });
export type K8sObject = z.infer<typeof k8sObject>;

const port = z.looseObject({ name: z.string().optional(), containerPort: z.number().int().min(1).max(65535) });
const mount = z.looseObject({ name: z.string().min(1), mountPath: z.string().startsWith("/"), readOnly: z.boolean().optional() });
const probe = z.looseObject({ httpGet: z.looseObject({ path: z.string(), port: z.union([z.string(), z.number()]) }).optional() });
const container = z.looseObject({
  name: z.string().regex(DNS1123),
  image: z.string().min(1, "an image"),
  args: z.array(z.string()).optional(),
  env: z.array(z.looseObject({ name: z.string().min(1), value: z.string().optional() })).optional(),
  ports: z.array(port).optional(),
  volumeMounts: z.array(mount).optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
  securityContext: z
    .looseObject({
      privileged: z.boolean().optional(),
      allowPrivilegeEscalation: z.boolean().optional(),
      capabilities: z.looseObject({ add: z.array(z.string().regex(/^(?!CAP_)[A-Z_]+$/, "a capability without CAP_ (the API's spelling)")).optional(), drop: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
});
const volume = z.looseObject({
  name: z.string().min(1),
  configMap: z.looseObject({ name: z.string(), items: z.array(z.looseObject({ key: z.string(), path: z.string() })).optional() }).optional(),
  hostPath: z.looseObject({ path: z.string().startsWith("/") }).optional(),
  secret: z.looseObject({ secretName: z.string(), optional: z.boolean().optional(), items: z.array(z.looseObject({ key: z.string(), path: z.string() })).optional() }).optional(),
});
export const podSpec = z.looseObject({ containers: z.array(container).min(1), volumes: z.array(volume).default([]), hostPID: z.boolean().optional(), hostNetwork: z.boolean().optional(), dnsPolicy: z.string().optional() });
export type PodSpec = z.infer<typeof podSpec>;
export type Container = z.infer<typeof container>;

export const workload = k8sObject.extend({
  spec: z.looseObject({
    replicas: z.number().int().min(0).optional(),
    volumeClaimTemplates: z.array(z.looseObject({ metadata: z.looseObject({ name: z.string() }) })).optional(),
    selector: z.looseObject({ matchLabels: labels }),
    template: z.looseObject({ metadata: z.looseObject({ labels }), spec: podSpec }),
  }),
});
export type Workload = z.infer<typeof workload>;
export const configMap = k8sObject.extend({ data: z.record(z.string(), z.string()) });
export type ConfigMap = z.infer<typeof configMap>;
export const service = k8sObject.extend({
  spec: z.looseObject({ selector: labels, ports: z.array(z.looseObject({ name: z.string().optional(), port: z.number().int(), targetPort: z.union([z.string(), z.number()]).optional() })).min(1) }),
});

/** Parses with a schema, turning issues into "where: path: message" problems. */
export function shapeProblems<T>(schema: z.ZodType<T>, value: unknown, where: string): { value?: T; problems: string[] } {
  const r = schema.safeParse(value);
  if (r.success) return { value: r.data, problems: [] };
  return { problems: r.error.issues.map((i) => `${where}: ${i.path.join(".") || "(top)"}: ${i.message}`) };
}

/** What a container reads as its --config: the ConfigMap key mounted at that path. */
export interface MountedConfig {
  where: string;
  container: Container;
  text: string;
}

/**
 * Mounts name volumes that exist (or a StatefulSet's volume claim templates, `claims`); configMap volumes
 * name ConfigMaps and keys that exist; probes name container ports.
 */
export function podProblems(where: string, pod: PodSpec, maps: readonly ConfigMap[], claims: readonly string[] = []): { problems: string[]; configs: MountedConfig[] } {
  const problems: string[] = [];
  const configs: MountedConfig[] = [];
  const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
  for (const v of pod.volumes) {
    if (!v.configMap) continue;
    const cm = maps.find((m) => m.metadata.name === v.configMap?.name);
    if (!cm) problems.push(`${where}: volume ${v.name}: no ConfigMap ${v.configMap.name}`);
    for (const item of v.configMap.items ?? []) if (cm && !(item.key in cm.data)) problems.push(`${where}: volume ${v.name}: ConfigMap ${cm.metadata.name} has no key ${item.key}`);
  }
  for (const c of pod.containers) {
    const portNames = new Set((c.ports ?? []).map((p) => p.name));
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name) && !claims.includes(m.name)) problems.push(`${where}/${c.name}: mount ${m.mountPath}: no volume ${m.name}`);
    for (const p of [c.readinessProbe, c.livenessProbe]) {
      const named = p?.httpGet?.port;
      if (typeof named === "string" && !portNames.has(named)) problems.push(`${where}/${c.name}: probe port ${named} is not a container port`);
    }
    // why: rules the API server applies that its OpenAPI schema does not carry.
    const sc = c.securityContext;
    if (sc?.allowPrivilegeEscalation === false && (sc.privileged || sc.capabilities?.add?.includes("SYS_ADMIN"))) problems.push(`${where}/${c.name}: allowPrivilegeEscalation false with privileged or SYS_ADMIN`);
    const at = (c.args ?? []).indexOf("--config");
    if (at < 0) continue;
    const file = c.args?.[at + 1] ?? "";
    const text = mountedConfigMapFile(file, c, volumes, maps);
    if (text === undefined) problems.push(`${where}/${c.name}: --config ${file} is not a key of a mounted ConfigMap`);
    else configs.push({ where: `${where}/${c.name}`, container: c, text });
  }
  return { problems, configs };
}

function mountedConfigMapFile(file: string, c: Container, volumes: Map<string, PodSpec["volumes"][number]>, maps: readonly ConfigMap[]): string | undefined {
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    const cm = maps.find((x) => x.metadata.name === v?.configMap?.name);
    if (!v?.configMap || !cm || posix.dirname(file) !== m.mountPath) continue;
    const base = posix.basename(file);
    const key = v.configMap.items ? v.configMap.items.find((i) => i.path === base)?.key : base;
    if (key !== undefined && key in cm.data) return cm.data[key];
  }
  return undefined;
}

/** The selector picks the template's labels. */
export function selectorProblems(w: Workload): string[] {
  const tpl = w.spec.template.metadata.labels;
  return Object.entries(w.spec.selector.matchLabels).filter(([k, v]) => tpl[k] !== v).map(([k]) => `${w.kind}/${w.metadata.name}: selector ${k} does not match the template's labels`);
}

/** A Service selects the pods of one workload and targets ports those pods declare. */
export function serviceProblems(svc: z.infer<typeof service>, workloads: readonly Workload[]): string[] {
  const where = `Service/${svc.metadata.name}`;
  const picked = workloads.filter((w) => Object.entries(svc.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
  if (picked.length === 0) return [`${where}: selects no workload's pods`];
  const names = new Set(picked.flatMap((w) => w.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name))));
  return svc.spec.ports.filter((p) => typeof p.targetPort === "string" && !names.has(p.targetPort)).map((p) => `${where}: targetPort ${String(p.targetPort)} is not a port of the selected pods`);
}

/** Host paths (hostPath volumes) mounted at each mountPath of a container. */
export function hostMounts(pod: PodSpec, c: Container): Map<string, { hostPath: string; readOnly: boolean }> {
  const out = new Map<string, { hostPath: string; readOnly: boolean }>();
  for (const m of c.volumeMounts ?? []) {
    const hp = pod.volumes.find((v) => v.name === m.name)?.hostPath?.path;
    if (hp) out.set(m.mountPath, { hostPath: hp, readOnly: m.readOnly ?? false });
  }
  return out;
}

/** The Secret and key a container sees at `file` (a secret volume mounted at its directory), or undefined. */
export function mountedSecretKey(file: string, pod: PodSpec, c: Container): { secretName: string; key: string; optional: boolean } | undefined {
  for (const m of c.volumeMounts ?? []) {
    const secret = pod.volumes.find((v) => v.name === m.name)?.secret;
    if (!secret || posix.dirname(file) !== m.mountPath) continue;
    const base = posix.basename(file);
    const key = secret.items ? secret.items.find((i) => i.path === base)?.key : base;
    if (key !== undefined) return { secretName: secret.secretName, key, optional: secret.optional ?? false };
  }
  return undefined;
}

/** A container's environment from literal values; values from elsewhere (fieldRef, secretKeyRef) as "x". */
export function containerEnv(c: Container): Record<string, string> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? "x"]));
}
