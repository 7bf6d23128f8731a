export * from "./messages.ts";
export * from "./wire.ts";
export * from "./accounting.ts";
export * from "./seederExtension.ts";
export * from "./leecherSession.ts";
export * from "./leecherExtension.ts";
export * from "./admission.ts";
export * from "./messageLimits.ts";
