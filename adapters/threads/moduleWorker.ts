import { Worker } from 'node:worker_threads';

/**
 * Starts `module` (a URL next to the caller, given as its compiled `.js` name) in a worker
 * thread. Under tsx or vitest the caller is TypeScript and Node 20 workers ignore `--import`,
 * so tsx is registered inside the worker before the `.ts` module is loaded. The worker needs
 * none of the parent's flags (--input-type, --cpu-prof, … would break it).
 */
export function startModuleWorker(callerUrl: string, moduleJsName: string, workerData: unknown): Worker {
  if (callerUrl.endsWith('.ts')) {
    const tsModule = new URL(moduleJsName.replace(/\.js$/, '.ts'), callerUrl).href;
    return new Worker(
      `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(tsModule)}); });`,
      { eval: true, workerData, execArgv: [] },
    );
  }
  return new Worker(new URL(moduleJsName, callerUrl), { workerData, execArgv: [] });
}
