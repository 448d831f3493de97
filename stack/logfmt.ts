/** Console output of the stack: terminal codes, and whether to write them. */
// CSI sequences (colours, cursor moves) and OSC sequences (titles, links), as child processes may write them.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** `line` without terminal control sequences. Pure. */
export function stripAnsi(line: string): string {
  return line.replace(ANSI, '');
}

/** Whether output to `stream` must carry no terminal codes: it is not a terminal, or NO_COLOR is set. Pure. */
export function plainOutput(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY !== true || (env.NO_COLOR ?? '') !== '';
}
