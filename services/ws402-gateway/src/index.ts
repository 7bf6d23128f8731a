export { startGateway, type Gateway, type GatewayOptions } from "./gateway.ts";
export { applyEnvironment, ConfigError, loadConfigFile, parseConfig, type GatewayConfig, type GatewayConfigInput } from "./config.ts";
export { buildPdf, writeDemoPdf } from "./demoPdf.ts";
export { createLogger, type Logger } from "./log.ts";
