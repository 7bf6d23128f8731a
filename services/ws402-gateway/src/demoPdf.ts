/**
 * A small valid PDF written from code, so the demo resource needs no binary in the repository: one page of text
 * in a standard font, with an exact cross-reference table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const PAGE_WIDTH = 612;
const PAGE_HEIGHT = 792;
const MARGIN = 72;
const TITLE_SIZE = 22;
const BODY_SIZE = 12;
const LINE_HEIGHT = 18;

export const DEMO_PDF_LINES = [
  "This document is served by a WS402 gateway.",
  "",
  "You paid a deposit for a few minutes of reading into the WS402Deposits contract.",
  "While this page is open, the gateway meters the time and your browser signs",
  "a usage receipt every few seconds with a session key.",
  "",
  "Close the session and the gateway settles on-chain: the provider is paid for the",
  "seconds you used, and the rest of the deposit comes back to you automatically.",
];

/** PDF string literal: parentheses and backslashes are escaped; only printable ASCII is kept. */
function pdfString(text: string): string {
  return `(${text.replace(/[^\x20-\x7e]/g, "?").replace(/([()\\])/g, "\\$1")})`;
}

/** The bytes of a one-page PDF showing `title` and `lines`. */
export function buildPdf(title: string, lines: readonly string[]): Buffer {
  const text = [
    "BT",
    `/F1 ${TITLE_SIZE} Tf`,
    `${MARGIN} ${PAGE_HEIGHT - MARGIN} Td`,
    `${pdfString(title)} Tj`,
    `/F1 ${BODY_SIZE} Tf`,
    `0 ${-2 * LINE_HEIGHT} Td`,
    ...lines.flatMap((line) => [`${pdfString(line)} Tj`, `0 ${-LINE_HEIGHT} Td`]),
    "ET",
  ].join("\n");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>`,
    `<< /Length ${Buffer.byteLength(text, "latin1")} >>\nstream\n${text}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body, "latin1"));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xrefOffset = Buffer.byteLength(body, "latin1");
  // Each cross-reference entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, space, newline.
  const entries = ["0000000000 65535 f \n", ...offsets.map((offset) => `${String(offset).padStart(10, "0")} 00000 n \n`)];
  body += `xref\n0 ${objects.length + 1}\n${entries.join("")}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

/** Writes the demo PDF to `path` (creating its folder). */
export function writeDemoPdf(path: string, title = "Web3Torrent - WS402 demo"): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, buildPdf(title, DEMO_PDF_LINES));
}
