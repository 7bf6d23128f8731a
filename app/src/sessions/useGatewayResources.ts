/** The resources the configured WS402 gateway serves (GET /api/resources), with their schema URLs. */
import { useQuery } from "@tanstack/react-query";
import { useAppConfig } from "../config/ConfigContext.tsx";

export interface GatewayResource {
  id: string;
  title: string;
  mimeType: string;
  pricePerSecond: string;
  estimatedSeconds: number;
  schemaUrl: string;
}

export function useGatewayResources() {
  const { gatewayUrl } = useAppConfig();
  return useQuery({
    queryKey: ["gatewayResources", gatewayUrl],
    enabled: !!gatewayUrl,
    retry: false,
    refetchInterval: 10_000,
    queryFn: async (): Promise<GatewayResource[]> => {
      let response: Response;
      try {
        response = await fetch(new URL("/api/resources", gatewayUrl!));
      } catch (error) {
        throw new Error(
          `The WS402 gateway at ${gatewayUrl} is unreachable (${(error as Error).message}). Open sessions can still be ended on-chain below.`,
        );
      }
      if (!response.ok) throw new Error(`The WS402 gateway answered HTTP ${response.status}.`);
      return ((await response.json()) as { resources: GatewayResource[] }).resources;
    },
  });
}
