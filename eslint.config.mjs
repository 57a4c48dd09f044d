import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * Herald's layers, lowest first: a folder may import its own layer and those below it, never one above
 * (domain → persistence, mail, config → activities → workflows → api, dashboard → server). The API and
 * the dashboard are siblings that meet only in server/app.ts. Workflows run in Temporal's sandbox: of
 * the layers below them they import types only, values only from domain/.
 */
const layers = [
  ['domain'],
  ['persistence', 'mail', 'config'],
  ['activities'],
  ['workflows'],
  ['api', 'dashboard'],
  ['server', 'worker'],
]
const exceptions = {
  // Siblings that must stay apart: the dashboard reaches the API only through server/app.ts.
  api: ['dashboard'],
  dashboard: ['api'],
  // The worker runs activities and workflows; the web server is none of its business.
  worker: ['api', 'dashboard'],
}
/** An import of one of these folders, written relatively from anywhere in the repository. */
const folderImport = (folders) => `^(\\.{1,2}/)+(${folders.join('|')})(/|$)`
const layerOrder = layers.map((tier) => tier.join(', ')).join(' → ')
const noImportOf = (files, folder, forbidden, typesOnlyFrom = []) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: folderImport(forbidden),
            message: `${folder}/ may not import ${forbidden.join(', ')} (layers: ${layerOrder}; eslint.config.mjs).`,
          },
          ...(typesOnlyFrom.length
            ? [
                {
                  regex: folderImport(typesOnlyFrom),
                  allowTypeImports: true,
                  message: `workflow code runs in Temporal's sandbox: only types from ${typesOnlyFrom.join(', ')}, values from domain/.`,
                },
              ]
            : []),
        ],
      },
    ],
  },
})
const layerRules = layers.flatMap((tier, level) =>
  tier.flatMap((folder) => {
    const forbidden = [...layers.slice(level + 1).flat(), ...(exceptions[folder] ?? [])]
    const typesOnly = folder === 'workflows' ? layers.slice(1, level).flat() : []
    return forbidden.length ? [noImportOf([`${folder}/**/*.{ts,tsx}`], folder, forbidden, typesOnly)] : []
  }),
)

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'coverage/**', '*.mjs', 'jest*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
  {
    // The dashboard's one browser script: plain JavaScript, no build.
    files: ['dashboard/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['dashboard/assets/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', setTimeout: 'readonly' },
    },
  },
  {
    // Tests read loosely typed JSON replies.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
)
