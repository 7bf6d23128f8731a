/**
 * Runs in the page before the app: an EIP-1193 provider whose requests go to the test's TestWallet (through the
 * exposed `__w3tWallet` binding), announced over EIP-6963 like a wallet extension. No window.ethereum: the app
 * must find it by discovery.
 */
export function walletPageScript({ name, rdns, uuid }: { name: string; rdns: string; uuid: string }): void {
  type Listener = (payload: unknown) => void;
  const listeners = new Map<string, Set<Listener>>();
  const bridge = (
    window as unknown as {
      __w3tWallet(
        method: string,
        params: unknown[],
      ): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown }; events?: [string, unknown][] }>;
    }
  ).__w3tWallet;
  const emit = (event: string, payload: unknown) => listeners.get(event)?.forEach((fn) => fn(payload));
  const provider = {
    isMetaMask: true,
    async request({ method, params }: { method: string; params?: unknown[] }) {
      const reply = await bridge(method, params ?? []);
      for (const [event, payload] of reply.events ?? []) setTimeout(() => emit(event, payload), 0);
      if (reply.error) {
        const error = new Error(reply.error.message) as Error & { code: number; data?: unknown };
        error.code = reply.error.code;
        error.data = reply.error.data;
        throw error;
      }
      return reply.result;
    },
    on(event: string, listener: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
      return provider;
    },
    removeListener(event: string, listener: Listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
  };
  const icon =
    "data:image/svg+xml;base64," +
    btoa('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#f6851b"/></svg>');
  const detail = Object.freeze({ info: Object.freeze({ uuid, name, icon, rdns }), provider });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
}
