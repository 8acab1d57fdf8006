export * from "./point.ts";
export * from "./errors.ts";
export * from "./log.ts";
export * from "./schema.ts";
export * from "./config.ts";
export * from "./wire.ts";
