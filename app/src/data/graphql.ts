/** A minimal GraphQL client for graph-node style endpoints (the local indexer, graph-node, The Graph Network). */
export class GraphQLError extends Error {
  override name = "GraphQLError";
}

export async function graphql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  fetchImpl: typeof fetch = fetch,
): Promise<T> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new GraphQLError(`The GraphQL API at ${url} is unreachable (${(error as Error).message}).`);
  }
  if (!response.ok) throw new GraphQLError(`The GraphQL API answered HTTP ${response.status}.`);
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new GraphQLError(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
  if (!body.data) throw new GraphQLError("The GraphQL API answered without data.");
  return body.data;
}
