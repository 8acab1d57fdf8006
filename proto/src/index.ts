// The wire contract, generated from proto/eastwest/v1/*.proto (see src/gen).
export * from "./gen/eastwest/v1/telemetry.ts";
