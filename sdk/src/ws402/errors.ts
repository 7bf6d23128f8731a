/** Every failure of the WS402 client, with a machine-readable code (a gateway error code or a client-side one). */
export class Ws402Error extends Error {
  override name = "Ws402Error";
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
