// Its own module: the command line catches it without loading the quantizer and onnxruntime.
export class QuantizeError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'QuantizeError';
  }
}
