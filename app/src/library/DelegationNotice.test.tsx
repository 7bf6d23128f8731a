// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { DelegationNotice, formatDelegationExpiry } from "./DelegationNotice.tsx";

const ACCOUNT = "0x1234567890abcdef1234567890abcdef12345678";
// Wed, 2 Dec 2026 14:05:00 UTC
const EXPIRY = 1_796_220_300n;

describe("DelegationNotice", () => {
  it("says what the delegation allows and until when, as a date and not a unix number", () => {
    render(<DelegationNotice account={ACCOUNT} expiry={EXPIRY} signed={false} />);
    const notice = screen.getByTestId("delegation-notice");
    expect(notice.textContent).toContain("sign a delegation");
    expect(notice.textContent).toContain("receipts of the bytes seeders send you");
    expect(notice.textContent).toContain("cannot send ETH");
    expect(notice.textContent).toContain("0x1234…5678");
    expect(notice.textContent).not.toContain(EXPIRY.toString());
    expect(screen.getByTestId("delegation-until").textContent).toBe(formatDelegationExpiry(EXPIRY));
  });

  it("formats the expiry with the weekday, the month and the year", () => {
    const text = formatDelegationExpiry(EXPIRY, "en-GB");
    expect(text).toMatch(/(Tuesday|Wednesday|Thursday)/);
    expect(text).toMatch(/December 2026/);
  });

  it("says when the tab's key is already delegated, so no signature is asked", () => {
    render(<DelegationNotice account={ACCOUNT} expiry={EXPIRY} signed />);
    expect(screen.getByTestId("delegation-notice").textContent).toContain("already delegated");
  });
});
