/**
 * Fault injection for the crash tests: when `ZCP_FAULT` names this point,
 * the process kills itself right there with SIGKILL, as a power cut or a
 * kill -9 would (or with `ZCP_FAULT_SIGNAL`, e.g. SIGINT, as Ctrl-C would),
 * so the tests can prove what the state is afterwards and that it is repaired.
 * @module
 */
export function faultPoint(name: string): void {
  if (process.env.ZCP_FAULT === name) process.kill(process.pid, (process.env.ZCP_FAULT_SIGNAL as NodeJS.Signals | undefined) ?? 'SIGKILL');
}
