/**
 * The devchain in a process of its own (see devChainProcess.ts): prints one JSON line, the event "ready" with what
 * the swarm needs of the chain, and serves JSON-RPC until it is killed.
 */
import { startDevChain } from "@web3torrent/devchain";

const { rpcUrl, chainId, contracts, accounts } = await startDevChain();
console.log(JSON.stringify({ event: "ready", rpcUrl, chainId, contracts, accounts }));
