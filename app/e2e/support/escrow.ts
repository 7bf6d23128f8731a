/**
 * The escrows of a swarm's paid downloads, as the tests check them: the CheckpointEscrow's events since genesis,
 * and the refund a leecher takes from its escrow card once the challenge window is over.
 */
import type { Page } from "playwright-core";
import type { ContractEventName, GetContractEventsParameters } from "viem";
import { checkpointEscrowAbi } from "@web3torrent/sdk/generated/contracts";
import type { Swarm } from "@web3torrent/seeder/testing";

type EscrowEventName = ContractEventName<typeof checkpointEscrowAbi>;

/** The swarm's CheckpointEscrow events named `eventName` since genesis, filtered by `args` (indexed fields). */
export function escrowEvents<const N extends EscrowEventName>(
  swarm: Swarm,
  eventName: N,
  args?: GetContractEventsParameters<typeof checkpointEscrowAbi, N>["args"],
) {
  return swarm.publicClient.getContractEvents({
    address: swarm.contracts.escrow,
    abi: checkpointEscrowAbi,
    eventName,
    args,
    fromBlock: 0n,
  });
}

/** Waits until the escrow card's refund button is enabled (the window is over), clicks it and waits for Closed. */
export async function refundFromCard(page: Page, escrowId: bigint): Promise<void> {
  await page.waitForFunction(
    (id) => !(document.querySelector(`[data-testid=escrow-${id}] [data-testid=refund-escrow]`) as HTMLButtonElement | null)?.disabled,
    String(escrowId),
  );
  await page.getByTestId(`escrow-${escrowId}`).getByTestId("refund-escrow").click();
  await page.locator(`[data-testid=escrow-${escrowId}][data-status=Closed]`).waitFor();
}
