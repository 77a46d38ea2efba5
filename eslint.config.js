// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The house's layering (ARCHITECTURE.md, "Layers"), one block per room. Each file matches one block,
 * since a later block's options for the same rule replace an earlier one's. Import paths are matched
 * as written (relative), so `(\.\./)+x/` means "the room x, reached from anywhere below the root".
 */
const restrict = (files, patterns, paths = []) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] },
});
const noElectronPackage = [{ name: 'electron', message: 'Only electron/main.ts, preload.ts and the services may use Electron itself.' }];

export const LAYERS = [
  restrict(['native-models/**/*.ts'], [
    { regex: '^(\\.\\./)+(electron|db)(/|$)', message: 'native-models/ is the bottom room: it never imports electron/ or db/.' },
  ], noElectronPackage),
  restrict(['db/**/*.ts'], [
    { regex: '^(\\.\\./)+electron(/|$)', message: 'db/ never imports electron/.' },
    {
      regex: '^(\\.\\./)+native-models/(?!errors$)',
      allowTypeImports: true,
      message: 'db/ imports only types from native-models/ (and the error taxonomy, native-models/errors).',
    },
  ], noElectronPackage),
  restrict(['electron/imaging/**/*.ts'], [
    { regex: '^(\\.\\./)+(services|ipc|host|cli|report|api|dicom-export|main|preload)(/|$)', message: 'electron/imaging knows no services, IPC, host, CLI, report, DICOM export or API: it reads scans.' },
    { regex: '^(\\.\\./)+db(/|$)', message: 'electron/imaging never imports db/.' },
  ], noElectronPackage),
  restrict(['electron/dicom-export/**/*.ts'], [
    { regex: '^(\\.\\./)+(services|ipc|host|cli|api|main|preload)(/|$)', message: 'electron/dicom-export writes DICOM objects from an explanation and its scan: it knows no services, IPC, host, CLI or API (they call it).' },
    { regex: '^(\\.\\./)+report/(?!overlay$)', message: 'electron/dicom-export takes only the overlay compositing (report/overlay) from the report.' },
    { regex: '^(\\.\\./)+db/', allowTypeImports: true, message: 'electron/dicom-export imports only types from db/ (a recorded finding); the caller reads the audit log.' },
    {
      regex: '^(\\.\\./)+native-models/(?!(explain/types|explain/methods|errors)$)',
      message: 'electron/dicom-export takes from native-models/ only the explanation types, the method specs and the error taxonomy.',
    },
  ], noElectronPackage),
  restrict(['electron/pacs/**/*.ts'], [
    { regex: '^(\\.\\./)+(services|ipc|host|cli|report|api|main|preload)(/|$)', message: 'electron/pacs talks to archives: it knows no services, IPC, host, CLI, report or API (they call it).' },
    { regex: '^(\\.\\./)+db(/|$)', message: 'electron/pacs never imports db/: transfers are recorded by the services that start them.' },
    { regex: '^(\\.\\./)+native-models/(?!errors$)', message: 'electron/pacs imports only the error taxonomy from native-models/.' },
  ], noElectronPackage),
  restrict(['electron/api/**/*.ts'], [
    {
      regex: '^(\\.\\./)+(native-models|db)/(?!(explain/types|explain/methods|explain/sentences|errors|types)$)',
      message: 'The contract composes the rooms\u2019 pure type modules only (native-models/explain/types|methods|sentences, native-models/errors, db/types, imaging/types).',
    },
    { regex: '^\\.\\./(?!(imaging|dicom-export|pacs)/types$|\\.\\./)', message: 'The contract reads only the pure type modules electron/imaging/types, electron/dicom-export/types and electron/pacs/types from the main process.' },
  ], noElectronPackage),
  restrict(['renderer/src/**/*.ts', 'renderer/src/**/*.tsx'], [
    { regex: '^(\\.\\./)+(native-models|db|build|tests)(/|$)', message: 'The renderer imports only the contract, the wire codec and the shared colour map.' },
    { regex: '^(\\.\\./)+electron/(?!api/(contract|wire|colormap)$)', message: 'The renderer imports only electron/api/contract, electron/api/wire and electron/api/colormap.' },
    { regex: '^node:', message: 'The renderer runs in a browser: no Node built-ins.' },
  ], noElectronPackage),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'tests/output/**', 'reports/**', '.stryker-tmp/**', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
        window: 'readonly', document: 'readonly', performance: 'readonly', fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(invoke|handle)$/][arguments.0.type='Literal']",
          message: 'IPC channel names come from electron/api/contract.ts only.',
        },
      ],
    },
  },
  ...LAYERS,
);
