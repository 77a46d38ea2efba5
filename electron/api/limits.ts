/**
 * The API's size limits, apart from the contract's schemas so the CLI can apply the same ones
 * without loading zod (0.8 MB of JavaScript: 35 ms of every `candor explain`, measured).
 */

/** The longest report text and note the API takes (the CLI's --text and --note too). */
export const MAX_TEXT_CHARS = 20000;
