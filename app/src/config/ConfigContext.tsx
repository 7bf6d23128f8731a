/** The loaded configuration, available to every component. */
import { createContext, useContext, type ReactNode } from "react";
import type { AppConfig } from "./appConfig.ts";

const ConfigContext = createContext<AppConfig | null>(null);

export function ConfigProvider({ config, children }: { config: AppConfig; children: ReactNode }) {
  return <ConfigContext.Provider value={config}>{children}</ConfigContext.Provider>;
}

export function useAppConfig(): AppConfig {
  const config = useContext(ConfigContext);
  if (!config) throw new Error("useAppConfig outside ConfigProvider");
  return config;
}
