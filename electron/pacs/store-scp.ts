/**
 * The storage SCP a C-MOVE sends the study to: open only while one retrieve runs, answering only
 * to our AE title, writing each data set as it arrives (RawReceiver). It listens on 127.0.0.1 when
 * the node is on this machine, else on every interface (a remote node must reach it).
 */
import { createServer, type Server, type Socket } from 'node:net';
import dcmjsDimse from 'dcmjs-dimse';
import { PacsUnavailableError } from './errors';
import type { AcceptedContext, RawReceiver, StoreCommand } from './receiver';
import { STORED_SYNTAXES } from './syntaxes';
import type { PacsNode } from './types';

const { Scp } = dcmjsDimse;
const { CEchoResponse, CStoreResponse } = dcmjsDimse.responses;
const { PresentationContextResult, RejectReason, RejectResult, RejectSource, SopClass, Status, StorageClass } = dcmjsDimse.constants;

type DimseNode = Extract<PacsNode, { kind: 'dimse' }>;
type Assoc = InstanceType<typeof dcmjsDimse.association.Association>;

const STORAGE = new Set<string>(Object.values(StorageClass) as string[]);

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export interface OpenScp {
  port: number;
  close(): Promise<void>;
}

export async function openStoreScp(opts: { node: DimseNode; receiver: RawReceiver; idleMs: number; onData?: () => void }): Promise<OpenScp> {
  const { node, receiver } = opts;
  if (node.movePort === null) throw new PacsUnavailableError(node.label, 'C-MOVE needs a port for our storage SCP');
  const sockets = new Set<Socket>();

  class StoreScp extends Scp {
    override associationRequested(association: Assoc): void {
      if (association.getCalledAeTitle().trim() !== node.callingAet) {
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
        return;
      }
      for (const { id } of association.getPresentationContexts()) {
        const pc = association.getPresentationContext(id);
        const abstract = pc.getAbstractSyntaxUid();
        const offered = pc.getTransferSyntaxUids();
        const ts = STORED_SYNTAXES.find((s) => offered.includes(s));
        if (abstract !== SopClass.Verification && !STORAGE.has(abstract)) pc.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        else if (!ts) pc.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        else pc.setResult(PresentationContextResult.Accept, ts);
      }
      this.sendAssociationAccept();
    }
    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }
    override cEchoRequest(request: InstanceType<typeof dcmjsDimse.requests.CEchoRequest>, callback: (r: InstanceType<typeof CEchoResponse>) => void): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }
    override createStoreWritableStream(context: AcceptedContext, request: StoreCommand) {
      return receiver.createStream(context, request);
    }
    override createDatasetFromStoreWritableStream(writable: NodeJS.WritableStream, context: AcceptedContext, callback: (dataset: InstanceType<typeof dcmjsDimse.Dataset>) => void): void {
      receiver.finishStream(writable, context, callback);
    }
    override cStoreRequest(request: InstanceType<typeof dcmjsDimse.requests.CStoreRequest>, callback: (r: InstanceType<typeof CStoreResponse>) => void): void {
      void receiver.stored(request).then((status) => {
        const response = CStoreResponse.fromRequest(request);
        response.setStatus(status);
        callback(response);
      });
    }
  }

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (opts.onData) socket.on('data', opts.onData);
    const scp = new StoreScp(socket, { connectTimeout: opts.idleMs, associationTimeout: opts.idleMs, pduTimeout: opts.idleMs });
    // dcmjs-dimse's own Server marks accepted sockets as connected; its timers rely on it.
    (scp as unknown as { connected: boolean }).connected = true;
    scp.on('networkError', () => socket.destroy());
  });
  const host = isLoopback(node.host) ? '127.0.0.1' : '0.0.0.0';
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(new PacsUnavailableError(node.label, err.code === 'EADDRINUSE' ? `our C-MOVE storage port ${node.movePort} is in use by another program; choose another port` : `our C-MOVE storage SCP cannot listen on ${host}:${node.movePort} (${err.message})`)),
    );
    server.listen(node.movePort!, host, () => ok());
  });
  let closing: Promise<void> | null = null;
  return {
    port: node.movePort,
    close() {
      closing ??= new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      });
      return closing;
    },
  };
}
