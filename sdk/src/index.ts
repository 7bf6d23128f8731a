export * from "./eip712.ts";
export * from "./bondingCurve.ts";
export * from "./checkpointSchedule.ts";
export * from "./deployments.ts";
export * from "./generated/contracts.ts";
export * from "./ws402/index.ts";
