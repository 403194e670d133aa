/** A realistic, lint-clean policy config of about `lines` lines (see policy-config.mjs). */
export function generateConfig(lines: number): string;
