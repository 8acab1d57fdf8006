// TLS shared by the agent and the collector: file loading and checking, re-reading on change, config pieces.
export * from "./loopback.ts";
export * from "./files.ts";
export * from "./watcher.ts";
export * from "./config.ts";
