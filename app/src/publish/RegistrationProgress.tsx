/** The two steps of a registration as they happen: committing… waiting Ns… registering… */
import { useEffect, useState } from "react";
import type { RegistrationState } from "./useRegisterContent.ts";

const STEPS = ["committing", "waiting", "registering"] as const;

const secondsUntil = (until: number | undefined) => (until === undefined ? 0 : Math.max(0, Math.ceil((until - Date.now()) / 1000)));

/** Seconds left until `until` (ms since the epoch), ticking. */
function useSecondsLeft(until: number | undefined): number {
  const [seconds, setSeconds] = useState(() => secondsUntil(until));
  useEffect(() => {
    setSeconds(secondsUntil(until));
    if (until === undefined) return;
    const timer = setInterval(() => setSeconds(secondsUntil(until)), 250);
    return () => clearInterval(timer);
  }, [until]);
  return seconds;
}

export function RegistrationProgress({ state }: { state: RegistrationState }) {
  const secondsLeft = useSecondsLeft(state.phase === "waiting" ? state.until : undefined);
  if (state.phase === "idle" || state.phase === "failed") return null;
  const current = STEPS.indexOf(state.phase as (typeof STEPS)[number]);
  const label = (step: (typeof STEPS)[number]) =>
    step === "waiting" && state.phase === "waiting" ? `waiting ${secondsLeft}s…` : `${step}…`;
  return (
    <div className="tx registration-progress" role="status" data-testid="registration-progress" data-phase={state.phase}>
      {state.phase !== "confirmed" && <span className="spinner" aria-hidden />}
      <ol className="steps">
        {STEPS.map((step, i) => (
          <li
            key={step}
            data-testid={`registration-step-${step}`}
            className={i === current ? "current" : i < current || state.phase === "confirmed" ? "done" : ""}
          >
            {label(step)}
          </li>
        ))}
      </ol>
      <p className="muted">
        {state.phase === "committing" &&
          "Step 1 of 2: confirm the commitment in your wallet. It hides the infohash, so nobody can copy the registration."}
        {state.phase === "waiting" && `The market accepts the registration ${state.seconds}s after the commitment; ${secondsLeft}s left.`}
        {state.phase === "registering" && "Step 2 of 2: confirm the registration in your wallet."}
        {state.phase === "confirmed" && "Registered."}
      </p>
    </div>
  );
}
