/**
 * The leecher as a command, called by `leech` (./cli.ts) and by `w3t download`: downloads licensed content while
 * paying the seeders, then closes the escrow; with --refund, refunds the rest of a closed escrow after its challenge
 * window (or once every seeder that redeemed has waived it).
 */
import { createWalletClient, formatEther, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import { chainFor } from "@web3torrent/sdk/chain";
import { contractsOption, parseCommandLine, privateKeyOption, usageError } from "@web3torrent/sdk/commandLine";
import { getDeployment } from "@web3torrent/sdk/deployments";
import { shortMessage } from "@web3torrent/sdk/errors";
import { leech } from "./leecher.ts";

export function downloadUsage(program: string): string {
  return `usage: ${program} <contentId> --key 0x... [options]   download while paying the seeders, then close the escrow
       ${program} --refund <escrowId> --key 0x...       refund the rest of a closed escrow

Options (environment variable in brackets):
  --rpc URL          chain JSON-RPC [W3T_RPC_URL, default http://127.0.0.1:8545]
  --key 0x...        the license holder's private key, which pays the deposit [W3T_LEECHER_KEY]
  --tracker URL      tracker announce URL, repeatable [W3T_TRACKER_URL, default ws://127.0.0.1:8001]
  --max-price WEI    highest price per MiB accepted (the deposit covers the whole content at it); 0: free only
  --mode M           exponential (default) or upfront
  --payment P        vouchers (default: signed by a session key) or transactions (a release per checkpoint)
  --out DIR          where the content is written (default ./downloads)
  --refund ID        refund escrow ID instead of downloading
  --market/--escrow/--pool  contract addresses, all three (default: the sdk's deployment for the chain)
  -h, --help         this help`;
}

/**
 * Downloads (or refunds) with command-line `args`; exits the process (0, 130 on Ctrl-C, 2 on bad input or a failed
 * download). `program` names the command in messages.
 */
export async function downloadCommand(args: string[], program = "leech"): Promise<void> {
  function fail(message: string): never {
    return usageError(program, message);
  }
  const { values, positionals } = parseCommandLine(program, {
    args,
    allowPositionals: true,
    options: {
      rpc: { type: "string", default: process.env.W3T_RPC_URL ?? "http://127.0.0.1:8545" },
      key: { type: "string", default: process.env.W3T_LEECHER_KEY },
      tracker: { type: "string", multiple: true, default: [process.env.W3T_TRACKER_URL ?? "ws://127.0.0.1:8001"] },
      "max-price": { type: "string", default: "0" },
      mode: { type: "string", default: "exponential" },
      payment: { type: "string", default: "vouchers" },
      out: { type: "string", default: "downloads" },
      refund: { type: "string" },
      market: { type: "string" },
      escrow: { type: "string" },
      pool: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(downloadUsage(program));
    process.exit(0);
  }
  const key = privateKeyOption(program, values.key, "W3T_LEECHER_KEY");
  const contracts = contractsOption(program, values);

  if (values.refund !== undefined) {
    if (!/^\d+$/.test(values.refund)) fail("--refund takes an escrow id");
    const probe = createWalletClient({ transport: http(values.rpc) });
    const chainId = await probe.getChainId();
    const wallet = createWalletClient({
      chain: chainFor(values.rpc, chainId),
      transport: http(values.rpc),
      account: privateKeyToAccount(key),
    });
    try {
      const hash = await wallet.writeContract({
        address: contracts?.escrow ?? getDeployment(chainId).contracts.CheckpointEscrow.address,
        abi: checkpointEscrowAbi,
        functionName: "refund",
        args: [BigInt(values.refund)],
      });
      console.log(`refund sent (tx ${hash})`);
      process.exit(0);
    } catch (error) {
      fail(`refund failed: ${shortMessage(error)}`);
    }
  }

  if (positionals.length !== 1 || !/^\d+$/.test(positionals[0])) fail(`give one content id (see ${program} --help)`);
  if (!/^\d+$/.test(values["max-price"])) fail("--max-price must be wei per MiB");
  if (values.mode !== "exponential" && values.mode !== "upfront") fail("--mode is exponential or upfront");
  if (values.payment !== "vouchers" && values.payment !== "transactions") fail("--payment is vouchers or transactions");

  let result: Awaited<ReturnType<typeof leech>>;
  try {
    result = await leech({
      rpcUrl: values.rpc,
      privateKey: key,
      contentId: BigInt(positionals[0]),
      pricePerMiBCap: BigInt(values["max-price"]),
      mode: values.mode,
      payment: values.payment,
      outDir: values.out,
      announce: values.tracker,
      contracts,
    });
  } catch (error) {
    fail(shortMessage(error));
  }
  const { download } = result;
  console.log(
    download.escrowId === null
      ? "free download (no escrow)"
      : `escrow ${download.escrowId} opened with ${formatEther(download.deposit)} ETH`,
  );
  const progress = setInterval(() => {
    const t = download.torrent as unknown as { progress: number; downloadSpeed: number; numPeers: number };
    console.log(`${(t.progress * 100).toFixed(1)}%  ${(t.downloadSpeed / 2 ** 20).toFixed(1)} MiB/s  ${t.numPeers} peer(s)`);
  }, 2_000);
  const interrupt = async () => {
    clearInterval(progress);
    await download.session.settle(5_000);
    await result.destroy();
    process.exit(130);
  };
  process.on("SIGINT", () => void interrupt());
  try {
    await download.done;
  } catch (error) {
    fail(`download failed: ${(error as Error).message}`);
  }
  clearInterval(progress);
  for (const ledger of download.session.ledgers.values()) {
    const paid = ledger.voucher ? formatEther(ledger.voucher.cumulativeAmount) : "0";
    console.log(
      `seeder ${ledger.seeder}: ${ledger.received} bytes, paid ${paid} ETH${ledger.refusal ? ` (refused: ${ledger.refusal.reason})` : ""}`,
    );
  }
  if (download.escrowId !== null) {
    await download.close();
    console.log(`escrow ${download.escrowId} closed: run "${program} --refund ${download.escrowId}" after the challenge window`);
  }
  await result.destroy();
  process.exit(0);
}
