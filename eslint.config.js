// Lint: zero warnings, and the folder-equals-runtime layering is checked here.
import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'crypto',
  'child_process',
  'zlib',
  'worker_threads',
  'http',
]

/** What no product file (electron/, shared/, renderer/) may import: the benchmarks and the tests. */
const productNeverImports = ['**/bench/**', '**/bench', '**/tests/**']

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      // Raw IPC only in the two files that build the typed bridge.
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: 'Use electron/ipc.ts.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/ipc.ts', 'electron/preload.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // shared/ is pure TypeScript: no Node, Electron, Vue, Pinia, fabric, and nothing from the process folders.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...nodeBuiltins, 'electron', 'electron/*'],
              message: 'shared/ runs in both processes.',
            },
            { group: ['vue', 'pinia', 'fabric', '@vue/*'], message: 'shared/ has no UI code.' },
            { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ imports only shared/.' },
            { group: productNeverImports, message: 'Benchmarks and tests stay out of the product.' },
          ],
        },
      ],
    },
  },
  {
    // The renderer talks to the main process only through the API contract.
    files: ['renderer/**/*.ts', 'renderer/**/*.vue'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'electron/*', '**/electron/**'], message: 'Use renderer/src/api.ts.' },
            { group: nodeBuiltins, message: 'The renderer has no Node.' },
            { group: productNeverImports, message: 'Benchmarks and tests stay out of the product.' },
          ],
        },
      ],
    },
  },
  {
    // The benchmarks run under plain Node and may import electron/services, shared/ and tests/support.
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^electron(/|$)', message: 'Benchmarks run without Electron.' }] },
      ],
    },
  },
  {
    // Nothing of the product imports the benchmarks (bench/) or the tests (tests/); the other way round is fine.
    files: ['electron/**/*.ts'],
    ignores: ['electron/services/**/*.ts', 'electron/cli/**/*.ts', 'electron/serve/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: 'Use electron/ipc.ts.' },
          ],
          patterns: [
            { group: productNeverImports, message: 'Benchmarks and tests stay out of the product.' },
          ],
        },
      ],
    },
  },
  {
    // Services run under plain Node (CLI, serve, tests): only the thin shell files import electron.
    files: ['electron/services/**/*.ts', 'electron/cli/**/*.ts', 'electron/serve/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'electron/*'], message: 'Services must run without Electron.' },
            { group: productNeverImports, message: 'Benchmarks and tests stay out of the product.' },
          ],
        },
      ],
    },
  },
  {
    // Raw IPC allowed here (see above); the product rule still holds.
    files: ['electron/ipc.ts', 'electron/preload.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: productNeverImports, message: 'Benchmarks and tests stay out of the product.' },
          ],
        },
      ],
    },
  },
)
