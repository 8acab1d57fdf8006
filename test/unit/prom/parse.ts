// A strict reader of the expositions the tests check: the grammar of the text format 0.0.4 and OpenMetrics 1.0.0
// as far as eastwest uses it (HELP, TYPE counter|gauge, samples without timestamps). Throws on anything else.
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  raw: string;
}

export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const VALUE = /^(NaN|[+-]Inf|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)$/;

export function parseExposition(text: string, format: "text" | "openmetrics"): ParsedFamily[] {
  const lines = text.split("\n");
  if (lines.pop() !== "") throw new Error("exposition does not end with a line feed");
  if (format === "openmetrics" && lines.pop() !== "# EOF") throw new Error("OpenMetrics exposition does not end with # EOF");
  const families: ParsedFamily[] = [];
  const done = new Set<string>();
  let current: ParsedFamily | undefined;
  for (const line of lines) {
    if (line.startsWith("# HELP ")) {
      const [, name, help] = /^# HELP (\S+) (.*)$/.exec(line) ?? [];
      if (name === undefined || help === undefined || !NAME.test(name)) throw new Error(`bad HELP line: ${line}`);
      if (done.has(name)) throw new Error(`family ${name} appears twice`);
      if (current) done.add(current.name);
      current = { name, type: "", help: unescapeHelp(help, format), samples: [] };
      families.push(current);
    } else if (line.startsWith("# TYPE ")) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge)$/.exec(line) ?? [];
      if (current === undefined || name !== current.name || type === undefined) throw new Error(`TYPE not after its HELP: ${line}`);
      current.type = type;
    } else {
      if (current === undefined || current.type === "") throw new Error(`sample before HELP and TYPE: ${line}`);
      const s = parseSample(line);
      const want = current.type === "counter" && format === "openmetrics" ? `${current.name}_total` : current.name;
      if (s.name !== want) throw new Error(`sample ${s.name} in family ${current.name} (${current.type})`);
      if (current.type === "counter" && !s.name.endsWith("_total")) throw new Error(`counter sample ${s.name} without _total`);
      current.samples.push(s);
    }
  }
  return families;
}

export function parseSample(line: string): ParsedSample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new Error(`no metric name: ${line}`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    while (!rest.startsWith("}")) {
      const label = LABEL.exec(rest)?.[0];
      if (label === undefined || !rest.startsWith(`${label}="`, 0)) throw new Error(`bad label in: ${line}`);
      rest = rest.slice(label.length + 2);
      let value = "";
      for (;;) {
        const c = rest[0];
        if (c === undefined || c === "\n") throw new Error(`unterminated label value: ${line}`);
        rest = rest.slice(1);
        if (c === '"') break;
        if (c !== "\\") value += c;
        else {
          const e = rest[0];
          rest = rest.slice(1);
          if (e === "\\" || e === '"') value += e;
          else if (e === "n") value += "\n";
          else throw new Error(`bad escape \\${e} in: ${line}`);
        }
      }
      if (label in labels) throw new Error(`label ${label} twice: ${line}`);
      labels[label] = value;
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) throw new Error(`expected , or } in: ${line}`);
    }
    rest = rest.slice(1);
  }
  if (!rest.startsWith(" ")) throw new Error(`no space before the value: ${line}`);
  const text = rest.slice(1);
  if (!VALUE.test(text)) throw new Error(`bad value "${text}": ${line}`);
  const value = text === "NaN" ? NaN : text === "+Inf" ? Infinity : text === "-Inf" ? -Infinity : Number(text);
  return { name, labels, value, raw: text };
}

function unescapeHelp(help: string, format: "text" | "openmetrics"): string {
  return help.replace(/\\(.)/g, (_, c: string) => {
    if (c === "n") return "\n";
    if (c === "\\") return "\\";
    if (c === '"' && format === "openmetrics") return '"';
    throw new Error(`bad HELP escape \\${c}`);
  });
}

/** "name{a="x",...}" with labels sorted: one key per series. */
export function seriesKey(s: ParsedSample): string {
  return `${s.name}{${Object.keys(s.labels).sort().map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(",")}}`;
}
