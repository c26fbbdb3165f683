import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { appLocales } from './locales';

/**
 * Catalogue parity and "no string outside the catalogues" (docs/product.md#console-qualities). Every catalogue is found on disk, so a
 * feature added later is checked without anyone remembering to list it here.
 */

const WEB = path.resolve(import.meta.dirname, '..');

type Catalogue = Record<string, unknown>;
interface Catalogues {
  en: Catalogue;
  'zh-CN': Catalogue;
}

function isCatalogues(value: unknown): value is Catalogues {
  return typeof value === 'object' && value !== null && 'en' in value && 'zh-CN' in value;
}

/** `{ a: { b: 'x' } }` → `[['a.b', 'x']]`; anything that is not a string or a nested object is reported as is. */
function flatten(catalogue: Catalogue, prefix = ''): [string, unknown][] {
  return Object.entries(catalogue).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? flatten(value as Catalogue, `${prefix}${key}.`)
      : [[`${prefix}${key}`, value] as [string, unknown]],
  );
}

function variables(text: unknown): string[] {
  return typeof text === 'string' ? [...new Set([...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1] ?? ''))].sort() : [];
}

const featureNames = readdirSync(path.join(WEB, 'features'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

async function loadCatalogues(): Promise<[string, Catalogues][]> {
  const out: [string, Catalogues][] = [['app', appLocales]];
  for (const name of featureNames) {
    const module = (await import(`../features/${name}/locales.ts`)) as Record<string, unknown>;
    const found = Object.values(module).filter(isCatalogues);
    expect(found, `web/features/${name}/locales.ts must export one { en, 'zh-CN' } catalogue`).toHaveLength(1);
    out.push([name, found[0] as Catalogues]);
  }
  return out;
}

describe('the translation catalogues', () => {
  it('exist for every feature', () => {
    expect(featureNames.length).toBeGreaterThan(0);
    for (const name of featureNames) expect(readdirSync(path.join(WEB, 'features', name))).toContain('locales.ts');
  });

  it('have the same keys in English and 简体中文, with no empty strings and the same {{variables}}', async () => {
    const problems: string[] = [];
    for (const [name, catalogues] of await loadCatalogues()) {
      const en = new Map(flatten(catalogues.en));
      const zh = new Map(flatten(catalogues['zh-CN']));
      for (const key of en.keys()) if (!zh.has(key)) problems.push(`${name}: "${key}" is missing in zh-CN`);
      for (const key of zh.keys()) if (!en.has(key)) problems.push(`${name}: "${key}" is missing in en`);
      for (const [lang, entries] of [
        ['en', en],
        ['zh-CN', zh],
      ] as const) {
        for (const [key, value] of entries) {
          if (typeof value !== 'string') problems.push(`${name}: ${lang} "${key}" is not a string`);
          else if (value.trim() === '') problems.push(`${name}: ${lang} "${key}" is empty`);
        }
      }
      for (const [key, value] of en) {
        if (!zh.has(key)) continue;
        const a = variables(value).join(', ');
        const b = variables(zh.get(key)).join(', ');
        if (a !== b) problems.push(`${name}: "${key}" uses {{${a}}} in en but {{${b}}} in zh-CN`);
      }
    }
    expect(problems).toEqual([]);
  });
});

// --- No user-visible string outside the catalogues ------------------------------------------------------

function sourceFiles(dir: string): string[] {
  return (
    readdirSync(dir, { withFileTypes: true, recursive: true })
      // Tests and test helpers (`*.test.tsx`, `test-utils.tsx`) are not what an operator sees.
      .filter((entry) => entry.isFile() && entry.name.endsWith('.tsx') && !/(\.test\.tsx|test-utils?\.tsx)$/.test(entry.name))
      .map((entry) => path.join(entry.parentPath, entry.name))
      .filter(
        (file) =>
          !path
            .relative(WEB, file)
            .split(path.sep)
            .some((part) => part === 'mocks' || part === 'test'),
      )
  );
}

/**
 * A heuristic, not a parser: English words as JSX text between tags, or as a literal value of a prop a person
 * reads or hears. Strings in `{…}` expressions are not seen; the reviewer still reads those.
 */
const RULES: { name: string; pattern: RegExp }[] = [
  // `(?<![=-])`: the `>` of an arrow (`=> value as Record<…>`) is not the end of a tag.
  { name: 'JSX text', pattern: /(?<![=-])>\s*([A-Za-z][A-Za-z ,.'!?-]*[A-Za-z.!?])\s*</g },
  {
    name: 'literal prop',
    pattern: /\b(aria-label|aria-description|aria-valuetext|label|title|placeholder|alt|helperText)="([^"]*[A-Za-z][^"]*)"/g,
  },
];

function findHardCodedStrings(source: string): string[] {
  // Comments may say anything; drop them first (line comments only where they start a line, so `https://` in a
  // string survives).
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const { name, pattern } of RULES) {
    for (const match of code.matchAll(pattern)) {
      const line = code.slice(0, match.index).split('\n').length;
      found.push(`${name} on line ${line}: ${match[0].replace(/\s+/g, ' ').trim()}`);
    }
  }
  return found;
}

describe('user-visible strings', () => {
  it('the detector finds hard-coded text and labels', () => {
    expect(findHardCodedStrings('<Button>Save changes</Button>')).toHaveLength(1);
    expect(findHardCodedStrings('<IconButton aria-label="Refresh" />')).toHaveLength(1);
    expect(findHardCodedStrings('<TextField label="Region" />')).toHaveLength(1);
    expect(findHardCodedStrings("<Button>{t('save')}</Button>")).toEqual([]);
    expect(findHardCodedStrings('<Box component="span" sx={{ p: 1 }} />')).toEqual([]);
    expect(findHardCodedStrings('// <b>Not shown</b>\n/* <i>Nor this</i> */')).toEqual([]);
    expect(findHardCodedStrings('const read = (body: unknown) => body as Record<string, string>;')).toEqual([]);
  });

  it('come from t(…) in every component', () => {
    const files = sourceFiles(WEB);
    // The scan must actually see the components (a wrong root would pass vacuously).
    expect(files.map((file) => path.relative(WEB, file))).toEqual(
      expect.arrayContaining([path.join('app', 'AppRoutes.tsx'), path.join('main.tsx')]),
    );
    const offenders = files.flatMap((file) =>
      findHardCodedStrings(readFileSync(file, 'utf8')).map((hit) => `${path.relative(WEB, file)}: ${hit}`),
    );
    expect(offenders).toEqual([]);
  });
});
