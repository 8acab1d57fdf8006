// A CLI subcommand. run() returns the process exit code; it writes results to
// io.stdout and diagnostics to io.stderr (logs go to stderr as JSON).
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}
