import { errorMessage, UserInputError } from '../../native-models/errors';

/** Every failure to read a scan surfaces as this error, naming the file and what is wrong with it. */
export class ImagingError extends UserInputError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** Text of anything thrown by third-party code (dicom-parser throws plain strings and objects). */
export const describeThrown = errorMessage;
