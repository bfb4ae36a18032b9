import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Only rules that catch bugs, several of them type-aware: a promise nobody awaits, a promise where a
 * boolean or a void callback is expected, `await` on a value that is not a promise, a variable nobody
 * reads, a switch over a union that misses a member, and a `return` inside `try` that lets a rejection
 * escape the `catch`. Layout is prettier's job (.prettierrc.json).
 */
export default defineConfig(
  { ignores: ['.cache/', 'models/', 'reports/', 'schemas/', 'test/fixtures/'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // Files outside tsconfig.json's include (the JavaScript entry points) are typed with its options too.
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*.mjs'], defaultProject: 'tsconfig.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Only the case that changes behaviour (a returned promise inside try/catch/finally), not a preference elsewhere.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
    },
  },
);
