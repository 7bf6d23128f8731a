export function LibraryPage() {
  return <section><h1>Library</h1></section>;
}
