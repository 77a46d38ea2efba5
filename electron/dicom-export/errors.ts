import { UserInputError } from '../../native-models/errors';

/** A finding's DICOM objects cannot be written for this source; names the file and why. */
export class DicomExportError extends UserInputError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}
