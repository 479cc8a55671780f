import type { ESLint, Rule } from 'eslint';

export const noElapsedTimeExpectations: Rule.RuleModule;
declare const plugin: ESLint.Plugin;
export default plugin;
