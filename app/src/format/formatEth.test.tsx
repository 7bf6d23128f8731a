// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { Eth } from "./Eth.tsx";
import { formatEth } from "./formatEth.ts";
import { formatBytes } from "./formatBytes.ts";

describe("formatEth", () => {
  it("shows up to six decimals and marks what it cut", () => {
    expect(formatEth(parseEther("1"))).toBe("1");
    expect(formatEth(parseEther("0.0154"))).toBe("0.0154");
    expect(formatEth(1234567891234567891n)).toBe("≈1.234567");
    expect(formatEth(1n)).toBe("0.000000000000000001");
    expect(formatEth(1_000_000_000_000_001n)).toBe("≈0.001");
    expect(formatEth(-parseEther("0.5"))).toBe("-0.5");
  });

  it("keeps the exact wei on hover", () => {
    render(<Eth wei={1234567891234567891n} />);
    const el = screen.getByText(/1.234567/);
    expect(el.getAttribute("title")).toBe("1234567891234567891 wei");
    expect(el.dataset.wei).toBe("1234567891234567891");
  });

  it("formats bytes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10.0 MiB");
    expect(formatBytes(1536n)).toBe("1.5 KiB");
  });
});
