// Small pure helpers shared by the /proc and tool-output parsers.

const DECIMAL = /^\d+$/;
const SIGNED = /^-?\d+$/;
const HEX = /^[0-9a-fA-F]+$/;

/** Unsigned decimal integer, or undefined when `text` is not one. */
export function uint(text: string | undefined): bigint | undefined {
  return text !== undefined && DECIMAL.test(text) ? BigInt(text) : undefined;
}

/** Signed decimal integer (e.g. /proc/net/snmp Tcp MaxConn is -1), or undefined. */
export function int(text: string | undefined): bigint | undefined {
  return text !== undefined && SIGNED.test(text) ? BigInt(text) : undefined;
}

/** Unsigned hexadecimal integer without prefix, or undefined. */
export function hex(text: string | undefined): bigint | undefined {
  return text !== undefined && HEX.test(text) ? BigInt(`0x${text}`) : undefined;
}

/** Lines without trailing whitespace; blank lines dropped. */
export function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "");
}

export function words(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** A line shortened for error messages. */
export function excerpt(line: string): string {
  const t = line.trim();
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}...` : t);
}
