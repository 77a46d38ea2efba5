/** Worker thread entry: decodes frames posted by decoder-pool.ts, one at a time. */
import { parentPort } from 'node:worker_threads';
import { runDecodeJob, type DecodeJob, type DecodeResult } from './decode-job';
import { ImagingError, describeThrown } from './errors';

export type WorkerReply =
  | { id: number; ok: true; result: DecodeResult }
  | { id: number; ok: false; file: string; reason: string };

const port = parentPort;
if (port) {
  port.on('message', (msg: { id: number; job: DecodeJob }) => {
    runDecodeJob(msg.job).then(
      (result) => {
        const reply: WorkerReply = { id: msg.id, ok: true, result };
        port.postMessage(reply, [result.data.buffer as ArrayBuffer]);
      },
      (err: unknown) => {
        const reply: WorkerReply = err instanceof ImagingError
          ? { id: msg.id, ok: false, file: err.file, reason: err.reason }
          : { id: msg.id, ok: false, file: msg.job.file, reason: `decoding failed (${describeThrown(err)})` };
        port.postMessage(reply);
      },
    );
  });
}
