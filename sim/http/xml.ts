/**
 * ECS's XML answers, the shape of the XML examples in Alibaba's API reference: what V1 callers get unless
 * they ask for `Format=JSON`, and V3 callers that accept only XML (docs/ecs-notes.md#transport).
 */

function xmlEscape(text: string): string {
  return (
    text
      // Characters XML 1.0 cannot carry at all.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function xmlName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function xmlElement(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  // Arrays repeat the element under its own name: JSON `Instances.Instance[]` is
  // `<Instances><Instance>…</Instance><Instance>…</Instance></Instances>` in the docs' XML examples.
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join('');
  const tag = xmlName(name);
  if (typeof value === 'object') {
    const inner = Object.entries(value)
      .map(([key, child]) => xmlElement(key, child))
      .join('');
    return `<${tag}>${inner}</${tag}>`;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `<${tag}>${xmlEscape(String(value))}</${tag}>`;
  }
  return '';
}

/** `<{Action}Response>` for success, `<Error>` for failures (docs/ecs-notes.md#error-shape). */
export function renderXml(root: string, body: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${xmlElement(root, body)}`;
}
