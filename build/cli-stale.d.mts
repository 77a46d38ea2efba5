/** Whether the CLI bundle under `base` (a checkout or an unpacked app) must be built again. */
export function cliIsStale(base: string): boolean;
