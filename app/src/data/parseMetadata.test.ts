import { describe, expect, it } from "vitest";
import { metadataURI, parseMetadata } from "./parseMetadata.ts";

describe("parseMetadata", () => {
  it("reads the data: JSON the publish flows write", () => {
    const meta = { name: "Album", description: "Ten songs", magnet: "magnet:?xt=urn:btih:ab" };
    expect(parseMetadata(metadataURI(meta), "fallback")).toEqual(meta);
  });

  it("reads base64 data URIs", () => {
    const uri = `data:application/json;base64,${btoa(JSON.stringify({ name: "B64" }))}`;
    expect(parseMetadata(uri, "fallback").name).toBe("B64");
  });

  it("never hides a content behind malformed metadata", () => {
    expect(parseMetadata("data:application/json,{not json", "Content #3")).toEqual({ name: "Content #3", description: "", magnet: null });
    expect(parseMetadata("ipfs://bafy/meta.json", "Content #4")).toEqual({
      name: "Content #4",
      description: "ipfs://bafy/meta.json",
      magnet: null,
    });
    expect(parseMetadata(metadataURI({ name: "x", description: "", magnet: "javascript:alert(1)" }), "y").magnet).toBeNull();
  });
});
