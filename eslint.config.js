import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const shared = {
  "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
  "@typescript-eslint/no-explicit-any": "error",
  "no-constant-condition": ["error", { checkLoops: false }],
  eqeqeq: ["error", "always"],
  "prefer-const": "error",
};

export default tseslint.config(
  { ignores: ["node_modules/", "data/", "web/dist/", "packages/*/dist/", "test-artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.js"],
    ignores: ["web/src/**"],
    languageOptions: { globals: { ...globals.node } },
    rules: shared,
  },
  {
    // The console runs in the browser: browser globals, and the rules of hooks.
    files: ["web/src/**/*.ts", "web/src/**/*.tsx"],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...shared,
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
    },
  },
);
