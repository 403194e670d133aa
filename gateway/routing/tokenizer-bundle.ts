// Entry of dist/tokenizer.js: the o200k tokenizer in its own bundle, required lazily by tokens.ts.
export { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
