export * from "./protocol.ts";
export * from "./errors.ts";
export * from "./schema.ts";
export * from "./deposit.ts";
export * from "./client.ts";
