/** Packages the CLI bundle leaves to Node (native add-ons and what loads them). */
export const NATIVE_EXTERNALS: string[];
/** Builds dist/cli; resolves to its entry's path. */
export function buildCli(): Promise<string>;
