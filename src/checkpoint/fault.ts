/**
 * Fault injection for the crash tests: when `ZCP_FAULT` names this point,
 * the process kills itself right there with SIGKILL, as a power cut or a
 * kill -9 would (or with `ZCP_FAULT_SIGNAL`, e.g. SIGINT, as Ctrl-C would; or
 * `power-cut`: the kernel reboots on the spot, as when the power goes),
 * so the tests can prove what the state is afterwards and that it is repaired.
 * @module
 */
import { writeFileSync } from 'node:fs';

export function faultPoint(name: string): void {
  if (process.env.ZCP_FAULT !== name) return;
  // `power-cut`: the kernel reboots at once, nothing synced (sysrq b), as when the power goes.
  if (process.env.ZCP_FAULT_SIGNAL === 'power-cut') writeFileSync('/proc/sysrq-trigger', 'b');
  process.kill(process.pid, (process.env.ZCP_FAULT_SIGNAL as NodeJS.Signals | undefined) ?? 'SIGKILL');
}
