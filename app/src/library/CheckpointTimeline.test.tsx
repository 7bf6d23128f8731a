// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { MIB } from "@web3torrent/sdk/checkpointSchedule";
import { parseEther } from "viem";
import { describe, expect, it } from "vitest";
import { CheckpointTimeline } from "./CheckpointTimeline.tsx";

const CAP = parseEther("0.0001");
const SEEDER_PRICE = parseEther("0.000001");

describe("CheckpointTimeline", () => {
  it("shows what the seeders charge for each checkpoint, and the escrow's cap labelled as the cap", () => {
    render(
      <CheckpointTimeline
        mode={0}
        maxBytes={48n * MIB}
        pricePerMiB={CAP}
        paidBytes={0n}
        receivedBytes={48n * MIB}
        signedBytes={48n * MIB}
        seederPrices={[SEEDER_PRICE]}
      />,
    );
    const first = screen.getAllByRole("listitem")[0];
    expect(first.querySelector("[data-testid=charged] [data-wei]")?.getAttribute("data-wei")).toBe((10n * SEEDER_PRICE).toString());
    expect(first.querySelector("[data-testid=cap]")?.textContent).toBe("cap 0.001 ETH");
    expect(first.textContent).toContain("0.00001 ETH at the seeders' price");
    expect(first.textContent).not.toContain("≤");
  });

  it("gives the range when seeders charge different prices, and only the cap when no price is known", () => {
    const { unmount } = render(
      <CheckpointTimeline
        mode={0}
        maxBytes={10n * MIB}
        pricePerMiB={CAP}
        paidBytes={0n}
        receivedBytes={0n}
        seederPrices={[2n * SEEDER_PRICE, SEEDER_PRICE]}
      />,
    );
    expect(screen.getByTestId("charged").textContent).toBe("0.00001 ETH to 0.00002 ETH at the seeders' price · ");
    unmount();
    render(<CheckpointTimeline mode={0} maxBytes={10n * MIB} pricePerMiB={CAP} paidBytes={0n} receivedBytes={0n} />);
    expect(screen.queryByTestId("charged")).toBeNull();
    expect(screen.getByTestId("cap").textContent).toBe("cap 0.001 ETH");
  });
});
