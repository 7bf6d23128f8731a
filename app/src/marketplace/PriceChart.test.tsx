// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { withFees } from "../data/pricing.ts";
import { PriceChart } from "./PriceChart.tsx";

describe("PriceChart", () => {
  it("draws the base price and one point per sale", () => {
    const points = [1n, 2n, 3n].map((supply) => ({
      price: 10n * supply,
      nextPrice: 10n + 10n * supply,
      supply,
      blockNumber: supply,
      timestamp: null,
    }));
    const { container } = render(<PriceChart basePrice={10n} points={points} current={40n} priced={(p) => p} />);
    expect(container.querySelectorAll("circle")).toHaveLength(4);
    screen.getByText(/3 sales/);
  });

  it("prices its points as the card does, fees included", () => {
    const ether = 10n ** 18n;
    const points = [{ price: ether / 100n, nextPrice: ether / 50n, supply: 1n, blockNumber: 1n, timestamp: null }];
    render(<PriceChart basePrice={ether / 100n} points={points} current={ether / 50n} priced={(p) => withFees(p, 500n, 500n)} />);
    expect(screen.getByTestId("price-chart").textContent).toBe("1 sale · price with fees 0.011 → 0.022 ETH");
  });

  it("says when nothing has sold", () => {
    render(<PriceChart basePrice={10n} points={[]} current={10n} priced={(p) => p} />);
    screen.getByText("No sales yet");
  });
});
