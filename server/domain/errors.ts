// Typed errors that carry their HTTP status and a stable kebab-case code.
// Domain and use-case code throws these; http/errors.ts is the only place that
// turns them into responses. Messages are shown to API clients, so they must
// never contain a secret or a token.

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInput extends AppError {
  constructor(message: string, code = 'invalid-input') {
    super(422, code, message);
  }
}

export class MalformedRequest extends AppError {
  constructor(message: string, code = 'malformed-request') {
    super(400, code, message);
  }
}

export class Unauthorized extends AppError {
  constructor(message = 'a valid bearer token is required') {
    super(401, 'unauthorized', message);
  }
}

export class Forbidden extends AppError {
  constructor(message = 'this token may not do that') {
    super(403, 'forbidden', message);
  }
}

export class NotFound extends AppError {
  constructor(message: string, code = 'not-found') {
    super(404, code, message);
  }
}

export class Conflict extends AppError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

export class PayloadTooLarge extends AppError {
  constructor(message: string, code = 'payload-too-large') {
    super(413, code, message);
  }
}

export class UnsupportedMediaType extends AppError {
  constructor(message: string) {
    super(415, 'unsupported-media-type', message);
  }
}

export class StoreUnavailable extends AppError {
  constructor() {
    super(503, 'store-unavailable', 'the store is not answering; nothing was changed');
  }
}
