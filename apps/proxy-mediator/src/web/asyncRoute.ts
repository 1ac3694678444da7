import type { NextFunction, Request, RequestHandler, Response } from 'express'

/** Express 4 does not catch rejected promises of handlers; this passes them to the error handler. */
export function asyncRoute(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next)
  }
}
