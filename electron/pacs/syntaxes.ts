/** The transfer syntaxes and storage classes we receive as stored (C-GET's SCP role, our C-MOVE SCP). */
import dcmjsDimse from 'dcmjs-dimse';

const { StorageClass, TransferSyntax } = dcmjsDimse.constants;
const { PresentationContext } = dcmjsDimse.association;

/** Uncompressed first, then the encapsulated syntaxes Candor decodes: a node may then send a study as it stores it. */
export const STORED_SYNTAXES: string[] = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.JpegBaseline,
  '1.2.840.10008.1.2.4.51',
  TransferSyntax.JpegLossless,
  '1.2.840.10008.1.2.4.57',
  TransferSyntax.JpegLsLossless,
  TransferSyntax.JpegLsLossy,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.Jpeg2000Lossy,
  TransferSyntax.RleLossless,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
];

/** Every storage class with every syntax above, as presentation contexts to propose. */
export function storageContexts(): InstanceType<typeof PresentationContext>[] {
  return (Object.values(StorageClass) as string[]).map((uid, i) => {
    const pc = new PresentationContext(2 * i + 1, uid);
    for (const ts of STORED_SYNTAXES) pc.addTransferSyntaxUid(ts);
    return pc;
  });
}
