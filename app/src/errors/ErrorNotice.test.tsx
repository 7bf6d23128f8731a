// @vitest-environment jsdom
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ErrorNotice } from "./ErrorNotice.tsx";

describe("ErrorNotice", () => {
  it("shows the title, the explanation and the ways out", () => {
    const dismiss = vi.fn();
    render(
      <ErrorNotice error={{ code: 4001, message: "User denied" }} onDismiss={dismiss}>
        <button type="button">Try again</button>
      </ErrorNotice>,
    );
    const alert = screen.getByRole("alert");
    expect(alert.dataset.errorKind).toBe("rejected");
    expect(alert.textContent).toMatch(/declined/);
    screen.getByRole("button", { name: "Try again" });
    fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(dismiss).toHaveBeenCalledOnce();
  });
});
