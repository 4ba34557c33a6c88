import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Logger } from '../observability/logger';
import type { CallFlow } from './call-flow';
import { twilioCallParams, listenNumber, type TwilioCallParams } from './twilio-params';
import { emptyTwiml, sorryTwiml } from './twiml';
import { requireTwilioSignature, type TwilioSignatureOptions } from './twilio-signature';

/** Twilio's requests are a few hundred bytes of form; a recording's or transcription's a few KB. */
export const TWILIO_FORM_LIMIT_BYTES = 64 * 1024;

export interface VoiceRoutesDeps {
  flow: CallFlow;
  signature: TwilioSignatureOptions;
  maxListens: number;
  logger: Logger;
}

/**
 * `/twilio/*`: form-encoded, signed, and always answered with TwiML. Routes are thin: parse,
 * call the call flow, answer.
 */
export function voiceRoutes(deps: VoiceRoutesDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: TWILIO_FORM_LIMIT_BYTES, parameterLimit: 200 }));
  router.use(requireTwilioSignature(deps.signature));

  const twiml = (handle: (params: TwilioCallParams, req: Request) => Promise<string>) => async (req: Request, res: Response) => {
    const parsed = twilioCallParams.safeParse(req.body ?? {});
    if (!parsed.success) {
      deps.logger.warn({ path: req.baseUrl + req.path, problem: parsed.error.issues[0]?.message }, 'refused a Twilio request');
      res.status(400).type('text/xml').send(sorryTwiml());
      return;
    }
    try {
      res.type('text/xml').send(await handle(parsed.data, req));
    } catch (error) {
      // Most likely the store: answer 503 so Twilio records the failure (and tries a fallback URL).
      deps.logger.error({ err: error, path: req.baseUrl + req.path, callSid: parsed.data.CallSid }, 'could not handle a Twilio request');
      res.status(503).type('text/xml').send(sorryTwiml());
    }
  };

  router.post('/voice', twiml((params, req) => deps.flow.answer(params, listenNumber(req.query, deps.maxListens))));
  router.post('/gather', twiml((params, req) => deps.flow.gathered(params, listenNumber(req.query, deps.maxListens))));
  router.post('/recording', twiml((params) => deps.flow.recorded(params)));
  router.post(
    '/call-recording',
    twiml(async (params) => {
      await deps.flow.callRecorded(params);
      return emptyTwiml();
    }),
  );
  router.post(
    '/transcription',
    twiml(async (params) => {
      await deps.flow.transcribed(params);
      return emptyTwiml();
    }),
  );
  router.use(twimlErrors(deps.logger));
  return router;
}

/** Errors before a handler ran (an oversized or malformed body) still answer Twilio with TwiML. */
function twimlErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status = (error as { status?: number }).status;
    const httpStatus = typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
    logger.warn({ path: req.baseUrl + req.path, status: httpStatus, reason: (error as Error).message }, 'could not read a Twilio request');
    res.status(httpStatus).type('text/xml').send(sorryTwiml());
  };
}
