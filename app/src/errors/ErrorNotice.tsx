/** A failure as the user reads it, with the ways out the caller offers (retry, switch network, refresh ...). */
import type { ReactNode } from "react";
import { describeError, type DescribedError } from "./describeError.ts";

export function ErrorNotice({ error, children, onDismiss }: { error: unknown; children?: ReactNode; onDismiss?: () => void }) {
  const described: DescribedError = isDescribed(error) ? error : describeError(error);
  return (
    <div className="notice notice-error" role="alert" data-error-kind={described.kind}>
      <strong>{described.title}</strong>
      <p>{described.message}</p>
      {(children || onDismiss) && (
        <div className="notice-actions">
          {children}
          {onDismiss && (
            <button type="button" className="secondary" onClick={onDismiss}>
              Dismiss
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function isDescribed(value: unknown): value is DescribedError {
  return typeof value === "object" && value !== null && "kind" in value && "title" in value && "message" in value;
}
