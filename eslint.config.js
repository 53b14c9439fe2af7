// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Layer rules from docs/design.md: a layer never imports from a layer above it. Each entry lists the
 * internal layers a folder may NOT import.
 */
const LAYERS = {
  core: ['store', 'registry', 'runtime', 'monitor', 'train', 'app', 'serve', 'cli', 'edge', 'library'],
  store: ['registry', 'runtime', 'monitor', 'train', 'app', 'serve', 'cli', 'edge', 'library'],
  registry: ['runtime', 'monitor', 'train', 'app', 'serve', 'cli', 'edge', 'library'],
  runtime: ['store', 'registry', 'monitor', 'train', 'app', 'serve', 'cli', 'edge', 'library'],
  monitor: ['registry', 'runtime', 'train', 'app', 'serve', 'cli', 'edge', 'library'],
  train: ['store', 'registry', 'monitor', 'app', 'serve', 'cli', 'edge', 'library'],
  // The exported browser module: the pipeline and the model in onnxruntime-web, nothing server-side.
  edge: ['store', 'registry', 'monitor', 'train', 'app', 'serve', 'cli', 'library', 'conformance'],
  app: ['serve', 'cli', 'edge', 'library'],
  serve: ['cli', 'edge', 'library'],
  conformance: ['store', 'registry', 'runtime', 'monitor', 'train', 'app', 'serve', 'cli', 'edge', 'library'],
  // The in-process library composes what a server composes, for the caller's own process.
  library: ['cli', 'edge', 'conformance'],
};

const NO_PROCESS_ENV = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'Only the composition root (src/cli/main.ts) reads process.env; pass config down instead.',
};
const NO_HAND_BUILT_ERRORS = {
  selector: "NewExpression[callee.name='BerthError']",
  message: 'Build errors through the catalogue: Errors.<NAME>.create(args..., { details, cause }).',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'web/dist/', 'scratch/', 'test/fixtures/', '.berth/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', NO_PROCESS_ENV, NO_HAND_BUILT_ERRORS],
    },
  },
  // The catalogue is the one place that builds its errors.
  { files: ['src/core/errors.ts'], rules: { 'no-restricted-syntax': ['error', NO_PROCESS_ENV] } },
  ...Object.entries(LAYERS).map(([layer, forbidden]) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((other) => ({
            group: [`**/${other}/*`, `../${other}/*`, `../../${other}/*`],
            message: `design.md: the ${layer} layer may not import from ${other}.`,
          })),
        },
      ],
    },
  })),
  {
    files: ['src/cli/main.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'vitest.config.ts', 'web/vite.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  // berth/client runs in browsers too: the platform only (no node:*, no dependencies), and of the
  // server's code only the pure datatype list, type-only imports of the error catalogue and the
  // API types generated from the OpenAPI document (web/src/api/generated, shared with the dashboard).
  {
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'berth/client runs in browsers: use Uint8Array.' }, { name: 'process', message: 'berth/client runs in browsers.' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./[\\w./-]+$|\\.\\./core/(datatypes|errors)\\.js$|\\.\\./\\.\\./web/src/api/generated/openapi\\.js$)',
              message: 'berth/client runs in browsers: it imports only its own modules, core/datatypes.js, the types of core/errors.js and the generated API types.',
            },
          ],
        },
      ],
    },
  },
  // The dashboard runs in the browser and imports nothing server-side (design.md: the web layer).
  {
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/*', '../../src/*', 'node:*'], message: 'design.md: the web layer speaks only the public HTTP API.' }] }],
    },
  },
);
