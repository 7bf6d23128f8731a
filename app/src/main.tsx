/** Start-up: load the configuration, then mount wagmi, react-query and the app (or say what is misconfigured). */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";
import { App } from "./App.tsx";
import { ConfigProvider } from "./config/ConfigContext.tsx";
import { loadConfig } from "./config/loadConfig.ts";
import { createWagmiConfig } from "./config/wagmiConfig.ts";
import { TorrentProvider } from "./torrent/TorrentContext.tsx";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);

loadConfig().then(
  (config) => {
    const wagmiConfig = createWagmiConfig(config);
    const queryClient = new QueryClient({
      defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } },
    });
    root.render(
      <StrictMode>
        <ConfigProvider config={config}>
          <WagmiProvider config={wagmiConfig}>
            <QueryClientProvider client={queryClient}>
              <TorrentProvider>
                <App />
              </TorrentProvider>
            </QueryClientProvider>
          </WagmiProvider>
        </ConfigProvider>
      </StrictMode>,
    );
  },
  (error: Error) => {
    root.render(
      <main className="config-error" role="alert">
        <h1>Web3Torrent cannot start</h1>
        <p>{error.message}</p>
        <p>
          The app reads its chain, contracts and services from <code>config.json</code> beside it (written by <code>npm start</code>) or
          from VITE_W3T_* variables at build time. Fix it and reload.
        </p>
      </main>,
    );
  },
);
