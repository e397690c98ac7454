import tseslint from 'typescript-eslint';

/** Layers that must stay free of a runtime: the extension host never loads onnxruntime, and only src/extension knows VS Code. */
const noVscode = { name: 'vscode', message: 'Only src/extension/ runs in VS Code; keep this layer plain TypeScript.' };
const noOnnx = { name: 'onnxruntime-node', message: 'Only src/engine/ loads onnxruntime; the extension host must never load it.' };

/**
 * Which src folders each src folder may import: the table in src/README.md ("Layers"), mirrored
 * here. A folder always imports its own files; every other src folder is refused by path.
 */
const mayImport = {
  base: [],
  protocol: ['base'],
  completion: ['base', 'protocol'],
  modelFolder: ['base', 'protocol'],
  client: ['base', 'protocol'],
  engine: ['base', 'protocol', 'modelFolder'],
  server: ['base', 'protocol', 'modelFolder', 'engine'],
  convert: ['base', 'modelFolder'],
  download: ['base', 'modelFolder', 'convert'],
  supervision: ['base', 'protocol', 'client'],
  editor: ['base', 'protocol', 'modelFolder', 'client', 'supervision'],
  extension: ['base', 'protocol', 'completion', 'modelFolder', 'client', 'supervision', 'download', 'editor'],
  cli: ['base', 'protocol', 'completion', 'modelFolder', 'client', 'convert', 'download'],
};

/** Folders a folder may import types from but no code: the table's "(types only)". */
const mayImportTypes = {
  supervision: ['convert'],
};

/** One config per src folder: the folders it may not import (by relative path), vscode and onnxruntime where they do not belong. */
function layerRules() {
  const folders = Object.keys(mayImport);
  return folders.map((folder) => {
    const typesOnly = mayImportTypes[folder] ?? [];
    const refused = folders.filter((other) => other !== folder && !mayImport[folder].includes(other));
    const paths = [...(folder === 'extension' ? [] : [noVscode]), ...(folder === 'engine' ? [] : [noOnnx])];
    const patterns = refused.map((other) => ({
      group: [`**/${other}`, `**/${other}/**`],
      allowTypeImports: typesOnly.includes(other),
      message: `src/${folder}/ may not import ${typesOnly.includes(other) ? 'code from ' : ''}src/${other}/: see the layer table in src/README.md.`,
    }));
    return { files: [`src/${folder}/**/*.ts`], rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }] } };
  });
}

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
  // A src folder missing from the table still keeps vscode and onnxruntime out.
  { files: ['src/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [noVscode, noOnnx] }] } },
  ...layerRules(),
);
