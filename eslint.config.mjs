// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.run/**', 'coverage/**', 'bench/results/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
    },
  },
  {
    // Domain and application code are plain logic: no I/O library may be imported there.
    files: ['services/*/src/domain/**/*.ts', 'services/*/src/application/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['kafkajs', 'mongoose', 'mongodb', '@aws-sdk/*', 'fastify', 'smtp-server', 'nodemailer'],
              message: 'I/O belongs in adapters/.',
            },
            {
              group: ['@privacy-relay/shared/kafka', '@privacy-relay/shared/mongo', '@privacy-relay/shared/http'],
              message: 'I/O belongs in adapters/.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'Only main.ts reads the environment.' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', 'infra/src/cli.ts', 'bench/**', '.ci/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
);
