/** Returns every layering violation under `root` as `file:line: reason`. */
export function checkLayers(root: string): string[];
