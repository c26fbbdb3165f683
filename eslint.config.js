// One lint config for the whole package: typescript-eslint's type-aware rules (no-floating-promises among
// them, docs/conventions.md#strict-compiler), the import boundaries of docs/architecture.md, React's hook
// rules and one file-name rule.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import checkFile from 'eslint-plugin-check-file';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const features = readdirSync(new URL('./web/features', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** The one-way import rules (docs/architecture.md#import-rules). */
const zones = [
  // The ECS domain is shared by the browser, the proxy and the simulator: it depends on nothing of ours.
  { target: './ecs', from: '.', except: ['./ecs', './node_modules'], message: 'ecs/ imports nothing outside itself.' },
  {
    target: './acs-signature',
    from: '.',
    except: ['./acs-signature', './node_modules'],
    message: 'The signer is pure: it imports nothing of ours.',
  },
  // The browser never imports the proxy, and production web code never imports the simulator (only web/mocks does).
  { target: './web', from: './api-proxy', message: 'The web app never imports the proxy.' },
  ...['app', 'components', 'features', 'lib'].map((dir) => ({
    target: `./web/${dir}`,
    from: './sim',
    message: 'Only web/mocks may use the simulator.',
  })),
  { target: './sim', from: ['./api-proxy', './web'], message: 'The simulator stands alone: it imports ecs/ and acs-signature/ only.' },
  // Features never import each other; what two share lives in web/components or web/lib.
  ...features.map((name) => ({
    target: `./web/features/${name}`,
    from: './web/features',
    except: [`./${name}`],
    message: 'Features never import each other: move what they share to web/components or web/lib.',
  })),
  // Shared layers never reach up into features or the app shell.
  {
    target: ['./web/components', './web/lib'],
    from: ['./web/features', './web/app'],
    message: 'Shared code does not import features or the app.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-results/**', 'playwright-report/**', 'web/mock-public/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX, 'react-hooks': reactHooks, 'check-file': checkFile },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
      'import-x/no-self-import': 'error',
      'import-x/no-useless-path-segments': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../../*'],
              message: 'Climb at most two levels; use #ecs/…, #sim/…, #acs-signature (package.json imports) or @web/… (web only).',
            },
          ],
        },
      ],
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      // Components are PascalCase .tsx files; every other file is kebab-case (docs/conventions.md#names).
      'check-file/filename-naming-convention': [
        'error',
        { '**/*.tsx': 'PASCAL_CASE', '**/*.ts': 'KEBAB_CASE' },
        { ignoreMiddleExtensions: true },
      ],
      'check-file/folder-naming-convention': ['error', { '{api-proxy,web,ecs,sim,acs-signature,e2e,scripts,bench}/**/': 'KEBAB_CASE' }],
    },
  },
  {
    // Production proxy code reaches the simulator only through the sim-mode loader; tests may use it directly.
    files: ['api-proxy/**/*.ts'],
    ignores: [
      'api-proxy/**/*.test.ts',
      'api-proxy/sim-mode.ts',
      'api-proxy/test-support.ts',
      'api-proxy/edge-probe.ts',
      'api-proxy/fuzz-cases.ts',
    ],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { zones: [...zones, { target: './api-proxy', from: './sim', message: 'Load the simulator through api-proxy/sim-mode.ts only.' }] },
      ],
    },
  },
  {
    // Playwright fixtures call their callback `use`; it is not React's hook.
    files: ['e2e/**/*.ts'],
    rules: { 'react-hooks/rules-of-hooks': 'off' },
  },
  {
    // The entry point and the test render helper are not components.
    files: ['web/main.tsx', 'web/test/**/*.tsx'],
    rules: { 'check-file/filename-naming-convention': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
