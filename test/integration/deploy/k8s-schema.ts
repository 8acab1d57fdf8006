// Kubernetes manifests against the API's OpenAPI schema, offline, through the
// kubernetes-models package (generated from that schema): its validate() checks
// types, enums and required fields; the TypeScript compiler checks the same
// objects as literals of the generated interfaces, which also rejects unknown
// fields (a misspelt `hostPid` is silently dropped by the API server otherwise).
import { join } from "node:path";
import ts from "typescript";
import type { K8sObject } from "./k8s.ts";

/** The kubernetes-models module of a kind, e.g. apps/v1 DaemonSet -> "kubernetes-models/apps/v1/DaemonSet". */
export function modelModule(o: Pick<K8sObject, "apiVersion" | "kind">): string {
  return `kubernetes-models/${o.apiVersion}/${o.kind}`;
}

/** validate() of each object's model; one problem per invalid object. */
export async function validateModels(objects: readonly { where: string; object: K8sObject }[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { where, object } of objects) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(modelModule(object))) as Record<string, unknown>;
    } catch {
      problems.push(`${where}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    const Model = mod[object.kind] as new (data: unknown) => { validate(): void };
    try {
      new Model(object).validate();
    } catch (err) {
      problems.push(`${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return problems;
}

/** Type-checks every object as a literal of its generated interface; returns the compiler's complaints. */
export function typeCheckModels(objects: readonly { where: string; object: K8sObject }[], fromDir: string): string[] {
  const file = join(fromDir, "__eastwest_manifests__.ts");
  const lines = objects.map(({ object }, i) => `import type { I${object.kind} as T${i} } from "${modelModule(object)}";`);
  objects.forEach(({ object }, i) => lines.push(`export const m${i}: T${i} = ${JSON.stringify(object, null, 1)};`));
  const text = lines.join("\n");
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file?.fileName !== file || d.start === undefined) return msg;
    // why: name the object the complaint is in, not the generated line.
    const line = d.file.getLineAndCharacterOfPosition(d.start).line;
    const idx = text.split("\n").slice(0, line + 1).reduce((n, l) => (l.startsWith("export const m") ? n + 1 : n), -1);
    return `${objects[idx]?.where ?? "?"}: ${msg}`;
  });
}
