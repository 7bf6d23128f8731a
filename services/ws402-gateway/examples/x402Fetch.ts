/**
 * An x402 program that knows nothing of WS402 but the sdk's scheme: it fetches a resource with `@x402/fetch`,
 * reads it for a while (the session is metered meanwhile), ends the session and prints the settlement as JSON.
 *
 *   X402_PRIVATE_KEY=0x... X402_RPC_URL=http://127.0.0.1:8545 \
 *     node examples/x402Fetch.ts http://127.0.0.1:4020/api/resource/demo-report [--read-seconds 3] [--scheme exact] \
 *     [--deposits 0x...]
 *
 * It deposits only into the WS402Deposits contract it knows: the sdk's deployment for the chain, or `--deposits`.
 *
 * `--scheme exact` registers only x402's own EVM `exact` scheme instead: the program then fails with x402's
 * "no supported scheme" error (exit code 1).
 */
import { parseArgs } from "node:util";
import { x402Client, x402HTTPClient } from "@x402/core/client";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { wrapFetchWithPayment } from "@x402/fetch";
import { createPublicClient, createWalletClient, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainFor } from "@web3torrent/sdk/chain";
import { X402_NATIVE_ASSET } from "@web3torrent/sdk/ws402/x402";
import { Ws402X402Scheme } from "@web3torrent/sdk/ws402/x402Scheme";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "read-seconds": { type: "string", default: "2" },
    scheme: { type: "string", default: "ws402" },
    "max-deposit-wei": { type: "string", default: "1000000000000000" },
    deposits: { type: "string" },
  },
});
const url = positionals[0];
const key = process.env.X402_PRIVATE_KEY as Hex | undefined;
const rpcUrl = process.env.X402_RPC_URL;
if (!url || !key || !rpcUrl) {
  console.error(
    "usage: X402_PRIVATE_KEY=0x... X402_RPC_URL=... node examples/x402Fetch.ts <resource url> [--read-seconds N] [--scheme ws402|exact] [--deposits 0x...]",
  );
  process.exit(2);
}

const account = privateKeyToAccount(key);
const chainId = await createPublicClient({ transport: http(rpcUrl) }).getChainId();
const chain = chainFor(rpcUrl, chainId);
const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 }) as PublicClient;
const walletClient = createWalletClient({ chain, transport: http(rpcUrl), account });

// The lines a developer writes: register the scheme, allow (and cap) ETH deposits, wrap fetch.
const client = new x402Client();
const ws402 = new Ws402X402Scheme({ walletClient, publicClient, deposits: values.deposits as Address | undefined });
if (values.scheme === "exact") {
  client.register("eip155:*", new ExactEvmScheme(account));
} else {
  client.register("eip155:*", ws402);
  client.setSpendControls({
    allowedAssets: [{ network: "eip155:*", asset: X402_NATIVE_ASSET, maxAmountPerPayment: values["max-deposit-wei"] }],
  });
}
const fetchWithPayment = wrapFetchWithPayment(fetch, client);

try {
  const response = await fetchWithPayment(url);
  const body = Buffer.from(await response.arrayBuffer());
  const paid = new x402HTTPClient(client).getPaymentSettleResponse((name) => response.headers.get(name));
  // Using the resource: the session is metered for this time.
  await new Promise((resolve) => setTimeout(resolve, Number(values["read-seconds"]) * 1_000));
  const [settlement] = await ws402.end();
  console.log(
    JSON.stringify({
      status: response.status,
      contentType: response.headers.get("content-type"),
      bytes: body.length,
      head: body.subarray(0, 5).toString(),
      paid,
      settlement,
    }),
  );
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
  process.exitCode = 1;
}
