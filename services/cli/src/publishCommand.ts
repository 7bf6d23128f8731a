/**
 * `w3t publish <file>`: registers a file as content on the LicenseMarket — its torrent computed as every seeder
 * computes it, committed then revealed (the market's two steps, so a registration cannot be copied from the mempool)
 * — and then seeds it with the same key, as `w3t seed <file>` does, until Ctrl-C.
 */
import { statSync } from "node:fs";
import { createPublicClient, createWalletClient, http, isAddress, parseEther, type Address, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CurveKind, MAX_BOUNTY_FEE_BPS, MAX_GROWTH_BPS } from "@web3torrent/sdk/bondingCurve";
import { chainFor } from "@web3torrent/sdk/chain";
import { parseCommandLine, usageError } from "@web3torrent/sdk/commandLine";
import { getDeployment } from "@web3torrent/sdk/deployments";
import { shortMessage } from "@web3torrent/sdk/errors";
import { describeRegistrationStep, publishFile, type Published } from "@web3torrent/seeder/publish";
import { SEED_OPTIONS, SEED_OPTIONS_HELP, parseSeedArgs, runSeed } from "@web3torrent/seeder/seedCommand";

const PUBLISH_OPTIONS = {
  "base-price": { type: "string", default: "0" },
  curve: { type: "string", default: "linear" },
  growth: { type: "string", default: "0" },
  "max-supply": { type: "string", default: "0" },
  "bounty-fee-bps": { type: "string", default: "0" },
  transferable: { type: "boolean", default: false },
  payout: { type: "string" },
  description: { type: "string", default: "" },
} as const;

export function publishUsage(program: string): string {
  return `usage: ${program} <file> [options]   register the file as content (commit, then reveal), then seed it until Ctrl-C

Registration:
  --base-price ETH          price of the first license in ETH; 0: free content (default 0)
  --curve C                 linear (default) or exponential
  --growth N                linear: ETH added per license sold; exponential: basis points per license, at most ${MAX_GROWTH_BPS} (default 0)
  --max-supply N            most licenses ever sold; 0: unlimited (default 0)
  --bounty-fee-bps N        part of each license price paid to seeders, in basis points, at most ${MAX_BOUNTY_FEE_BPS} (default 0)
  --transferable            licenses may be transferred
  --payout ADDRESS          who receives the proceeds (default: the key's address)
  --description TEXT        shown with the name (the file's name) in the catalog
The key (--key or W3T_SEEDER_KEY) registers the content and seeds it; --tracker goes into its magnet link.

Seeding, as w3t seed:
${SEED_OPTIONS_HELP}`;
}

export async function publishCommand(args: string[], program: string): Promise<void> {
  function fail(message: string): never {
    return usageError(program, message);
  }
  const { values, positionals, tokens } = parseCommandLine(program, {
    args,
    allowPositionals: true,
    tokens: true,
    options: { ...SEED_OPTIONS, ...PUBLISH_OPTIONS },
  });
  if (values.help) {
    console.log(publishUsage(program));
    process.exit(0);
  }
  if (positionals.length !== 1) fail(`give one file to publish (see ${program} --help)`);
  const [path] = positionals;
  if (values.claim) fail(`--claim is for w3t seed and w3t claim`);

  // The seeding options given, as typed, go to the seeder — checked now, before anything is sent.
  const forwarded = tokens.flatMap((token) => {
    if (token.kind !== "option" || !Object.hasOwn(SEED_OPTIONS, token.name)) return [];
    return token.value === undefined ? [`--${token.name}`] : [`--${token.name}`, token.value];
  });
  const seeding = parseSeedArgs([path, ...forwarded], program);
  const eth = (name: string, raw: string): bigint => {
    if (!/^\d*\.?\d+$/.test(raw)) fail(`--${name} must be an amount of ETH, like 0.01, got "${raw}"`);
    return parseEther(raw);
  };
  const whole = (name: string, raw: string, max?: bigint): bigint => {
    if (!/^\d+$/.test(raw)) fail(`--${name} must be a whole number, got "${raw}"`);
    if (max !== undefined && BigInt(raw) > max) fail(`--${name} is at most ${max}, got ${raw}`);
    return BigInt(raw);
  };
  if (values.curve !== "linear" && values.curve !== "exponential") fail(`--curve is linear or exponential, got "${values.curve}"`);
  const exponential = values.curve === "exponential";
  const registration = {
    basePrice: eth("base-price", values["base-price"]),
    curve: exponential ? CurveKind.Exponential : CurveKind.Linear,
    growth: exponential ? whole("growth", values.growth, MAX_GROWTH_BPS) : eth("growth", values.growth),
    maxSupply: whole("max-supply", values["max-supply"]),
    bountyFeeBps: Number(whole("bounty-fee-bps", values["bounty-fee-bps"], MAX_BOUNTY_FEE_BPS)),
    transferable: values.transferable,
  };
  if (values.payout !== undefined && !isAddress(values.payout)) fail(`--payout must be an address, got "${values.payout}"`);
  // One file: a folder's torrent would hold several, and seeders serve each file as content of its own.
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) fail(`${path} is not a file`);

  // The key, chain, trackers and market are the seeder's: it registers what it then seeds.
  const { rpcUrl, announce, privateKey, contracts } = seeding.options;
  const account = privateKeyToAccount(privateKey);
  let published: Published;
  try {
    const probe = createPublicClient({ transport: http(rpcUrl) });
    const chain = chainFor(rpcUrl, await probe.getChainId());
    const publicClient = createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient;
    const walletClient = createWalletClient({ chain, transport: http(rpcUrl), account });
    const market = contracts?.market ?? getDeployment(chain.id).contracts.LicenseMarket.address;
    published = await publishFile({
      publicClient,
      walletClient,
      account,
      market,
      path,
      announce,
      ...registration,
      payout: values.payout as Address | undefined,
      description: values.description,
      onProgress: (step) => console.error(`${program}: ${describeRegistrationStep(step)}`),
    });
  } catch (error) {
    console.error(`${program}: cannot publish ${path}: ${shortMessage(error)}`);
    process.exit(1);
  }
  const { contentId, infoHash, name, size, magnet } = published;
  if (values.json)
    console.log(JSON.stringify({ event: "published", contentId: String(contentId), infoHash, name, size: String(size), magnet }));
  else console.log(`published ${name} as content ${contentId} (infohash ${infoHash}, ${size} bytes)\n${magnet}`);

  await runSeed(seeding, program);
}
