// @eastwest/cli's public surface: the eastwest binary's entry points and its command contract. Nothing in the
// workspace imports the cli (it is the top layer); this is what a wrapper or a test may use.
export { COMMANDS, main, runProcess } from "./main.ts";
export type { CliCommand, CliIo } from "./types.ts";
