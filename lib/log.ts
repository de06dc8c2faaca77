/** One line per message, tagged by component; errors keep their message, not their stack, unless unexpected. */
export type Log = (message: string, err?: unknown) => void;

export function logger(component: string): Log {
  return (message, err) => {
    const suffix = err === undefined ? '' : `: ${err instanceof Error ? err.message : String(err)}`;
    console.error(`${new Date().toISOString()} [${component}] ${message}${suffix}`);
  };
}
