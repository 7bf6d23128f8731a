export function SeedingPage() {
  return <section><h1>Seeding</h1></section>;
}
