/**
 * Checks the parameters of incoming requests against the protocol. JSON-RPC gives us untyped data,
 * so every field the engine relies on is checked here, once, and a bad one is named in the error;
 * the engine then trusts its input and only caps it at the model's own limits.
 */
import {
  deviceSettings,
  infillModes,
  remaskModes,
  requestLimits,
  samplerKinds,
  type DocumentClosedNotification,
  type InfillRequest,
  type InitializeRequest,
  type SamplerOptions,
} from './protocol';
import { maxCachedRefreshEvery } from './cachedMode';
import { infillTextProblem } from './messageSize';

export class InvalidParamsError extends Error {}

const maxSaneTokens = requestLimits.tokens;

type Record_ = Record<string, unknown>;

function isObject(value: unknown): value is Record_ {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new InvalidParamsError(message);
}

function requireString(obj: Record_, key: string, where: string): string {
  const value = obj[key];
  if (typeof value !== 'string') fail(`${where}.${key} must be a string, got ${describe(value)}`);
  return value;
}

/** Request text has LF line ends only (see InfillRequest): a CR means the client skipped its conversion. */
function requireLfText(obj: Record_, key: string, where: string): string {
  const value = requireString(obj, key, where);
  const cr = value.indexOf('\r');
  if (cr >= 0) fail(`${where}.${key} has a carriage return at offset ${cr}: line ends must be LF (\\n); convert CRLF before sending`);
  return value;
}

function optionalString(obj: Record_, key: string, where: string): string | undefined {
  return obj[key] === undefined || obj[key] === null ? undefined : requireString(obj, key, where);
}

function requireInteger(obj: Record_, key: string, where: string, min: number, max: number): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${where}.${key} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function optionalNumber(obj: Record_, key: string, where: string, min: number, max: number): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`${where}.${key} must be a number from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function oneOf<T extends string>(obj: Record_, key: string, where: string, allowed: readonly T[]): T {
  const value = obj[key];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(`${where}.${key} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify gives undefined only for a function, a symbol or undefined, which String names.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function validateSampler(value: unknown): SamplerOptions {
  if (!isObject(value)) fail(`params.sampler must be an object, got ${describe(value)}`);
  const where = 'params.sampler';
  const sampler: SamplerOptions = { kind: oneOf(value, 'kind', where, samplerKinds) };
  if (value.minPerStep !== undefined) sampler.minPerStep = requireInteger(value, 'minPerStep', where, 1, maxSaneTokens);
  sampler.remaskDivisor = optionalNumber(value, 'remaskDivisor', where, 1, maxSaneTokens);
  if (value.remask !== undefined) sampler.remask = oneOf(value, 'remask', where, remaskModes);
  sampler.threshold = optionalNumber(value, 'threshold', where, 0, 1);
  sampler.temperature = optionalNumber(value, 'temperature', where, 0, requestLimits.temperature);
  if (value.seed !== undefined) sampler.seed = requireInteger(value, 'seed', where, 0, Number.MAX_SAFE_INTEGER);
  // Drop keys left undefined so the engine sees only what the client set.
  for (const key of Object.keys(sampler) as (keyof SamplerOptions)[]) {
    if (sampler[key] === undefined) delete sampler[key];
  }
  return sampler;
}

export function validateInfillParams(params: unknown): InfillRequest.Params {
  if (!isObject(params)) fail(`dllm/infill expects an object of parameters, got ${describe(params)}`);
  const where = 'params';
  const result: InfillRequest.Params = {
    prefix: requireLfText(params, 'prefix', where),
    suffix: requireLfText(params, 'suffix', where),
    maxTokens: requireInteger(params, 'maxTokens', where, 1, maxSaneTokens),
    stepBudget: requireInteger(params, 'stepBudget', where, 1, maxSaneTokens),
    sampler: validateSampler(params.sampler),
    mode: oneOf(params, 'mode', where, infillModes),
  };
  const language = optionalString(params, 'language', where);
  if (language !== undefined) result.language = language;
  const progressToken = optionalString(params, 'progressToken', where);
  if (progressToken !== undefined) result.progressToken = progressToken;
  const document = optionalString(params, 'document', where);
  if (document !== undefined) result.document = document;
  const dump = params.dumpFirstPass;
  if (dump !== undefined && dump !== null && typeof dump !== 'boolean') fail(`${where}.dumpFirstPass must be true or false, got ${describe(dump)}`);
  if (dump === true) result.dumpFirstPass = true;
  const tooLarge = infillTextProblem(result);
  if (tooLarge) fail(`dllm/infill refused: ${tooLarge}`);
  return result;
}

export function validateInitializeParams(params: unknown): InitializeRequest.Params {
  if (!isObject(params)) fail(`initialize expects an object of parameters, got ${describe(params)}`);
  const where = 'params';
  const result: InitializeRequest.Params = { device: oneOf(params, 'device', where, deviceSettings) };
  const modelDir = optionalString(params, 'modelDir', where);
  if (modelDir !== undefined) result.modelDir = modelDir;
  if (params.threads !== undefined && params.threads !== null) result.threads = requireInteger(params, 'threads', where, 0, requestLimits.threads);
  const clientName = optionalString(params, 'clientName', where);
  if (clientName !== undefined) result.clientName = clientName;
  if (params.contextCacheMiB !== undefined && params.contextCacheMiB !== null) {
    result.contextCacheMiB = requireInteger(params, 'contextCacheMiB', where, 0, requestLimits.contextCacheMiB);
  }
  if (params.cachedRefreshEvery !== undefined && params.cachedRefreshEvery !== null) {
    result.cachedRefreshEvery = requireInteger(params, 'cachedRefreshEvery', where, 0, maxCachedRefreshEvery);
  }
  return result;
}

export function validateDocumentClosedParams(params: unknown): DocumentClosedNotification.Params {
  if (!isObject(params)) fail(`dllm/documentClosed expects an object of parameters, got ${describe(params)}`);
  return { document: requireString(params, 'document', 'params') };
}
