export * from "./eip712.ts";
export * from "./checkpointSchedule.ts";
