/**
 * The wallets the user can connect: every EIP-6963 announcement (MetaMask and others, with their icons), and the
 * generic injected wallet only when no wallet announced itself but `window.ethereum` exists.
 */
import { useConnectors, type Connector } from "wagmi";

function hasLegacyInjected(): boolean {
  return typeof window !== "undefined" && typeof (window as { ethereum?: unknown }).ethereum !== "undefined";
}

export function useWalletConnectors(): readonly Connector[] {
  const connectors = useConnectors();
  const announced = connectors.filter((c) => c.id !== "injected");
  if (announced.length > 0) return announced;
  return hasLegacyInjected() ? connectors.filter((c) => c.id === "injected") : [];
}
