/** The resource of a live session, in the element its type calls for: video, image, or a frame (PDF, HTML ...). */
export function ResourceViewer({ url, mimeType, title }: { url: string; mimeType: string; title: string }) {
  if (mimeType.startsWith("video/")) return <video className="resource-view" src={url} controls autoPlay data-testid="resource-view" />;
  if (mimeType.startsWith("image/")) return <img className="resource-view" src={url} alt={title} data-testid="resource-view" />;
  return <iframe className="resource-view" src={url} title={title} data-testid="resource-view" />;
}
