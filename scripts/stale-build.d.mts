/** The newest modification time (ms) of the TypeScript sources under `dir`, tests left out. */
export function newestSource(dir: string): number;
/** The oldest modification time (ms) of `files`; 0 when any of them is missing, or none is given. */
export function oldestFile(files: readonly string[]): number;
/** True when any of `built` is missing or older than a source file under `sourceDir`. */
export function isStale(built: readonly string[], sourceDir: string): boolean;
