import { afterEach } from "vitest";

// Component tests run in jsdom (declared per file); unmount what they rendered.
afterEach(async () => {
  if (typeof document !== "undefined") (await import("@testing-library/react")).cleanup();
});
