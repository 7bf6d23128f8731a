export * from "./eip712.ts";
export * from "./bondingCurve.ts";
export * from "./checkpointSchedule.ts";
