// The HTTP API's routes. Pure: method and path in, a route or a refusal out.
export type Route =
  | { name: "healthz" }
  | { name: "metrics" }
  | { name: "agents" }
  | { name: "agent"; id: string }
  | { name: "measurements" }
  | { name: "vms" }
  | { name: "latest" }
  | { name: "series" }
  | { name: "records"; kind: string }
  | { name: "record"; kind: string; id: string };

export type RouteMatch =
  | { kind: "route"; route: Route }
  | { kind: "not_found" }
  | { kind: "method_not_allowed"; allow: string }
  | { kind: "bad_path"; error: string };

export const ALLOWED_METHODS = "GET, HEAD";

/** Path segments after /api/v1, with ":x" capturing one segment. */
const API: ReadonlyArray<{ pattern: string[]; build: (p: string[]) => Route }> = [
  { pattern: ["agents"], build: () => ({ name: "agents" }) },
  { pattern: ["agents", ":id"], build: ([id]) => ({ name: "agent", id: id as string }) },
  { pattern: ["measurements"], build: () => ({ name: "measurements" }) },
  { pattern: ["vms"], build: () => ({ name: "vms" }) },
  { pattern: ["latest"], build: () => ({ name: "latest" }) },
  { pattern: ["series"], build: () => ({ name: "series" }) },
  { pattern: ["records", ":kind"], build: ([kind]) => ({ name: "records", kind: kind as string }) },
  {
    pattern: ["records", ":kind", ":id"],
    build: ([kind, id]) => ({ name: "record", kind: kind as string, id: id as string }),
  },
];

/** Matches a request path (without query string); one trailing slash is ignored. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const path = pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
  const route = findRoute(path);
  if (route.kind !== "route") return route;
  if (method !== "GET" && method !== "HEAD") return { kind: "method_not_allowed", allow: ALLOWED_METHODS };
  return route;
}

function findRoute(path: string): RouteMatch {
  if (path === "/healthz") return { kind: "route", route: { name: "healthz" } };
  if (path === "/metrics") return { kind: "route", route: { name: "metrics" } };
  const prefix = "/api/v1/";
  if (!path.startsWith(prefix)) return { kind: "not_found" };
  const raw = path.slice(prefix.length).split("/");
  const segments: string[] = [];
  for (const s of raw) {
    try {
      segments.push(decodeURIComponent(s));
    } catch {
      return { kind: "bad_path", error: `path segment "${s}" is not valid percent-encoding` };
    }
  }
  for (const { pattern, build } of API) {
    const params = matchSegments(pattern, segments);
    if (params !== undefined) return { kind: "route", route: build(params) };
  }
  return { kind: "not_found" };
}

function matchSegments(pattern: string[], segments: string[]): string[] | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] as string;
    const got = segments[i] as string;
    if (want.startsWith(":")) {
      if (got === "") return undefined;
      params.push(got);
    } else if (want !== got) return undefined;
  }
  return params;
}
