// Lint rules the build enforces (run by `npm test`): TypeScript's recommended checks, the rules of
// React hooks, and the layers: shared code imports only zod; the renderer and the preload never import
// the engine; only the Electron shell (and the preload, which must) import electron.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'net', 'http', 'https', 'stream', 'url', 'util', 'zlib'], message: 'This layer runs without Node: no Node modules.' };
const ELECTRON = { name: 'electron', message: 'Only src/main/electron (and the preload) import electron: the engine runs in plain Node.' };

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.vite/**', 'node_modules/**', 'test-results/**', 'resources/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Lazy requires of heavy modules and of native ones are deliberate (see src/main/lazy.ts).
      '@typescript-eslint/no-require-imports': 'off',
      'no-control-regex': 'off', // control characters are exactly what several validators look for
    },
  },
  {
    files: ['src/shared/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ELECTRON],
          patterns: [
            { regex: '^(?!zod$|\\.)', message: 'src/shared imports only zod (and itself): it is the contract every layer reads.' },
            { regex: '(^|/)(main|renderer|preload)(/|$)', message: 'src/shared imports only zod (and itself): never the engine or the UI.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      'no-restricted-imports': ['error', { paths: [ELECTRON], patterns: [{ group: ['**/main/**', '**/main'], message: 'The renderer talks to the engine through the contract only.' }, NODE_BUILTINS] }],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/main/**', '**/main'], message: 'The preload exposes the contract only; it never imports the engine.' }] }],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON], patterns: [{ group: ['**/renderer/**', '**/preload/**'], message: 'The engine never imports the UI.' }] }],
    },
  },
  {
    files: ['test/**/*.{ts,mts}', 'bench/**/*.mjs', 'scripts/**/*.mjs'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['bench/**/*.mjs', 'scripts/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', setImmediate: 'readonly' } },
  },
);
