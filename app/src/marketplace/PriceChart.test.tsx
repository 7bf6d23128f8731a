// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { PriceChart } from "./PriceChart.tsx";

describe("PriceChart", () => {
  it("draws the base price and one point per sale", () => {
    const points = [1n, 2n, 3n].map((supply) => ({ price: 10n * supply, nextPrice: 10n + 10n * supply, supply, blockNumber: supply, timestamp: null }));
    const { container } = render(<PriceChart basePrice={10n} points={points} current={40n} />);
    expect(container.querySelectorAll("circle")).toHaveLength(4);
    screen.getByText(/3 sales/);
  });

  it("says when nothing has sold", () => {
    render(<PriceChart basePrice={10n} points={[]} current={10n} />);
    screen.getByText("No sales yet");
  });
});
