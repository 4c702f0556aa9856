/**
 * Fault injection for the crash tests: when `ZCP_FAULT` names this point,
 * the process kills itself with SIGKILL right there, as a power cut or a
 * kill -9 would, so the tests can prove the next command repairs the state.
 * @module
 */
export function faultPoint(name: string): void {
  if (process.env.ZCP_FAULT === name) process.kill(process.pid, 'SIGKILL');
}
