import tseslint from 'typescript-eslint';

/** Layers that must stay free of a runtime: the extension host never loads onnxruntime, and only src/extension knows VS Code. */
const noVscode = { name: 'vscode', message: 'Only src/extension/ runs in VS Code; keep this layer plain TypeScript.' };
const noOnnx = { name: 'onnxruntime-node', message: 'Only src/engine/ loads onnxruntime; the extension host must never load it.' };

export default tseslint.config(
  // Scripts (.mjs) are linted too; in models/ they are the only JavaScript (the rest is model files, the
  // pipeline's Python and its generated work/ folder).
  { ignores: ['dist/', 'out/', 'node_modules/', '.cache/', 'models/**/*.!(mjs)', 'models/train/work/', 'test-results/', '**/*.js'] },
  ...tseslint.configs.recommended,
  // TypeScript is linted with its types (the program tsconfig.json describes); the .mjs scripts have none.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  { files: ['**/*.mjs'], extends: [tseslint.configs.disableTypeChecked] },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      // The product logs through its channels (the output channel, the server's log notification).
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/extension/**', 'src/engine/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, noOnnx] }] },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noOnnx] }] },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
);
