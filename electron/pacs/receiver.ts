/**
 * Data sets arriving over DIMSE (C-GET on our association, or C-STORE to our SCP during a C-MOVE)
 * are streamed to disk as they come, behind our File Meta Information: the bytes are the node's,
 * unchanged (dcmjs-dimse would otherwise parse and re-encode every data set in memory).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import dcmjsDimse from 'dcmjs-dimse';
import { errorMessage } from '../../native-models/errors';
import { instanceFileName, part10Header, studyOfFile } from './instance';

const { Dataset } = dcmjsDimse;
const { Status } = dcmjsDimse.constants;

/** The parts of dcmjs-dimse's C-STORE request and presentation context a receiver reads. */
export interface StoreCommand {
  getAffectedSopClassUid(): string;
  getAffectedSopInstanceUid(): string;
}
export interface AcceptedContext {
  getAcceptedTransferSyntaxUid(): string | undefined;
}

/** A C-STORE only arrives on an accepted context; implicit VR little endian is the default syntax. */
function syntaxOf(context: AcceptedContext): string {
  return context.getAcceptedTransferSyntaxUid() ?? '1.2.840.10008.1.2';
}
type DatasetInstance = InstanceType<typeof Dataset>;

/** C-STORE status for an instance we do not keep (PS3.4 C.4.2.1.4: "Error: cannot understand"). */
export const STATUS_CANNOT_UNDERSTAND = 0xc000;

export class RawReceiver {
  readonly files: string[] = [];
  bytes = 0;
  /** Instances refused because they belong to another study (a C-MOVE SCP may be sent anything). */
  readonly strays: string[] = [];
  private readonly open = new Map<object, { path: string; stream: WriteStream; error: Error | null }>();
  private count = 0;

  constructor(
    private readonly dir: string,
    private readonly studyUid: string,
    private readonly onInstance: (files: number, bytes: number) => void | Promise<void> = () => {},
  ) {}

  /** dcmjs-dimse's createStoreWritableStream: a file with the meta header already written. */
  createStream(context: AcceptedContext, request: StoreCommand): WriteStream {
    const sop = request.getAffectedSopInstanceUid();
    const path = join(this.dir, instanceFileName(sop, ++this.count));
    const stream = createWriteStream(path, { flags: 'wx' });
    const entry = { path, stream, error: null as Error | null };
    stream.on('error', (err) => {
      entry.error = err;
    });
    stream.write(part10Header(request.getAffectedSopClassUid(), sop, syntaxOf(context)));
    this.open.set(request, entry);
    return stream;
  }

  /** dcmjs-dimse's createDatasetFromStoreWritableStream: nothing to parse, the file is the data set. */
  finishStream(writable: NodeJS.WritableStream & { writableFinished?: boolean; destroyed?: boolean }, context: AcceptedContext, callback: (dataset: DatasetInstance) => void): void {
    const done = () => callback(new Dataset({}, syntaxOf(context)));
    if (writable.writableFinished || writable.destroyed) done();
    else {
      writable.once('finish', done);
      writable.once('error', done);
    }
  }

  /** The C-STORE status for a request whose data set has been written. */
  async stored(request: StoreCommand): Promise<number> {
    const entry = this.open.get(request);
    if (!entry) return STATUS_CANNOT_UNDERSTAND;
    this.open.delete(request);
    if (entry.error) return STATUS_CANNOT_UNDERSTAND;
    let study: string | null;
    let size: number;
    try {
      ({ studyUid: study, bytes: size } = await studyOfFile(entry.path));
    } catch (err) {
      this.strays.push(`${entry.path}: ${errorMessage(err)}`);
      await unlink(entry.path).catch(() => undefined);
      return STATUS_CANNOT_UNDERSTAND;
    }
    if (study !== this.studyUid) {
      this.strays.push(`${request.getAffectedSopInstanceUid()} (study ${study ?? 'none'})`);
      await unlink(entry.path).catch(() => undefined);
      return STATUS_CANNOT_UNDERSTAND;
    }
    this.files.push(entry.path);
    this.bytes += size;
    // Awaited before the node hears back, so a slow consumer holds the sender (C-GET and C-MOVE wait for each answer).
    await this.onInstance(this.files.length, this.bytes);
    return Status.Success;
  }

  /** Closes the files still being written (a transfer that was cancelled or broke off); the caller removes the folder. */
  abandon(): void {
    for (const { stream } of this.open.values()) stream.destroy();
    this.open.clear();
  }
}
