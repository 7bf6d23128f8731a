/**
 * A content's metadata URI: `data:application/json,<url-encoded JSON>` with name, description and magnet (what
 * the publish flows write), or any other URI, shown as is.
 */
import type { ContentMetadata } from "./types.ts";

const DATA_JSON = /^data:application\/json(;charset=[^,;]+)?(;base64)?,/i;

export function parseMetadata(uri: string, fallbackName: string): ContentMetadata {
  const match = DATA_JSON.exec(uri);
  if (match) {
    try {
      const body = uri.slice(match[0].length);
      const text = match[2] ? atob(decodeURIComponent(body)) : decodeURIComponent(body);
      const json = JSON.parse(text) as Record<string, unknown>;
      return {
        name: typeof json.name === "string" && json.name.trim() ? json.name : fallbackName,
        description: typeof json.description === "string" ? json.description : "",
        magnet: typeof json.magnet === "string" && json.magnet.startsWith("magnet:") ? json.magnet : null,
      };
    } catch {
      // Malformed metadata must not hide the content: fall through to the plain name.
    }
  }
  return { name: fallbackName, description: uri && !match ? uri : "", magnet: null };
}

export function metadataURI(metadata: ContentMetadata): string {
  return `data:application/json,${encodeURIComponent(JSON.stringify(metadata))}`;
}
