import { BollardError } from '../../util/errors.ts';

/**
 * Where a key passphrase comes from: BOLLARD_PASSWORD, then COSIGN_PASSWORD (cosign's variable, so
 * existing pipelines work unchanged), then a prompt on a terminal. An empty variable is an empty
 * passphrase, as in cosign. Without a terminal and without a variable it is a usage error rather
 * than a hang.
 */
export interface PassphraseSource {
  env?: NodeJS.ProcessEnv;
  /** Ask again and compare (keygen). */
  confirm?: boolean;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

export async function readPassphrase(purpose: string, o: PassphraseSource = {}): Promise<string> {
  const env = o.env ?? process.env;
  if (env.BOLLARD_PASSWORD !== undefined) return env.BOLLARD_PASSWORD;
  if (env.COSIGN_PASSWORD !== undefined) return env.COSIGN_PASSWORD;
  const input = o.input ?? process.stdin;
  const output = o.output ?? process.stderr;
  if (!input.isTTY) {
    throw new BollardError(
      'USAGE',
      `a passphrase is needed to ${purpose}: set BOLLARD_PASSWORD or COSIGN_PASSWORD, or run on a terminal`,
    );
  }
  const first = await promptHidden(`Enter passphrase to ${purpose}: `, input, output);
  if (o.confirm) {
    const again = await promptHidden('Enter passphrase again: ', input, output);
    if (again !== first) throw new BollardError('USAGE', 'the passphrases do not match');
  }
  return first;
}

/** Read one line from a terminal without echoing it. */
function promptHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    let value = '';
    const done = (err?: Error): void => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          return;
        }
        if (ch === '\u0003') {
          done(new BollardError('USAGE', 'interrupted'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
  });
}
