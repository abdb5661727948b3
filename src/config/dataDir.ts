import { resolve, join } from 'node:path';

/** Where the embedded default keeps its files, all under one data directory. */
export interface DataPaths {
  readonly root: string;
  readonly events: string;
  readonly readModels: string;
  readonly blobs: string;
}

export function dataPaths(root: string): DataPaths {
  const abs = resolve(root);
  return {
    root: abs,
    events: join(abs, 'events.sqlite'),
    readModels: join(abs, 'readmodels.sqlite'),
    blobs: join(abs, 'blobs'),
  };
}

/** `--data`, else KIM_DATA, else ./data. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['KIM_DATA'] ?? './data';
}
