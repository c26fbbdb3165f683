const KEY = 'ecs-console.region';

/** The last region an operator opened, so `/` returns there (docs/product.md#console-qualities). */
export function lastRegion(): string | undefined {
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function rememberRegion(regionId: string): void {
  try {
    localStorage.setItem(KEY, regionId);
  } catch {
    // Not remembering is harmless.
  }
}
